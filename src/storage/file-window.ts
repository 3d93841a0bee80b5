// A read window over a file for sequential header scans (index scans, recovery): one buffer,
// refilled with a positional read when a request falls outside it, so walking batch headers costs
// one read per window rather than one per batch.
import assert from 'node:assert/strict'
import type { FileHandle } from 'node:fs/promises'

export class FileWindow {
  private readonly buffer: Buffer
  private start = 0
  private length = 0

  constructor(
    private readonly handle: FileHandle,
    /** Bytes of the file that may be read (the valid size, not what the OS reports). */
    readonly end: number,
    readonly windowBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(1, Math.min(windowBytes, end)))
  }

  /** The `length` bytes at `position` (a view valid until the next call), or null past `end`. */
  async view(position: number, length: number): Promise<Buffer | null> {
    assert.ok(length <= this.buffer.length || position + length > this.end, 'view larger than the window')
    if (position < 0 || position + length > this.end) return null
    if (position < this.start || position + length > this.start + this.length) {
      const wanted = Math.min(this.buffer.length, this.end - position)
      let filled = 0
      while (filled < wanted) {
        const { bytesRead } = await this.handle.read(this.buffer, filled, wanted - filled, position + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      this.start = position
      this.length = filled
      if (filled < length) return null
    }
    return this.buffer.subarray(position - this.start, position - this.start + length)
  }
}
