// Validation of the record batches of one partition in a produce (or coordinator) append, answering
// with the error code Kafka 4 answers for the same bytes. The checks and their order follow
// ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords and LogValidator:
//
//  1. framing (ByteBufferLogInputStream.nextBatchSize): a length below 14 bytes or a magic outside
//     0..2 is CORRUPT_MESSAGE; no whole batch at all is INVALID_RECORD; a first batch with magic
//     other than 2 is INVALID_RECORD; a client append with more than one batch is INVALID_RECORD
//     (produce v3+ allows exactly one batch per partition); bytes after the last whole batch that
//     do not make a whole batch are dropped (UnifiedLog.trimInvalidBytes): `validBytes` says where
//     the appended bytes end;
//  2. per batch: a client batch whose baseOffset is not 0 is INVALID_RECORD; a batch larger than
//     max.message.bytes is MESSAGE_TOO_LARGE; a batch shorter than its header or with a bad CRC is
//     CORRUPT_MESSAGE; an unknown codec id is UNKNOWN_SERVER_ERROR (Kafka's IllegalArgumentException);
//  3. per client batch (LogValidator.validateBatch): lastOffsetDelta + 1 must be > 0 and equal
//     recordsCount > 0, no control batches, a producer id needs a base sequence: else INVALID_RECORD;
//  4. records of uncompressed batches, walked in place: any structural fault is INVALID_RECORD; a
//     CreateTime timestamp outside [now - before.max.ms, now + after.max.ms] or a client batch
//     claiming LogAppendTime is INVALID_TIMESTAMP, a keyless record on a compacted topic is
//     INVALID_RECORD, both reported per record (recordErrors) as Kafka does.
//
// Deviations: with `skipRecordWalk` (the broker's produce path for topics that are not
// compacted; issue 5: no per-record work on produce) the records of an uncompressed client batch
// are not walked: the CRC still covers them, the timestamp check uses the header's baseTimestamp
// and maxTimestamp, and the header's maxTimestamp is kept as sent (Kafka recomputes it from the
// records). A batch whose header timestamps fail the check is still walked, so the answer lists the
// offending records as Kafka's does. Malformed records inside a batch with a valid CRC are then
// stored as sent (Kafka answers INVALID_RECORD). Compressed batches are not decompressed here (this function is
// synchronous): their timestamp check uses the header's baseTimestamp and maxTimestamp (both
// timestamps of real records); records/compression/compressed-batch.ts then decompresses them
// asynchronously and walks their records with walkRecords (keys, timestamps, offset deltas).
// Timestamps beyond ±2^53 ms and producer ids beyond 2^53 are rejected as invalid.
//
// Allocation: one BatchInfo per batch; nothing per record unless a record is rejected.
import { ErrorCode } from '../protocol/errors.js'
import {
  ATTRIBUTES,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  CONTROL_MASK,
  COMPRESSION_CODEC_MASK,
  CompressionType,
  CURRENT_MAGIC,
  HEADER_SIZE_UP_TO_MAGIC,
  isCrcValid,
  LOG_OVERHEAD,
  MAGIC,
  NO_TIMESTAMP,
  readBaseSequence,
  readBaseTimestamp,
  readInt64,
  readLastOffsetDelta,
  readMaxTimestamp,
  readPartitionLeaderEpoch,
  readProducerEpoch,
  readProducerId,
  readRecordsCount,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
  type TimestampType,
} from './batch-header.js'
import { RecordFormatError, VarintCursor } from './varint.js'

/** Smallest legacy record (LegacyRecord.RECORD_OVERHEAD_V0): a smaller length field is corrupt. */
const RECORD_OVERHEAD_V0 = 14

export interface ValidationLimits {
  /** max.message.bytes: the largest batch accepted, in bytes. */
  readonly maxMessageBytes: number
  /** AppendOrigin: client batches get the client-only checks; coordinators write control batches. */
  readonly origin: 'client' | 'coordinator'
  /** message.timestamp.type of the topic. */
  readonly timestampType: TimestampType
  readonly nowMs: number
  /** message.timestamp.before.max.ms / after.max.ms (Number.MAX_SAFE_INTEGER for Long.MAX_VALUE). */
  readonly timestampBeforeMaxMs: number
  readonly timestampAfterMaxMs: number
  /** cleanup.policy contains compact: records need keys. */
  readonly isCompacted: boolean
  /**
   * Trust the records of uncompressed client batches of a topic that is not compacted: no record
   * walk unless the header's timestamps fail the check (see the deviations above). Default false.
   */
  readonly skipRecordWalk?: boolean
}

/** What the log needs to know about one valid batch; numbers only. */
export interface BatchInfo {
  /** Start of the batch in the records buffer. */
  readonly position: number
  readonly size: number
  readonly lastOffsetDelta: number
  readonly recordsCount: number
  /** For uncompressed batches the largest record timestamp (Kafka corrects the header to it). */
  readonly maxTimestamp: number
  readonly compressionType: number
  readonly isControl: boolean
  readonly isTransactional: boolean
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly partitionLeaderEpoch: number
}

export interface RecordError {
  /** Index of the record within its batch. */
  readonly batchIndex: number
  readonly message: string
}

export interface ValidationSuccess {
  readonly errorCode?: undefined
  readonly batches: BatchInfo[]
  /** Sum of recordsCount. */
  readonly recordsCount: number
  /** Length of the whole batches: what follows them is not a batch and is not appended (as Kafka). */
  readonly validBytes: number
}

export interface ValidationFailure {
  readonly errorCode: number
  readonly errorMessage: string
  readonly recordErrors: RecordError[]
  readonly batches?: undefined
  readonly validBytes?: undefined
}

export type ValidationResult = ValidationSuccess | ValidationFailure

function failure(errorCode: number, errorMessage: string, recordErrors: RecordError[] = []): ValidationFailure {
  return { errorCode, errorMessage, recordErrors }
}

// One cursor for all record walks: validation is synchronous, so it is never shared concurrently.
const cursor = new VarintCursor(Buffer.alloc(0), 0, 0)

export function validateBatches(records: Buffer, limits: ValidationLimits): ValidationResult {
  const positions = frameBatches(records, limits)
  if (!Array.isArray(positions)) return positions

  const batches: BatchInfo[] = []
  for (const position of positions) {
    const checked = checkBatch(records, position, limits)
    if (checked !== null) return checked
  }
  let recordsCount = 0
  for (const position of positions) {
    const info = validateBatchContents(records, position, limits)
    if (!('position' in info)) return info
    batches.push(info)
    recordsCount += info.recordsCount
  }
  const last = batches[batches.length - 1]!
  return { batches, recordsCount, validBytes: last.position + last.size }
}

/** Step 1: the start of every whole batch, or the framing error. */
function frameBatches(records: Buffer, limits: ValidationLimits): number[] | ValidationFailure {
  const positions: number[] = []
  let position = 0
  for (;;) {
    const remaining = records.length - position
    if (remaining === 0) break
    if (remaining < LOG_OVERHEAD) return trailing(positions)
    const batchLength = records.readInt32BE(position + BATCH_LENGTH)
    if (batchLength < RECORD_OVERHEAD_V0) {
      return failure(
        ErrorCode.CORRUPT_MESSAGE,
        `Record size ${batchLength} is less than the minimum record overhead (${RECORD_OVERHEAD_V0})`,
      )
    }
    if (remaining < HEADER_SIZE_UP_TO_MAGIC) return trailing(positions)
    const magic = records.readInt8(position + MAGIC)
    if (magic < 0 || magic > CURRENT_MAGIC) return failure(ErrorCode.CORRUPT_MESSAGE, `Invalid magic found in record: ${magic}`)
    if (batchLength + LOG_OVERHEAD > remaining) return trailing(positions)
    if (magic !== CURRENT_MAGIC) {
      return failure(ErrorCode.INVALID_RECORD, 'Produce requests are only allowed to contain record batches with magic version 2')
    }
    if (positions.length === 1 && limits.origin === 'client') {
      return failure(ErrorCode.INVALID_RECORD, 'Produce requests are only allowed to contain exactly one record batch per partition')
    }
    positions.push(position)
    position += batchLength + LOG_OVERHEAD
  }
  if (positions.length === 0) {
    return failure(ErrorCode.INVALID_RECORD, 'Produce requests must have at least one record batch per partition')
  }
  return positions
}

/** The framing ends at bytes too short to be a batch: Kafka's batch iterator stops there. */
function trailing(positions: number[]): number[] | ValidationFailure {
  if (positions.length === 0) {
    return failure(ErrorCode.INVALID_RECORD, 'Produce requests must have at least one record batch per partition')
  }
  return positions
}

/** Step 2: baseOffset, size and CRC (analyzeAndValidateRecords). */
function checkBatch(records: Buffer, position: number, limits: ValidationLimits): ValidationFailure | null {
  const size = records.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD
  if (limits.origin === 'client' && readInt64(records, position) !== 0) {
    return failure(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch should be 0, but it is ${readInt64(records, position)}`)
  }
  if (size > limits.maxMessageBytes) {
    return failure(
      ErrorCode.MESSAGE_TOO_LARGE,
      `The record batch size is ${size} bytes which exceeds the maximum configured value of ${limits.maxMessageBytes}.`,
    )
  }
  if (size < BATCH_HEADER_SIZE || !isCrcValid(records, position, size)) {
    return failure(ErrorCode.CORRUPT_MESSAGE, 'Record is corrupt (CRC mismatch or batch shorter than its header)')
  }
  const codec = records.readInt16BE(position + ATTRIBUTES) & COMPRESSION_CODEC_MASK
  if (codec > CompressionType.ZSTD) return failure(ErrorCode.UNKNOWN_SERVER_ERROR, `Unknown compression type id: ${codec}`)
  return null
}

/** Steps 3 and 4 for one batch whose framing and CRC are valid. */
function validateBatchContents(records: Buffer, position: number, limits: ValidationLimits): BatchInfo | ValidationFailure {
  const size = records.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD
  const attributes = records.readInt16BE(position + ATTRIBUTES)
  const lastOffsetDelta = readLastOffsetDelta(records, position)
  const recordsCount = readRecordsCount(records, position)
  const producerId = readProducerId(records, position)
  const baseSequence = readBaseSequence(records, position)
  const isControl = (attributes & CONTROL_MASK) !== 0
  if (limits.origin === 'client') {
    if (lastOffsetDelta + 1 <= 0) return failure(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: lastOffsetDelta ${lastOffsetDelta}`)
    if (recordsCount <= 0) return failure(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${recordsCount}`)
    if (lastOffsetDelta + 1 !== recordsCount) {
      return failure(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${recordsCount}`)
    }
    if (isControl) return failure(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records')
    if (producerId >= 0 && baseSequence < 0) {
      return failure(ErrorCode.INVALID_RECORD, `Invalid sequence number ${baseSequence} in record batch with producerId ${producerId}`)
    }
  }
  if (!Number.isSafeInteger(producerId)) return failure(ErrorCode.INVALID_RECORD, `Unsupported producerId ${producerId}`)

  const compressionType = attributes & COMPRESSION_CODEC_MASK
  const batchClaimsLogAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0
  let maxTimestamp = readMaxTimestamp(records, position)
  const trustsRecords = limits.skipRecordWalk === true && limits.origin === 'client' && !limits.isCompacted
  if (compressionType === CompressionType.NONE && trustsRecords && headerTimestampsValid(records, position, batchClaimsLogAppendTime, limits)) {
    // Records trusted: nothing per record (the CRC was checked above).
  } else if (compressionType === CompressionType.NONE) {
    const baseTimestamp = readBaseTimestamp(records, position)
    const walked = walkRecords(records, position + BATCH_HEADER_SIZE, position + size, recordsCount, baseTimestamp, batchClaimsLogAppendTime, limits, false)
    if (typeof walked !== 'number') return walked
    maxTimestamp = walked
  } else {
    const errors: RecordError[] = []
    for (const timestamp of [readBaseTimestamp(records, position), maxTimestamp]) {
      const message = timestampError(timestamp, batchClaimsLogAppendTime, limits)
      if (message !== null) errors.push({ batchIndex: 0, message })
    }
    if (errors.length > 0) return recordErrorsFailure(errors, true)
  }
  return {
    position,
    size,
    lastOffsetDelta,
    recordsCount,
    maxTimestamp,
    compressionType,
    isControl,
    isTransactional: (attributes & TRANSACTIONAL_MASK) !== 0,
    producerId,
    producerEpoch: readProducerEpoch(records, position),
    baseSequence,
    partitionLeaderEpoch: readPartitionLeaderEpoch(records, position),
  }
}

function headerTimestampsValid(records: Buffer, position: number, batchClaimsLogAppendTime: boolean, limits: ValidationLimits): boolean {
  return timestampError(readBaseTimestamp(records, position), batchClaimsLogAppendTime, limits) === null &&
    timestampError(readMaxTimestamp(records, position), batchClaimsLogAppendTime, limits) === null
}

/** LogValidator.validateTimestamp for one record; null when valid. */
function timestampError(timestamp: number, batchClaimsLogAppendTime: boolean, limits: ValidationLimits): string | null {
  if (limits.timestampType === 'CreateTime' && timestamp !== NO_TIMESTAMP) {
    if (isOutOfRange(timestamp, limits)) {
      return (
        `Timestamp ${timestamp} of message is out of range. The timestamp should be within ` +
        `[${limits.nowMs - limits.timestampBeforeMaxMs}, ${limits.nowMs + limits.timestampAfterMaxMs}]`
      )
    }
  } else if (batchClaimsLogAppendTime && limits.origin === 'client') {
    return 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.'
  }
  return null
}

/** A CreateTime outside [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms]. */
function isOutOfRange(timestamp: number, limits: ValidationLimits): boolean {
  const difference = limits.nowMs - timestamp
  return !Number.isSafeInteger(timestamp) || difference > limits.timestampBeforeMaxMs || -difference > limits.timestampAfterMaxMs
}

function recordErrorsFailure(errors: RecordError[], hasTimestampError: boolean): ValidationFailure {
  if (hasTimestampError) {
    return failure(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', errors)
  }
  return failure(ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${errors.length} record errors`, errors)
}

/**
 * Walks the records in records[recordsStart, batchEnd) in place (DefaultRecord.readFrom without the
 * slices): the body of an uncompressed batch, or the decompressed body of a compressed one, for
 * which LogValidator also requires the offset deltas to be 0, 1, 2, ... (checkOffsetDeltas).
 * Returns the largest record timestamp, or the failure.
 */
export function walkRecords(
  records: Buffer,
  recordsStart: number,
  batchEnd: number,
  recordsCount: number,
  baseTimestamp: number,
  batchClaimsLogAppendTime: boolean,
  limits: ValidationLimits,
  checkOffsetDeltas: boolean,
): number | ValidationFailure {
  if (recordsCount >= 0 && (!batchClaimsLogAppendTime || limits.origin !== 'client')) {
    const valid = walkValidRecords(records, recordsStart, batchEnd, recordsCount, baseTimestamp, limits, checkOffsetDeltas)
    if (valid !== null) return valid
  }
  return walkRecordsReportingErrors(records, recordsStart, batchEnd, recordsCount, baseTimestamp, batchClaimsLogAppendTime, limits, checkOffsetDeltas)
}

/** Thrown inside walkValidRecords (preallocated): the batch needs the reporting walk. */
const NOT_VALID = new Error('record batch needs the reporting walk')
/** Where walkValidRecords reads; the walk is synchronous, so one position serves every call. */
let walkPosition = 0

/**
 * The happy path of walkRecords, ~3x faster (a compressed batch's records are walked on the event
 * loop): the same checks in the same order, but the first fault of any kind answers null and
 * walkRecordsReportingErrors then walks the batch again to build Kafka's exact answer. Returns the
 * largest record timestamp when every record is valid. Callers exclude batches claiming
 * LogAppendTime from clients (each record is an error there).
 */
function walkValidRecords(
  records: Buffer,
  recordsStart: number,
  batchEnd: number,
  recordsCount: number,
  baseTimestamp: number,
  limits: ValidationLimits,
  checkOffsetDeltas: boolean,
): number | null {
  const checksTimestamps = limits.timestampType === 'CreateTime'
  const isCompacted = limits.isCompacted
  let maxTimestamp = NO_TIMESTAMP
  walkPosition = recordsStart
  try {
    for (let index = 0; index < recordsCount; index++) {
      const bodySize = varintAt(records, batchEnd)
      const bodyStart = walkPosition
      if (bodySize < 0 || bodySize > batchEnd - bodyStart) return null
      const bodyEnd = bodyStart + bodySize
      if (walkPosition >= bodyEnd) return null
      walkPosition++ // attributes: unused in v2
      const timestamp = baseTimestamp + varlongAt(records, bodyEnd)
      const offsetDelta = varintAt(records, bodyEnd)
      if (checkOffsetDeltas && offsetDelta !== index) return null
      const keySize = varintAt(records, bodyEnd)
      if (keySize >= 0) skipBytes(keySize, bodyEnd)
      const valueSize = varintAt(records, bodyEnd)
      if (valueSize >= 0) skipBytes(valueSize, bodyEnd)
      const headersCount = varintAt(records, bodyEnd)
      if (headersCount < 0 || headersCount > bodyEnd - walkPosition) return null
      for (let header = 0; header < headersCount; header++) {
        const headerKeySize = varintAt(records, bodyEnd)
        if (headerKeySize < 0) return null
        skipBytes(headerKeySize, bodyEnd)
        const headerValueSize = varintAt(records, bodyEnd)
        if (headerValueSize >= 0) skipBytes(headerValueSize, bodyEnd)
      }
      if (walkPosition !== bodyEnd) return null
      if (isCompacted && keySize < 0) return null
      if (checksTimestamps && timestamp !== NO_TIMESTAMP && isOutOfRange(timestamp, limits)) return null
      if (timestamp > maxTimestamp) maxTimestamp = timestamp
    }
  } catch (error) {
    if (error === NOT_VALID) return null
    throw error
  }
  return walkPosition === batchEnd ? maxTimestamp : null
}

/** VarintCursor.varint at walkPosition, bounded by `end`. */
function varintAt(buffer: Buffer, end: number): number {
  let position = walkPosition
  if (position >= end) throw NOT_VALID
  let byte = buffer[position++]!
  if (byte < 0x80) {
    walkPosition = position
    return (byte >>> 1) ^ -(byte & 1)
  }
  let value = byte & 0x7f
  let shift = 7
  for (;;) {
    if (position >= end) throw NOT_VALID
    byte = buffer[position++]!
    if (byte < 0x80) {
      value |= byte << shift
      walkPosition = position
      return (value >>> 1) ^ -(value & 1)
    }
    value |= (byte & 0x7f) << shift
    shift += 7
    if (shift > 28) throw NOT_VALID
  }
}

/** VarintCursor.varlong at walkPosition, bounded by `end`. */
function varlongAt(buffer: Buffer, end: number): number {
  let position = walkPosition
  let raw = 0
  let scale = 1
  for (let index = 0; ; index++) {
    if (index >= 10 || position >= end) throw NOT_VALID
    const byte = buffer[position++]!
    raw += (byte & 0x7f) * scale
    if (byte < 0x80) break
    scale *= 128
  }
  walkPosition = position
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2
}

function skipBytes(bytes: number, end: number): void {
  if (bytes > end - walkPosition) throw NOT_VALID
  walkPosition += bytes
}

/**
 * walkRecords record by record through the cursor, collecting Kafka's per-record errors (exported
 * as the reference its fast path is tested against).
 */
export function walkRecordsReportingErrors(
  records: Buffer,
  recordsStart: number,
  batchEnd: number,
  recordsCount: number,
  baseTimestamp: number,
  batchClaimsLogAppendTime: boolean,
  limits: ValidationLimits,
  checkOffsetDeltas: boolean,
): number | ValidationFailure {
  if (recordsCount < 0) return failure(ErrorCode.INVALID_RECORD, `Found invalid record count ${recordsCount}`)
  let maxTimestamp = NO_TIMESTAMP
  let errors: RecordError[] | null = null
  let hasTimestampError = false
  cursor.reset(records, recordsStart, batchEnd)
  try {
    for (let index = 0; index < recordsCount; index++) {
      const bodySize = cursor.varint()
      const bodyStart = cursor.position
      if (bodySize < 0 || bodySize > batchEnd - bodyStart) {
        throw new RecordFormatError(`Invalid record size: expected ${bodySize} bytes in record payload`)
      }
      cursor.end = bodyStart + bodySize
      cursor.int8() // attributes: unused in v2
      const timestamp = baseTimestamp + cursor.varlong()
      const offsetDelta = cursor.varint()
      if (checkOffsetDeltas && offsetDelta !== index) {
        return failure(ErrorCode.INVALID_RECORD, `Inner record offset ${offsetDelta} does not match expected offset ${index}`)
      }
      const keySize = cursor.varint()
      if (keySize >= 0) cursor.skip(keySize)
      const valueSize = cursor.varint()
      if (valueSize >= 0) cursor.skip(valueSize)
      const headersCount = cursor.varint()
      if (headersCount < 0) throw new RecordFormatError(`Found invalid number of record headers ${headersCount}`)
      if (headersCount > cursor.end - cursor.position) throw new RecordFormatError('Found invalid number of record headers')
      for (let header = 0; header < headersCount; header++) {
        const headerKeySize = cursor.varint()
        if (headerKeySize < 0) throw new RecordFormatError(`Invalid negative header key size ${headerKeySize}`)
        cursor.skip(headerKeySize)
        const headerValueSize = cursor.varint()
        if (headerValueSize >= 0) cursor.skip(headerValueSize)
      }
      if (cursor.position !== cursor.end) throw new RecordFormatError('Invalid record size: record has unread bytes')
      cursor.end = batchEnd

      let message: string | null = null
      if (limits.isCompacted && keySize < 0) message = 'Compacted topic cannot accept message without key'
      else {
        message = timestampError(timestamp, batchClaimsLogAppendTime, limits)
        if (message !== null) hasTimestampError = true
      }
      if (message !== null) (errors ??= []).push({ batchIndex: index, message })
      if (timestamp > maxTimestamp) maxTimestamp = timestamp
    }
    if (cursor.position !== batchEnd) throw new RecordFormatError('Incorrect declared batch size, records still remaining in file')
  } catch (error) {
    if (error instanceof RecordFormatError) return failure(ErrorCode.INVALID_RECORD, `Found invalid record structure: ${error.message}`)
    throw error
  }
  if (errors !== null) return recordErrorsFailure(errors, hasTimestampError)
  return maxTimestamp
}
