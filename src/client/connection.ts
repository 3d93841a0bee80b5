// One TCP connection to a Kafka-protocol broker: size-prefixed framing, correlation ids, pipelined
// requests (at most `maxInFlight` awaiting responses, at most `maxQueued` waiting behind them),
// ApiVersions negotiation (per API the highest version both sides support), request header v1/v2
// chosen by the API version's flexibility, per-request timeouts, and a clean close.
//
// Kafka answers requests on a connection in order, so responses are matched against the oldest
// outstanding request; a mismatched correlation id means the stream can no longer be trusted and
// the connection is closed (as the Java client does). A timed-out request also closes the
// connection: its response may still arrive, and Kafka's clients disconnect rather than guess.
import net from 'node:net'
import type { ApiSpec } from '../protocol/api-spec.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import {
  ApiVersions,
  createApiVersionsResponse,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
} from '../protocol/messages/api-versions.js'
import { CorruptFrameError, Reader } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'

export type ConnectionErrorCode =
  | 'GREGOR_CONNECT_FAILED'
  | 'GREGOR_CONNECTION_CLOSED'
  | 'GREGOR_REQUEST_TIMEOUT'
  | 'GREGOR_PROTOCOL_ERROR'
  | 'GREGOR_TOO_MANY_REQUESTS'

export class ConnectionError extends Error {
  override readonly name = 'ConnectionError'
  constructor(
    readonly code: ConnectionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface ConnectionOptions {
  host: string
  port: number
  clientId?: string | null
  connectTimeoutMs?: number
  /** Per request, unless the request passes its own. */
  requestTimeoutMs?: number
  /** Requests awaiting a response; more wait in a queue. */
  maxInFlight?: number
  /** Requests waiting for an in-flight slot; beyond it send() rejects with GREGOR_TOO_MANY_REQUESTS. */
  maxQueued?: number
  /** Largest response frame accepted (bounds the receive buffer). */
  maxResponseBytes?: number
  /** Per-API version caps (apiKey → highest version this caller wants to use). */
  maxVersions?: Readonly<Record<number, number>>
}

export interface SendOptions {
  /** A specific version instead of the negotiated one. */
  version?: number
  timeoutMs?: number
}

export interface ApiVersionRange {
  readonly minVersion: number
  readonly maxVersion: number
}

const CLIENT_SOFTWARE_NAME = 'gregor-client'
const CLIENT_SOFTWARE_VERSION = '0.1.0'
const DEFAULTS = {
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlight: 100,
  maxQueued: 10_000,
  // Kafka's client-side fetch.max.bytes is 50 MiB; leave room for the rest of the response.
  maxResponseBytes: 128 * 1024 * 1024,
}

interface Pending {
  readonly correlationId: number
  readonly apiKey: number
  readonly version: number
  readonly hasFlexibleHeader: boolean
  readonly decode: (r: Reader, version: number) => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
  timer: NodeJS.Timeout | undefined
}

export class Connection {
  readonly host: string
  readonly port: number
  private readonly socket: net.Socket
  private readonly clientId: string | null
  private readonly requestTimeoutMs: number
  private readonly maxInFlight: number
  private readonly maxQueued: number
  private readonly maxResponseBytes: number
  private readonly maxVersions: Readonly<Record<number, number>>
  private readonly pending: Pending[] = []
  /** Callers waiting for an in-flight slot; a finished request hands its slot to the first. */
  private readonly waiters: { resolve: () => void; reject: (error: Error) => void }[] = []
  /** Slots taken: requests written or about to be written that await a response. */
  private slotsTaken = 0
  private readonly chunks: Buffer[] = []
  private bufferedBytes = 0
  private nextCorrelationId = 0
  private brokerVersions = new Map<number, ApiVersionRange>()
  private failure: Error | null = null
  private isClosing = false
  private readonly closed: Promise<void>

  private constructor(socket: net.Socket, options: ConnectionOptions) {
    this.socket = socket
    this.host = options.host
    this.port = options.port
    this.clientId = options.clientId === undefined ? CLIENT_SOFTWARE_NAME : options.clientId
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs
    this.maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight
    this.maxQueued = options.maxQueued ?? DEFAULTS.maxQueued
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULTS.maxResponseBytes
    this.maxVersions = options.maxVersions ?? {}
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (error) => this.fail(new ConnectionError('GREGOR_CONNECTION_CLOSED', `connection to ${this.address} failed: ${error.message}`, { cause: error })))
    socket.on('close', () => this.fail(new ConnectionError('GREGOR_CONNECTION_CLOSED', `connection to ${this.address} closed`)))
  }

  /** Opens a connection and negotiates API versions. */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const socket = await openSocket(options.host, options.port, options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs)
    const connection = new Connection(socket, options)
    try {
      await connection.negotiateVersions()
    } catch (error) {
      connection.destroy()
      throw error
    }
    return connection
  }

  get address(): string {
    return `${this.host}:${this.port}`
  }

  get isOpen(): boolean {
    return this.failure === null && !this.isClosing
  }

  /** The versions the broker advertised for `apiKey`, or undefined when it does not support the API. */
  brokerVersionRange(apiKey: number): ApiVersionRange | undefined {
    return this.brokerVersions.get(apiKey)
  }

  /** The highest version of `spec` both sides support (and the caller's cap allows). Throws UNSUPPORTED_VERSION. */
  versionFor(spec: ApiSpec<unknown, unknown>): number {
    const broker = this.brokerVersions.get(spec.apiKey)
    const cap = this.maxVersions[spec.apiKey] ?? spec.maxVersion
    const max = Math.min(spec.maxVersion, cap, broker?.maxVersion ?? -1)
    const min = Math.max(spec.minVersion, broker?.minVersion ?? 0)
    if (broker === undefined || max < min) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `${this.address} supports no version of ${spec.name} this client can use`)
    }
    return max
  }

  /** Sends a request and resolves with its decoded response. */
  async send<Req, Res>(spec: ApiSpec<Req, Res>, request: Req, options: SendOptions = {}): Promise<Res> {
    const version = options.version ?? this.versionFor(spec as ApiSpec<unknown, unknown>)
    await this.acquireSlot()
    if (this.failure !== null) throw this.failure
    return new Promise<Res>((resolve, reject) => {
      const correlationId = this.takeCorrelationId()
      const entry: Pending = {
        correlationId,
        apiKey: spec.apiKey,
        version,
        // ApiVersions responses always use header v0 so any client can read them (KIP-511).
        hasFlexibleHeader: spec.apiKey !== ApiVersions.apiKey && isFlexible(spec, version),
        decode: spec.decodeResponse as (r: Reader, v: number) => unknown,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: undefined,
      }
      const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs
      entry.timer = setTimeout(() => {
        this.fail(new ConnectionError('GREGOR_REQUEST_TIMEOUT', `${spec.name} v${version} to ${this.address} timed out after ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.push(entry)
      this.write(spec, request, version, correlationId, null)
    })
  }

  /** Sends a request the broker does not answer (Produce with acks=0); resolves once written. */
  async sendWithoutResponse<Req>(spec: ApiSpec<Req, unknown>, request: Req, options: SendOptions = {}): Promise<void> {
    const version = options.version ?? this.versionFor(spec as ApiSpec<unknown, unknown>)
    if (this.failure !== null) throw this.failure
    await new Promise<void>((resolve, reject) => {
      this.write(spec, request, version, this.takeCorrelationId(), (error) => (error ? reject(error) : resolve()))
    })
  }

  /** Stops taking requests, waits for the outstanding ones (bounded by their timeouts), then closes. */
  async close(): Promise<void> {
    if (!this.isClosing) {
      this.isClosing = true
      const closing = new ConnectionError('GREGOR_CONNECTION_CLOSED', `connection to ${this.address} is closing`)
      for (const waiter of this.waiters.splice(0)) waiter.reject(closing)
      if (this.pending.length === 0) this.endSocket()
    }
    await this.closed
  }

  /** Closes at once; outstanding requests reject. */
  destroy(): void {
    this.fail(new ConnectionError('GREGOR_CONNECTION_CLOSED', `connection to ${this.address} was closed by the client`))
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId
    this.nextCorrelationId = (id + 1) & 0x7fffffff
    return id
  }

  /** Takes an in-flight slot, synchronously when one is free, so concurrent sends cannot overshoot the bound. */
  private acquireSlot(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure)
    if (this.isClosing) return Promise.reject(new ConnectionError('GREGOR_CONNECTION_CLOSED', `connection to ${this.address} is closing`))
    if (this.slotsTaken < this.maxInFlight) {
      this.slotsTaken++
      return Promise.resolve()
    }
    if (this.waiters.length >= this.maxQueued) {
      return Promise.reject(new ConnectionError('GREGOR_TOO_MANY_REQUESTS', `more than ${this.maxQueued} requests queued on ${this.address}`))
    }
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  private releaseSlot(): void {
    const next = this.waiters.shift()
    if (next === undefined) this.slotsTaken--
    else next.resolve()
  }

  private write<Req>(spec: ApiSpec<Req, unknown>, request: Req, version: number, correlationId: number, done: ((error?: Error | null) => void) | null): void {
    const w = new Writer()
    w.int32(0) // size, patched below
    w.int16(spec.apiKey)
    w.int16(version)
    w.int32(correlationId)
    // client_id keeps the 2-byte-length encoding even in header v2.
    w.nullableString(this.clientId)
    if (isFlexible(spec, version)) w.emptyTaggedFields()
    spec.encodeRequest(w, request, version)
    const parts = w.toBuffers()
    parts[0]!.writeInt32BE(w.length - 4, 0)
    this.socket.cork()
    for (let i = 0; i < parts.length; i++) {
      this.socket.write(parts[i]!, i === parts.length - 1 && done !== null ? done : undefined)
    }
    this.socket.uncork()
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.bufferedBytes += chunk.length
    while (this.bufferedBytes >= 4 && this.failure === null) {
      const size = this.peekSize()
      if (size < 0 || size > this.maxResponseBytes) {
        this.fail(new ConnectionError('GREGOR_PROTOCOL_ERROR', `response of ${size} bytes from ${this.address} exceeds the limit of ${this.maxResponseBytes}`))
        return
      }
      if (this.bufferedBytes < 4 + size) return
      this.take(4)
      this.onFrame(this.take(size))
    }
  }

  private peekSize(): number {
    const first = this.chunks[0]!
    if (first.length >= 4) return first.readInt32BE(0)
    const head = Buffer.alloc(4)
    let filled = 0
    for (const c of this.chunks) {
      filled += c.copy(head, filled, 0, Math.min(c.length, 4 - filled))
      if (filled === 4) break
    }
    return head.readInt32BE(0)
  }

  /** Removes `n` buffered bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    this.bufferedBytes -= n
    const first = this.chunks[0]!
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0]!
      const used = Math.min(c.length, n - filled)
      c.copy(out, filled, 0, used)
      filled += used
      if (used === c.length) this.chunks.shift()
      else this.chunks[0] = c.subarray(used)
    }
    return out
  }

  private onFrame(frame: Buffer): void {
    const entry = this.pending[0]
    const r = new Reader(frame)
    let correlationId: number
    try {
      correlationId = r.int32()
    } catch (error) {
      this.fail(new ConnectionError('GREGOR_PROTOCOL_ERROR', `malformed response header from ${this.address}`, { cause: error }))
      return
    }
    if (entry === undefined || entry.correlationId !== correlationId) {
      const expected = entry === undefined ? 'none' : String(entry.correlationId)
      this.fail(new ConnectionError('GREGOR_PROTOCOL_ERROR', `correlation id ${correlationId} from ${this.address} does not match the expected ${expected}`))
      return
    }
    this.pending.shift()
    clearTimeout(entry.timer)
    this.releaseSlot()
    try {
      if (entry.hasFlexibleHeader) r.skipTaggedFields()
      entry.resolve(this.decodeBody(entry, frame, r))
    } catch (error) {
      entry.reject(error instanceof CorruptFrameError ? new ConnectionError('GREGOR_PROTOCOL_ERROR', `malformed response to api ${entry.apiKey} v${entry.version} from ${this.address}: ${error.message}`, { cause: error }) : (error as Error))
    }
    if (this.isClosing && this.pending.length === 0) this.endSocket()
  }

  private decodeBody(entry: Pending, frame: Buffer, r: Reader): unknown {
    if (entry.apiKey !== ApiVersions.apiKey || entry.version === 0) return entry.decode(r, entry.version)
    // A broker that does not know our ApiVersions version answers UNSUPPORTED_VERSION in the v0
    // format (KIP-511), which a higher-version decoder may fail to read.
    const bodyStart = r.offset
    let response: ApiVersionsResponse | undefined
    try {
      response = entry.decode(r, entry.version) as ApiVersionsResponse
    } catch (error) {
      if (!(error instanceof CorruptFrameError)) throw error
    }
    if (response !== undefined && response.errorCode !== ErrorCode.UNSUPPORTED_VERSION) return response
    try {
      return entry.decode(new Reader(frame, bodyStart), 0)
    } catch (error) {
      // Some brokers (librdkafka's mock cluster) answer in neither format; the leading error code
      // is enough to fall back to ApiVersions v0.
      if (!(error instanceof CorruptFrameError) || new Reader(frame, bodyStart).int16() !== ErrorCode.UNSUPPORTED_VERSION) throw error
      return { ...createApiVersionsResponse(), errorCode: ErrorCode.UNSUPPORTED_VERSION }
    }
  }

  private async negotiateVersions(): Promise<void> {
    const request: ApiVersionsRequest = {
      clientSoftwareName: CLIENT_SOFTWARE_NAME,
      clientSoftwareVersion: CLIENT_SOFTWARE_VERSION,
    }
    let version = Math.min(ApiVersions.maxVersion, this.maxVersions[ApiVersions.apiKey] ?? ApiVersions.maxVersion)
    let response = await this.send(ApiVersions, request, { version })
    if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      const theirs = response.apiKeys.find((k) => k.apiKey === ApiVersions.apiKey)
      version = Math.min(version - 1, theirs?.maxVersion ?? 0)
      response = await this.send(ApiVersions, request, { version: Math.max(0, version) })
    }
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `ApiVersions to ${this.address} failed`)
    this.brokerVersions = new Map(response.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]))
  }

  /** Half-closes; a peer that never closes its side is cut off after the request timeout. */
  private endSocket(): void {
    this.socket.end()
    setTimeout(() => this.socket.destroy(), this.requestTimeoutMs).unref()
  }

  private fail(error: Error): void {
    if (this.failure !== null) return
    this.failure = error
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer)
      entry.reject(error)
    }
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
    this.slotsTaken = 0
    this.chunks.length = 0
    this.bufferedBytes = 0
    this.socket.destroy()
  }
}

function isFlexible(spec: ApiSpec<unknown, unknown>, version: number): boolean {
  return spec.flexibleFrom !== null && version >= spec.flexibleFrom
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    socket.setNoDelay(true)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new ConnectionError('GREGOR_CONNECT_FAILED', `connecting to ${host}:${port} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(new ConnectionError('GREGOR_CONNECT_FAILED', `cannot connect to ${host}:${port}: ${error.message}`, { cause: error }))
    })
  })
}
