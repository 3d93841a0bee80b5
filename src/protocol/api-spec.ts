// Shapes shared by the generated codecs (src/protocol/messages, src/protocol/internal) and the
// helpers their code calls. Hand-written: the generator only emits data and straight-line code.

import { ErrorCode, KafkaError } from './errors.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** One API key: version range, header flexibility and the body codecs. */
export interface ApiSpec<Req = unknown, Res = unknown> {
  readonly apiKey: number
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /** First flexible (KIP-482) version, or null when no version is flexible. */
  readonly flexibleFrom: number | null
  /** The highest version is still in development upstream (advertised only when unstable APIs are on). */
  readonly latestVersionUnstable: boolean
  /** Kafka listener kinds that serve the API: 'broker', 'controller', 'zkBroker'. */
  readonly listeners: readonly string[]
  decodeRequest(r: Reader, version: number): Req
  encodeRequest(w: Writer, message: Req, version: number): void
  decodeResponse(r: Reader, version: number): Res
  encodeResponse(w: Writer, message: Res, version: number): void
  createRequest(): Req
  createResponse(): Res
}

/** A version-prefixed `data` schema (consumer protocol payloads, internal-topic records). */
export interface DataSpec<T = unknown> {
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  readonly flexibleFrom: number | null
  decode(r: Reader, version: number): T
  encode(w: Writer, message: T, version: number): void
  create(): T
}

/** A field that is non-nullable in the version being written holds null: a caller bug. */
export function nullField(field: string): never {
  throw new TypeError(`non-nullable field ${field} is null`)
}

/**
 * A field that does not exist in `version` and is not ignorable holds a non-default value:
 * Kafka refuses to write it (UnsupportedVersionException) rather than silently drop it.
 */
export function unsupportedField(field: string, version: number): never {
  throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `field ${field} cannot be written at version ${version}`)
}

export function isZeroUuid(value: Buffer): boolean {
  for (let i = 0; i < value.length; i++) if (value[i] !== 0) return false
  return true
}
