// The contract every API module in server/apis/ implements. The router is the only list of
// handlers: it dispatches by API key and builds the ApiVersions answer from the same registry,
// so what is advertised is exactly what is implemented.
import type { Logger } from 'pino'
import type { RequestHeader } from '../protocol/headers.js'
import type { BrokerContext } from './broker-context.js'

export interface RequestContext {
  readonly header: RequestHeader
  readonly apiVersion: number
  readonly clientId: string | null
  readonly clientHost: string
  readonly connectionId: number
  readonly broker: BrokerContext
  readonly log: Logger
  /**
   * Runs `release` once the response has been written to the socket, or is known never to be
   * (connection closed, no response): pooled buffers the response refers to go back then.
   */
  afterResponse(release: () => void): void
}

export interface ApiHandler<Request, Response> {
  readonly apiKey: number
  /** Lowest version answered; lower versions in [advertisedMinVersion, minVersion) get UNSUPPORTED_VERSION. */
  readonly minVersion: number
  /** Lowest version advertised in ApiVersions (Kafka advertises Produce from 0 but rejects v0-2). */
  readonly advertisedMinVersion?: number
  readonly maxVersion: number
  /** Returns the response, a promise of it, or null when no response is sent (acks=0 produce). */
  handle(ctx: RequestContext, request: Request): Response | Promise<Response | null> | null
  /** The response for this request with every error field set to errorCode (used for top-level failures). */
  errorResponse(request: Request, errorCode: number, apiVersion: number): Response
}

/**
 * Thrown by a handler when Kafka would close the connection instead of answering (for example
 * an acks=0 produce that failed: the client learns of it only by the disconnect).
 */
export class CloseConnectionError extends Error {}
