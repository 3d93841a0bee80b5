// LogManager: every partition log under `log.dirs` (Kafka's LogManager).
//
// Each log directory holds one `<topic>-<partition>` directory per partition plus:
//   recovery-point-offset-checkpoint  where recovery of each log starts after a crash
//   log-start-offset-checkpoint       logStartOffset of each log that has moved past its first segment
//   .kafka_cleanshutdown              present only between a clean shutdown and the next start
// (checkpoint.ts has the format). A deleted partition's directory is renamed
// `<topic>-<partition>.<uuid>-delete` at once and removed in the background; leftovers are removed
// at start-up.
//
// Start-up: the marker says whether the last shutdown was clean. Clean: logs open trusting their
// indexes. Unclean: each log recovers from its checkpointed recovery point (0 if absent or the
// checkpoint is unreadable, as Kafka). The marker is deleted once every log is open, so a crash
// from then on is seen as unclean. Shutdown: close (and so flush) every log, write both
// checkpoints, then write the marker in each directory whose logs all closed cleanly.
//
// Periodic work: logs whose flush.ms has passed are flushed every log.flush.scheduler.interval.ms;
// the recovery points are checkpointed every log.flush.offset.checkpoint.interval.ms and the start
// offsets every log.flush.start.offset.checkpoint.interval.ms; idle producers are expired every
// producer.id.expiration.check.interval.ms. Each log writes its producer state snapshot when it
// closes at shutdown (producer-state.ts).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { systemClock } from '../util/clock.js'
import { readCheckpoint, syncDirectory, writeCheckpoint, type TopicPartitionOffset } from './checkpoint.js'
import { type LogConfig } from './log-config.js'
import { parseTopicPartition, PartitionLog, type StorageLogger } from './log.js'
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, type ProducerStateConfig } from './producer-state.js'

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint'
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'
export const DELETE_DIR_SUFFIX = '-delete'

/** Logs opened at once per log directory at start-up: bounds recovery's memory and file handles. */
const LOAD_CONCURRENCY_MAX = 8
/** setInterval's largest delay; longer intervals (Long.MAX_VALUE defaults) mean "never". */
const TIMER_DELAY_MAX = 0x7fffffff

export interface LogManagerOptions {
  /** log.dirs */
  readonly logDirs: readonly string[]
  readonly defaultConfig: LogConfig
  /** The effective config of a topic (overrides resolved by the caller); defaults to defaultConfig. */
  readonly configForTopic?: (topic: string) => LogConfig
  readonly nowMs?: () => number
  /** log.flush.scheduler.interval.ms (Long.MAX_VALUE: flush.ms is never checked). */
  readonly flushSchedulerIntervalMs?: number
  /** log.flush.offset.checkpoint.interval.ms, default 60000. */
  readonly flushOffsetCheckpointIntervalMs?: number
  /** log.flush.start.offset.checkpoint.interval.ms, default 60000. */
  readonly flushStartOffsetCheckpointIntervalMs?: number
  /** producer.id.expiration.ms, default 86400000 (one day). */
  readonly producerIdExpirationMs?: number
  /** producer.id.expiration.check.interval.ms, default 600000. */
  readonly producerIdExpirationCheckIntervalMs?: number
  /** Start the periodic tasks (default true); tests call them directly. */
  readonly startScheduler?: boolean
  readonly logger?: StorageLogger
}

function key(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

export class LogManager {
  readonly logDirs: readonly string[]
  /** Log directories that held the clean-shutdown marker at start-up. */
  readonly cleanShutdownDirs: ReadonlySet<string>
  private readonly logs = new Map<string, PartitionLog>()
  private readonly logDirOf = new Map<string, string>()
  private readonly creating = new Map<string, Promise<PartitionLog>>()
  private readonly backgroundDeletes = new Set<Promise<void>>()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly options: LogManagerOptions
  private readonly clock: () => number
  /** Shared by every log, so setProducerIdExpirationMs applies to all of them at once. */
  private readonly producerStateConfig: ProducerStateConfig
  private isShutDown = false
  private isFlushRunning = false

  private constructor(options: LogManagerOptions, cleanShutdownDirs: Set<string>) {
    assert.ok(options.logDirs.length > 0, 'log.dirs must name at least one directory')
    this.options = options
    this.logDirs = options.logDirs.map((dir) => path.resolve(dir))
    this.cleanShutdownDirs = cleanShutdownDirs
    this.clock = options.nowMs ?? systemClock.nowMs
    this.producerStateConfig = { producerIdExpirationMs: options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS }
  }

  static async open(options: LogManagerOptions): Promise<LogManager> {
    const dirs = options.logDirs.map((dir) => path.resolve(dir))
    assert.equal(new Set(dirs).size, dirs.length, 'log.dirs lists a directory twice')
    const cleanDirs = new Set<string>()
    for (const dir of dirs) {
      await mkdir(dir, { recursive: true })
      if ((await exists(path.join(dir, CLEAN_SHUTDOWN_FILE)))) cleanDirs.add(dir)
    }
    const manager = new LogManager(options, cleanDirs)
    await Promise.all(dirs.map((dir) => manager.loadLogDir(dir)))
    // From here on a crash must be treated as unclean.
    for (const dir of cleanDirs) await unlink(path.join(dir, CLEAN_SHUTDOWN_FILE))
    for (const dir of cleanDirs) await syncDirectory(dir)
    if (options.startScheduler !== false) manager.startScheduler()
    return manager
  }

  private configFor(topic: string): LogConfig {
    return this.options.configForTopic?.(topic) ?? this.options.defaultConfig
  }

  private async readCheckpointOrEmpty(file: string): Promise<Map<string, number>> {
    try {
      const entries = await readCheckpoint(file)
      return new Map(entries.map((entry) => [key(entry.topic, entry.partition), entry.offset]))
    } catch (error) {
      // As Kafka: an unreadable checkpoint costs a full recovery, not the broker.
      this.options.logger?.warn({ err: error, file }, 'unreadable checkpoint file, ignoring it')
      return new Map()
    }
  }

  private async loadLogDir(dir: string): Promise<void> {
    const hadCleanShutdown = this.cleanShutdownDirs.has(dir)
    const recoveryPoints = await this.readCheckpointOrEmpty(path.join(dir, RECOVERY_POINT_CHECKPOINT_FILE))
    const logStartOffsets = await this.readCheckpointOrEmpty(path.join(dir, LOG_START_OFFSET_CHECKPOINT_FILE))
    const entries = await readdir(dir, { withFileTypes: true })
    const toOpen: { name: string; topic: string; partition: number }[] = []
    for (const entry of entries) {
      if (!entry.isDirectory()) continue
      if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.removeInBackground(path.join(dir, entry.name))
        continue
      }
      const parsed = parseTopicPartition(entry.name)
      if (parsed !== null) toOpen.push({ name: entry.name, ...parsed })
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < toOpen.length) {
        const { name, topic, partition } = toOpen[next++]!
        const log = await PartitionLog.open(path.join(dir, name), this.configFor(topic), {
          nowMs: this.clock,
          hadCleanShutdown,
          recoveryPoint: recoveryPoints.get(name),
          logStartOffset: logStartOffsets.get(name),
          logger: this.options.logger,
          producerStateConfig: this.producerStateConfig,
        })
        const tp = key(topic, partition)
        if (this.logs.has(tp)) {
          await log.abandon()
          throw new Error(`Duplicate log directories for ${tp} are found in ${this.logDirOf.get(tp)} and ${dir}`)
        }
        this.logs.set(tp, log)
        this.logDirOf.set(tp, dir)
      }
    }
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY_MAX, toOpen.length) }, worker))
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition))
  }

  /** Every open log. */
  allLogs(): IterableIterator<PartitionLog> {
    return this.logs.values()
  }

  /** The log directory holding a partition. */
  logDirFor(topic: string, partition: number): string | undefined {
    return this.logDirOf.get(key(topic, partition))
  }

  /**
   * The partition's log, created in the log directory with the fewest partitions if absent
   * (LogManager.getOrCreateLog).
   */
  createLog(topic: string, partition: number, config: LogConfig = this.configFor(topic)): Promise<PartitionLog> {
    assert.ok(!this.isShutDown, 'log manager is shut down')
    assert.ok(topic.length > 0 && !topic.includes('/') && topic !== '.' && topic !== '..', `invalid topic name ${topic}`)
    assert.ok(Number.isInteger(partition) && partition >= 0, 'invalid partition')
    const tp = key(topic, partition)
    const existing = this.logs.get(tp)
    if (existing !== undefined) return Promise.resolve(existing)
    const pending = this.creating.get(tp)
    if (pending !== undefined) return pending
    const dir = this.leastLoadedLogDir()
    const creation = PartitionLog.open(path.join(dir, tp), config, {
      nowMs: this.clock,
      hadCleanShutdown: true,
      logger: this.options.logger,
      producerStateConfig: this.producerStateConfig,
    })
      .then(async (log) => {
        await syncDirectory(dir)
        this.logs.set(tp, log)
        this.logDirOf.set(tp, dir)
        return log
      })
      .finally(() => this.creating.delete(tp))
    this.creating.set(tp, creation)
    return creation
  }

  private leastLoadedLogDir(): string {
    const counts = new Map(this.logDirs.map((dir) => [dir, 0]))
    for (const dir of this.logDirOf.values()) counts.set(dir, (counts.get(dir) ?? 0) + 1)
    let best = this.logDirs[0]!
    for (const dir of this.logDirs) if (counts.get(dir)! < counts.get(best)!) best = dir
    return best
  }

  /**
   * Removes a partition's log: closes it, renames its directory `<topic>-<partition>.<uuid>-delete`
   * (so a crash cannot resurrect it) and removes that in the background (LogManager.asyncDelete).
   */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const tp = key(topic, partition)
    const log = this.logs.get(tp)
    const dir = this.logDirOf.get(tp)
    if (log === undefined || dir === undefined) return
    this.logs.delete(tp)
    this.logDirOf.delete(tp)
    await log.abandon()
    const renamed = path.join(dir, `${tp}.${randomUUID().replaceAll('-', '')}${DELETE_DIR_SUFFIX}`)
    await rename(log.dir, renamed)
    await syncDirectory(dir)
    this.removeInBackground(renamed)
  }

  private removeInBackground(dir: string): void {
    const removal = rm(dir, { recursive: true, force: true })
      .catch((error: unknown) => this.options.logger?.error({ err: error, dir }, 'could not remove a deleted log directory'))
      .finally(() => this.backgroundDeletes.delete(removal))
    this.backgroundDeletes.add(removal)
  }

  /** Flushes every log whose flush.ms has passed (LogManager.flushDirtyLogs). */
  async flushDirtyLogs(): Promise<void> {
    if (this.isFlushRunning) return
    this.isFlushRunning = true
    try {
      const nowMs = this.clock()
      await Promise.all([...this.logs.values()].filter((log) => log.isFlushDue(nowMs)).map((log) => log.flush()))
    } finally {
      this.isFlushRunning = false
    }
  }

  /** A dynamic producer.id.expiration.ms change: applies to every log from the next check. */
  setProducerIdExpirationMs(producerIdExpirationMs: number): void {
    assert.ok(Number.isSafeInteger(producerIdExpirationMs) && producerIdExpirationMs > 0, 'producer.id.expiration.ms must be positive')
    this.producerStateConfig.producerIdExpirationMs = producerIdExpirationMs
  }

  /** Forgets producers idle for producer.id.expiration.ms in every log; returns how many. */
  removeExpiredProducers(): number {
    const nowMs = this.clock()
    let removed = 0
    for (const log of this.logs.values()) removed += log.producerState.removeExpiredProducers(nowMs)
    return removed
  }

  /** Writes recovery-point-offset-checkpoint in every log directory. */
  async checkpointRecoveryPoints(): Promise<void> {
    await this.writeCheckpoints(RECOVERY_POINT_CHECKPOINT_FILE, (log) => log.recoveryPoint)
  }

  /** Writes log-start-offset-checkpoint: only logs whose start moved past their first segment (as Kafka). */
  async checkpointLogStartOffsets(): Promise<void> {
    await this.writeCheckpoints(LOG_START_OFFSET_CHECKPOINT_FILE, (log) =>
      log.logStartOffset > (log.segmentBaseOffsets[0] ?? 0) ? log.logStartOffset : null,
    )
  }

  private async writeCheckpoints(file: string, offsetOf: (log: PartitionLog) => number | null): Promise<void> {
    const byDir = new Map<string, TopicPartitionOffset[]>(this.logDirs.map((dir) => [dir, []]))
    for (const [tp, log] of this.logs) {
      if (log.isOffline) continue
      const offset = offsetOf(log)
      if (offset !== null) byDir.get(this.logDirOf.get(tp)!)!.push({ topic: log.topic, partition: log.partition, offset })
    }
    await Promise.all([...byDir].map(([dir, entries]) => writeCheckpoint(path.join(dir, file), entries)))
  }

  private startScheduler(): void {
    const every = (intervalMs: number | undefined, task: () => Promise<void>): void => {
      if (intervalMs === undefined || intervalMs > TIMER_DELAY_MAX) return
      const timer = setInterval(() => {
        task().catch((error: unknown) => this.options.logger?.error({ err: error }, 'periodic log task failed'))
      }, Math.max(1, intervalMs))
      timer.unref()
      this.timers.push(timer)
    }
    every(this.options.flushSchedulerIntervalMs, () => this.flushDirtyLogs())
    every(this.options.flushOffsetCheckpointIntervalMs ?? 60000, () => this.checkpointRecoveryPoints())
    every(this.options.flushStartOffsetCheckpointIntervalMs ?? 60000, () => this.checkpointLogStartOffsets())
    every(this.options.producerIdExpirationCheckIntervalMs ?? 600000, async () => {
      this.removeExpiredProducers()
    })
  }

  /**
   * Clean shutdown: stop the scheduler, close (flush) every log, write the checkpoints, then the
   * clean-shutdown marker in each directory whose logs all closed without an I/O error.
   */
  async shutdown(): Promise<void> {
    if (this.isShutDown) return
    this.isShutDown = true
    for (const timer of this.timers) clearInterval(timer)
    await Promise.allSettled([...this.creating.values()])
    await Promise.all([...this.backgroundDeletes])
    const dirtyDirs = new Set<string>()
    await Promise.all(
      [...this.logs].map(async ([tp, log]) => {
        await log.close().catch((error: unknown) => this.options.logger?.error({ err: error, dir: log.dir }, 'could not close log'))
        if (log.isOffline) dirtyDirs.add(this.logDirOf.get(tp)!)
      }),
    )
    await this.checkpointRecoveryPoints()
    await this.checkpointLogStartOffsets()
    for (const dir of this.logDirs) {
      if (dirtyDirs.has(dir)) continue
      const marker = await open(path.join(dir, CLEAN_SHUTDOWN_FILE), 'w')
      await marker.sync()
      await marker.close()
      await syncDirectory(dir)
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}
