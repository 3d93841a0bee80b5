// Kafka's purgatory: operations that cannot complete yet (long-poll fetches, acks=all produces)
// park under partition keys until an append or high-watermark move makes them completable, or
// their deadline passes. Completion runs exactly once. Bounded: past `maxParked` operations the
// new one completes at once (a long poll degrades to an immediate answer, never to unbounded memory).
import assert from 'node:assert/strict'

export interface DelayedOperation {
  /** Checks synchronously whether the operation can complete now. Must not complete it. */
  canComplete(): boolean
  /** Called exactly once, either because canComplete() became true or because of expiry. */
  complete(expired: boolean): void
}

class Parked {
  done = false
  timer: NodeJS.Timeout | null = null
  constructor(readonly operation: DelayedOperation, readonly keys: readonly string[]) {}
}

export class Purgatory {
  private readonly watchers = new Map<string, Set<Parked>>()
  private parkedCount = 0

  constructor(readonly name: string, private readonly maxParked: number) {
    assert.ok(maxParked > 0)
  }

  get size(): number {
    return this.parkedCount
  }

  /** Completes the operation now if it can, else parks it under its keys until timeoutMs. */
  tryCompleteElseWatch(operation: DelayedOperation, keys: readonly string[], timeoutMs: number): void {
    if (operation.canComplete() || this.parkedCount >= this.maxParked || timeoutMs <= 0) {
      operation.complete(!operation.canComplete() && timeoutMs <= 0)
      return
    }
    const parked = new Parked(operation, keys)
    this.parkedCount++
    for (const key of keys) {
      let set = this.watchers.get(key)
      if (set === undefined) {
        set = new Set()
        this.watchers.set(key, set)
      }
      set.add(parked)
    }
    parked.timer = setTimeout(() => this.finish(parked, true), timeoutMs)
  }

  /** Completes every operation watching key that can now complete. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key)
    if (set === undefined) return
    for (const parked of [...set]) {
      if (!parked.done && parked.operation.canComplete()) this.finish(parked, false)
    }
  }

  /** Expires every parked operation now (shutdown). */
  expireAll(): void {
    const all = new Set<Parked>()
    for (const set of this.watchers.values()) for (const parked of set) all.add(parked)
    for (const parked of all) this.finish(parked, true)
  }

  private finish(parked: Parked, expired: boolean): void {
    if (parked.done) return
    parked.done = true
    this.parkedCount--
    if (parked.timer !== null) clearTimeout(parked.timer)
    for (const key of parked.keys) {
      const set = this.watchers.get(key)
      if (set === undefined) continue
      set.delete(parked)
      if (set.size === 0) this.watchers.delete(key)
    }
    parked.operation.complete(expired)
  }
}
