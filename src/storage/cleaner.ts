// The log cleaner: compaction of logs whose cleanup.policy contains `compact` (Kafka's LogCleaner).
//
// A log is seen as three parts: [logStartOffset, firstDirtyOffset) was cleaned before ("clean"),
// [firstDirtyOffset, firstUncleanableOffset) is "dirty", and from firstUncleanableOffset on
// nothing may be touched: the active segment, and every segment holding a record younger than
// min.compaction.lag.ms. firstDirtyOffset is kept per partition in `cleaner-offset-checkpoint` in
// the log directory (the recovery checkpoints' text format).
//
// A log is cleaned when dirty bytes / (clean + dirty bytes) ≥ min.cleanable.dirty.ratio, or when
// its first dirty segment is older than max.compaction.lag.ms. Cleaning:
//  1. builds a map key → last offset over the dirty part (bounded by log.cleaner.dedupe.buffer.size:
//     when it fills, the dirty part cleaned this round ends at that segment);
//  2. rewrites the segments below the map's end in groups of at most segment.bytes: a record is
//     kept when it is the latest for its key; keyless records are dropped; a tombstone is kept until
//     its batch's delete horizon (KIP-534: now + delete.retention.ms, set the first time it is
//     cleaned) has passed. Offsets never change; compressed batches are decompressed and written
//     back with their codec; batches left empty disappear;
//  3. each group is written to `<base>.log.cleaned`, fsynced, renamed `.swap` (the commit point)
//     and swapped in by the log (PartitionLog.replaceSegments; crash safety in segment-swap.ts);
//  4. firstDirtyOffset moves to the map's end and is checkpointed.
//
// It never blocks appends or fetches: all I/O is asynchronous and segments are read in
// log.cleaner.io.buffer.size chunks, so the synchronous work between two awaits is bounded by one
// chunk; codec work runs on the thread pool; the active segment is never touched. A log changed under it
// (retention, truncation) makes the swap abort harmlessly. Gaps: transactional markers and the
// last batch of each idempotent producer are not treated specially (no transactions yet); the
// I/O throttle (log.cleaner.io.max.bytes.per.second) is not applied.
import { open, rename, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { PeriodicPass } from '../util/periodic-pass.js'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { BatchIterator } from '../records/batch-iterator.js'
import { CompressionType, readCompressionType, readIsControl } from '../records/batch-header.js'
import { compressBatch, decompressBatch } from '../records/compression/compressed-batch.js'
import { readCheckpoint, syncDirectory, writeCheckpoint } from './checkpoint.js'
import { deleteHorizonOf, rebuildWithRecords, viewRecords } from './compaction/batch-filter.js'
import type { LogManager } from './log-manager.js'
import type { PartitionLog, SegmentSummary, StorageLogger } from './log.js'
import { CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX, unlinkIfPresent } from './segment-swap.js'
import { LOG_FILE_SUFFIX, segmentFileName, type LogSegment } from './segment.js'

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

/** Per-entry overhead counted against the dedupe buffer besides the key bytes (map slot, string header, offset). */
const OFFSET_MAP_ENTRY_OVERHEAD_BYTES = 48
export interface CleanerOptions {
  readonly nowMs: () => number
  /** log.cleaner.backoff.ms: the pause when no log needs cleaning. */
  readonly backoffMs: number
  /** log.cleaner.dedupe.buffer.size × log.cleaner.io.buffer.load.factor. */
  readonly dedupeBufferBytes: number
  /** log.cleaner.io.buffer.size: the read size when walking segments. */
  readonly ioBufferBytes: number
  readonly logger?: StorageLogger
  /** Test hook: called at each step of a group's clean; throwing simulates a crash there. */
  readonly onStep?: (step: CleanStep, log: PartitionLog) => void | Promise<void>
}

export type CleanStep = 'cleaned-written' | 'swap-renamed'

export interface CleanResult {
  /** The new firstDirtyOffset. */
  readonly endOffset: number
  readonly segmentsCleaned: number
  readonly bytesRead: number
  readonly bytesWritten: number
  readonly recordsRemoved: number
  /** Earliest delete horizon of a tombstone still in the log: it must be cleaned again then. */
  readonly earliestHorizonMs: number | null
}

/** What the cleaner decides about one log (LogCleanerManager.grabFilthiestCompactedLog). */
export interface CleanableState {
  readonly firstDirtyOffset: number
  readonly firstUncleanableOffset: number
  readonly cleanBytes: number
  readonly dirtyBytes: number
  readonly dirtyRatio: number
  /** max.compaction.lag.ms passed for the first dirty segment. */
  readonly isOverdue: boolean
}

export function cleanableState(log: PartitionLog, segments: readonly SegmentSummary[], checkpoint: number, nowMs: number): CleanableState {
  const config = log.logConfig
  let firstDirtyOffset = Math.max(checkpoint, log.logStartOffset)
  if (firstDirtyOffset > log.logEndOffset) firstDirtyOffset = log.logStartOffset
  let firstUncleanableOffset = log.activeSegmentBaseOffset
  for (const segment of segments) {
    if (nowMs - segment.largestTimestamp < config.minCompactionLagMs) {
      firstUncleanableOffset = Math.min(firstUncleanableOffset, segment.baseOffset)
      break
    }
  }
  let cleanBytes = 0
  let dirtyBytes = 0
  let isOverdue = false
  for (const segment of segments) {
    if (segment.nextOffset <= firstDirtyOffset) cleanBytes += segment.size
    else if (segment.nextOffset <= firstUncleanableOffset) {
      if (dirtyBytes === 0 && segment.firstBatchTimestamp >= 0 && nowMs - segment.firstBatchTimestamp > config.maxCompactionLagMs) isOverdue = true
      dirtyBytes += segment.size
    }
  }
  const total = cleanBytes + dirtyBytes
  return { firstDirtyOffset, firstUncleanableOffset, cleanBytes, dirtyBytes, dirtyRatio: total === 0 ? 0 : dirtyBytes / total, isOverdue }
}

/** Whole batches of a segment, oldest first, read in chunks of about `chunkBytes`. */
async function* segmentBatches(segment: LogSegment, chunkBytes: number): AsyncGenerator<Buffer> {
  const end = segment.size
  let position = 0
  while (position < end) {
    const chunk = await segment.readBytes(position, Math.min(chunkBytes, end - position))
    const batches = new BatchIterator(chunk)
    let consumed = 0
    while (batches.next()) {
      yield chunk.subarray(batches.position, batches.position + batches.size)
      consumed = batches.validEnd
    }
    if (consumed === 0) {
      // One batch larger than the chunk: read it whole.
      if (chunk.length < 12) return
      const size = chunk.readInt32BE(8) + 12
      if (size <= chunk.length || position + size > end) return
      yield await segment.readBytes(position, size)
      consumed = size
    }
    position += consumed
  }
}

/** The uncompressed form of a stored batch; null for control batches (kept as they are). */
async function plainBatch(batch: Buffer): Promise<Buffer | null> {
  if (readIsControl(batch, 0)) return null
  return readCompressionType(batch, 0) === CompressionType.NONE ? batch : decompressBatch(batch)
}

/** Step 1: key → latest offset over the dirty segments, and where the map stops. */
async function buildOffsetMap(
  dirty: readonly SegmentSummary[], options: CleanerOptions,
): Promise<{ map: Map<string, number>; endOffset: number; bytesRead: number }> {
  const map = new Map<string, number>()
  let usedBytes = 0
  let bytesRead = 0
  let endOffset = dirty[0]!.baseOffset
  for (const segment of dirty) {
    if (usedBytes >= options.dedupeBufferBytes && endOffset > dirty[0]!.baseOffset) break
    for await (const batch of segmentBatches(segment.segment, options.ioBufferBytes)) {
      bytesRead += batch.length
      const plain = await plainBatch(batch)
      if (plain === null) continue
      for (const record of viewRecords(plain)) {
        if (record.key === null) continue
        if (!map.has(record.key)) usedBytes += record.key.length + OFFSET_MAP_ENTRY_OVERHEAD_BYTES
        map.set(record.key, record.offset)
      }
    }
    endOffset = segment.nextOffset
    await yieldToEventLoop()
  }
  return { map, endOffset, bytesRead }
}

interface GroupOutcome {
  readonly bytesRead: number
  readonly bytesWritten: number
  readonly recordsRemoved: number
  /** Earliest delete horizon of a kept tombstone, or null: when the log must be cleaned again. */
  readonly earliestHorizonMs: number | null
}

/** Consecutive segments whose total size fits one segment (LogCleaner.groupSegmentsBySize). */
function groupSegments(segments: readonly SegmentSummary[], maxBytes: number): SegmentSummary[][] {
  const groups: SegmentSummary[][] = []
  let current: SegmentSummary[] = []
  let bytes = 0
  for (const segment of segments) {
    const fitsOffsets = current.length === 0 || segment.nextOffset - 1 - current[0]!.baseOffset <= 0x7fffffff
    if (current.length > 0 && (bytes + segment.size > maxBytes || !fitsOffsets)) {
      groups.push(current)
      current = []
      bytes = 0
    }
    current.push(segment)
    bytes += segment.size
  }
  if (current.length > 0) groups.push(current)
  return groups
}

/** Steps 2-3 for one group: filter into `.cleaned`, commit as `.swap`, swap into the log. */
async function cleanGroup(
  log: PartitionLog, group: readonly SegmentSummary[], map: ReadonlyMap<string, number>, nowMs: number, options: CleanerOptions,
): Promise<GroupOutcome> {
  const config = log.logConfig
  const baseName = segmentFileName(group[0]!.baseOffset, LOG_FILE_SUFFIX)
  const cleanedFile = path.join(log.dir, baseName + CLEANED_FILE_SUFFIX)
  const swapFile = path.join(log.dir, baseName + SWAP_FILE_SUFFIX)
  let bytesRead = 0
  let bytesWritten = 0
  let recordsRemoved = 0
  let earliestHorizonMs: number | null = null
  const output: FileHandle = await open(cleanedFile, 'w')
  try {
    for (const segment of group) {
      for await (const batch of segmentBatches(segment.segment, options.ioBufferBytes)) {
        bytesRead += batch.length
        const kept = await filterBatch(batch, map, nowMs, config.deleteRetentionMs, config)
        recordsRemoved += kept.recordsRemoved
        if (kept.tombstoneHorizonMs !== null) earliestHorizonMs = Math.min(earliestHorizonMs ?? Number.MAX_SAFE_INTEGER, kept.tombstoneHorizonMs)
        if (kept.batch === null) continue
        await output.write(kept.batch, 0, kept.batch.length, bytesWritten)
        bytesWritten += kept.batch.length
      }
      await yieldToEventLoop()
    }
    await output.sync()
  } finally {
    await output.close()
  }
  try {
    await options.onStep?.('cleaned-written', log)
    await rename(cleanedFile, swapFile)
    await syncDirectory(log.dir)
    await options.onStep?.('swap-renamed', log)
  } catch (error) {
    if (!(error instanceof CleanerCrash)) await unlinkIfPresent(cleanedFile)
    throw error
  }
  const swapped = await log.replaceSegments(group.map((summary) => summary.segment), swapFile)
  if (!swapped) throw new LogChangedError()
  return { bytesRead, bytesWritten, recordsRemoved, earliestHorizonMs }
}

/** The batch as compaction leaves it (null when no record stays), and how many records went. */
async function filterBatch(
  batch: Buffer, map: ReadonlyMap<string, number>, nowMs: number, deleteRetentionMs: number,
  config: { compressionGzipLevel: number; compressionZstdLevel: number; compressionLz4Level: number },
): Promise<{ batch: Buffer | null; recordsRemoved: number; tombstoneHorizonMs: number | null }> {
  const plain = await plainBatch(batch)
  if (plain === null) return { batch, recordsRemoved: 0, tombstoneHorizonMs: null }
  const records = viewRecords(plain)
  const horizon = deleteHorizonOf(plain)
  const retained = records.filter((record) => {
    if (record.key === null) return false
    const latest = map.get(record.key)
    if (latest !== undefined && record.offset < latest) return false
    return !(record.isTombstone && horizon !== null && nowMs >= horizon)
  })
  const recordsRemoved = records.length - retained.length
  if (retained.length === 0) return { batch: null, recordsRemoved, tombstoneHorizonMs: null }
  const hasTombstones = retained.some((record) => record.isTombstone)
  const needsHorizon = horizon === null && hasTombstones
  const tombstoneHorizonMs = hasTombstones ? (horizon ?? nowMs + deleteRetentionMs) : null
  if (recordsRemoved === 0 && !needsHorizon) return { batch, recordsRemoved, tombstoneHorizonMs }
  const rebuilt = rebuildWithRecords(plain, retained, needsHorizon ? nowMs + deleteRetentionMs : null)
  const codec = readCompressionType(batch, 0)
  const level = codec === CompressionType.GZIP ? config.compressionGzipLevel : codec === CompressionType.ZSTD ? config.compressionZstdLevel : config.compressionLz4Level
  return { batch: await compressBatch(rebuilt, codec, level), recordsRemoved, tombstoneHorizonMs }
}

/** Thrown by a test's onStep hook to stop cleaning as a crash would, leaving the files as they are. */
export class CleanerCrash extends Error {}

class LogChangedError extends Error {
  constructor() {
    super('the log changed while it was being cleaned')
  }
}

/**
 * Cleans one log from `checkpoint` (its firstDirtyOffset): returns what was done, or null when
 * there was nothing cleanable. Does not check the dirty ratio (the caller decides).
 */
export async function cleanLog(
  log: PartitionLog, checkpoint: number, options: CleanerOptions, { isForced = false } = {},
): Promise<CleanResult | null> {
  const nowMs = options.nowMs()
  const segments = await log.inactiveSegments()
  const state = cleanableState(log, segments, checkpoint, nowMs)
  const dirty = segments.filter((segment) => segment.nextOffset > state.firstDirtyOffset && segment.nextOffset <= state.firstUncleanableOffset)
  if (dirty.length === 0 && !isForced) return null
  // Forced with nothing dirty: re-clean the clean part to drop tombstones whose horizon passed.
  const { map, endOffset, bytesRead: mapBytes } = dirty.length === 0
    ? { map: new Map<string, number>(), endOffset: state.firstDirtyOffset, bytesRead: 0 }
    : await buildOffsetMap(dirty, options)
  const toClean = segments.filter((segment) => segment.nextOffset <= endOffset)
  let bytesRead = mapBytes
  let bytesWritten = 0
  let recordsRemoved = 0
  let segmentsCleaned = 0
  let earliestHorizonMs: number | null = null
  for (const group of groupSegments(toClean, log.logConfig.segmentBytes)) {
    try {
      const outcome = await cleanGroup(log, group, map, nowMs, options)
      bytesRead += outcome.bytesRead
      bytesWritten += outcome.bytesWritten
      recordsRemoved += outcome.recordsRemoved
      segmentsCleaned += group.length
      if (outcome.earliestHorizonMs !== null) earliestHorizonMs = Math.min(earliestHorizonMs ?? Number.MAX_SAFE_INTEGER, outcome.earliestHorizonMs)
    } catch (error) {
      if (error instanceof LogChangedError) return null
      throw error
    }
  }
  options.logger?.info({ dir: log.dir, endOffset, segmentsCleaned, bytesRead, bytesWritten, recordsRemoved }, 'cleaned log')
  return { endOffset, segmentsCleaned, bytesRead, bytesWritten, recordsRemoved, earliestHorizonMs }
}

export interface LogCleanerOptions extends CleanerOptions {
  /** Logs to consider (LogManager.allLogs). */
  readonly logs: () => Iterable<PartitionLog>
  /** The log directory of a log, for its cleaner checkpoint. */
  readonly logDirOf: (log: PartitionLog) => string | undefined
  readonly logDirs: readonly string[]
}

/** The cleaner thread: one log at a time, the dirtiest cleanable first. */
export class LogCleaner {
  private readonly checkpoints = new Map<string, number>()
  /** When a log's kept tombstones become removable: it is cleaned again then, dirty or not. */
  private readonly horizons = new Map<PartitionLog, number>()
  private readonly schedule: PeriodicPass<number>
  private isStopped = false

  private constructor(private readonly options: LogCleanerOptions) {
    this.schedule = new PeriodicPass('log cleaner', options.backoffMs, () => this.pass(), options.logger)
  }

  static async create(options: LogCleanerOptions): Promise<LogCleaner> {
    const cleaner = new LogCleaner(options)
    for (const dir of options.logDirs) {
      const entries = await readCheckpoint(path.join(dir, CLEANER_CHECKPOINT_FILE)).catch((error: unknown) => {
        options.logger?.warn({ err: error, dir }, 'unreadable cleaner checkpoint, cleaning from the start')
        return []
      })
      for (const entry of entries) cleaner.checkpoints.set(`${entry.topic}-${entry.partition}`, entry.offset)
    }
    return cleaner
  }

  /** firstDirtyOffset as checkpointed (0 when never cleaned). */
  checkpointOf(log: PartitionLog): number {
    return this.checkpoints.get(`${log.topic}-${log.partition}`) ?? 0
  }

  start(): void {
    this.schedule.start()
  }

  async stop(): Promise<void> {
    this.isStopped = true
    await this.schedule.stop()
  }

  /** Cleans every log that needs it, dirtiest first; returns the number of logs cleaned. */
  runOnce(): Promise<number> {
    return this.schedule.runOnce()
  }

  private async pass(): Promise<number> {
    let cleaned = 0
    const attempted = new Set<PartitionLog>()
    while (!this.isStopped) {
      const log = await this.filthiestLog(attempted)
      if (log === null) break
      attempted.add(log)
      try {
        const isForced = (this.horizons.get(log) ?? Number.POSITIVE_INFINITY) <= this.options.nowMs()
        const result = await cleanLog(log, this.checkpointOf(log), this.options, { isForced })
        if (result !== null) {
          if (result.earliestHorizonMs === null) this.horizons.delete(log)
          else this.horizons.set(log, result.earliestHorizonMs)
          this.checkpoints.set(`${log.topic}-${log.partition}`, result.endOffset)
          await this.writeCheckpoint(this.options.logDirOf(log))
          cleaned++
        }
      } catch (error) {
        if (error instanceof CleanerCrash) throw error
        this.options.logger?.error({ err: error, dir: log.dir }, 'could not clean log')
      }
    }
    return cleaned
  }

  private async filthiestLog(attempted: ReadonlySet<PartitionLog>): Promise<PartitionLog | null> {
    let best: { log: PartitionLog; ratio: number } | null = null
    const nowMs = this.options.nowMs()
    for (const log of [...this.options.logs()]) {
      if (attempted.has(log) || log.isOffline || !log.logConfig.cleanupPolicy.includes('compact')) continue
      const state = cleanableState(log, await log.inactiveSegments(), this.checkpointOf(log), nowMs)
      const hasExpiredTombstones = (this.horizons.get(log) ?? Number.POSITIVE_INFINITY) <= nowMs
      if (state.dirtyBytes === 0 && !hasExpiredTombstones) continue
      if (state.dirtyRatio < log.logConfig.minCleanableDirtyRatio && !state.isOverdue && !hasExpiredTombstones) continue
      const ratio = state.isOverdue || hasExpiredTombstones ? Number.POSITIVE_INFINITY : state.dirtyRatio
      if (best === null || ratio > best.ratio) best = { log, ratio }
    }
    return best?.log ?? null
  }

  private async writeCheckpoint(dir: string | undefined): Promise<void> {
    if (dir === undefined) return
    const entries = [...this.options.logs()]
      .filter((log) => this.options.logDirOf(log) === dir && this.checkpoints.has(`${log.topic}-${log.partition}`))
      .map((log) => ({ topic: log.topic, partition: log.partition, offset: this.checkpointOf(log) }))
    await writeCheckpoint(path.join(dir, CLEANER_CHECKPOINT_FILE), entries)
  }
}

/** Builds the cleaner for a LogManager from the broker's log.cleaner.* settings. */
export function cleanerOptionsFor(logManager: LogManager, options: Omit<LogCleanerOptions, 'logs' | 'logDirOf' | 'logDirs'>): LogCleanerOptions {
  return {
    ...options,
    logs: () => logManager.allLogs(),
    logDirOf: (log) => logManager.logDirFor(log.topic, log.partition),
    logDirs: logManager.logDirs,
  }
}
