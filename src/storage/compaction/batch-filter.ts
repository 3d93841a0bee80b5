// Rewrites one record batch for compaction (Kafka's MemoryRecords.filterTo for magic 2): the
// retained records keep their exact bytes apart from the timestamp delta, the batch keeps its base
// offset (so every record keeps its offset), producer fields and codec; lastOffsetDelta, count,
// length and CRC follow the retained records. With a delete horizon (KIP-534) the batch carries
// attribute bit 6 and baseTimestamp = the horizon, and the records' timestamp deltas are
// re-encoded against it so consumers still see each record's own timestamp.
//
// Works on the uncompressed form of a batch (compressed-batch.ts decompresses and recompresses).
// Allocates per record: compaction only, never the produce or fetch path.
import assert from 'node:assert/strict'
import {
  ATTRIBUTES, BASE_TIMESTAMP, BATCH_HEADER_SIZE, BATCH_LENGTH, COMPRESSION_CODEC_MASK, computeCrc, CRC,
  DELETE_HORIZON_MASK, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, readBaseOffset, readBaseTimestamp, readRecordsCount,
  RECORDS_COUNT, TIMESTAMP_TYPE_MASK, readMaxTimestamp, writeInt64,
} from '../../records/batch-header.js'
import { RecordFormatError, sizeOfVarint, sizeOfVarlong, VarintCursor, writeVarint, writeVarlong } from '../../records/varint.js'

/** One record of an uncompressed batch, located in the batch's bytes. */
export interface RecordView {
  readonly offset: number
  readonly timestamp: number
  /** The key bytes as a latin1 string (one char per byte), or null: the offset map's key. */
  readonly key: string | null
  readonly isTombstone: boolean
  /** Position of the offsetDelta field: the record's bytes from here to `end` are kept as they are. */
  readonly tailStart: number
  readonly end: number
  readonly attributes: number
}

/** The records of the uncompressed batch `batch` (one whole batch, position 0). Throws RecordFormatError. */
export function viewRecords(batch: Buffer): RecordView[] {
  const baseOffset = readBaseOffset(batch, 0)
  const baseTimestamp = readBaseTimestamp(batch, 0)
  const count = readRecordsCount(batch, 0)
  const cursor = new VarintCursor(batch, BATCH_HEADER_SIZE, batch.length)
  const views: RecordView[] = []
  for (let index = 0; index < count; index++) {
    const bodySize = cursor.varint()
    if (bodySize < 0 || bodySize > batch.length - cursor.position) throw new RecordFormatError(`invalid record size ${bodySize}`)
    const end = cursor.position + bodySize
    cursor.end = end
    const attributes = cursor.int8()
    const timestamp = baseTimestamp + cursor.varlong()
    const tailStart = cursor.position
    const offset = baseOffset + cursor.varint()
    const keySize = cursor.varint()
    const keyStart = cursor.position
    if (keySize >= 0) cursor.skip(keySize)
    const valueSize = cursor.varint()
    views.push({
      offset, timestamp, attributes, tailStart, end,
      key: keySize < 0 ? null : batch.toString('latin1', keyStart, keyStart + keySize),
      isTombstone: valueSize < 0,
    })
    cursor.position = end
    cursor.end = batch.length
  }
  return views
}

/**
 * The batch holding only `retained` (records of `batch`, in order, at least one), with the delete
 * horizon set when `deleteHorizonMs` is not null. The result is uncompressed (codec bits cleared).
 */
export function rebuildWithRecords(batch: Buffer, retained: readonly RecordView[], deleteHorizonMs: number | null): Buffer {
  assert.ok(retained.length > 0, 'a rebuilt batch keeps at least one record')
  const attributes = batch.readInt16BE(ATTRIBUTES)
  const hasHorizon = deleteHorizonMs !== null || (attributes & DELETE_HORIZON_MASK) !== 0
  const baseTimestamp = deleteHorizonMs ?? readBaseTimestamp(batch, 0)
  const baseOffset = readBaseOffset(batch, 0)
  let size = BATCH_HEADER_SIZE
  const bodySizes: number[] = []
  for (const record of retained) {
    const bodySize = 1 + sizeOfVarlong(record.timestamp - baseTimestamp) + (record.end - record.tailStart)
    bodySizes.push(bodySize)
    size += sizeOfVarint(bodySize) + bodySize
  }
  const rebuilt = Buffer.allocUnsafe(size)
  batch.copy(rebuilt, 0, 0, BATCH_HEADER_SIZE)
  let position = BATCH_HEADER_SIZE
  let maxTimestamp = -1
  retained.forEach((record, index) => {
    position = writeVarint(rebuilt, position, bodySizes[index]!)
    rebuilt.writeInt8(record.attributes, position++)
    position = writeVarlong(rebuilt, position, record.timestamp - baseTimestamp)
    position += batch.copy(rebuilt, position, record.tailStart, record.end)
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
  })
  assert.equal(position, size, 'rebuilt batch size mismatch')
  const isLogAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0
  let newAttributes = attributes & ~COMPRESSION_CODEC_MASK
  if (hasHorizon) newAttributes |= DELETE_HORIZON_MASK
  rebuilt.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH)
  rebuilt.writeInt16BE(newAttributes, ATTRIBUTES)
  rebuilt.writeInt32BE(retained[retained.length - 1]!.offset - baseOffset, LAST_OFFSET_DELTA)
  writeInt64(rebuilt, BASE_TIMESTAMP, baseTimestamp)
  writeInt64(rebuilt, MAX_TIMESTAMP, isLogAppendTime ? readMaxTimestamp(batch, 0) : maxTimestamp)
  rebuilt.writeInt32BE(retained.length, RECORDS_COUNT)
  rebuilt.writeUInt32BE(computeCrc(rebuilt, 0, size), CRC)
  return rebuilt
}

/** The delete horizon of a batch (KIP-534), or null when it has none. */
export function deleteHorizonOf(batch: Buffer): number | null {
  return (batch.readInt16BE(ATTRIBUTES) & DELETE_HORIZON_MASK) !== 0 ? readBaseTimestamp(batch, 0) : null
}
