// The sparse time index of one segment (`<base offset>.timeindex`), Kafka's TimeIndex format:
// 12-byte entries of (timestamp int64, relativeOffset int32). An entry (T, O) says: the largest
// batch maxTimestamp among the batches up to offset O is T, first reached by the batch whose last
// offset is O. Entries strictly increase in timestamp and do not decrease in offset. Written with
// the offset index entries, and once more when the segment stops being active so its last entry
// holds the segment's largest timestamp.
//
// lookup(T) answers the largest entry with timestamp ≤ T; every batch before its offset has a
// smaller maxTimestamp, so the search for the first batch with maxTimestamp ≥ T starts there.
import assert from 'node:assert/strict'
import { NO_TIMESTAMP, readInt64, writeInt64 } from '../records/batch-header.js'
import { IndexFile } from './index-file.js'

export const TIME_INDEX_ENTRY_SIZE = 12
const INT32_MAX = 0x7fffffff

export interface TimestampOffset {
  readonly timestamp: number
  readonly offset: number
}

export class TimeIndex {
  readonly file: IndexFile

  constructor(
    readonly path: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
  ) {
    this.file = new IndexFile(path, TIME_INDEX_ENTRY_SIZE, Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_SIZE))
  }

  get entryCount(): number {
    return this.file.entryCount
  }

  /** Keeps one slot spare for the entry written when the segment becomes inactive (as Kafka). */
  get isFull(): boolean {
    return this.entryCount >= this.file.maxEntries - 1
  }

  entry(index: number): TimestampOffset {
    const at = this.file.entryPosition(index)
    return { timestamp: readInt64(this.file.buffer, at), offset: this.baseOffset + this.file.buffer.readInt32BE(at + 8) }
  }

  /** The last entry, or (NO_TIMESTAMP, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    return this.entryCount === 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.entry(this.entryCount - 1)
  }

  /**
   * Appends (timestamp, offset) when timestamp is larger than the last entry's (TimeIndex.maybeAppend).
   * `skipFullCheck` lets the final entry of a segment in even when the index is full.
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    // An empty index's last entry reads as NO_TIMESTAMP, so only real timestamps get in.
    const last = this.lastEntry()
    if (timestamp <= last.timestamp) return
    assert.ok(this.entryCount === 0 || offset >= last.offset, 'time index offsets must not decrease')
    const relativeOffset = offset - this.baseOffset
    assert.ok(relativeOffset >= 0 && relativeOffset <= INT32_MAX, 'offset outside the segment range')
    if (this.file.isFull || (this.isFull && !skipFullCheck)) return
    const at = this.file.appendSlot()
    writeInt64(this.file.buffer, at, timestamp)
    this.file.buffer.writeInt32BE(relativeOffset, at + 8)
  }

  /** Largest entry with timestamp ≤ targetTimestamp, else (NO_TIMESTAMP, baseOffset). */
  lookup(targetTimestamp: number): TimestampOffset {
    const buffer = this.file.buffer
    let low = 0
    let high = this.entryCount - 1
    let found = -1
    while (low <= high) {
      const middle = (low + high) >>> 1
      if (readInt64(buffer, middle * TIME_INDEX_ENTRY_SIZE) <= targetTimestamp) {
        found = middle
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found < 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.entry(found)
  }

  /** Removes every entry with offset ≥ offset. */
  truncateTo(offset: number): void {
    let keep = this.entryCount
    while (keep > 0 && this.entry(keep - 1).offset >= offset) keep--
    this.file.truncateToEntries(keep)
  }

  /** Kafka's sanityCheck: increasing timestamps, non-decreasing offsets inside the segment. */
  isSane(): boolean {
    let previous: TimestampOffset | null = null
    for (let index = 0; index < this.entryCount; index++) {
      const current = this.entry(index)
      if (current.offset < this.baseOffset) return false
      if (previous !== null && (current.timestamp <= previous.timestamp || current.offset < previous.offset)) return false
      previous = current
    }
    return true
  }
}
