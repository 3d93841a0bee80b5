// The background work on logs that the broker starts and stops as one: retention
// (storage/retention.ts) and compaction (storage/cleaner.ts), as Kafka's LogManager schedules
// them. Neither blocks appends or fetches: they run between other events, with async I/O only.
import type { LogManager } from './log-manager.js'
import type { StorageLogger } from './log.js'
import { LogRetention } from './retention.js'

export interface LogMaintenanceOptions {
  /** log.retention.check.interval.ms */
  readonly retentionCheckIntervalMs: number
  readonly nowMs: () => number
  readonly logger?: StorageLogger
}

export class LogMaintenance {
  private constructor(readonly retention: LogRetention) {}

  static start(logManager: LogManager, options: LogMaintenanceOptions): LogMaintenance {
    const retention = new LogRetention(() => logManager.allLogs(), {
      intervalMs: options.retentionCheckIntervalMs,
      nowMs: options.nowMs,
      checkpointLogStartOffsets: () => logManager.checkpointLogStartOffsets(),
      logger: options.logger,
    })
    retention.start()
    return new LogMaintenance(retention)
  }

  /** Stops the schedules and waits for work in progress (before the logs close). */
  async stop(): Promise<void> {
    await this.retention.stop()
  }
}
