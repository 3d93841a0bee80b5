// Wire fuzzing of a broker process: random bytes, frames with valid lengths and random bodies,
// mutated real requests (bit flips, inserts, deletes, forged huge lengths, forged record batches with
// and without a valid CRC) and valid requests split at random boundaries. Afterwards the broker must
// be alive, answer a well-formed Metadata request, and serve the records produced before the fuzzing
// unchanged at the same offsets. FUZZ_SEED=<n> replays a run; the seed is printed on failure.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { apiSpecs } from '../../src/protocol/messages/index.js'
import { createApiVersionsRequest, type ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js'
import {
  createFetchRequest,
  createFetchRequestFetchPartition,
  createFetchRequestFetchTopic,
  type FetchResponse,
} from '../../src/protocol/messages/fetch.js'
import {
  createListOffsetsRequest,
  createListOffsetsRequestListOffsetsPartition,
  createListOffsetsRequestListOffsetsTopic,
} from '../../src/protocol/messages/list-offsets.js'
import { createMetadataRequest, createMetadataRequestTopic, type MetadataResponse } from '../../src/protocol/messages/metadata.js'
import {
  createProduceRequest,
  createProduceRequestPartitionProduceData,
  createProduceRequestTopicProduceData,
  type ProduceResponse,
} from '../../src/protocol/messages/produce.js'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { kcatConsume, kcatProduce, type KcatRecord } from '../helpers/kcat.js'
import { killTracked } from '../helpers/processes.js'
import { encodeBatch, refreshCrc, walkBatches, type BatchPosition } from '../helpers/record-batch.js'
import { tmpDir } from '../helpers/tmp-dir.js'
import { encodeRequestPayload, frame, WireClient } from '../helpers/wire-client.js'

// CI runs a fixed seed so a failure reproduces; FUZZ_SEED=random (or a number) explores further.
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 1)
/** Overall budget for the fuzzing phases; each phase also has an iteration bound. */
const FUZZ_BUDGET_MS = 40_000
const PARALLEL_CONNECTIONS = 8
/** After our FIN the broker must close its side; Kafka closes a connection on EOF. */
const CLOSE_DEADLINE_MS = 5_000
const CANARY = 'fuzz-canary'
const CANARY_RECORDS = 30

const API = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18 } as const

/** mulberry32: a small seeded PRNG so a failing run can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    int,
    chance: (p: number): boolean => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
    bytes(n: number): Buffer {
      const out = Buffer.allocUnsafe(n)
      for (let i = 0; i < n; i++) out[i] = int(256)
      return out
    },
  }
}
type Rng = ReturnType<typeof prng>

interface Sample {
  label: string
  apiKey: number
  version: number
  /** Request header + body, without the length prefix. */
  payload: Buffer
}

/** Boundary values for forged int32 fields: lengths, counts, sizes. */
const FORGED_INT32 = [0x7fffffff, -1, -2, 0x40000000, 104_857_600, 104_857_601, 0, 1, 0xffff]

function forgeInt32(rng: Rng, buffer: Buffer, position: number, actual?: number): void {
  const choices = actual === undefined ? FORGED_INT32 : [...FORGED_INT32, actual + 1, actual - 1, actual * 2]
  const value = rng.pick(choices)
  buffer.writeUInt32BE(value >>> 0, position)
}

/** Byte-level mutations of a payload (header + body). */
function mutate(rng: Rng, input: Buffer): Buffer {
  let bytes = Buffer.from(input)
  const rounds = 1 + rng.int(4)
  for (let round = 0; round < rounds; round++) {
    const at = bytes.length === 0 ? 0 : rng.int(bytes.length)
    switch (rng.int(7)) {
      case 0: // flip one bit
        if (bytes.length > 0) bytes[at]! ^= 1 << rng.int(8)
        break
      case 1: // overwrite a few bytes
        for (let i = 0; i < 1 + rng.int(4) && at + i < bytes.length; i++) bytes[at + i] = rng.int(256)
        break
      case 2: // insert random bytes
        bytes = Buffer.concat([bytes.subarray(0, at), rng.bytes(1 + rng.int(16)), bytes.subarray(at)])
        break
      case 3: // delete a range
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + rng.int(16)))])
        break
      case 4: // forge an int32 (array/bytes lengths, sizes) somewhere
        if (bytes.length >= 4) forgeInt32(rng, bytes, rng.int(bytes.length - 3))
        break
      case 5: // forge an int16 (string lengths, versions, api keys)
        if (bytes.length >= 2) bytes.writeInt16BE(rng.pick([0x7fff, -1, -2, 0, 1]), rng.int(bytes.length - 1))
        break
      case 6: // truncate
        bytes = bytes.subarray(0, at)
        break
    }
  }
  return bytes
}

/** The length prefix: usually right, sometimes forged (huge, negative, too long, too short). */
function framed(rng: Rng, payload: Buffer): Buffer {
  if (rng.chance(0.8)) return frame(payload)
  const length = Buffer.allocUnsafe(4)
  length.writeInt32BE(rng.pick([0x7fffffff, -1, 0, 104_857_601, payload.length + 1 + rng.int(100), Math.max(0, payload.length - 1 - rng.int(8))]), 0)
  return Buffer.concat([length, payload])
}

/** Splits `bytes` at random boundaries (sometimes one byte at a time). */
function split(rng: Rng, bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = []
  const oneByOne = rng.chance(0.1)
  let position = 0
  while (position < bytes.length) {
    const size = oneByOne ? 1 : 1 + rng.int(Math.max(1, Math.min(bytes.length - position, 64)))
    pieces.push(bytes.subarray(position, position + size))
    position += size
  }
  return pieces
}

/** Record batches with forged header fields and/or records; most get a valid CRC so they pass the CRC check. */
function forgeBatch(rng: Rng): Buffer {
  const records = Array.from({ length: 1 + rng.int(5) }, (_, i) => ({
    key: rng.chance(0.3) ? null : Buffer.from(`k${i}`),
    value: rng.chance(0.1) ? null : rng.bytes(rng.int(40)),
    headers: rng.chance(0.3) ? ([['h', Buffer.from('v')]] as [string, Buffer | null][]) : [],
  }))
  let batch = encodeBatch(records)
  const forgeries = 1 + rng.int(3)
  for (let i = 0; i < forgeries; i++) {
    switch (rng.int(10)) {
      case 0:
        forgeInt32(rng, batch, 8, batch.length - 12) // batchLength
        break
      case 1:
        forgeInt32(rng, batch, 57, records.length) // recordsCount
        break
      case 2:
        batch.writeInt8(rng.pick([0, 1, 3, -1]), 16) // magic
        break
      case 3:
        batch.writeInt16BE(rng.int(0x10000) - 0x8000, 21) // attributes: codecs 1-7, transactional, control
        break
      case 4:
        forgeInt32(rng, batch, 23, records.length - 1) // lastOffsetDelta
        break
      case 5:
        batch.writeBigInt64BE(rng.pick([-1n, 2n ** 62n, -(2n ** 63n)]), rng.pick([27, 35])) // timestamps
        break
      case 6:
        batch.writeBigInt64BE(BigInt(rng.int(1000)), 43) // producerId without InitProducerId
        batch.writeInt32BE(rng.int(100), 53)
        break
      case 7: // garbage inside the records
        for (let j = 0; j < 1 + rng.int(4); j++) batch[61 + rng.int(Math.max(1, batch.length - 61))] = rng.int(256)
        break
      case 8: // a second, broken batch after a valid one
        batch = Buffer.concat([batch, encodeBatch(records).subarray(0, 61 + rng.int(20))])
        break
      case 9: // a huge varint record length
        batch = Buffer.concat([batch.subarray(0, 61), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]), batch.subarray(61)])
        batch.writeInt32BE(batch.length - 12, 8)
        break
    }
  }
  if (rng.chance(0.8) && batch.length >= 61) {
    const length = batch.readInt32BE(8)
    if (length >= 49 && length + 12 <= batch.length) refreshCrc(batch)
  }
  return batch
}

function produceSample(version: number, records: Buffer, acks: number, topic = CANARY): Sample {
  const request = createProduceRequest()
  request.acks = acks
  request.timeoutMs = 1000
  const topicData = createProduceRequestTopicProduceData()
  topicData.name = topic
  const partitionData = createProduceRequestPartitionProduceData()
  partitionData.index = 0
  partitionData.records = records
  topicData.partitionData = [partitionData]
  request.topicData = [topicData]
  return { label: `Produce v${version} acks=${acks}`, apiKey: API.Produce, version, payload: encodeRequestPayload(API.Produce, version, 7, request) }
}

/** Well-formed requests of the APIs clients use most, at every version the codecs know. */
function corpus(rng: Rng, canaryTopicId: Buffer): Sample[] {
  const samples: Sample[] = []
  const add = (label: string, apiKey: number, version: number, body: unknown): void => {
    samples.push({ label: `${label} v${version}`, apiKey, version, payload: encodeRequestPayload(apiKey, version, 1 + rng.int(1_000_000), body) })
  }
  for (let v = 0; v <= 4; v++) {
    const request = createApiVersionsRequest()
    if (v >= 3) {
      request.clientSoftwareName = 'gregor-fuzz'
      request.clientSoftwareVersion = '1.0'
    }
    add('ApiVersions', API.ApiVersions, v, request)
  }
  for (let v = 0; v <= 12; v++) {
    const topic = createMetadataRequestTopic()
    topic.name = CANARY
    const request = createMetadataRequest()
    request.topics = v === 0 ? [topic] : rng.chance(0.5) ? null : [topic]
    if (v >= 4) request.allowAutoTopicCreation = false // the field exists from v4 (true before)
    add('Metadata', API.Metadata, v, request)
  }
  for (let v = 3; v <= 11; v++) {
    for (const acks of [0, 1, -1]) {
      const sample = produceSample(v, encodeBatch([{ key: Buffer.from('fuzz'), value: Buffer.from(`v${v}`) }]), acks)
      samples.push(sample)
    }
  }
  for (let v = 4; v <= 17; v++) {
    const partition = createFetchRequestFetchPartition()
    partition.partition = 0
    partition.fetchOffset = BigInt(rng.int(CANARY_RECORDS))
    partition.partitionMaxBytes = 1 << 16
    const topic = createFetchRequestFetchTopic()
    topic.topic = CANARY
    topic.topicId = canaryTopicId
    topic.partitions = [partition]
    const request = createFetchRequest()
    request.maxWaitMs = 10
    request.maxBytes = 1 << 20
    request.topics = [topic]
    add('Fetch', API.Fetch, v, request)
  }
  for (let v = 1; v <= 10; v++) {
    const partition = createListOffsetsRequestListOffsetsPartition()
    partition.partitionIndex = 0
    partition.timestamp = rng.pick([-1n, -2n, 0n])
    const topic = createListOffsetsRequestListOffsetsTopic()
    topic.name = CANARY
    topic.partitions = [partition]
    const request = createListOffsetsRequest()
    request.topics = [topic]
    add('ListOffsets', API.ListOffsets, v, request)
  }
  return samples
}

/**
 * Distinct error-level (pino level >= 50) broker log entries. Client bytes must never reach an
 * assertion or an unexpected exception; those are logged at error level (UNKNOWN_SERVER_ERROR
 * answers, encoding failures, failures outside the router).
 */
function errorLog(stderr: string): string[] {
  const entries = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg?: string; api?: string; err?: { message?: string } })
    .filter((entry) => entry.level >= 50)
  return [...new Set(entries.map((e) => `${e.msg}${e.api ? ` (${e.api})` : ''}: ${e.err?.message ?? ''}`))]
}

/** Reads a partition's batches from offset 0 to the high watermark with Fetch v12 (by topic name). */
async function fetchAllBatches(broker: BrokerProcess, topic: string): Promise<{ batches: BatchPosition[]; highWatermark: number }> {
  const client = await WireClient.connect(broker.host, broker.port)
  try {
    const batches: BatchPosition[] = []
    let highWatermark = -1
    let fetchOffset = 0
    while (highWatermark < 0 || fetchOffset < highWatermark) {
      const partition = createFetchRequestFetchPartition()
      partition.partition = 0
      partition.fetchOffset = BigInt(fetchOffset)
      partition.partitionMaxBytes = 1 << 20
      const fetchTopic = createFetchRequestFetchTopic()
      fetchTopic.topic = topic
      fetchTopic.partitions = [partition]
      const request = createFetchRequest()
      request.maxWaitMs = 0
      request.maxBytes = 1 << 20
      request.topics = [fetchTopic]
      const response = await client.request<FetchResponse>(API.Fetch, 12, request)
      const data = response.responses[0]!.partitions[0]!
      assert.equal(data.errorCode, 0, `fetch ${topic}-0 at ${fetchOffset}`)
      highWatermark = Number(data.highWatermark)
      const walked = walkBatches(data.records ?? Buffer.alloc(0))
      // A fetch may end with a partial batch (size limit); anything else unparsable is corruption.
      const firstNew = walked.batches.findIndex((b) => b.lastOffset >= fetchOffset)
      assert.ok(firstNew >= 0 || fetchOffset >= highWatermark, `fetch at ${fetchOffset} (high watermark ${highWatermark}) returned no whole batch`)
      for (const batch of walked.batches.slice(Math.max(0, firstNew))) batches.push(batch)
      fetchOffset = batches.at(-1)!.lastOffset + 1
    }
    return { batches, highWatermark }
  } finally {
    client.close()
  }
}

describe('wire fuzzing', { timeout: 180_000 }, () => {
  let broker: BrokerProcess
  let rootDir: string
  let logDir: string
  let canaryBefore: KcatRecord[]
  let canaryTopicId: Buffer

  before(async () => {
    rootDir = tmpDir('gregor-fuzz-').path
    logDir = path.join(rootDir, 'logs')
    broker = await startBrokerProcess({ logDirs: logDir })
    const lines = Array.from({ length: CANARY_RECORDS }, (_, i) => `key-${i}:value-${i}`)
    await kcatProduce(broker.bootstrap, CANARY, lines.slice(0, 10), { partition: 0, keyDelimiter: ':', headers: [['h', 'before']] })
    await kcatProduce(broker.bootstrap, CANARY, lines.slice(10), { partition: 0, keyDelimiter: ':', headers: [['h', 'before']] })
    canaryBefore = await kcatConsume(broker.bootstrap, CANARY, { partition: 0 })
    assert.equal(canaryBefore.length, CANARY_RECORDS)
    const client = await WireClient.connect(broker.host, broker.port)
    try {
      const topic = createMetadataRequestTopic()
      topic.name = CANARY
      const request = createMetadataRequest()
      request.topics = [topic]
      const metadata = await client.request<MetadataResponse>(API.Metadata, 12, request)
      canaryTopicId = metadata.topics[0]!.topicId
    } finally {
      client.close()
    }
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test(`malformed input never crashes the broker or damages stored data (FUZZ_SEED=${SEED})`, async (t) => {
    const rng = prng(SEED)
    const deadline = Date.now() + FUZZ_BUDGET_MS
    const samples = corpus(rng, canaryTopicId)
    const unclosed: string[] = []
    const counts = new Map<string, number>()

    const assertAlive = (label: string): void => {
      if (!broker.isRunning()) {
        assert.fail(`broker exited during fuzzing after input "${label}" (FUZZ_SEED=${SEED})\nstderr: ${broker.stderr().slice(-5000)}`)
      }
    }

    /** One connection: write the pieces, send FIN, and wait for the broker to close its side. */
    const sendAndClose = async (label: string, pieces: readonly Buffer[]): Promise<void> => {
      const socket = net.connect({ host: broker.host, port: broker.port })
      socket.on('error', () => {}) // resets are an accepted answer to garbage
      socket.resume() // responses are not inspected here
      // Not events.once: it rejects on 'error', and a reset is a normal outcome here.
      const event = (name: string): Promise<void> => new Promise((resolve) => socket.once(name, () => resolve()))
      const closed = event('close')
      await Promise.race([event('connect'), closed])
      if (socket.destroyed) {
        assertAlive(label)
        return
      }
      for (const piece of pieces) {
        if (socket.destroyed) break
        if (!socket.write(piece)) await Promise.race([event('drain'), closed])
      }
      socket.end()
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), CLOSE_DEADLINE_MS)
      })
      const outcome = await Promise.race([closed, timedOut])
      clearTimeout(timer)
      if (outcome === 'timeout') {
        unclosed.push(label)
        socket.destroy()
      }
      assertAlive(label)
    }

    const phase = async (name: string, iterations: number, make: (i: number) => { label: string; pieces: Buffer[] }): Promise<void> => {
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < iterations && Date.now() < deadline) {
          const i = next++
          const { label, pieces } = make(i)
          await sendAndClose(`${name} #${i}: ${label}`, pieces)
          counts.set(name, (counts.get(name) ?? 0) + 1)
        }
      }
      await Promise.all(Array.from({ length: PARALLEL_CONNECTIONS }, worker))
    }

    await phase('random bytes', 500, () => {
      const bytes = rng.bytes(rng.int(600))
      return { label: bytes.subarray(0, 32).toString('hex'), pieces: [bytes] }
    })
    await phase('valid length, random body', 500, () => {
      const body = rng.bytes(rng.int(1024))
      return { label: body.subarray(0, 16).toString('hex'), pieces: [frame(body)] }
    })
    await phase('valid header, random body', 1500, () => {
      const spec = rng.pick(apiSpecs)
      const apiKey = rng.chance(0.9) ? spec.apiKey : rng.pick([-1, 1000, 0x7fff])
      const version = rng.pick([spec.minVersion, spec.maxVersion, spec.maxVersion + 1, rng.int(spec.maxVersion + 1), -1])
      const header = Buffer.alloc(10)
      header.writeInt16BE(apiKey, 0)
      header.writeInt16BE(version, 2)
      header.writeInt32BE(rng.int(2 ** 31), 4)
      header.writeInt16BE(-1, 8) // null client id
      const flexible = spec.flexibleFrom !== null && version >= spec.flexibleFrom ? Buffer.from([0]) : Buffer.alloc(0)
      const payload = Buffer.concat([header, flexible, rng.bytes(rng.int(256))])
      return { label: `api ${apiKey} v${version}`, pieces: [framed(rng, payload)] }
    })
    await phase('mutated request', 6000, () => {
      const sample = rng.pick(samples)
      const mutated = mutate(rng, sample.payload)
      return { label: `${sample.label} ${mutated.subarray(0, 48).toString('hex')}`, pieces: split(rng, framed(rng, mutated)) }
    })
    await phase('forged record batch', 3000, () => {
      const version = 3 + rng.int(9)
      const sample = produceSample(version, forgeBatch(rng), rng.pick([1, -1, 0]))
      const payload = rng.chance(0.2) ? mutate(rng, sample.payload) : sample.payload
      return { label: `${sample.label} ${payload.subarray(0, 48).toString('hex')}`, pieces: [framed(rng, payload)] }
    })

    // Valid requests pipelined on one connection and split at random boundaries: every response
    // arrives, in order, and decodes.
    let splitRuns = 0
    while (splitRuns < 200 && Date.now() < deadline) {
      splitRuns++
      const client = await WireClient.connect(broker.host, broker.port)
      try {
        const chosen = Array.from({ length: 1 + rng.int(5) }, () => rng.pick(samples.filter((s) => s.apiKey !== API.Produce || s.label.includes('acks=1'))))
        const responses: Promise<unknown>[] = []
        const frames: Buffer[] = []
        for (const sample of chosen) {
          const correlationId = client.takeCorrelationId()
          const payload = Buffer.from(sample.payload)
          payload.writeInt32BE(correlationId, 4)
          responses.push(client.expect(sample.apiKey, sample.version, correlationId))
          frames.push(frame(payload))
        }
        for (const piece of split(rng, Buffer.concat(frames))) await client.write(piece)
        const settled = await Promise.allSettled(responses)
        settled.forEach((result, i) => {
          if (result.status === 'rejected') {
            assert.fail(`split run ${splitRuns}: ${chosen[i]!.label} got no valid response: ${String(result.reason)} (FUZZ_SEED=${SEED})`)
          }
        })
        settled.forEach((result, i) => {
          const sample = chosen[i]!
          if (sample.apiKey === API.Produce) {
            const response = (result as PromiseFulfilledResult<ProduceResponse>).value
            assert.equal(response.responses[0]!.partitionResponses[0]!.errorCode, 0, `${sample.label}: split produce accepted`)
          }
        })
      } finally {
        client.close()
      }
      assertAlive(`split run ${splitRuns}`)
    }
    counts.set('split pipelined requests', splitRuns)
    t.diagnostic(`FUZZ_SEED=${SEED} inputs: ${JSON.stringify(Object.fromEntries(counts))}`)

    assert.ok(broker.isRunning(), 'broker alive after fuzzing')
    const errors = errorLog(broker.stderr())
    assert.deepEqual(errors.slice(0, 10), [], `broker logged errors while fuzzed (FUZZ_SEED=${SEED})`)
    assert.deepEqual(unclosed.slice(0, 10), [], `connections the broker left open ${CLOSE_DEADLINE_MS} ms after the client's FIN (${unclosed.length} in total)`)

    // A well-formed client still gets well-formed answers.
    const client = await WireClient.connect(broker.host, broker.port)
    try {
      const versions = await client.request<ApiVersionsResponse>(API.ApiVersions, 3, { clientSoftwareName: 'gregor-fuzz', clientSoftwareVersion: '1.0' })
      assert.equal(versions.errorCode, 0)
      for (const version of [0, 1, 9, 12]) {
        const topic = createMetadataRequestTopic()
        topic.name = CANARY
        const request = createMetadataRequest()
        request.topics = [topic]
        const metadata = await client.request<MetadataResponse>(API.Metadata, version, request)
        assert.deepEqual(
          metadata.brokers.map((b) => [b.nodeId, b.host, b.port]),
          [[broker.brokerId, broker.host, broker.port]],
        )
        assert.equal(metadata.topics.length, 1)
        assert.equal(metadata.topics[0]!.errorCode, 0)
        assert.equal(metadata.topics[0]!.name, CANARY)
        assert.deepEqual(
          metadata.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId]),
          [[0, 0, broker.brokerId]],
        )
      }
    } finally {
      client.close()
    }

    // The records produced before fuzzing are unchanged at their offsets.
    const canaryAfter = await kcatConsume(broker.bootstrap, CANARY, { partition: 0, count: CANARY_RECORDS, timeoutMs: 60_000 })
    assert.deepEqual(canaryAfter, canaryBefore)
    // Forged produce requests that passed validation were appended after them. Their record contents
    // may be odd (Kafka does not check offset deltas inside uncompressed batches), but the broker's
    // own bookkeeping must hold: whole batches with valid CRCs at contiguous offsets up to the high watermark.
    const batches = await fetchAllBatches(broker, CANARY)
    assert.equal(batches.batches[0]?.baseOffset, 0)
    batches.batches.forEach((batch, i) => {
      if (i > 0) assert.equal(batch.baseOffset, batches.batches[i - 1]!.lastOffset + 1, `canary batch ${i} follows the previous one`)
    })
    assert.equal(batches.batches.at(-1)!.lastOffset + 1, batches.highWatermark, 'canary batches end at the high watermark')

    // Nothing was written outside the log directory (topic names from mutated requests are untrusted).
    assert.deepEqual(await readdir(rootDir), ['logs'])
    for (const entry of await readdir(logDir, { withFileTypes: true })) {
      if (entry.isDirectory()) assert.match(entry.name, /^[a-zA-Z0-9._-]+-\d+(\.[0-9a-f]+-delete)?$/, `unexpected directory ${entry.name} in the log dir`)
    }
  })

  // Found by this fuzzer (Metadata v10-11 allow a null topic name in requests but not in responses).
  test('Metadata v10-11 with a null topic name is refused without an internal error', async () => {
    const logged = broker.stderr().length
    for (const version of [10, 11]) {
      const client = await WireClient.connect(broker.host, broker.port)
      try {
        const topic = createMetadataRequestTopic()
        topic.topicId = Buffer.from('00112233445566778899aabbccddeeff', 'hex')
        topic.name = null
        const request = createMetadataRequest()
        request.topics = [topic]
        const outcome = await client.request<MetadataResponse>(API.Metadata, version, request).then(
          (response) => response.topics.map((t) => t.errorCode),
          (error: Error) => error.message,
        )
        // Kafka rejects the request (InvalidRequestException: topic name can not be null for v10-11);
        // an INVALID_REQUEST answer or a closed connection are both that.
        assert.ok(
          outcome === 'connection closed by the broker' || (Array.isArray(outcome) && outcome.every((code) => code === 42)),
          `Metadata v${version}: ${JSON.stringify(outcome)}`,
        )
      } finally {
        client.close()
      }
    }
    assert.deepEqual(errorLog(broker.stderr().slice(logged)), [])
  })
})
