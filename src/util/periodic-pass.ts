// A background pass run every intervalMs (retention, the log cleaner): passes never overlap, a
// failed pass is logged and the next one runs on schedule, and stop() waits for a pass in progress.

/** setInterval's largest delay; longer intervals mean "never". */
export const TIMER_DELAY_MAX = 0x7fffffff

export interface PassLogger {
  error(details: object, message: string): void
}

export class PeriodicPass<T> {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<T> | null = null

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<T>,
    private readonly logger?: PassLogger,
  ) {}

  start(): void {
    if (this.timer !== null || this.intervalMs > TIMER_DELAY_MAX) return
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.logger?.error({ err: error }, `${this.name} pass failed`))
    }, Math.max(1, this.intervalMs))
    this.timer.unref()
  }

  /** Stops the schedule and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    await this.running?.catch(() => undefined)
  }

  /** Runs a pass now, or joins the one in progress. */
  runOnce(): Promise<T> {
    this.running ??= this.pass().finally(() => {
      this.running = null
    })
    return this.running
  }
}
