// The one place that reads the wall clock and the monotonic clock, so tests and simulations can
// inject their own time.
export interface Clock {
  /** Wall-clock milliseconds since the epoch (record timestamps, retention). */
  nowMs(): number
  /** Monotonic milliseconds (timeouts, durations). */
  monotonicMs(): number
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
}
