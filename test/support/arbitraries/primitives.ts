// Arbitraries for the wire primitives, shared by the generated per-schema arbitraries.
import fc from 'fast-check'

/** Array length cap: schemas nest up to ~4 levels, so this keeps generated messages small. */
export const ARRAY_MAX = 3

export const int8 = fc.integer({ min: -128, max: 127 })
export const int16 = fc.integer({ min: -32768, max: 32767 })
export const int32 = fc.integer({ min: -2147483648, max: 2147483647 })
export const uint16 = fc.integer({ min: 0, max: 65535 })
export const uint32 = fc.integer({ min: 0, max: 4294967295 })
export const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
export const float64 = fc.double()
export const string = fc.string({ unit: 'grapheme', maxLength: 12 })
export const bytes = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a))
export const records = bytes
export const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a))
