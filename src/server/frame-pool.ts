// Reusable buffers for produce request frames that arrive in several socket chunks and must be
// joined. A producer at full speed sends ~1 MiB frames back to back; a fresh Buffer for each one
// is external memory that V8 answers with a full mark-compact every few dozen frames (measured:
// ~19 per 2M 100-byte messages, a quarter of the broker's CPU). Only produce frames come from here:
// their records are written by reference and nothing keeps a view of the frame once the response is
// settled, so the connection can give the buffer back then. Other APIs keep views (JoinGroup
// metadata, fetch-session topic ids) and get buffers of their own.
//
// Bounded: at most `buffersMax` buffers of `bufferBytes` exist; when all are lent out, or a frame
// is larger, the caller allocates as before.
import assert from 'node:assert/strict'

export class FramePool {
  private readonly free: Buffer[] = []
  private created = 0

  constructor(
    readonly bufferBytes: number,
    readonly buffersMax: number,
  ) {
    assert.ok(bufferBytes > 0 && buffersMax >= 0, 'frame pool sizes')
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
    this.free.push(buffer)
  }

  /** Buffers currently lent out. */
  get lentCount(): number {
    return this.created - this.free.length
  }
}
