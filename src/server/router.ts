// Turns one request frame into one response frame. The handler registry is the only list of
// APIs: dispatch and the ApiVersions answer both read it, so the broker advertises exactly what
// it implements. A thrown KafkaError becomes the API's error response here and only here.
import type { Logger } from 'pino'
import { ErrorCode, errorCodeOf } from '../protocol/errors.js'
import { decodeRequestHeader, encodeResponseHeader, responseHeaderIsFlexible, type RequestHeader } from '../protocol/headers.js'
import type { ApiSpec } from '../protocol/api-spec.js'
import { createApiVersionsResponse, encodeApiVersionsResponse } from '../protocol/messages/api-versions.js'
import { CorruptFrameError, Reader } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'
import { CloseConnectionError, type ApiHandler, type RequestContext } from './api-handler.js'
import type { BrokerContext } from './broker-context.js'

export const API_VERSIONS_KEY = 18

/** What the connection does with a request's outcome. */
export type Outcome =
  | { readonly kind: 'respond'; readonly frame: Buffer[]; readonly release?: () => void }
  | { readonly kind: 'silent'; readonly release?: () => void }
  | { readonly kind: 'close'; readonly reason: string; readonly frame?: Buffer[]; readonly release?: () => void }

export interface ConnectionInfo {
  readonly connectionId: number
  readonly clientHost: string
}

export interface AdvertisedApi {
  readonly apiKey: number
  readonly minVersion: number
  readonly maxVersion: number
}

type AnyHandler = ApiHandler<any, any>

export class Router {
  private readonly handlers = new Map<number, AnyHandler>()
  private readonly specs = new Map<number, ApiSpec>()
  readonly advertised: AdvertisedApi[]

  /** `specs`: the generated codec of every handled API (more are allowed, fewer are not). */
  constructor(handlers: readonly AnyHandler[], specs: readonly ApiSpec[], private readonly log: Logger) {
    for (const spec of specs) this.specs.set(spec.apiKey, spec)
    for (const handler of handlers) {
      const spec = this.specs.get(handler.apiKey)
      if (spec === undefined) throw new Error(`no codec for API key ${handler.apiKey}`)
      if (handler.maxVersion > spec.maxVersion) throw new Error(`${spec.name}: handler max ${handler.maxVersion} > codec max ${spec.maxVersion}`)
      if (this.handlers.has(handler.apiKey)) throw new Error(`duplicate handler for ${spec.name}`)
      this.handlers.set(handler.apiKey, handler)
    }
    this.advertised = [...this.handlers.values()]
      .map((handler) => ({ apiKey: handler.apiKey, minVersion: handler.advertisedMinVersion ?? handler.minVersion, maxVersion: handler.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey)
  }

  /** Never throws: malformed input yields a 'close' outcome with the reason for the log. */
  dispatch(frame: Buffer, connection: ConnectionInfo, broker: BrokerContext): Outcome | Promise<Outcome> {
    const reader = new Reader(frame)
    let header: RequestHeader
    try {
      header = decodeRequestHeader(reader)
    } catch (error) {
      return { kind: 'close', reason: `malformed request header: ${describe(error)}` }
    }
    const handler = this.handlers.get(header.apiKey)
    const spec = this.specs.get(header.apiKey)
    if (handler === undefined || spec === undefined) {
      return { kind: 'close', reason: `unsupported API key ${header.apiKey}` }
    }
    if (header.apiKey === API_VERSIONS_KEY && header.apiVersion > handler.maxVersion) {
      // KIP-511: answer an unknown ApiVersions version in v0 form so the client can retry lower.
      return { kind: 'respond', frame: this.unsupportedApiVersions(header.correlationId) }
    }
    if (header.apiVersion < spec.minVersion || header.apiVersion > spec.maxVersion) {
      return { kind: 'close', reason: `unsupported version ${header.apiVersion} of ${spec.name}` }
    }
    let request: unknown
    try {
      request = spec.decodeRequest(reader, header.apiVersion)
    } catch (error) {
      return { kind: 'close', reason: `malformed ${spec.name} v${header.apiVersion} request: ${describe(error)}` }
    }
    let releases: (() => void)[] | null = null
    const ctx: RequestContext = {
      header, apiVersion: header.apiVersion, clientId: header.clientId, clientHost: connection.clientHost,
      connectionId: connection.connectionId, broker, log: this.log,
      afterResponse: (release) => {
        (releases ??= []).push(release)
      },
    }
    // The outcome carries what the handler asked to run once the response is out of the way.
    const withReleases = (outcome: Outcome): Outcome => (releases === null ? outcome : { ...outcome, release: runAll(releases) })
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      // Advertised-but-removed versions (Produce v0-2, as Kafka 4) get UNSUPPORTED_VERSION.
      return this.respond(ctx, spec, handler.errorResponse(request, ErrorCode.UNSUPPORTED_VERSION, header.apiVersion))
    }
    let result: unknown
    try {
      result = handler.handle(ctx, request)
    } catch (error) {
      return withReleases(this.failed(ctx, spec, handler, request, error))
    }
    if (result instanceof Promise) {
      return result.then(
        (response) => withReleases(response === null ? SILENT : this.respond(ctx, spec, response)),
        (error: unknown) => withReleases(this.failed(ctx, spec, handler, request, error)),
      )
    }
    return withReleases(result === null ? SILENT : this.respond(ctx, spec, result))
  }

  private respond(ctx: RequestContext, spec: ApiSpec, response: unknown): Outcome {
    try {
      const writer = new Writer()
      writer.int32(0)
      encodeResponseHeader(writer, ctx.header.correlationId, responseHeaderIsFlexible(spec.apiKey, ctx.apiVersion))
      spec.encodeResponse(writer, response, ctx.apiVersion)
      return { kind: 'respond', frame: finishFrame(writer) }
    } catch (error) {
      this.log.error({ err: error, api: spec.name, version: ctx.apiVersion }, 'failed to encode response')
      return { kind: 'close', reason: `failed to encode ${spec.name} response` }
    }
  }

  private failed(ctx: RequestContext, spec: ApiSpec, handler: AnyHandler, request: unknown, error: unknown): Outcome {
    if (error instanceof CloseConnectionError) return { kind: 'close', reason: error.message }
    return this.respond(ctx, spec, handler.errorResponse(request, errorCodeOf(error, this.log, { api: spec.name }), ctx.apiVersion))
  }

  private unsupportedApiVersions(correlationId: number): Buffer[] {
    const response = createApiVersionsResponse()
    response.errorCode = ErrorCode.UNSUPPORTED_VERSION
    response.apiKeys = this.advertised.map((api) => ({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion }))
    const writer = new Writer()
    writer.int32(0)
    encodeResponseHeader(writer, correlationId, false)
    encodeApiVersionsResponse(writer, response, 0)
    return finishFrame(writer)
  }

}

const SILENT: Outcome = { kind: 'silent' }

function runAll(releases: readonly (() => void)[]): () => void {
  return () => {
    for (const release of releases) release()
  }
}

/** Writes the frame length into the 4 bytes reserved at the start. */
export function finishFrame(writer: Writer): Buffer[] {
  const buffers = writer.toBuffers()
  const first = buffers[0]!
  first.writeInt32BE(writer.length - 4, 0)
  return buffers
}

function describe(error: unknown): string {
  if (error instanceof CorruptFrameError) return error.message
  return error instanceof Error ? error.message : String(error)
}
