// Burrow 1.2.1 (Debian `burrow`, a Go binary on sarama) for the interop tests: the standalone
// ZooKeeper it insists on (Debian `zookeeper`, run as a plain java process, see
// ../shared/notes/zookeeper.md), Burrow itself with a generated TOML config and its HTTP API, and
// a ListOffsets v0 → v1 translating proxy. Burrow 1.2.1's cluster module asks for partition end
// offsets with ListOffsets v0 whatever its kafka-version (sarama OffsetRequest with no Version),
// a version Kafka 4 removed; the proxy stands in for a broker that still serves v0, so that the
// rest of Burrow (the __consumer_offsets decoder, the lag arithmetic) can be checked against Gregor.
import { once } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import path from 'node:path'
import { decodeRequestHeader } from '../../../src/protocol/headers.js'
import {
  decodeListOffsetsRequest, decodeListOffsetsResponse, encodeListOffsetsRequest, encodeListOffsetsResponse,
} from '../../../src/protocol/messages/list-offsets.js'
import { Reader } from '../../../src/protocol/reader.js'
import { Writer } from '../../../src/protocol/writer.js'
import { pollUntil } from '../../helpers/poll.js'
import { freePort } from '../../helpers/ports.js'
import { CapturedText, exitOf, signalChild, spawnTracked } from '../../helpers/processes.js'
import { tmpDir } from '../../helpers/tmp-dir.js'

export interface ManagedProcess {
  readonly pid: number
  /** SIGTERM by PID, SIGKILL after `timeoutMs`; resolves with the exit code (null after a signal). */
  stop(timeoutMs?: number): Promise<number | null>
}

function managed(child: ReturnType<typeof spawnTracked>): ManagedProcess {
  const exited = exitOf(child)
  return {
    pid: child.pid!,
    async stop(timeoutMs = 10_000) {
      signalChild(child, 'SIGTERM')
      const timer = setTimeout(() => signalChild(child, 'SIGKILL'), timeoutMs)
      const status = await exited
      clearTimeout(timer)
      return status.code
    },
  }
}

// ------------------------------------------------------------------ ZooKeeper

const FOUR_LETTER_WORD_TIMEOUT_MS = 2_000

export interface ZooKeeper extends ManagedProcess {
  readonly connect: string
}

/** One four-letter-word command over TCP; resolves with the reply ('' when the server is not up or stays silent). */
function fourLetterWord(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    let reply = ''
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.end(command))
    // A server that accepts but never answers (or a port someone else took) must not stall the poll.
    socket.setTimeout(FOUR_LETTER_WORD_TIMEOUT_MS, () => socket.destroy())
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk))
    socket.on('close', () => resolve(reply))
    socket.on('error', () => resolve(''))
  })
}

/** A standalone ZooKeeper 3.8 on 127.0.0.1, serving once `srvr` reports a mode. */
export async function startZooKeeper(): Promise<ZooKeeper> {
  const dir = tmpDir('gregor-zk-').path
  const port = await freePort()
  await mkdir(path.join(dir, 'data'))
  await writeFile(path.join(dir, 'zoo.cfg'), [
    'tickTime=500', 'initLimit=10', 'syncLimit=5', `dataDir=${path.join(dir, 'data')}`, `clientPort=${port}`,
    'clientPortAddress=127.0.0.1', 'admin.enableServer=false', '4lw.commands.whitelist=srvr', 'maxClientCnxns=0', '',
  ].join('\n'))
  const child = spawnTracked('java', [
    '-Xmx128m', '-XX:+UseSerialGC', '-cp', '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', 'org.apache.zookeeper.server.quorum.QuorumPeerMain', path.join(dir, 'zoo.cfg'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = new CapturedText()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => output.append(chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.append(chunk))
  const process = managed(child)
  try {
    // `ruok` answers before the server serves; `srvr` reports a Mode only once it does.
    await pollUntil(async () => {
      if (child.exitCode !== null) throw new Error(`ZooKeeper exited: ${output}`)
      return /^Mode: standalone/m.test(await fourLetterWord(port, 'srvr'))
    }, { timeoutMs: 30_000, intervalMs: 50, message: 'ZooKeeper serving' })
  } catch (error) {
    await process.stop()
    throw new Error(`${(error as Error).message}; ZooKeeper's output: ${output.toString().slice(-4000)}`, { cause: error })
  }
  return { ...process, connect: `127.0.0.1:${port}` }
}

// ------------------------------------------------------------------ Burrow

export interface BurrowCluster {
  readonly name: string
  readonly bootstrap: string
}

/** The zap log entries the tests look at (Burrow logs JSON lines on stdout). */
export interface BurrowLogEntry {
  readonly msg: string
  /** The module name: the cluster's name for cluster and consumer modules. */
  readonly name?: string
  readonly [field: string]: unknown
}

const KEPT_MESSAGES = new Set(['consumer offset', 'failed to decode', 'error in OffsetResponse', 'dropped', 'consume error', 'failed to consume partition', 'starting consumers'])
const KEPT_MAX = 20_000
const HTTP_TIMEOUT_MS = 5_000

export interface Burrow extends ManagedProcess {
  readonly url: string
  /** GET on Burrow's HTTP API; the parsed JSON body. */
  get<T>(apiPath: string): Promise<T>
  /** Kept log entries so far (consumer offsets, decode failures, offset errors, storage drops). */
  log(): readonly BurrowLogEntry[]
  output(): string
}

/**
 * Burrow with one cluster module and one consumer module (class kafka, reading __consumer_offsets)
 * per cluster, kafka-version 2.1.0 (the highest Burrow 1.2.1 knows), offsets refreshed every
 * second, debug logging, the in-memory storage and the caching evaluator with a 1 s cache.
 */
export async function startBurrow(zookeeper: ZooKeeper, clusters: readonly BurrowCluster[]): Promise<Burrow> {
  const dir = tmpDir('gregor-burrow-').path
  const port = await freePort()
  const servers = (bootstrap: string) => `["${bootstrap}"]`
  const config = [
    '[general]', `pidfile="${path.join(dir, 'burrow.pid')}"`,
    '[logging]', 'level="debug"',
    '[zookeeper]', `servers=["${zookeeper.connect}"]`, 'timeout=6', 'root-path="/burrow"',
    '[client-profile.gregor]', 'client-id="burrow-interop"', 'kafka-version="2.1.0"',
    ...clusters.flatMap((cluster) => [
      `[cluster.${cluster.name}]`, 'class-name="kafka"', `servers=${servers(cluster.bootstrap)}`, 'client-profile="gregor"',
      'topic-refresh=1', 'offset-refresh=1',
      `[consumer.${cluster.name}]`, 'class-name="kafka"', `cluster="${cluster.name}"`, `servers=${servers(cluster.bootstrap)}`,
      'client-profile="gregor"', 'group-blacklist=""', 'group-whitelist=""',
    ]),
    '[httpserver.default]', `address="127.0.0.1:${port}"`,
    '[storage.default]', 'class-name="inmemory"', 'intervals=10', 'min-distance=1', 'expire-group=604800',
    '[evaluator.default]', 'class-name="caching"', 'expire-cache=1',
    '',
  ].join('\n')
  await writeFile(path.join(dir, 'burrow.toml'), config)

  const child = spawnTracked('Burrow', ['-config-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = new CapturedText()
  const kept: BurrowLogEntry[] = []
  let pending = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output.append(chunk)
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      if (!line.startsWith('{') || kept.length >= KEPT_MAX) continue
      const entry = JSON.parse(line) as BurrowLogEntry
      if (KEPT_MESSAGES.has(entry.msg)) kept.push(entry)
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.append(chunk))
  const process = managed(child)
  const url = `http://127.0.0.1:${port}`
  const burrow: Burrow = {
    ...process,
    url,
    async get<T>(apiPath: string): Promise<T> {
      // Burrow's handlers wait on its storage module without a deadline; a stuck Burrow must fail
      // the poll that asked, not hang the test file.
      const response = await fetch(url + apiPath, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
      const body = (await response.json()) as T & { error?: boolean; message?: string }
      if (!response.ok || body.error === true) throw new Error(`GET ${apiPath}: ${response.status} ${body.message ?? ''}`)
      return body
    },
    log: () => kept,
    output: () => output.toString(),
  }
  try {
    await pollUntil(async () => {
      if (child.exitCode !== null) throw new Error(`Burrow exited with ${child.exitCode}: ${output}`)
      return (await burrow.get<{ clusters: string[] }>('/v3/kafka')).clusters.length === clusters.length
    }, { timeoutMs: 20_000, intervalMs: 50, message: 'Burrow serving its HTTP API' })
  } catch (error) {
    await process.stop()
    throw new Error(`${(error as Error).message}; Burrow's output: ${output.toString().slice(-4000)}`, { cause: error })
  }
  return burrow
}

// ------------------------------------------------------------------ ListOffsets v0 shim

const LIST_OFFSETS = 2

export interface ListOffsetsShim {
  readonly port: number
  /** How many ListOffsets v0 requests were answered through v1. */
  readonly translated: number
  close(): Promise<void>
}

/** Splits a byte stream into Kafka frames (int32 size + payload). */
class FrameSplitter {
  private buffered: Buffer = Buffer.alloc(0)
  constructor(private readonly onFrame: (payload: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0)
      if (this.buffered.length < 4 + size) return
      this.onFrame(this.buffered.subarray(4, 4 + size))
      this.buffered = this.buffered.subarray(4 + size)
    }
  }
}

/**
 * A TCP proxy on 127.0.0.1 to `target` that passes every frame through unchanged except
 * ListOffsets v0: the request goes to the broker as v1 (same topics, partitions and timestamps;
 * max_num_offsets dropped) and the v1 answer comes back as v0, its offset as the one-element
 * old_style_offsets list (empty on error), as a broker that still served v0 would answer.
 */
export async function startListOffsetsShim(targetPort: number, port = 0): Promise<ListOffsetsShim> {
  const sockets = new Set<Socket>()
  let translated = 0
  const server: Server = createServer((client) => {
    const broker = createConnection({ host: '127.0.0.1', port: targetPort })
    sockets.add(client).add(broker)
    const translatedIds = new Set<number>()
    const upstream = new FrameSplitter((payload) => {
      if (payload.readInt16BE(0) !== LIST_OFFSETS || payload.readInt16BE(2) !== 0) {
        broker.write(frameOf(payload))
        return
      }
      const reader = new Reader(payload)
      const header = decodeRequestHeader(reader)
      const request = decodeListOffsetsRequest(reader, 0)
      const w = new Writer()
      w.int16(LIST_OFFSETS)
      w.int16(1)
      w.int32(header.correlationId)
      w.nullableString(header.clientId)
      encodeListOffsetsRequest(w, request, 1)
      translatedIds.add(header.correlationId)
      translated++
      broker.write(frameOf(w.toBuffer()))
    })
    const downstream = new FrameSplitter((payload) => {
      const correlationId = payload.readInt32BE(0)
      if (!translatedIds.delete(correlationId)) {
        client.write(frameOf(payload))
        return
      }
      const response = decodeListOffsetsResponse(new Reader(payload, 4), 1)
      for (const topic of response.topics) {
        for (const partition of topic.partitions) partition.oldStyleOffsets = partition.errorCode === 0 ? [partition.offset] : []
      }
      const w = new Writer()
      w.int32(correlationId)
      encodeListOffsetsResponse(w, response, 0)
      client.write(frameOf(w.toBuffer()))
    })
    client.on('data', (chunk: Buffer) => upstream.push(chunk))
    broker.on('data', (chunk: Buffer) => downstream.push(chunk))
    const closeBoth = () => {
      client.destroy()
      broker.destroy()
      sockets.delete(client)
      sockets.delete(broker)
    }
    for (const socket of [client, broker]) {
      socket.on('close', closeBoth)
      socket.on('error', closeBoth)
    }
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return {
    port: address.port,
    get translated() { return translated },
    async close() {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

function frameOf(payload: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(payload.length)
  return Buffer.concat([size, payload])
}
