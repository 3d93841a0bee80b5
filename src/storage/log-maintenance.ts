// The background work on logs that the broker starts and stops as one: retention
// (storage/retention.ts) and compaction (storage/cleaner.ts), as Kafka's LogManager schedules
// them. Neither blocks appends or fetches: they run between other events, with async I/O only.
import { cleanerOptionsFor, LogCleaner } from './cleaner.js'
import type { LogManager } from './log-manager.js'
import type { StorageLogger } from './log.js'
import { LogRetention } from './retention.js'

export interface LogMaintenanceOptions {
  /** log.retention.check.interval.ms */
  readonly retentionCheckIntervalMs: number
  /** log.cleaner.enable */
  readonly cleanerEnable: boolean
  /** log.cleaner.backoff.ms */
  readonly cleanerBackoffMs: number
  /** log.cleaner.dedupe.buffer.size × log.cleaner.io.buffer.load.factor */
  readonly cleanerDedupeBufferBytes: number
  /** log.cleaner.io.buffer.size */
  readonly cleanerIoBufferBytes: number
  readonly nowMs: () => number
  readonly logger?: StorageLogger
}

export class LogMaintenance {
  private constructor(
    readonly retention: LogRetention,
    readonly cleaner: LogCleaner | null,
  ) {}

  static async start(logManager: LogManager, options: LogMaintenanceOptions): Promise<LogMaintenance> {
    const retention = new LogRetention(() => logManager.allLogs(), {
      intervalMs: options.retentionCheckIntervalMs,
      nowMs: options.nowMs,
      checkpointLogStartOffsets: () => logManager.checkpointLogStartOffsets(),
      logger: options.logger,
    })
    retention.start()
    let cleaner: LogCleaner | null = null
    if (options.cleanerEnable) {
      cleaner = await LogCleaner.create(cleanerOptionsFor(logManager, {
        nowMs: options.nowMs,
        backoffMs: options.cleanerBackoffMs,
        dedupeBufferBytes: options.cleanerDedupeBufferBytes,
        // At least one 64 KiB read per step, whatever the setting.
        ioBufferBytes: Math.max(64 * 1024, options.cleanerIoBufferBytes),
        logger: options.logger,
      }))
      cleaner.start()
    }
    return new LogMaintenance(retention, cleaner)
  }

  /** Stops the schedules and waits for work in progress (before the logs close). */
  async stop(): Promise<void> {
    await this.retention.stop()
    await this.cleaner?.stop()
  }
}
