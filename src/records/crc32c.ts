// CRC-32C (Castagnoli), the checksum of RecordBatch v2, computed natively by @node-rs/crc32.
import { crc32c as nativeCrc32c } from '@node-rs/crc32'

/** CRC-32C of bytes as an unsigned 32-bit number; pass the previous result as `initial` to continue. */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  return nativeCrc32c(bytes, initial)
}
