// CRC-32C (Castagnoli), the checksum of RecordBatch v2, computed natively by @node-rs/crc32.
// Loaded with require(): importing the CommonJS addon as ESM costs ~15 ms more at start-up (the
// ESM wrapper scans its loader script for exports).
import { createRequire } from 'node:module'

const { crc32c: nativeCrc32c } = createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32')

/** CRC-32C of bytes as an unsigned 32-bit number; pass the previous result as `initial` to continue. */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  return nativeCrc32c(bytes, initial)
}
