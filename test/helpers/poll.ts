// Polling with a deadline: tests wait for conditions, never for fixed durations.
import { setTimeout as delay } from 'node:timers/promises'

export interface PollOptions {
  timeoutMs?: number
  intervalMs?: number
  /** Describes the awaited condition in the timeout error. */
  message?: string
}

/**
 * Calls `condition` until it returns a truthy value (which is returned) or the deadline passes.
 * A throwing condition counts as not yet met; the last error is reported on timeout.
 */
export async function pollUntil<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25, message = 'condition' }: PollOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await condition()
      if (value) return value as NonNullable<T>
      lastError = undefined
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : ''
      throw new Error(`pollUntil: ${message} not met within ${timeoutMs} ms${cause}`, { cause: lastError })
    }
    await delay(intervalMs)
  }
}

/** `work`, or an error naming `label` once `timeoutMs` passes first (the work itself is not cancelled). */
export async function withDeadline<T>(label: string, work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: not done within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}
