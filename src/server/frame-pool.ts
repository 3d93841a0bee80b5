// Reusable buffers for produce request frames that arrive in several socket chunks and must be
// joined. A producer at full speed sends ~1 MiB frames back to back; a fresh Buffer for each one
// is external memory that V8 answers with a full mark-compact every few dozen frames (measured:
// ~19 per 2M 100-byte messages, a quarter of the broker's CPU). Only produce frames come from here:
// their records are written by reference and nothing keeps a view of the frame once the response is
// settled, so the connection can give the buffer back then. Other APIs keep views (JoinGroup
// metadata, fetch-session topic ids) and get buffers of their own.
//
// Bounded: at most `buffersMax` buffers of `bufferBytes` exist. A larger frame gets a buffer of its
// own. When all are lent out, a connection waits for one (whenReleased) with its reading paused:
// allocating instead brought the external-memory GCs back whenever more produce frames were in
// flight than the pool holds (acks=all 1 KiB: 11 mark-compacts per 500 MB), and waiting is
// backpressure at the rate the log writes, which a producer at full speed meets anyway.
// The wait is bounded (connection.ts): a buffer lent to a frame whose client stopped sending may
// never come back.
import assert from 'node:assert/strict'

export type FrameWaiter = (buffer: Buffer) => void

export class FramePool {
  private readonly free: Buffer[] = []
  private created = 0
  /** Connections waiting for a buffer, first come first served (at most one per connection). */
  private readonly waiters: FrameWaiter[] = []

  constructor(
    readonly bufferBytes: number,
    readonly buffersMax: number,
  ) {
    assert.ok(bufferBytes > 0 && buffersMax >= 0, 'frame pool sizes')
  }

  /** Whether a frame of `size` bytes is pooled (else it needs a buffer of its own). */
  fits(size: number): boolean {
    return size <= this.bufferBytes
  }

  /** A buffer of bufferBytes for a frame of `size` bytes, or null (too large, or none left). */
  acquire(size: number): Buffer | null {
    if (size > this.bufferBytes) return null
    const reused = this.free.pop()
    if (reused !== undefined) return reused
    if (this.created >= this.buffersMax) return null
    this.created++
    return Buffer.allocUnsafe(this.bufferBytes)
  }

  /** Takes back a buffer from acquire(); the caller must hold no view of it any more. */
  release(buffer: Buffer): void {
    assert.equal(buffer.length, this.bufferBytes, 'not a pool buffer')
    assert.ok(this.free.length < this.created, 'buffer released twice')
    const waiter = this.waiters.shift()
    if (waiter !== undefined) waiter(buffer)
    else this.free.push(buffer)
  }

  /** Calls `waiter` with the next buffer released (after acquire() found none left). */
  whenReleased(waiter: FrameWaiter): void {
    assert.ok(this.created >= this.buffersMax && this.free.length === 0, 'buffers are free: acquire one')
    this.waiters.push(waiter)
  }

  /** Withdraws a waiter that no longer wants a buffer (its connection closed). */
  cancel(waiter: FrameWaiter): void {
    const index = this.waiters.indexOf(waiter)
    if (index >= 0) this.waiters.splice(index, 1)
  }

  /** Buffers currently lent out. */
  get lentCount(): number {
    return this.created - this.free.length
  }
}
