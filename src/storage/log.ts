// PartitionLog: the log of one partition, Kafka's UnifiedLog + LocalLog without replication state.
//
// On disk: a directory `<topic>-<partition>` holding segments (segment.ts), each a `.log` of
// RecordBatch v2 bytes plus a sparse `.index` and `.timeindex`, named by the 20-digit base offset
// of the segment. Batches are stored exactly as received, after the leader stamped baseOffset,
// partitionLeaderEpoch and (LogAppendTime, or a corrected CreateTime maximum) maxTimestamp.
//
// Invariants:
//  - segments are sorted by base offset; each holds batches with strictly increasing offsets, all
//    below the next segment's base offset; only the last (active) segment is written;
//  - logStartOffset ≤ recoveryPoint ≤ logEndOffset; logEndOffset is the offset after the last
//    batch whose write completed; nextOffset (assigned, not yet written) ≥ logEndOffset;
//  - everything below recoveryPoint has been fsynced (data and indexes);
//  - one mutation at a time: appends, rolls, truncation, flushes and close run in order from one
//    queue with at most one write in flight; appends queued while a write is in flight are
//    group-committed with one writev. Reads are not queued: they see bytes below the segment size
//    they start with.
//
// Append (UnifiedLog.append, leader): validate (records/validate.ts) synchronously, then in the
// queue assign offsets by writing baseOffset into each batch header, stamp the leader epoch and
// timestamps, roll if needed (segment.bytes, segment.ms, full index, relative offset overflow),
// write, update the indexes, advance logEndOffset, fsync when flush.messages is reached, resolve.
// Compressed batches, and batches whose codec differs from compression.type, first go through
// records/compression (asynchronous decompression, record walk, recompression); appends keep their
// arrival order across that step. Batches with a producer id are checked against the producer
// state (producer-state.ts) after the roll decision and right before their offsets are stamped: a
// retry of a batch in the log is not written and answers its original offsets; a fenced epoch or a
// sequence gap answers its error. Rolls and close write a producer state snapshot; open loads the
// newest one and replays the batch headers after it.
//
// After a crash: the directory is reopened with hadCleanShutdown false and the recovery point from
// the checkpoint; every segment from the one holding the recovery point on is re-walked and
// checked (header, CRC, offsets), its indexes rebuilt, and the log truncated at the first invalid
// byte (segments after a truncated one are deleted). What was fsynced below the recovery point is
// trusted. After a clean shutdown nothing is re-walked: the indexes are trusted (and rebuilt only
// if missing or failing the sanity check). An I/O error takes the log offline: every later call
// answers KAFKA_STORAGE_ERROR and nothing more is written.
import assert from 'node:assert/strict'
import { mkdir, readdir, rename, rm, unlink } from 'node:fs/promises'
import path from 'node:path'
import { ErrorCode } from '../protocol/errors.js'
import {
  NO_TIMESTAMP,
  writeBaseOffset,
  writeMaxTimestamp,
  writePartitionLeaderEpoch,
  type TimestampType,
} from '../records/batch-header.js'
import {
  compressionTarget, needsPreparation, prepareBatches, type CompressionTarget, type PreparedBatches,
} from '../records/compression/compressed-batch.js'
import { validateBatches, type BatchInfo, type RecordError, type ValidationFailure, type ValidationLimits } from '../records/validate.js'
import { systemClock } from '../util/clock.js'
import { syncDirectory } from './checkpoint.js'
import type { LogConfig } from './log-config.js'
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, ProducerStateManager, type BatchMetadata, type ProducerStateConfig } from './producer-state.js'
import { recoverSegment } from './recovery.js'
import { completeInterruptedOperations, renameSegmentFilesDeleted, SWAP_FILE_SUFFIX, unlinkIfPresent } from './segment-swap.js'
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  LogSegment,
  parseSegmentFileName,
  segmentFileName,
  TIME_INDEX_FILE_SUFFIX,
  type TimestampAndOffset,
} from './segment.js'

/**
 * Most bytes one group commit writes: bounds the latency an append waits behind others. The queue
 * itself holds request buffers already bounded upstream (queued.max.requests ×
 * socket.request.max.bytes), so it needs no second limit.
 */
const GROUP_COMMIT_BYTES_MAX = 16 * 1024 * 1024

/** Kafka's RecordBatch.NO_TIMESTAMP answer when the append carries no LogAppendTime. */
const NO_LOG_APPEND_TIME = -1

export interface StorageLogger {
  info(object: object, message: string): void
  warn(object: object, message: string): void
  error(object: object, message: string): void
}

export interface PartitionLogOptions {
  /** The wall clock (record timestamps, segment.ms, flush.ms); defaults to the system clock. */
  readonly nowMs?: () => number
  /** The log directory held the clean-shutdown marker: trust the indexes, skip recovery. */
  readonly hadCleanShutdown?: boolean
  /** From recovery-point-offset-checkpoint; recovery starts at the segment holding it (default 0). */
  readonly recoveryPoint?: number
  /** From log-start-offset-checkpoint. */
  readonly logStartOffset?: number
  readonly logger?: StorageLogger
  /** producer.id.expiration.ms, one object shared by the broker's logs; default Kafka's. */
  readonly producerStateConfig?: ProducerStateConfig
}

/** What opening the log found: observable proof of whether recovery ran. */
export interface LogOpenStats {
  readonly hadCleanShutdown: boolean
  /** Segments re-walked by recovery (0 after a clean shutdown). */
  readonly recoveredSegments: number
  /** Bytes cut from torn or corrupt tails. */
  readonly truncatedBytes: number
  /** Segments deleted because they followed a corrupt one. */
  readonly deletedSegments: number
}

export interface AppendOptions {
  /** Written into each batch's partitionLeaderEpoch. */
  readonly leaderEpoch: number
  /** Defaults to the topic's message.timestamp.type. */
  readonly timestampType?: TimestampType
  /** "Now" for validation and LogAppendTime; defaults to the log's clock. */
  readonly nowMs?: number
  /** 'coordinator' for broker-written batches (control batches, several batches per append). */
  readonly origin?: 'client' | 'coordinator'
}

export interface AppendResult {
  /** ErrorCode.NONE, a validation error, RECORD_LIST_TOO_LARGE or KAFKA_STORAGE_ERROR. */
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly recordErrors: readonly RecordError[]
  /** First offset assigned, -1 on error. */
  readonly baseOffset: number
  readonly lastOffset: number
  /** The LogAppendTime stamped, or -1 for CreateTime. */
  readonly logAppendTimeMs: number
  readonly logStartOffset: number
}

export interface ReadOptions {
  /** Serve only batches whose last offset is below this (the high watermark); default logEndOffset. */
  readonly maxOffset?: number
  /** Return the first batch even if it exceeds maxBytes (KIP-74); default true. */
  readonly minOneMessage?: boolean
  /** Where the bytes are read into (a pool's lease for fetches); default Buffer.allocUnsafe. */
  readonly allocate?: (size: number) => Buffer
}

export interface ReadResult {
  /** ErrorCode.NONE, OFFSET_OUT_OF_RANGE or KAFKA_STORAGE_ERROR. */
  readonly errorCode: number
  /** Whole batches; empty at the end of the log. A view of a buffer read for this call. */
  readonly records: Buffer
  readonly logStartOffset: number
  readonly logEndOffset: number
}

interface PendingAppend {
  readonly kind: 'append'
  readonly records: Buffer
  readonly batches: BatchInfo[]
  readonly recordsCount: number
  readonly leaderEpoch: number
  readonly timestampType: TimestampType
  readonly nowMs: number
  readonly resolve: (result: AppendResult) => void
}

interface PendingTask {
  readonly kind: 'task'
  readonly run: () => Promise<void>
}

/** An inactive segment as retention and the cleaner see it. */
export interface SegmentSummary {
  readonly segment: LogSegment
  readonly baseOffset: number
  /** The next segment's base offset: every offset of this segment is below it. */
  readonly nextOffset: number
  readonly size: number
  /** maxTimestampSoFar: retention.ms measures from it. */
  readonly largestTimestamp: number
  /** maxTimestamp of the first batch: max.compaction.lag.ms measures from it. */
  readonly firstBatchTimestamp: number
}

interface PendingDeletion {
  timer: NodeJS.Timeout | null
  run: () => Promise<void>
}

/** setTimeout's largest delay; file.delete.delay.ms beyond it waits that long. */
const TIMER_DELAY_MAX = 0x7fffffff

/** One writev's worth of appends bound for one segment. */
class AppendRun {
  readonly buffers: Buffer[] = []
  readonly batchLastOffsets: number[] = []
  readonly batchMaxTimestamps: number[] = []
  readonly batchSizes: number[] = []
  readonly appends: PendingAppend[] = []
  readonly firstOffsets: number[] = []
  readonly lastOffsets: number[] = []
  bytes = 0
  recordsCount = 0
}

/** `<topic>-<partition>` → its parts, or null if the name is not a partition directory. */
export function parseTopicPartition(dirName: string): { topic: string; partition: number } | null {
  const dash = dirName.lastIndexOf('-')
  if (dash <= 0) return null
  const digits = dirName.slice(dash + 1)
  if (!/^\d{1,10}$/.test(digits)) return null
  const partition = Number(digits)
  if (partition > 0x7fffffff) return null
  return { topic: dirName.slice(0, dash), partition }
}

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  logStartOffset: number
  logEndOffset: number
  recoveryPoint: number
  /** Wall-clock time of the last fsync (flush.ms is measured from it). */
  lastFlushMs: number
  /** Records appended since the last fsync (flush.messages). */
  unflushedMessages = 0
  readonly openStats: LogOpenStats
  private config: LogConfig
  /** compression.type and its level as appends apply them, derived whenever the config is set. */
  private compression: CompressionTarget
  private readonly segments: LogSegment[]
  private nextOffset: number
  private readonly clock: () => number
  private readonly logger: StorageLogger | null
  /** Idempotent producers' epochs and last batches (producer-state.ts). */
  readonly producerState: ProducerStateManager
  private readonly queue: Array<PendingAppend | PendingTask> = []
  /** Appends waiting for compressed-batch work, and the promise the next one waits for (ordering). */
  private preparingAppends = 0
  private preparationTail: Promise<void> = Promise.resolve()
  /** Segments renamed `.deleted`, waiting for file.delete.delay.ms before their files go. */
  private readonly pendingDeletions = new Set<PendingDeletion>()
  private isDraining = false
  private isDrainScheduled = false
  private offlineError: unknown = null
  private isClosed = false
  private inflightReads = 0
  private readsDrained: (() => void) | null = null

  private constructor(
    readonly dir: string,
    config: LogConfig,
    segments: LogSegment[],
    state: { logStartOffset: number; logEndOffset: number; recoveryPoint: number; nowMs: number },
    clock: () => number,
    logger: StorageLogger | null,
    openStats: LogOpenStats,
    producerState: ProducerStateManager,
  ) {
    const parsed = parseTopicPartition(path.basename(dir))
    this.topic = parsed?.topic ?? path.basename(dir)
    this.partition = parsed?.partition ?? -1
    this.config = config
    this.compression = compressionTargetOf(config)
    this.segments = segments
    this.logStartOffset = state.logStartOffset
    this.logEndOffset = state.logEndOffset
    this.nextOffset = state.logEndOffset
    this.recoveryPoint = state.recoveryPoint
    this.lastFlushMs = state.nowMs
    this.clock = clock
    this.logger = logger
    this.openStats = openStats
    this.producerState = producerState
  }

  /** Opens (creating if needed) the partition directory `dir`, recovering it when needed. */
  static async open(dir: string, config: LogConfig, options: PartitionLogOptions = {}): Promise<PartitionLog> {
    const clock = options.nowMs ?? systemClock.nowMs
    const logger = options.logger ?? null
    const nowMs = clock()
    await mkdir(dir, { recursive: true })
    const interrupted = await completeInterruptedOperations(dir)
    if (interrupted.completedSwaps > 0) logger?.warn({ dir, ...interrupted }, 'completed interrupted segment swaps')
    const names = await readdir(dir)
    const bases = new Set<number>()
    for (const name of names) {
      const baseOffset = parseSegmentFileName(name, LOG_FILE_SUFFIX)
      if (baseOffset !== null) bases.add(baseOffset)
    }
    // Indexes without their log are leftovers of an interrupted deletion (as Kafka removes them).
    for (const name of names) {
      const baseOffset = parseSegmentFileName(name, INDEX_FILE_SUFFIX) ?? parseSegmentFileName(name, TIME_INDEX_FILE_SUFFIX)
      if (baseOffset !== null && !bases.has(baseOffset)) await unlink(path.join(dir, name))
    }
    const sortedBases = [...bases].sort((a, b) => a - b)
    const segments = await Promise.all(sortedBases.map((baseOffset) => LogSegment.open(dir, baseOffset, config, nowMs)))
    if (segments.length === 0) segments.push(await LogSegment.create(dir, options.logStartOffset ?? 0, config, nowMs))

    const hadCleanShutdown = options.hadCleanShutdown === true
    let recoveredSegments = 0
    let truncatedBytes = 0
    let deletedSegments = 0
    let logEndOffset: number
    if (hadCleanShutdown) {
      logEndOffset = await segments[segments.length - 1]!.readNextOffset()
    } else {
      const recoveryPoint = options.recoveryPoint ?? 0
      let first = 0
      while (first + 1 < segments.length && segments[first + 1]!.baseOffset <= recoveryPoint) first++
      let minFirstOffset = segments[first]!.baseOffset
      logEndOffset = minFirstOffset
      for (let index = first; index < segments.length; index++) {
        const segment = segments[index]!
        const recovery = await recoverSegment(segment, minFirstOffset)
        recoveredSegments++
        logEndOffset = recovery.nextOffset
        minFirstOffset = recovery.nextOffset
        if (recovery.truncatedBytes > 0) {
          truncatedBytes += recovery.truncatedBytes
          logger?.warn({ dir, baseOffset: segment.baseOffset, truncatedBytes: recovery.truncatedBytes }, 'truncated invalid bytes at the end of a segment')
          const later = segments.splice(index + 1)
          for (const dropped of later) await dropped.delete()
          deletedSegments += later.length
        }
        await segment.flush()
      }
    }
    const active = segments[segments.length - 1]!
    await active.ensureIndexesLoaded()
    await active.loadRollingBasedTimestamp()
    const firstBase = segments[0]!.baseOffset
    const logStartOffset = Math.min(Math.max(options.logStartOffset ?? firstBase, firstBase), logEndOffset)
    const openStats = { hadCleanShutdown, recoveredSegments, truncatedBytes, deletedSegments }
    // Everything now on disk has been fsynced (clean shutdown, or recovery's flushes above).
    const state = { logStartOffset, logEndOffset, recoveryPoint: logEndOffset, nowMs }
    const producerState = await ProducerStateManager.load(dir, segments, {
      logStartOffset, logEndOffset, nowMs, logger,
      config: options.producerStateConfig ?? { producerIdExpirationMs: DEFAULT_PRODUCER_ID_EXPIRATION_MS },
    })
    return new PartitionLog(dir, config, segments, state, clock, logger, openStats, producerState)
  }

  get isOffline(): boolean {
    return this.offlineError !== null
  }

  get logConfig(): LogConfig {
    return this.config
  }

  /** Applies new topic settings; index sizes apply to segments created from now on (as Kafka). */
  updateConfig(config: LogConfig): void {
    this.config = config
    this.compression = compressionTargetOf(config)
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((segment) => segment.baseOffset)
  }

  /** Bytes of all segments. */
  get size(): number {
    let bytes = 0
    for (const segment of this.segments) bytes += segment.size
    return bytes
  }

  private get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!
  }

  /**
   * Validates `records` (one produce partition's bytes), assigns offsets and appends them. The
   * batch headers in `records` are stamped in place. Errors are values (AppendResult.errorCode).
   */
  appendAsLeader(records: Buffer, options: AppendOptions): Promise<AppendResult> {
    const nowMs = options.nowMs ?? this.clock()
    const timestampType = options.timestampType ?? this.config.messageTimestampType
    if (this.isClosed || this.offlineError !== null) return Promise.resolve(this.failedAppend(ErrorCode.KAFKA_STORAGE_ERROR, 'log is offline or closed'))
    const limits: ValidationLimits = {
      maxMessageBytes: this.config.maxMessageBytes,
      origin: options.origin ?? 'client',
      timestampType,
      nowMs,
      timestampBeforeMaxMs: this.config.messageTimestampBeforeMaxMs,
      timestampAfterMaxMs: this.config.messageTimestampAfterMaxMs,
      isCompacted: this.config.cleanupPolicy.includes('compact'),
      // No per-record work on produce (issue 5); validate.ts lists what this leaves unchecked.
      skipRecordWalk: true,
    }
    const validation = validateBatches(records, limits)
    if (validation.errorCode !== undefined) {
      return Promise.resolve(this.failedAppend(validation.errorCode, validation.errorMessage, validation.recordErrors))
    }
    // A partial batch after the whole ones is dropped, as Kafka's trimInvalidBytes does.
    if (validation.validBytes < records.length) records = records.subarray(0, validation.validBytes)
    if (records.length > this.config.segmentBytes) {
      return Promise.resolve(
        this.failedAppend(ErrorCode.RECORD_LIST_TOO_LARGE, `Message batch size is ${records.length} bytes which exceeds the maximum configured segment size of ${this.config.segmentBytes}.`),
      )
    }
    const target = this.compression
    const needsWork = needsPreparation(validation.batches, target)
    if (!needsWork && this.preparingAppends === 0) {
      return this.enqueueAppend(records, validation.batches, validation.recordsCount, options.leaderEpoch, timestampType, nowMs)
    }
    const prepared = needsWork
      ? prepareBatches(records, validation.batches, limits, target).catch((error: unknown): ValidationFailure => {
        this.logger?.error({ err: error, dir: this.dir }, 'could not prepare compressed batches')
        return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'compression failed', recordErrors: [] }
      })
      : Promise.resolve({ records, batches: validation.batches })
    return this.enqueueAfterPreparation(prepared, validation.recordsCount, options.leaderEpoch, timestampType, nowMs)
  }

  /**
   * Compressed batches are validated and converted to compression.type off the event loop
   * (records/compression/compressed-batch.ts) while later appends may already arrive. Appends of
   * one log keep their arrival order: each is enqueued only after every earlier one was.
   */
  private enqueueAfterPreparation(
    prepared: Promise<PreparedBatches | ValidationFailure>,
    recordsCount: number,
    leaderEpoch: number,
    timestampType: TimestampType,
    nowMs: number,
  ): Promise<AppendResult> {
    const previous = this.preparationTail
    let markEnqueued!: () => void
    this.preparationTail = new Promise<void>((resolve) => {
      markEnqueued = resolve
    })
    this.preparingAppends++
    return Promise.all([previous, prepared]).then(([, outcome]) => {
      this.preparingAppends--
      const appended = outcome.errorCode !== undefined
        ? Promise.resolve(this.failedAppend(outcome.errorCode, outcome.errorMessage, outcome.recordErrors))
        : this.enqueueAppend(outcome.records, outcome.batches, recordsCount, leaderEpoch, timestampType, nowMs)
      markEnqueued()
      return appended
    })
  }

  private enqueueAppend(
    records: Buffer,
    batches: BatchInfo[],
    recordsCount: number,
    leaderEpoch: number,
    timestampType: TimestampType,
    nowMs: number,
  ): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve) => {
      this.queue.push({ kind: 'append', records, batches, recordsCount, leaderEpoch, timestampType, nowMs, resolve })
      this.scheduleDrain()
    })
  }

  private failedAppend(errorCode: number, errorMessage: string, recordErrors: readonly RecordError[] = []): AppendResult {
    return { errorCode, errorMessage, recordErrors, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, logStartOffset: this.logStartOffset }
  }

  /** Runs `work` in the mutation queue, after every append queued before it. */
  private enqueueTask<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'task', run: () => work().then(resolve, reject) })
      this.scheduleDrain()
    })
  }

  private scheduleDrain(): void {
    if (this.isDraining || this.isDrainScheduled) return
    this.isDrainScheduled = true
    // setImmediate lets every append of this tick join one writev.
    setImmediate(() => void this.drain())
  }

  private async drain(): Promise<void> {
    this.isDrainScheduled = false
    this.isDraining = true
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!
        if (head.kind === 'task') {
          this.queue.shift()
          await head.run()
          continue
        }
        let count = 0
        let bytes = 0
        for (const operation of this.queue) {
          if (operation.kind !== 'append') break
          if (count > 0 && bytes + operation.records.length > GROUP_COMMIT_BYTES_MAX) break
          bytes += operation.records.length
          count++
        }
        await this.appendGroup(this.queue.splice(0, count) as PendingAppend[])
      }
    } finally {
      this.isDraining = false
    }
  }

  private async appendGroup(group: PendingAppend[]): Promise<void> {
    if (this.offlineError !== null || this.isClosed) {
      for (const append of group) append.resolve(this.failedAppend(ErrorCode.KAFKA_STORAGE_ERROR, 'log is offline or closed'))
      return
    }
    let settled = 0
    // Retries of batches already in the log: answered once this group's writes are done.
    const duplicates: { append: PendingAppend; batch: BatchMetadata }[] = []
    try {
      let segment = this.activeSegment
      let run = new AppendRun()
      for (const append of group) {
        const firstOffset = this.nextOffset
        let lastOffset = firstOffset - 1
        let maxTimestamp = NO_TIMESTAMP
        const isLogAppendTime = append.timestampType === 'LogAppendTime'
        for (const batch of append.batches) {
          lastOffset += batch.lastOffsetDelta + 1
          maxTimestamp = Math.max(maxTimestamp, isLogAppendTime ? append.nowMs : batch.maxTimestamp)
        }
        if (this.shouldRoll(segment, run, append, firstOffset, lastOffset, maxTimestamp)) {
          if (run.bytes > 0) settled += await this.writeRun(segment, run)
          run = new AppendRun()
          segment = await this.roll(firstOffset, append.nowMs)
        }
        // Checked and then updated with no await in between, in queue order (UnifiedLog.append).
        const producerCheck = this.producerState.checkAppend(append.batches)
        if (producerCheck !== null) {
          if (producerCheck.kind === 'duplicate') duplicates.push({ append, batch: producerCheck.batch })
          else append.resolve(this.failedAppend(producerCheck.errorCode, producerCheck.errorMessage))
          continue
        }
        let offset = firstOffset
        for (const batch of append.batches) {
          writeBaseOffset(append.records, batch.position, offset)
          writePartitionLeaderEpoch(append.records, batch.position, append.leaderEpoch)
          const batchMaxTimestamp = isLogAppendTime ? append.nowMs : batch.maxTimestamp
          writeMaxTimestamp(append.records, batch.position, batch.size, append.timestampType, batchMaxTimestamp)
          this.producerState.update(batch, offset + batch.lastOffsetDelta, batchMaxTimestamp)
          run.batchLastOffsets.push(offset + batch.lastOffsetDelta)
          run.batchMaxTimestamps.push(batchMaxTimestamp)
          run.batchSizes.push(batch.size)
          offset += batch.lastOffsetDelta + 1
        }
        assert.equal(offset, lastOffset + 1)
        run.buffers.push(append.records)
        run.bytes += append.records.length
        run.recordsCount += append.recordsCount
        run.appends.push(append)
        run.firstOffsets.push(firstOffset)
        run.lastOffsets.push(lastOffset)
        this.nextOffset = lastOffset + 1
      }
      if (run.bytes > 0) settled += await this.writeRun(segment, run)
      for (const { append, batch } of duplicates) append.resolve(this.duplicateAppend(batch))
    } catch (error) {
      this.goOffline(error)
      for (const append of group.slice(settled)) append.resolve(this.failedAppend(ErrorCode.KAFKA_STORAGE_ERROR, 'I/O error on the log'))
      for (const { append } of duplicates) append.resolve(this.failedAppend(ErrorCode.KAFKA_STORAGE_ERROR, 'I/O error on the log'))
    }
  }

  /**
   * The answer to a retry of a batch in the log: its original offsets, and its timestamp as the
   * log append time, as Kafka answers (UnifiedLog.append's maybeDuplicate).
   */
  private duplicateAppend(batch: BatchMetadata): AppendResult {
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      recordErrors: [],
      baseOffset: batch.lastOffset - batch.offsetDelta,
      lastOffset: batch.lastOffset,
      logAppendTimeMs: batch.timestamp,
      logStartOffset: this.logStartOffset,
    }
  }

  /** A snapshot only saves replay work at the next start: failing to write one does not fail the log. */
  private async snapshotProducerState(offset: number): Promise<void> {
    try {
      await this.producerState.takeSnapshot(offset)
    } catch (error) {
      this.logger?.warn({ err: error, dir: this.dir, offset }, 'could not write a producer state snapshot')
    }
  }

  /** LogSegment.shouldRoll for the active segment with `run` pending, before `append`. */
  private shouldRoll(segment: LogSegment, run: AppendRun, append: PendingAppend, firstOffset: number, lastOffset: number, maxTimestamp: number): boolean {
    const size = segment.size + run.bytes
    if (size === 0) return segment.baseOffset !== firstOffset && !segment.canConvertToRelativeOffset(lastOffset)
    const pendingBatches = run.batchSizes.length + append.batches.length
    const rollingBasedTimestamp = segment.size > 0 ? segment.rollingBasedTimestamp : run.batchMaxTimestamps[0]!
    assert.ok(rollingBasedTimestamp !== null && rollingBasedTimestamp !== undefined, 'active segment without its rolling timestamp')
    const timeWaitedMs = rollingBasedTimestamp >= 0 ? maxTimestamp - rollingBasedTimestamp : append.nowMs - segment.createdMs
    return (
      size > this.config.segmentBytes - append.records.length ||
      timeWaitedMs > this.config.segmentMs ||
      segment.offsetIndex.entryCount + pendingBatches > segment.offsetIndex.file.maxEntries ||
      segment.timeIndex.entryCount + pendingBatches > segment.timeIndex.file.maxEntries - 1 ||
      !segment.canConvertToRelativeOffset(lastOffset)
    )
  }

  /** Writes one run, updates segment and log state, flushes if due, resolves. Returns the appends settled. */
  private async writeRun(segment: LogSegment, run: AppendRun): Promise<number> {
    let position = segment.size
    await segment.write(run.buffers, run.bytes, position)
    for (let index = 0; index < run.batchSizes.length; index++) {
      segment.recordBatch(run.batchLastOffsets[index]!, run.batchMaxTimestamps[index]!, position, run.batchSizes[index]!)
      position += run.batchSizes[index]!
    }
    segment.size = position
    this.logEndOffset = run.lastOffsets[run.lastOffsets.length - 1]! + 1
    this.unflushedMessages += run.recordsCount
    // Index entries stay in memory until the segment is flushed, rolled or closed (IndexFile.sync
    // persists them first): after a crash recovery rebuilds the indexes of everything above the
    // recovery point anyway, and two index writes per group commit cost a produce ~5 ms under load.
    if (this.unflushedMessages >= this.config.flushMessages) await this.flushActiveSegment()
    run.appends.forEach((append, index) => {
      append.resolve({
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        recordErrors: [],
        baseOffset: run.firstOffsets[index]!,
        lastOffset: run.lastOffsets[index]!,
        logAppendTimeMs: append.timestampType === 'LogAppendTime' ? append.nowMs : NO_LOG_APPEND_TIME,
        logStartOffset: this.logStartOffset,
      })
    })
    return run.appends.length
  }

  /** Starts a new active segment at `baseOffset`; the old one is finished and fsynced (LocalLog.roll). */
  private async roll(baseOffset: number, nowMs: number): Promise<LogSegment> {
    const old = this.activeSegment
    if (old.size === 0) {
      // An empty active segment at another base offset holds nothing: replace it (as Kafka does).
      this.segments.pop()
      await this.waitForReads()
      await old.delete()
    } else {
      await old.onBecomeInactive()
      await old.flush()
      await old.releaseIndexHandles()
      this.recoveryPoint = Math.max(this.recoveryPoint, baseOffset)
      this.unflushedMessages = 0
      this.lastFlushMs = nowMs
    }
    await this.snapshotProducerState(baseOffset)
    const segment = await LogSegment.create(this.dir, baseOffset, this.config, nowMs)
    this.segments.push(segment)
    this.logger?.info({ dir: this.dir, baseOffset }, 'rolled new log segment')
    return segment
  }

  private async flushActiveSegment(): Promise<void> {
    const logEndOffset = this.logEndOffset
    await this.activeSegment.flush()
    this.recoveryPoint = Math.max(this.recoveryPoint, logEndOffset)
    this.unflushedMessages = 0
    this.lastFlushMs = this.clock()
  }

  /** fsyncs everything appended so far and advances the recovery point to logEndOffset. */
  flush(): Promise<void> {
    return this.enqueueTask(async () => {
      if (this.offlineError !== null || this.isClosed) return
      try {
        await this.flushActiveSegment()
      } catch (error) {
        this.goOffline(error)
      }
    })
  }

  /** Whether flush.ms has passed since the last flush with records still unflushed (the scheduler's test). */
  isFlushDue(nowMs: number): boolean {
    return this.unflushedMessages > 0 && nowMs - this.lastFlushMs >= this.config.flushMs
  }

  /**
   * Whole batches from the one holding `offset`, at most `maxBytes` (at least one batch when
   * minOneMessage), below `maxOffset`. One segment per call, as Kafka.
   */
  async read(offset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    const logEndOffset = this.logEndOffset
    if (this.isClosed || this.offlineError !== null) return this.readResult(ErrorCode.KAFKA_STORAGE_ERROR)
    if (!Number.isSafeInteger(offset) || offset < this.logStartOffset || offset > logEndOffset) return this.readResult(ErrorCode.OFFSET_OUT_OF_RANGE)
    const maxOffset = Math.min(options.maxOffset ?? logEndOffset, logEndOffset)
    if (offset >= maxOffset) return this.readResult(ErrorCode.NONE)
    const minOneMessage = options.minOneMessage ?? true
    const candidates = this.segments.slice(this.floorSegmentIndex(offset))
    this.inflightReads++
    let current: LogSegment | null = null
    try {
      for (const segment of candidates) {
        current = segment
        const records = await segment.read(offset, Math.max(0, maxBytes), maxOffset, minOneMessage, options.allocate)
        if (records !== null) return this.readResult(ErrorCode.NONE, records)
      }
      return this.readResult(ErrorCode.NONE)
    } catch (error) {
      // A segment removed by truncation or close under this read: not a disk fault.
      if (current?.isClosed === true) return this.readResult(ErrorCode.NONE)
      this.goOffline(error)
      return this.readResult(ErrorCode.KAFKA_STORAGE_ERROR)
    } finally {
      this.inflightReads--
      if (this.inflightReads === 0 && this.readsDrained !== null) this.readsDrained()
    }
  }

  private readResult(errorCode: number, records: Buffer = EMPTY): ReadResult {
    return { errorCode, records, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset }
  }

  /** Index of the last segment with baseOffset ≤ offset (0 if none). */
  private floorSegmentIndex(offset: number): number {
    let low = 0
    let high = this.segments.length - 1
    let found = 0
    while (low <= high) {
      const middle = (low + high) >>> 1
      if (this.segments[middle]!.baseOffset <= offset) {
        found = middle
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found
  }

  private waitForReads(): Promise<void> {
    if (this.inflightReads === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.readsDrained = () => {
        this.readsDrained = null
        resolve()
      }
    })
  }

  /**
   * The first record at or after logStartOffset with timestamp ≥ timestampMs (ListOffsets by
   * time), or null when every timestamp is smaller (UnifiedLog.fetchOffsetByTimestamp).
   */
  async offsetForTimestamp(timestampMs: number): Promise<TimestampAndOffset | null> {
    for (const segment of this.segments.slice()) {
      await segment.ensureIndexesLoaded()
      if (segment.maxTimestampSoFar < timestampMs) continue
      const found = await segment.findOffsetByTimestamp(timestampMs, this.logStartOffset)
      if (found !== null) return found
    }
    return null
  }

  /** The offset and value of the largest timestamp in the log (ListOffsets MAX_TIMESTAMP, -3). */
  async maxTimestampAndOffset(): Promise<TimestampAndOffset | null> {
    let best: LogSegment | null = null
    for (const segment of this.segments.slice()) {
      await segment.ensureIndexesLoaded()
      if (best === null || segment.maxTimestampSoFar > best.maxTimestampSoFar) best = segment
    }
    return best === null ? null : best.findMaxTimestampOffset()
  }

  /**
   * Removes everything from `offset` on (a follower's truncation to a leader epoch end offset).
   * A no-op when offset ≥ logEndOffset (UnifiedLog.truncateTo).
   */
  truncateTo(offset: number): Promise<void> {
    assert.ok(Number.isSafeInteger(offset) && offset >= 0, 'truncation offset must be a non-negative integer')
    return this.enqueueTask(async () => {
      this.assertWritable()
      if (offset >= this.logEndOffset) return
      if (offset < this.segments[0]!.baseOffset) return this.truncateFullyAndStartAtNow(offset)
      try {
        const removed: LogSegment[] = []
        while (this.segments.length > 1 && this.activeSegment.baseOffset > offset) removed.push(this.segments.pop()!)
        await this.waitForReads()
        for (const segment of removed) await segment.delete()
        const active = this.activeSegment
        await active.truncateTo(offset, this.clock())
        active.rollingBasedTimestamp = null
        await active.loadRollingBasedTimestamp()
        this.logEndOffset = await active.readNextOffset()
        this.nextOffset = this.logEndOffset
        this.logStartOffset = Math.min(this.logStartOffset, this.logEndOffset)
        this.recoveryPoint = Math.min(this.recoveryPoint, this.logEndOffset)
        await this.producerState.reload(this.segments, this.logStartOffset, this.logEndOffset, this.clock())
      } catch (error) {
        this.goOffline(error)
        throw error
      }
    })
  }

  /** Deletes every segment and restarts the log empty at `offset` (truncateFullyAndStartAt). */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    assert.ok(Number.isSafeInteger(offset) && offset >= 0, 'start offset must be a non-negative integer')
    return this.enqueueTask(async () => {
      this.assertWritable()
      await this.truncateFullyAndStartAtNow(offset)
    })
  }

  private async truncateFullyAndStartAtNow(offset: number): Promise<void> {
    try {
      const removed = this.segments.splice(0)
      await this.waitForReads()
      for (const segment of removed) await segment.delete()
      this.segments.push(await LogSegment.create(this.dir, offset, this.config, this.clock()))
      this.logStartOffset = offset
      this.logEndOffset = offset
      this.nextOffset = offset
      this.recoveryPoint = offset
      this.unflushedMessages = 0
      await this.producerState.truncateFully()
    } catch (error) {
      this.goOffline(error)
      throw error
    }
  }

  private assertWritable(): void {
    if (this.isClosed) throw new Error(`log ${this.dir} is closed`)
    if (this.offlineError !== null) throw new Error(`log ${this.dir} is offline`)
  }

  /** Flushes (unless offline), writes the final index entries and closes every file. */
  close(): Promise<void> {
    return this.enqueueTask(async () => {
      if (this.isClosed) return
      if (this.offlineError === null) await this.flushActiveSegment()
      // The next start then loads the state instead of replaying the log (Kafka snapshots on close too).
      if (this.offlineError === null && (this.size > 0 || this.producerState.producerCount > 0)) await this.snapshotProducerState(this.logEndOffset)
      this.isClosed = true
      await this.waitForReads()
      await this.finishPendingDeletions()
      for (const segment of this.segments) {
        if (this.offlineError === null) await segment.close()
        else await segment.abandon()
      }
    })
  }

  /** Closes the files without flushing and removes the directory. */
  delete(): Promise<void> {
    return this.enqueueTask(async () => {
      this.isClosed = true
      await this.waitForReads()
      await this.finishPendingDeletions().catch(() => undefined)
      for (const segment of this.segments) await segment.abandon().catch(() => undefined)
      await rm(this.dir, { recursive: true, force: true })
    })
  }

  /** Closes the files without writing anything more (the caller deletes or renamed the directory). */
  abandon(): Promise<void> {
    return this.enqueueTask(async () => {
      this.isClosed = true
      await this.waitForReads()
      await this.finishPendingDeletions().catch(() => undefined)
      for (const segment of this.segments) await segment.abandon().catch(() => undefined)
    })
  }

  // --- Log management hooks for storage/retention.ts and storage/cleaner.ts --------------------
  // (docs/log-management.md). Segments only ever leave from the front (retention) or are replaced
  // in place by a cleaned copy (compaction); the active segment is never touched by either.

  /** The inactive segments, oldest first, with their timestamps loaded (reads their indexes). */
  async inactiveSegments(): Promise<SegmentSummary[]> {
    const segments = this.segments.slice(0, -1)
    const summaries: SegmentSummary[] = []
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!
      await segment.ensureIndexesLoaded()
      await segment.loadRollingBasedTimestamp()
      const nextOffset = index + 1 < segments.length ? segments[index + 1]!.baseOffset : this.activeSegment.baseOffset
      summaries.push({
        segment, baseOffset: segment.baseOffset, nextOffset, size: segment.size,
        largestTimestamp: segment.maxTimestampSoFar, firstBatchTimestamp: segment.rollingBasedTimestamp ?? -1,
      })
    }
    return summaries
  }

  /** Base offset of the active segment: everything below it is inactive. */
  get activeSegmentBaseOffset(): number {
    return this.activeSegment.baseOffset
  }

  /**
   * Moves logStartOffset forward (DeleteRecords, retention); never backwards, never past the log
   * end. Reads below it answer OFFSET_OUT_OF_RANGE from now on (UnifiedLog.maybeIncrementLogStartOffset).
   */
  maybeIncrementLogStartOffset(offset: number): boolean {
    assert.ok(Number.isSafeInteger(offset), 'log start offset must be an integer')
    if (offset <= this.logStartOffset) return false
    assert.ok(offset <= this.logEndOffset, 'log start offset beyond the log end offset')
    this.logStartOffset = offset
    return true
  }

  /**
   * Removes the `count` oldest segments, never the active one: their files are renamed `.deleted`
   * at once and removed after file.delete.delay.ms, so reads in flight finish. logStartOffset
   * moves to the new first segment if it was below it. Returns the number removed.
   */
  deleteOldestSegments(count: number, reason: string): Promise<number> {
    return this.enqueueTask(async () => {
      if (this.isClosed || this.offlineError !== null) return 0
      const deletable = Math.min(count, this.segments.length - 1)
      if (deletable <= 0) return 0
      const removed = this.segments.splice(0, deletable)
      this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset)
      try {
        for (const segment of removed) await this.scheduleDeletion(segment)
      } catch (error) {
        this.goOffline(error)
        throw error
      }
      this.logger?.info({ dir: this.dir, segments: removed.map((segment) => segment.baseOffset), reason, logStartOffset: this.logStartOffset }, 'deleted log segments')
      return deletable
    })
  }

  /**
   * Replaces `replaced` (consecutive inactive segments, oldest first) with the cleaned segment in
   * `swapFile` (`<base of replaced[0]>.log.swap`, complete and fsynced: the commit point, see
   * segment-swap.ts). Returns false, deleting the swap, if the segments changed meanwhile.
   */
  replaceSegments(replaced: readonly LogSegment[], swapFile: string): Promise<boolean> {
    return this.enqueueTask(async () => {
      const first = this.segments.indexOf(replaced[0]!)
      const isIntact = first >= 0 && replaced.every((segment, index) => this.segments[first + index] === segment) &&
        first + replaced.length < this.segments.length && !this.isClosed && this.offlineError === null
      if (!isIntact) {
        await unlinkIfPresent(swapFile)
        return false
      }
      const baseOffset = replaced[0]!.baseOffset
      assert.equal(path.basename(swapFile), segmentFileName(baseOffset, LOG_FILE_SUFFIX) + SWAP_FILE_SUFFIX, 'swap file named after the first replaced segment')
      try {
        for (const segment of replaced) await this.scheduleDeletion(segment)
        const logPath = path.join(this.dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX))
        await rename(swapFile, logPath)
        await syncDirectory(this.dir)
        const cleaned = await LogSegment.open(this.dir, baseOffset, this.config, this.clock())
        await cleaned.ensureIndexesLoaded()
        await cleaned.releaseIndexHandles()
        this.segments.splice(first, replaced.length, cleaned)
      } catch (error) {
        this.goOffline(error)
        throw error
      }
      return true
    })
  }

  private async scheduleDeletion(segment: LogSegment): Promise<void> {
    const renamed = await renameSegmentFilesDeleted([segment.logPath, segment.offsetIndex.path, segment.timeIndex.path])
    const deletion: PendingDeletion = {
      timer: null,
      run: async () => {
        if (deletion.timer !== null) clearTimeout(deletion.timer)
        this.pendingDeletions.delete(deletion)
        await segment.abandon().catch(() => undefined)
        for (const file of renamed) await unlinkIfPresent(file)
      },
    }
    this.pendingDeletions.add(deletion)
    deletion.timer = setTimeout(() => {
      deletion.run().catch((error: unknown) => this.logger?.warn({ err: error, dir: this.dir }, 'could not remove a deleted segment'))
    }, Math.min(this.config.fileDeleteDelayMs, TIMER_DELAY_MAX))
    deletion.timer.unref()
  }

  private async finishPendingDeletions(): Promise<void> {
    for (const deletion of [...this.pendingDeletions]) await deletion.run()
  }

  private goOffline(error: unknown): void {
    if (this.offlineError !== null) return
    this.offlineError = error ?? new Error('unknown storage error')
    this.logger?.error({ err: error, dir: this.dir }, 'I/O error: partition log is now offline')
  }
}

const EMPTY = Buffer.alloc(0)

function compressionTargetOf(config: LogConfig): CompressionTarget {
  return compressionTarget(config.compressionType, {
    gzip: config.compressionGzipLevel, lz4: config.compressionLz4Level, zstd: config.compressionZstdLevel,
  })
}
