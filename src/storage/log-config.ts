// The per-topic settings the log layer uses, named as Kafka's topic configs in camelCase
// (`segment.bytes` → `segmentBytes`). Long.MAX_VALUE is represented as Number.MAX_SAFE_INTEGER.
import assert from 'node:assert/strict'
import type { TimestampType } from '../records/batch-header.js'

/** Kafka's Long.MAX_VALUE defaults ("never"), as the config layer reads them. */
export const LONG_MAX_VALUE = Number.MAX_SAFE_INTEGER

export interface LogConfig {
  /** segment.bytes (log.segment.bytes): roll when the active segment would pass this size. */
  readonly segmentBytes: number
  /** segment.ms (log.roll.ms / log.roll.hours = 168): roll when the active segment is this old. */
  readonly segmentMs: number
  /** segment.index.bytes (log.index.size.max.bytes): the offset and time index size limit. */
  readonly segmentIndexBytes: number
  /** index.interval.bytes (log.index.interval.bytes): bytes between offset index entries. */
  readonly indexIntervalBytes: number
  /** max.message.bytes (message.max.bytes): the largest record batch accepted. */
  readonly maxMessageBytes: number
  /** flush.messages (log.flush.interval.messages): fsync after this many unflushed records. */
  readonly flushMessages: number
  /** flush.ms (log.flush.interval.ms): fsync when the last flush is this old (checked by the scheduler). */
  readonly flushMs: number
  /** message.timestamp.type (log.message.timestamp.type). */
  readonly messageTimestampType: TimestampType
  /** message.timestamp.before.max.ms / after.max.ms: accepted CreateTime skew. */
  readonly messageTimestampBeforeMaxMs: number
  readonly messageTimestampAfterMaxMs: number
  /** cleanup.policy: 'delete' and/or 'compact' (compacted topics need record keys). */
  readonly cleanupPolicy: readonly string[]
  // Log management (compression, retention, compaction): see docs/log-management.md.
  /** compression.type: producer, uncompressed, gzip, snappy, lz4 or zstd. */
  readonly compressionType: string
  readonly compressionGzipLevel: number
  readonly compressionLz4Level: number
  readonly compressionZstdLevel: number
  /** retention.ms: -1 keeps segments forever. */
  readonly retentionMs: number
  /** retention.bytes: -1 is unbounded. */
  readonly retentionBytes: number
  /** file.delete.delay.ms: how long a `.deleted` segment waits before its files are removed. */
  readonly fileDeleteDelayMs: number
  /** delete.retention.ms: how long the cleaner keeps tombstones. */
  readonly deleteRetentionMs: number
  readonly minCleanableDirtyRatio: number
  readonly minCompactionLagMs: number
  readonly maxCompactionLagMs: number
}

/** Kafka 4's defaults. */
export const defaultLogConfig: LogConfig = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 168 * 3600000,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1048588,
  flushMessages: LONG_MAX_VALUE,
  flushMs: LONG_MAX_VALUE,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: LONG_MAX_VALUE,
  messageTimestampAfterMaxMs: 3600000,
  cleanupPolicy: Object.freeze(['delete']),
  compressionType: 'producer',
  compressionGzipLevel: -1,
  compressionLz4Level: 9,
  compressionZstdLevel: 3,
  retentionMs: 168 * 3600000,
  retentionBytes: -1,
  fileDeleteDelayMs: 60000,
  deleteRetentionMs: 86400000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX_VALUE,
})

/**
 * The values a LogConfig is built from, by topic-config camelCase name; a resolved `TopicConfig`
 * (config/topic-config.ts) fits. Missing values take Kafka's defaults.
 */
export interface LogConfigValues {
  readonly segmentBytes?: number
  readonly segmentMs?: number
  readonly segmentIndexBytes?: number
  readonly indexIntervalBytes?: number
  readonly maxMessageBytes?: number
  readonly flushMessages?: number
  readonly flushMs?: number
  readonly messageTimestampType?: string
  readonly messageTimestampBeforeMaxMs?: number
  readonly messageTimestampAfterMaxMs?: number
  readonly cleanupPolicy?: readonly string[]
  readonly compressionType?: string
  readonly compressionGzipLevel?: number
  readonly compressionLz4Level?: number
  readonly compressionZstdLevel?: number
  readonly retentionMs?: number
  readonly retentionBytes?: number
  readonly fileDeleteDelayMs?: number
  readonly deleteRetentionMs?: number
  readonly minCleanableDirtyRatio?: number
  readonly minCompactionLagMs?: number
  readonly maxCompactionLagMs?: number
}

export function logConfigFrom(values: LogConfigValues): LogConfig {
  const type = values.messageTimestampType ?? defaultLogConfig.messageTimestampType
  assert.ok(type === 'CreateTime' || type === 'LogAppendTime', `invalid message.timestamp.type ${type}`)
  const cleanupPolicy = values.cleanupPolicy ?? defaultLogConfig.cleanupPolicy
  const maxCompactionLagMs = values.maxCompactionLagMs ?? defaultLogConfig.maxCompactionLagMs
  const segmentMs = values.segmentMs ?? defaultLogConfig.segmentMs
  const config: LogConfig = {
    segmentBytes: values.segmentBytes ?? defaultLogConfig.segmentBytes,
    // A compacted log rolls by max.compaction.lag.ms too, so its records become cleanable in time (LogConfig.maxSegmentMs).
    segmentMs: cleanupPolicy.includes('compact') ? Math.min(segmentMs, maxCompactionLagMs) : segmentMs,
    segmentIndexBytes: values.segmentIndexBytes ?? defaultLogConfig.segmentIndexBytes,
    indexIntervalBytes: values.indexIntervalBytes ?? defaultLogConfig.indexIntervalBytes,
    maxMessageBytes: values.maxMessageBytes ?? defaultLogConfig.maxMessageBytes,
    flushMessages: values.flushMessages ?? defaultLogConfig.flushMessages,
    flushMs: values.flushMs ?? defaultLogConfig.flushMs,
    messageTimestampType: type,
    messageTimestampBeforeMaxMs: values.messageTimestampBeforeMaxMs ?? defaultLogConfig.messageTimestampBeforeMaxMs,
    messageTimestampAfterMaxMs: values.messageTimestampAfterMaxMs ?? defaultLogConfig.messageTimestampAfterMaxMs,
    cleanupPolicy,
    compressionType: values.compressionType ?? defaultLogConfig.compressionType,
    compressionGzipLevel: values.compressionGzipLevel ?? defaultLogConfig.compressionGzipLevel,
    compressionLz4Level: values.compressionLz4Level ?? defaultLogConfig.compressionLz4Level,
    compressionZstdLevel: values.compressionZstdLevel ?? defaultLogConfig.compressionZstdLevel,
    retentionMs: values.retentionMs ?? defaultLogConfig.retentionMs,
    retentionBytes: values.retentionBytes ?? defaultLogConfig.retentionBytes,
    fileDeleteDelayMs: values.fileDeleteDelayMs ?? defaultLogConfig.fileDeleteDelayMs,
    deleteRetentionMs: values.deleteRetentionMs ?? defaultLogConfig.deleteRetentionMs,
    minCleanableDirtyRatio: values.minCleanableDirtyRatio ?? defaultLogConfig.minCleanableDirtyRatio,
    minCompactionLagMs: values.minCompactionLagMs ?? defaultLogConfig.minCompactionLagMs,
    maxCompactionLagMs,
  }
  // Kafka's lower bounds (TopicConfig validators); the config layer rejects user input earlier.
  assert.ok(config.segmentBytes >= 14, 'segment.bytes must be at least 14')
  assert.ok(config.segmentMs >= 1, 'segment.ms must be at least 1')
  assert.ok(config.segmentIndexBytes >= 4, 'segment.index.bytes must be at least 4')
  assert.ok(config.indexIntervalBytes >= 0, 'index.interval.bytes must not be negative')
  assert.ok(config.flushMessages >= 1, 'flush.messages must be at least 1')
  return config
}
