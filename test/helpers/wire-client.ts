// A minimal raw Kafka-protocol connection for tests: encodes requests with the generated codecs,
// writes frames (optionally split into arbitrary pieces), and matches responses by correlation id.
// Header rules are restated here from the Kafka spec rather than imported from protocol/headers.ts,
// so that the tests check the broker against an independent reading of the spec.
import net from 'node:net'
import { apiSpecByKey, type ApiSpec } from '../../src/protocol/messages/index.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'

const API_VERSIONS_KEY = 18

function specOf(apiKey: number): ApiSpec {
  const spec = apiSpecByKey(apiKey)
  if (spec === undefined) throw new Error(`no generated codec for API key ${apiKey}`)
  return spec
}

function requestIsFlexible(spec: ApiSpec, version: number): boolean {
  return spec.flexibleFrom !== null && version >= spec.flexibleFrom
}

/** ApiVersions responses always use response header v0 (KIP-511), whatever the version. */
function responseIsFlexible(spec: ApiSpec, version: number): boolean {
  return spec.apiKey !== API_VERSIONS_KEY && requestIsFlexible(spec, version)
}

/** Header + body of a request, without the 4-byte length prefix. */
export function encodeRequestPayload(apiKey: number, version: number, correlationId: number, body: unknown, clientId: string | null = 'gregor-test'): Buffer {
  const spec = specOf(apiKey)
  const w = new Writer()
  w.int16(apiKey)
  w.int16(version)
  w.int32(correlationId)
  w.nullableString(clientId) // request header v1/v2 keep the int16-length client id
  if (requestIsFlexible(spec, version)) w.emptyTaggedFields()
  spec.encodeRequest(w, body, version)
  return w.toBuffer()
}

/** A complete request frame: int32 length + header + body. */
export function encodeRequestFrame(apiKey: number, version: number, correlationId: number, body: unknown, clientId: string | null = 'gregor-test'): Buffer {
  return frame(encodeRequestPayload(apiKey, version, correlationId, body, clientId))
}

export function frame(payload: Buffer): Buffer {
  const length = Buffer.allocUnsafe(4)
  length.writeInt32BE(payload.length, 0)
  return Buffer.concat([length, payload])
}

/** A request body with the schema defaults, to be filled in by the test. */
export function createRequest<T>(apiKey: number): T {
  return specOf(apiKey).createRequest() as T
}

interface Pending {
  apiKey: number
  version: number
  resolve(value: unknown): void
  reject(error: Error): void
}

export class WireClient {
  private readonly pending = new Map<number, Pending>()
  private buffered: Buffer = Buffer.alloc(0)
  private nextCorrelationId = 1
  private closedError: Error | null = null
  readonly closed: Promise<void>

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.failAll(new Error('connection closed by the broker'))
        resolve()
      })
    })
    socket.on('error', (error) => this.failAll(error))
  }

  static connect(host: string, port: number, timeoutMs = 10_000): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`connect to ${host}:${port} timed out`))
      }, timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeListener('error', reject)
        resolve(new WireClient(socket))
      })
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
  }

  /** Sends one request and resolves with the decoded response body. */
  request<Response>(apiKey: number, version: number, body: unknown, timeoutMs = 10_000): Promise<Response> {
    const correlationId = this.nextCorrelationId++
    const bytes = encodeRequestFrame(apiKey, version, correlationId, body) // may throw: before expect()
    const response = this.expect<Response>(apiKey, version, correlationId, timeoutMs)
    this.socket.write(bytes)
    return response
  }

  /** Registers interest in the response to a request the test writes itself (e.g. split frames). */
  expect<Response>(apiKey: number, version: number, correlationId: number, timeoutMs = 10_000): Promise<Response> {
    if (this.closedError !== null) return Promise.reject(this.closedError)
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId)
        reject(new Error(`no response to API ${apiKey} v${version} (correlation id ${correlationId}) within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(correlationId, {
        apiKey,
        version,
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value as Response)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
    })
  }

  takeCorrelationId(): number {
    return this.nextCorrelationId++
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(error) : resolve())))
  }

  close(): void {
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0)
      if (this.buffered.length < 4 + size) return
      const payload = this.buffered.subarray(4, 4 + size)
      this.buffered = this.buffered.subarray(4 + size)
      this.onFrame(payload)
    }
  }

  private onFrame(payload: Buffer): void {
    const r = new Reader(payload)
    const correlationId = r.int32()
    const pending = this.pending.get(correlationId)
    if (pending === undefined) {
      this.failAll(new Error(`response with unexpected correlation id ${correlationId}`))
      return
    }
    this.pending.delete(correlationId)
    try {
      const spec = specOf(pending.apiKey)
      if (responseIsFlexible(spec, pending.version)) r.skipTaggedFields()
      const body = spec.decodeResponse(r, pending.version)
      if (r.remaining() !== 0) throw new Error(`${r.remaining()} bytes left after the ${spec.name} v${pending.version} response`)
      pending.resolve(body)
    } catch (error) {
      pending.reject(error as Error)
    }
  }

  private failAll(error: Error): void {
    this.closedError ??= error
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
  }
}
