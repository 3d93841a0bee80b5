// The fixed 61-byte header of a RecordBatch (magic 2), read and written in place at a position of a
// Buffer. A batch is opaque bytes to the broker: these accessors are all the hot path needs.
//
// Layout (big-endian): baseOffset int64 @0, batchLength int32 @8 (bytes after this field, so the
// batch is batchLength + 12 bytes), partitionLeaderEpoch int32 @12, magic int8 @16, crc uint32 @17
// (CRC-32C over attributes..end), attributes int16 @21, lastOffsetDelta int32 @23, baseTimestamp
// int64 @27, maxTimestamp int64 @35, producerId int64 @43, producerEpoch int16 @51, baseSequence
// int32 @53, recordsCount int32 @57, then the records (one compressed blob when a codec is set).
//
// baseOffset and partitionLeaderEpoch lie before the CRC range, so stamping them keeps the CRC valid;
// LogAppendTime rewrites attributes and maxTimestamp, which lie inside it, so that path recomputes it.
import assert from 'node:assert/strict'
import { crc32c } from './crc32c.js'

export const BASE_OFFSET = 0
export const BATCH_LENGTH = 8
export const PARTITION_LEADER_EPOCH = 12
export const MAGIC = 16
export const CRC = 17
export const ATTRIBUTES = 21
export const LAST_OFFSET_DELTA = 23
export const BASE_TIMESTAMP = 27
export const MAX_TIMESTAMP = 35
export const PRODUCER_ID = 43
export const PRODUCER_EPOCH = 51
export const BASE_SEQUENCE = 53
export const RECORDS_COUNT = 57
export const BATCH_HEADER_SIZE = 61

/** Bytes before batchLength's count starts (baseOffset + batchLength): Kafka's LOG_OVERHEAD. */
export const LOG_OVERHEAD = 12
/** Bytes up to and including magic: enough to frame a batch of any magic (HEADER_SIZE_UP_TO_MAGIC). */
export const HEADER_SIZE_UP_TO_MAGIC = 17
export const CURRENT_MAGIC = 2

/** attributes bits 0-2. */
export const COMPRESSION_CODEC_MASK = 0x07
export const TIMESTAMP_TYPE_MASK = 0x08
export const TRANSACTIONAL_MASK = 0x10
export const CONTROL_MASK = 0x20
export const DELETE_HORIZON_MASK = 0x40

export const NO_PARTITION_LEADER_EPOCH = -1
export const NO_PRODUCER_ID = -1
export const NO_SEQUENCE = -1
export const NO_TIMESTAMP = -1

export const CompressionType = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const

export type TimestampType = 'CreateTime' | 'LogAppendTime'

const TWO_POW_32 = 0x1_0000_0000

/**
 * Reads an int64 as a number without allocating a bigint. Exact when the value is a safe integer;
 * callers that need exactness check isSafeInt64 first (client bytes) or assert it (our own files).
 */
export function readInt64(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position) * TWO_POW_32 + buffer.readUInt32BE(position + 4)
}

/** Whether the int64 at position is within ±(2^53 - 1). */
export function isSafeInt64(buffer: Buffer, position: number): boolean {
  return Number.isSafeInteger(readInt64(buffer, position))
}

export function writeInt64(buffer: Buffer, position: number, value: number): void {
  assert.ok(Number.isSafeInteger(value), `int64 value ${value} is not a safe integer`)
  const high = Math.floor(value / TWO_POW_32)
  buffer.writeInt32BE(high, position)
  buffer.writeUInt32BE(value - high * TWO_POW_32, position + 4)
}

export function readBaseOffset(buffer: Buffer, position: number): number {
  const offset = readInt64(buffer, position + BASE_OFFSET)
  assert.ok(Number.isSafeInteger(offset), 'baseOffset is not a safe integer')
  return offset
}

export function readBatchLength(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position + BATCH_LENGTH)
}

/** Total bytes of the batch: batchLength + LOG_OVERHEAD. */
export function readBatchSize(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD
}

export function readPartitionLeaderEpoch(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position + PARTITION_LEADER_EPOCH)
}

export function readMagic(buffer: Buffer, position: number): number {
  return buffer.readInt8(position + MAGIC)
}

export function readCrc(buffer: Buffer, position: number): number {
  return buffer.readUInt32BE(position + CRC)
}

export function readAttributes(buffer: Buffer, position: number): number {
  return buffer.readInt16BE(position + ATTRIBUTES)
}

export function readCompressionType(buffer: Buffer, position: number): number {
  return buffer.readInt16BE(position + ATTRIBUTES) & COMPRESSION_CODEC_MASK
}

export function readTimestampType(buffer: Buffer, position: number): TimestampType {
  return (buffer.readInt16BE(position + ATTRIBUTES) & TIMESTAMP_TYPE_MASK) !== 0 ? 'LogAppendTime' : 'CreateTime'
}

export function readIsTransactional(buffer: Buffer, position: number): boolean {
  return (buffer.readInt16BE(position + ATTRIBUTES) & TRANSACTIONAL_MASK) !== 0
}

export function readIsControl(buffer: Buffer, position: number): boolean {
  return (buffer.readInt16BE(position + ATTRIBUTES) & CONTROL_MASK) !== 0
}

export function readLastOffsetDelta(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position + LAST_OFFSET_DELTA)
}

/** baseOffset + lastOffsetDelta. */
export function readLastOffset(buffer: Buffer, position: number): number {
  return readBaseOffset(buffer, position) + buffer.readInt32BE(position + LAST_OFFSET_DELTA)
}

/** Timestamps are not asserted: a client may send any int64 (validation checks them). */
export function readBaseTimestamp(buffer: Buffer, position: number): number {
  return readInt64(buffer, position + BASE_TIMESTAMP)
}

export function readMaxTimestamp(buffer: Buffer, position: number): number {
  return readInt64(buffer, position + MAX_TIMESTAMP)
}

export function readProducerId(buffer: Buffer, position: number): number {
  return readInt64(buffer, position + PRODUCER_ID)
}

export function readProducerEpoch(buffer: Buffer, position: number): number {
  return buffer.readInt16BE(position + PRODUCER_EPOCH)
}

export function readBaseSequence(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position + BASE_SEQUENCE)
}

export function readRecordsCount(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position + RECORDS_COUNT)
}

/** CRC-32C over attributes..end of the batch of `size` bytes at position. */
export function computeCrc(buffer: Buffer, position: number, size: number): number {
  assert.ok(size >= BATCH_HEADER_SIZE, 'batch smaller than its header')
  return crc32c(buffer.subarray(position + ATTRIBUTES, position + size))
}

/** Whether the stored CRC matches the batch of `size` bytes at position (Kafka's isValid). */
export function isCrcValid(buffer: Buffer, position: number, size: number): boolean {
  if (size < BATCH_HEADER_SIZE) return false
  return computeCrc(buffer, position, size) === buffer.readUInt32BE(position + CRC)
}

/** Outside the CRC range: no CRC update needed. */
export function writeBaseOffset(buffer: Buffer, position: number, baseOffset: number): void {
  assert.ok(baseOffset >= 0, 'baseOffset must not be negative')
  writeInt64(buffer, position + BASE_OFFSET, baseOffset)
}

/** Outside the CRC range: no CRC update needed. */
export function writePartitionLeaderEpoch(buffer: Buffer, position: number, leaderEpoch: number): void {
  buffer.writeInt32BE(leaderEpoch, position + PARTITION_LEADER_EPOCH)
}

/**
 * Sets the timestamp type bit and maxTimestamp, recomputing the CRC only when either changes
 * (DefaultRecordBatch.setMaxTimestamp). Returns whether the batch was rewritten.
 */
export function writeMaxTimestamp(
  buffer: Buffer,
  position: number,
  size: number,
  timestampType: TimestampType,
  maxTimestamp: number,
): boolean {
  const attributes = buffer.readInt16BE(position + ATTRIBUTES)
  const newAttributes =
    timestampType === 'LogAppendTime' ? attributes | TIMESTAMP_TYPE_MASK : attributes & ~TIMESTAMP_TYPE_MASK
  if (newAttributes === attributes && readInt64(buffer, position + MAX_TIMESTAMP) === maxTimestamp) return false
  buffer.writeInt16BE(newAttributes, position + ATTRIBUTES)
  writeInt64(buffer, position + MAX_TIMESTAMP, maxTimestamp)
  buffer.writeUInt32BE(computeCrc(buffer, position, size), position + CRC)
  return true
}

/** LogAppendTime stamping: attribute bit 3 and maxTimestamp = now; recomputes the CRC. */
export function writeLogAppendTime(buffer: Buffer, position: number, size: number, nowMs: number): void {
  writeMaxTimestamp(buffer, position, size, 'LogAppendTime', nowMs)
}
