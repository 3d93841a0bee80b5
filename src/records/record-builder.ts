// Builds an uncompressed v2 record batch from records, CRC included. Used by our client, the CLI,
// coordinators (control batches) and tests; the broker never rebuilds client batches.
import assert from 'node:assert/strict'
import { systemClock } from '../util/clock.js'
import {
  ATTRIBUTES,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  computeCrc,
  CONTROL_MASK,
  CRC,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
  writeInt64,
  type TimestampType,
} from './batch-header.js'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js'

export interface RecordHeaderInput {
  readonly key: string
  readonly value: Buffer | string | null
}

export interface RecordInput {
  readonly key?: Buffer | string | null
  readonly value: Buffer | string | null
  readonly headers?: readonly RecordHeaderInput[]
  /** Defaults to BatchOptions.timestampMs. */
  readonly timestamp?: number
}

export interface BatchOptions {
  readonly baseOffset?: number
  readonly partitionLeaderEpoch?: number
  /** Timestamp of records without one; defaults to the wall clock. */
  readonly timestampMs?: number
  readonly timestampType?: TimestampType
  readonly producerId?: number
  readonly producerEpoch?: number
  readonly baseSequence?: number
  readonly isTransactional?: boolean
  readonly isControl?: boolean
}

function toBytes(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value
}

interface EncodedRecord {
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: { key: Buffer; value: Buffer | null }[]
  readonly timestampDelta: number
  readonly bodySize: number
}

function sizeOfBytes(bytes: Buffer | null): number {
  return bytes === null ? sizeOfVarint(-1) : sizeOfVarint(bytes.length) + bytes.length
}

function writeBytes(buffer: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buffer, position, -1)
  position = writeVarint(buffer, position, bytes.length)
  return position + bytes.copy(buffer, position)
}

export function buildRecordBatch(records: readonly RecordInput[], options: BatchOptions = {}): Buffer {
  assert.ok(records.length > 0, 'a batch holds at least one record')
  const defaultTimestamp = options.timestampMs ?? systemClock.nowMs()
  const timestamps = records.map((record) => record.timestamp ?? defaultTimestamp)
  const baseTimestamp = timestamps[0]!
  let maxTimestamp = baseTimestamp
  for (const timestamp of timestamps) if (timestamp > maxTimestamp) maxTimestamp = timestamp

  const encoded: EncodedRecord[] = records.map((record, index) => {
    const key = toBytes(record.key)
    const value = toBytes(record.value)
    const headers = (record.headers ?? []).map((header) => ({ key: Buffer.from(header.key, 'utf8'), value: toBytes(header.value) }))
    const timestampDelta = timestamps[index]! - baseTimestamp
    let bodySize = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(index) + sizeOfBytes(key) + sizeOfBytes(value)
    bodySize += sizeOfVarint(headers.length)
    for (const header of headers) bodySize += sizeOfBytes(header.key) + sizeOfBytes(header.value)
    return { key, value, headers, timestampDelta, bodySize }
  })
  let size = BATCH_HEADER_SIZE
  for (const record of encoded) size += sizeOfVarint(record.bodySize) + record.bodySize

  const buffer = Buffer.allocUnsafe(size)
  writeInt64(buffer, 0, options.baseOffset ?? 0)
  buffer.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH)
  buffer.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH)
  buffer.writeInt8(CURRENT_MAGIC, MAGIC)
  let attributes = 0
  if (options.timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK
  if (options.isTransactional === true) attributes |= TRANSACTIONAL_MASK
  if (options.isControl === true) attributes |= CONTROL_MASK
  buffer.writeInt16BE(attributes, ATTRIBUTES)
  buffer.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA)
  writeInt64(buffer, BASE_TIMESTAMP, baseTimestamp)
  writeInt64(buffer, MAX_TIMESTAMP, maxTimestamp)
  writeInt64(buffer, PRODUCER_ID, options.producerId ?? NO_PRODUCER_ID)
  buffer.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH)
  buffer.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE)
  buffer.writeInt32BE(records.length, RECORDS_COUNT)

  let position = BATCH_HEADER_SIZE
  encoded.forEach((record, index) => {
    position = writeVarint(buffer, position, record.bodySize)
    buffer.writeInt8(0, position++)
    position = writeVarlong(buffer, position, record.timestampDelta)
    position = writeVarint(buffer, position, index)
    position = writeBytes(buffer, position, record.key)
    position = writeBytes(buffer, position, record.value)
    position = writeVarint(buffer, position, record.headers.length)
    for (const header of record.headers) {
      position = writeBytes(buffer, position, header.key)
      position = writeBytes(buffer, position, header.value)
    }
  })
  assert.equal(position, size, 'record batch size mismatch')
  buffer.writeUInt32BE(computeCrc(buffer, 0, size), CRC)
  return buffer
}
