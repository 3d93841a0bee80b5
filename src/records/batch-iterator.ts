// Walks the record batches in a byte range without copying: one cursor object, reused for every
// batch. Stops cleanly before a trailing partial batch (a fetch cut at maxBytes, a torn log tail)
// and before a batch whose length field cannot be a v2 batch; `stop` says which.
import assert from 'node:assert/strict'
import { BATCH_HEADER_SIZE, BATCH_LENGTH, LOG_OVERHEAD } from './batch-header.js'

export type BatchIteratorStop =
  | 'none' // still iterating
  | 'end' // consumed the range exactly
  | 'partial' // bytes left that do not hold a whole batch
  | 'invalidLength' // a length field smaller than a v2 header

export class BatchIterator {
  /** Start of the current batch (valid after next() returned true). */
  position = -1
  /** Total bytes of the current batch. */
  size = 0
  stop: BatchIteratorStop = 'none'
  private nextPosition: number

  constructor(
    readonly buffer: Buffer,
    start = 0,
    readonly end = buffer.length,
  ) {
    assert.ok(start >= 0 && start <= end && end <= buffer.length, 'iterator range outside the buffer')
    this.nextPosition = start
  }

  /** Where the bytes not covered by whole batches start (the valid prefix ends here). */
  get validEnd(): number {
    return this.nextPosition
  }

  next(): boolean {
    if (this.stop !== 'none') return false
    const position = this.nextPosition
    const remaining = this.end - position
    if (remaining === 0) return this.finish('end')
    if (remaining < LOG_OVERHEAD) return this.finish('partial')
    const size = this.buffer.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE) return this.finish('invalidLength')
    if (size > remaining) return this.finish('partial')
    this.position = position
    this.size = size
    this.nextPosition = position + size
    return true
  }

  private finish(stop: BatchIteratorStop): false {
    this.stop = stop
    return false
  }
}
