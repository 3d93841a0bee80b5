// A scripted Kafka-protocol server for client tests: decodes request headers independently of the
// client (v1/v2 by the API version's flexibility), hands each request to a handler, and writes
// whatever frames the handler returns, optionally one byte per write.
import net from 'node:net'
import { apiSpecByKey } from '../../src/protocol/messages/index.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'

export interface ReceivedRequest {
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string | null
  readonly body: unknown
}

/** Returns the response frames to send (already framed), or null to stay silent. */
export type FakeHandler = (request: ReceivedRequest, socket: net.Socket) => Buffer | null

export interface FakeBroker {
  readonly port: number
  readonly received: ReceivedRequest[]
  readonly sockets: Set<net.Socket>
  handler: FakeHandler
  close(): Promise<void>
}

export async function startFakeBroker(handler: FakeHandler): Promise<FakeBroker> {
  const received: ReceivedRequest[] = []
  const sockets = new Set<net.Socket>()
  const broker = { received, sockets, handler } as { handler: FakeHandler } & Pick<FakeBroker, 'received' | 'sockets'>
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0))
        buffered = buffered.subarray(4 + frame.length)
        const request = decodeRequest(frame)
        received.push(request)
        const reply = broker.handler(request, socket)
        if (reply !== null) socket.write(reply)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return Object.assign(broker, {
    port,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}

function isFlexible(apiKey: number, version: number): boolean {
  const spec = apiSpecByKey(apiKey)!
  return spec.flexibleFrom !== null && version >= spec.flexibleFrom
}

function decodeRequest(frame: Buffer): ReceivedRequest {
  const r = new Reader(frame)
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const clientId = r.nullableString()
  if (isFlexible(apiKey, apiVersion)) r.skipTaggedFields()
  const body = apiSpecByKey(apiKey)!.decodeRequest(r, apiVersion)
  if (r.remaining() !== 0) throw new Error(`request ${apiKey} v${apiVersion} has ${r.remaining()} unread bytes`)
  return { apiKey, apiVersion, correlationId, clientId, body }
}

/** A framed response; the header is v1 (tagged) for flexible versions except ApiVersions. */
export function responseFrame(apiKey: number, version: number, correlationId: number, body: unknown, bodyVersion = version): Buffer {
  const w = new Writer()
  w.int32(correlationId)
  if (apiKey !== 18 && isFlexible(apiKey, version)) w.emptyTaggedFields()
  apiSpecByKey(apiKey)!.encodeResponse(w, body, bodyVersion)
  const payload = w.toBuffer()
  const size = Buffer.alloc(4)
  size.writeInt32BE(payload.length)
  return Buffer.concat([size, payload])
}

/** An ApiVersions answer advertising `ranges` (apiKey → [min, max]). */
export function apiVersionsFrame(request: ReceivedRequest, ranges: Record<number, [number, number]>, errorCode = 0, bodyVersion = request.apiVersion): Buffer {
  const body = {
    errorCode,
    apiKeys: Object.entries(ranges).map(([k, [minVersion, maxVersion]]) => ({ apiKey: Number(k), minVersion, maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  }
  return responseFrame(18, request.apiVersion, request.correlationId, body, bodyVersion)
}
