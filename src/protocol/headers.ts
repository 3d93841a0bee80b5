// Request header v1/v2 and response header v0/v1 (Kafka's RequestHeader.json/ResponseHeader.json).
// The first four request-header fields read the same way for every API and version; only whether
// a tagged-field section follows depends on the API version's flexibility, read from the generated
// version table (not the codecs, so that the broker loads only the codecs of the APIs it serves).

import { apiVersionRanges } from './messages/versions.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

const API_VERSIONS_KEY = 18

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

/**
 * True when `version` of `apiKey` is a known, flexible version. Unknown keys and versions outside
 * the schema's range are not flexible: their header is read as v1 and the router answers
 * UNSUPPORTED_VERSION without parsing the body.
 */
export function isFlexible(apiKey: number, version: number): boolean {
  const range = apiVersionRanges[apiKey]
  if (range === undefined || version < range.minVersion || version > range.maxVersion) return false
  return range.flexibleFrom !== null && version >= range.flexibleFrom
}

/** ApiVersions responses always use header v0 so that any client can read the correlation id. */
export function responseHeaderIsFlexible(apiKey: number, version: number): boolean {
  return apiKey !== API_VERSIONS_KEY && isFlexible(apiKey, version)
}

export function decodeRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  // ClientId keeps the int16-length encoding even in header v2.
  const clientId = r.nullableString()
  if (isFlexible(apiKey, apiVersion)) r.skipTaggedFields()
  return { apiKey, apiVersion, correlationId, clientId }
}

/** Writes the response header: correlation id, plus an empty tagged section when flexible (v1). */
export function encodeResponseHeader(w: Writer, correlationId: number, flexible: boolean): void {
  w.int32(correlationId)
  if (flexible) w.emptyTaggedFields()
}
