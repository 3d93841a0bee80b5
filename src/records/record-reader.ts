// Decodes the records of an uncompressed v2 batch into objects. Allocates per record, so it is for
// the CLI, tests and compaction only, never the produce or fetch path.
import { BatchIterator } from './batch-iterator.js'
import {
  BATCH_HEADER_SIZE,
  CompressionType,
  readBaseOffset,
  readBaseTimestamp,
  readBatchSize,
  readCompressionType,
  readMaxTimestamp,
  readRecordsCount,
  readTimestampType,
} from './batch-header.js'
import { RecordFormatError, VarintCursor } from './varint.js'

export interface RecordHeader {
  readonly key: string
  readonly value: Buffer | null
}

export interface DecodedRecord {
  readonly offset: number
  /** For a LogAppendTime batch, the batch's maxTimestamp (as Kafka reports it). */
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: RecordHeader[]
}

/**
 * Records of the batch at `position` of `buffer`; key, value and header values are views into
 * `buffer`. Throws RecordFormatError for malformed or compressed batches.
 */
export function readBatchRecords(buffer: Buffer, position = 0): DecodedRecord[] {
  if (buffer.length - position < BATCH_HEADER_SIZE) throw new RecordFormatError('batch shorter than its header')
  const size = readBatchSize(buffer, position)
  if (size < BATCH_HEADER_SIZE || size > buffer.length - position) throw new RecordFormatError('invalid batch length')
  const codec = readCompressionType(buffer, position)
  if (codec !== CompressionType.NONE) throw new RecordFormatError(`compressed batches (codec ${codec}) cannot be decoded yet`)
  const baseOffset = readBaseOffset(buffer, position)
  const baseTimestamp = readBaseTimestamp(buffer, position)
  const logAppendTime = readTimestampType(buffer, position) === 'LogAppendTime' ? readMaxTimestamp(buffer, position) : null
  const count = readRecordsCount(buffer, position)
  const end = position + size
  const cursor = new VarintCursor(buffer, position + BATCH_HEADER_SIZE, end)
  const records: DecodedRecord[] = []
  for (let index = 0; index < count; index++) {
    const bodySize = cursor.varint()
    if (bodySize < 0 || bodySize > end - cursor.position) throw new RecordFormatError(`invalid record size ${bodySize}`)
    const bodyEnd = cursor.position + bodySize
    cursor.end = bodyEnd
    cursor.int8()
    const timestampDelta = cursor.varlong()
    const offsetDelta = cursor.varint()
    const key = readNullableBytes(cursor)
    const value = readNullableBytes(cursor)
    const headersCount = cursor.varint()
    if (headersCount < 0 || headersCount > bodyEnd - cursor.position) throw new RecordFormatError(`invalid header count ${headersCount}`)
    const headers: RecordHeader[] = []
    for (let header = 0; header < headersCount; header++) {
      const keyBytes = readNullableBytes(cursor)
      if (keyBytes === null) throw new RecordFormatError('null header key')
      headers.push({ key: keyBytes.toString('utf8'), value: readNullableBytes(cursor) })
    }
    if (cursor.position !== bodyEnd) throw new RecordFormatError('record has unread bytes')
    cursor.end = end
    records.push({
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    })
  }
  if (cursor.position !== end) throw new RecordFormatError('bytes left after the declared records')
  return records
}

/** Records of every whole batch in `buffer` (a fetch response or a segment's bytes). */
export function readAllRecords(buffer: Buffer): DecodedRecord[] {
  const records: DecodedRecord[] = []
  const batches = new BatchIterator(buffer)
  while (batches.next()) records.push(...readBatchRecords(buffer, batches.position))
  return records
}

function readNullableBytes(cursor: VarintCursor): Buffer | null {
  const length = cursor.varint()
  if (length < 0) return null
  const start = cursor.position
  cursor.skip(length)
  return cursor.buffer.subarray(start, start + length)
}
