// Recovery of segments after an unclean shutdown (Kafka's LogSegment.recover / LogLoader.recoverLog).
//
// A segment is re-walked from byte 0: every batch must have a whole v2 header, a length that fits
// the file, magic 2, a valid CRC-32C, a base offset safe, ≥ the previous batch's last offset + 1
// (and ≥ the segment's base offset), and a last offset representable relative to the segment's
// base. The indexes are rebuilt from the batches that pass; the file is truncated at the first byte
// that does not (a torn tail, or a corrupt batch, which drops everything after it). The caller
// deletes the segments after one that was truncated.
import { CRC, CURRENT_MAGIC, BATCH_HEADER_SIZE, ATTRIBUTES, LOG_OVERHEAD } from '../records/batch-header.js'
import { readInt64, readLastOffsetDelta, readMaxTimestamp } from '../records/batch-header.js'
import { crc32c } from '../records/crc32c.js'
import { FileWindow } from './file-window.js'
import type { LogSegment } from './segment.js'

/** Read size during recovery: large sequential reads; also the CRC streaming step. */
const RECOVERY_WINDOW_BYTES = 1024 * 1024
const INT32_MAX = 0x7fffffff

export interface SegmentRecovery {
  /** Bytes removed from the end of the segment. */
  readonly truncatedBytes: number
  /** Offset after the last valid batch (the segment's base offset when none). */
  readonly nextOffset: number
  readonly validBatches: number
}

/**
 * Re-walks `segment`, rebuilding its indexes and truncating it at the first invalid byte.
 * `minFirstOffset` is the smallest acceptable base offset of its first batch.
 */
export async function recoverSegment(segment: LogSegment, minFirstOffset: number): Promise<SegmentRecovery> {
  segment.resetIndexes()
  const fileEnd = segment.size
  const window = new FileWindow(segment.log, fileEnd, RECOVERY_WINDOW_BYTES)
  let position = 0
  let nextOffset = Math.max(minFirstOffset, segment.baseOffset)
  let validBatches = 0
  for (;;) {
    const header = await window.view(position, BATCH_HEADER_SIZE)
    if (header === null) break
    const size = header.readInt32BE(8) + LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE || size > fileEnd - position) break
    if (header.readInt8(16) !== CURRENT_MAGIC) break
    const baseOffset = readInt64(header, 0)
    const lastOffsetDelta = readLastOffsetDelta(header, 0)
    const storedCrc = header.readUInt32BE(CRC)
    const maxTimestamp = readMaxTimestamp(header, 0)
    if (!Number.isSafeInteger(baseOffset) || baseOffset < nextOffset || lastOffsetDelta < 0) break
    const lastOffset = baseOffset + lastOffsetDelta
    if (lastOffset - segment.baseOffset > INT32_MAX) break
    if ((await crcOf(window, position + ATTRIBUTES, position + size)) !== storedCrc) break
    segment.recordBatch(lastOffset, maxTimestamp, position, size)
    nextOffset = lastOffset + 1
    position += size
    validBatches++
  }
  const truncatedBytes = fileEnd - position
  if (truncatedBytes > 0) {
    await segment.log.truncate(position)
    segment.size = position
  }
  if (validBatches === 0) nextOffset = segment.baseOffset
  segment.markIndexesLoaded()
  await segment.persistIndexes()
  return { truncatedBytes, nextOffset, validBatches }
}

/** CRC-32C of [from, to) read through the window in window-sized steps; -1 if the file is short. */
async function crcOf(window: FileWindow, from: number, to: number): Promise<number> {
  let crc = 0
  for (let position = from; position < to; ) {
    const length = Math.min(window.windowBytes, to - position)
    const bytes = await window.view(position, length)
    if (bytes === null) return -1
    crc = crc32c(bytes, crc)
    position += length
  }
  return crc
}
