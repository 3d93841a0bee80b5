// Timers of the group coordinator (session, rebalance, initial-delay, pending-sync and offset
// expiration deadlines) go through this interface so tests can drive time by hand.
export interface ScheduledTask {
  cancel(): void
}

export interface Scheduler {
  /** Runs task once after delayMs (monotonic). Cancelling a task that already ran is a no-op. */
  schedule(delayMs: number, task: () => void): ScheduledTask
}

const TIMEOUT_MAX_MS = 2 ** 31 - 1

/** setTimeout-backed; unref'd so a forgotten timer never keeps a process alive. */
export const systemScheduler: Scheduler = {
  schedule(delayMs, task) {
    // Node turns delays above 2^31-1 ms into 1 ms; clamp instead (a task that far out is re-armed by its owner).
    const timer = setTimeout(task, Math.min(Math.max(0, delayMs), TIMEOUT_MAX_MS))
    timer.unref()
    return { cancel: () => clearTimeout(timer) }
  },
}
