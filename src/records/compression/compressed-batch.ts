// The asynchronous half of produce validation and the topic's compression.type, per batch:
//
//  - a compressed client batch is decompressed and its records walked, as Kafka's LogValidator
//    does for compressed input (validateMessagesAndAssignOffsetsCompressed): keys on compacted
//    topics, CreateTime bounds, record framing, record count, and inner offset deltas 0, 1, 2, ...
//    Its header's maxTimestamp is then corrected to the largest record timestamp;
//  - compression.type `producer` keeps every batch as sent; a codec name (or `uncompressed`)
//    rebuilds a batch whose codec differs: same header fields and record bytes, new body, codec
//    bits, length and CRC (offsets are stamped later, outside the CRC range).
//
// Undecodable compressed bytes answer CORRUPT_MESSAGE; malformed records inside answer
// INVALID_RECORD, as LogValidator does. Everything here runs per batch, never per record, and all
// codec work is on the libuv thread pool.
import { ErrorCode } from '../../protocol/errors.js'
import {
  ATTRIBUTES,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  COMPRESSION_CODEC_MASK,
  CompressionType,
  computeCrc,
  CRC,
  LOG_OVERHEAD,
  readBaseTimestamp,
  readCompressionType,
  readRecordsCount,
  TIMESTAMP_TYPE_MASK,
} from '../batch-header.js'
import { walkRecords, type BatchInfo, type ValidationFailure, type ValidationLimits } from '../validate.js'
import { codecById, compressionTypeId, DecompressionError } from './codecs.js'

/**
 * Largest decompressed body accepted from one batch. message.max.bytes bounds the compressed size
 * only; 128 MiB admits ratios above 100 on a default 1 MiB batch while keeping a handful of
 * concurrent appends far from exhausting memory.
 */
export const DECOMPRESSED_BATCH_BYTES_MAX = 128 * 1024 * 1024

/** The codec the topic stores (compression.type) and its level. */
export interface CompressionTarget {
  /** Attribute id of the stored codec, or null for `producer` (keep what was sent). */
  readonly codec: number | null
  /** compression.<codec>.level of that codec (ignored by snappy and lz4). */
  readonly level: number
}

export const PRODUCER_COMPRESSION: CompressionTarget = Object.freeze({ codec: null, level: 0 })

/** The target of a topic's compression.type and level settings. */
export function compressionTarget(type: string, levels: { gzip: number; zstd: number; lz4: number }): CompressionTarget {
  const codec = compressionTypeId(type)
  const level = codec === CompressionType.GZIP ? levels.gzip : codec === CompressionType.ZSTD ? levels.zstd : levels.lz4
  return { codec, level }
}

/** Whether prepareBatches has anything to do (no: the synchronous path appends at once). */
export function needsPreparation(batches: readonly BatchInfo[], target: CompressionTarget): boolean {
  for (const batch of batches) {
    if (batch.compressionType !== CompressionType.NONE) return true
    if (target.codec !== null && target.codec !== CompressionType.NONE) return true
  }
  return false
}

export interface PreparedBatches {
  readonly errorCode?: undefined
  /** `records` itself when no batch was rebuilt, else a new buffer. */
  readonly records: Buffer
  readonly batches: BatchInfo[]
}

/**
 * Validates the records of compressed batches and converts batches to the target codec.
 * `batches` come from validateBatches(records); control batches (coordinator appends) are kept
 * as they are. Never throws for client bytes: failures are values.
 */
export async function prepareBatches(
  records: Buffer,
  batches: readonly BatchInfo[],
  limits: ValidationLimits,
  target: CompressionTarget,
): Promise<PreparedBatches | ValidationFailure> {
  const parts: Buffer[] = []
  const prepared: BatchInfo[] = []
  let isRebuilt = false
  let position = 0
  for (const batch of batches) {
    const bytes = records.subarray(batch.position, batch.position + batch.size)
    const result = await prepareBatch(bytes, batch, limits, batch.isControl ? PRODUCER_COMPRESSION : target)
    if ('errorCode' in result) return result
    isRebuilt ||= result.bytes !== bytes
    parts.push(result.bytes)
    prepared.push({ ...batch, position, size: result.bytes.length, compressionType: result.codec, maxTimestamp: result.maxTimestamp })
    position += result.bytes.length
  }
  if (!isRebuilt) return { records, batches: prepared }
  return { records: parts.length === 1 ? parts[0]! : Buffer.concat(parts, position), batches: prepared }
}

interface PreparedBatch {
  readonly bytes: Buffer
  readonly codec: number
  readonly maxTimestamp: number
}

async function prepareBatch(
  bytes: Buffer,
  batch: BatchInfo,
  limits: ValidationLimits,
  target: CompressionTarget,
): Promise<PreparedBatch | ValidationFailure> {
  const sourceCodec = batch.compressionType
  const targetCodec = target.codec ?? sourceCodec
  if (sourceCodec === CompressionType.NONE && targetCodec === CompressionType.NONE) {
    return { bytes, codec: sourceCodec, maxTimestamp: batch.maxTimestamp }
  }
  let body = bytes.subarray(BATCH_HEADER_SIZE)
  let maxTimestamp = batch.maxTimestamp
  if (sourceCodec !== CompressionType.NONE) {
    try {
      body = await codecById(sourceCodec)!.decompress(body, DECOMPRESSED_BATCH_BYTES_MAX)
    } catch (error) {
      if (!(error instanceof DecompressionError)) throw error
      const code = error.reason === 'tooLarge' ? ErrorCode.INVALID_RECORD : ErrorCode.CORRUPT_MESSAGE
      return { errorCode: code, errorMessage: error.message, recordErrors: [] }
    }
    const claimsLogAppendTime = (bytes.readInt16BE(ATTRIBUTES) & TIMESTAMP_TYPE_MASK) !== 0
    const walked = walkRecords(body, 0, body.length, readRecordsCount(bytes, 0), readBaseTimestamp(bytes, 0), claimsLogAppendTime, limits, true)
    if (typeof walked !== 'number') return walked
    maxTimestamp = walked
  }
  if (targetCodec === sourceCodec) return { bytes, codec: sourceCodec, maxTimestamp }
  const newBody = targetCodec === CompressionType.NONE ? body : await codecById(targetCodec)!.compress(body, target.level)
  return { bytes: rebuildBatch(bytes, newBody, targetCodec), codec: targetCodec, maxTimestamp }
}

/** The batch with the same header fields and `body` encoded with `codec`; CRC recomputed. */
export function rebuildBatch(batch: Buffer, body: Buffer, codec: number): Buffer {
  const size = BATCH_HEADER_SIZE + body.length
  const rebuilt = Buffer.allocUnsafe(size)
  batch.copy(rebuilt, 0, 0, BATCH_HEADER_SIZE)
  body.copy(rebuilt, BATCH_HEADER_SIZE)
  rebuilt.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH)
  rebuilt.writeInt16BE((batch.readInt16BE(ATTRIBUTES) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES)
  rebuilt.writeUInt32BE(computeCrc(rebuilt, 0, size), CRC)
  return rebuilt
}

/**
 * The uncompressed form of one stored batch (compaction, tools): the same header and records,
 * codec NONE, CRC recomputed. Returns the batch itself when it is not compressed. Throws
 * DecompressionError for undecodable bytes.
 */
export async function decompressBatch(batch: Buffer): Promise<Buffer> {
  const codec = readCompressionType(batch, 0)
  if (codec === CompressionType.NONE) return batch
  const compressionCodec = codecById(codec)
  if (compressionCodec === undefined) throw new DecompressionError('corrupt', `unknown compression type id ${codec}`)
  const body = await compressionCodec.decompress(batch.subarray(BATCH_HEADER_SIZE), DECOMPRESSED_BATCH_BYTES_MAX)
  return rebuildBatch(batch, body, CompressionType.NONE)
}

/** The batch with its body compressed by `codec` (compaction keeps each batch's codec). */
export async function compressBatch(batch: Buffer, codec: number, level: number): Promise<Buffer> {
  if (codec === CompressionType.NONE) return batch
  const body = await codecById(codec)!.compress(batch.subarray(BATCH_HEADER_SIZE), level)
  return rebuildBatch(batch, body, codec)
}
