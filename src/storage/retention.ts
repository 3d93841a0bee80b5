// Retention: Kafka's LogManager.cleanupLogs / UnifiedLog.deleteOldSegments. Every
// log.retention.check.interval.ms each log loses, from its oldest end and in whole segments only
// (never the active one, never beyond the high watermark):
//  - segments entirely below logStartOffset (moved by DeleteRecords), for every cleanup.policy;
//  - with cleanup.policy containing `delete`: segments while the log is larger than
//    retention.bytes by at least their size, then segments whose largest timestamp is older than
//    retention.ms (-1 disables either).
// A deleted segment's files are renamed `.deleted` at once and removed file.delete.delay.ms later
// (PartitionLog.deleteOldestSegments). logStartOffset moves to the new first segment and the
// log-start-offset checkpoint is rewritten after every pass that moved one, so a restart never
// serves deleted offsets. Segment rolls by segment.bytes / segment.ms happen on append (log.ts).
import { PeriodicPass } from '../util/periodic-pass.js'
import type { PartitionLog, StorageLogger } from './log.js'

export interface RetentionOptions {
  /** log.retention.check.interval.ms */
  readonly intervalMs: number
  readonly nowMs: () => number
  /** The offset below which records are committed (default: the log end offset, a single replica). */
  readonly highWatermarkOf?: (log: PartitionLog) => number
  /** Persists log start offsets (LogManager.checkpointLogStartOffsets). */
  readonly checkpointLogStartOffsets?: () => Promise<void>
  readonly logger?: StorageLogger
}

export class LogRetention {
  private readonly schedule: PeriodicPass<number>

  constructor(
    private readonly logs: () => Iterable<PartitionLog>,
    private readonly options: RetentionOptions,
  ) {
    this.schedule = new PeriodicPass('retention', options.intervalMs, () => this.pass(), options.logger)
  }

  start(): void {
    this.schedule.start()
  }

  /** Stops the schedule and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.schedule.stop()
  }

  /** One pass over every log; returns the number of segments deleted. Passes never overlap. */
  runOnce(): Promise<number> {
    return this.schedule.runOnce()
  }

  private async pass(): Promise<number> {
    let deleted = 0
    for (const log of [...this.logs()]) {
      if (log.isOffline) continue
      const highWatermark = this.options.highWatermarkOf?.(log) ?? log.logEndOffset
      try {
        deleted += await deleteOldSegments(log, this.options.nowMs(), highWatermark)
      } catch (error) {
        // A log deleted or closed under the pass; the others still get their turn.
        this.options.logger?.warn({ err: error, dir: log.dir }, 'retention skipped a log')
      }
    }
    if (deleted > 0) await this.options.checkpointLogStartOffsets?.()
    return deleted
  }
}

/** UnifiedLog.deleteOldSegments for one log; returns the number of segments deleted. */
export async function deleteOldSegments(log: PartitionLog, nowMs: number, highWatermark: number): Promise<number> {
  let deleted = await deleteWhile(log, highWatermark, 'log start offset', (segment) => segment.nextOffset <= log.logStartOffset)
  const config = log.logConfig
  if (!config.cleanupPolicy.includes('delete')) return deleted
  if (config.retentionBytes >= 0) {
    let excess = log.size - config.retentionBytes
    deleted += await deleteWhile(log, highWatermark, 'retention.bytes', (segment) => {
      if (excess - segment.size < 0) return false
      excess -= segment.size
      return true
    })
  }
  if (config.retentionMs >= 0) {
    deleted += await deleteWhile(log, highWatermark, 'retention.ms', (segment) => nowMs - segment.largestTimestamp > config.retentionMs)
  }
  return deleted
}

async function deleteWhile(
  log: PartitionLog,
  highWatermark: number,
  reason: string,
  predicate: (segment: { nextOffset: number; size: number; largestTimestamp: number }) => boolean,
): Promise<number> {
  let count = 0
  for (const segment of await log.inactiveSegments()) {
    if (segment.nextOffset > highWatermark || !predicate(segment)) break
    count++
  }
  return count === 0 ? 0 : log.deleteOldestSegments(count, reason)
}

/**
 * DeleteRecords on one partition: logStartOffset moves to `offset` (the caller checked it against
 * the high watermark) and the segments now wholly below it are deleted. Returns the new log start.
 */
export async function deleteRecordsBefore(log: PartitionLog, offset: number, highWatermark: number): Promise<number> {
  log.maybeIncrementLogStartOffset(offset)
  await deleteWhile(log, highWatermark, 'DeleteRecords', (segment) => segment.nextOffset <= log.logStartOffset)
  return log.logStartOffset
}
