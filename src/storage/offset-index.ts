// The sparse offset index of one segment (`<base offset>.index`), Kafka's OffsetIndex format:
// 8-byte entries of (relativeOffset int32, position int32), relativeOffset = offset - baseOffset.
// One entry per `index.interval.bytes` of log: the entry names the last offset of a batch and the
// file position where that batch starts. Entries strictly increase in both fields.
//
// lookup(offset) answers the largest entry at or below `offset`; the batch holding `offset` starts
// at or after that position, so a short scan from there finds it. An empty index answers
// (baseOffset, 0). The file is rebuilt by recovery when it may be stale (see index-file.ts).
//
// Besides the entries, a few exact positions that reads found, in memory only (knownPosition):
// a consumer's next fetch asks for the offset right after the last batch it received, and the
// read that returned that batch saw where the next one starts and usually how long it is.
import assert from 'node:assert/strict'
import { IndexFile } from './index-file.js'

export const OFFSET_INDEX_ENTRY_SIZE = 8
const INT32_MAX = 0x7fffffff

export interface OffsetPosition {
  readonly offset: number
  readonly position: number
}

/** Where the first batch whose last offset is ≥ `offset` starts, and its size (0: not known). */
export interface KnownPosition {
  readonly offset: number
  readonly position: number
  readonly size: number
}

/** Exact positions kept per segment: a few consumers (groups) reading the segment at once. */
const KNOWN_POSITIONS_MAX = 8

export class OffsetIndex {
  readonly file: IndexFile
  /**
   * Counts truncations. Bytes below a segment's size change only by truncation, so a known
   * position stays true until then; a read remembers what it found only if none happened meanwhile.
   */
  truncations = 0
  private readonly knownPositions: KnownPosition[] = []
  private knownPositionsNext = 0

  constructor(
    readonly path: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
  ) {
    this.file = new IndexFile(path, OFFSET_INDEX_ENTRY_SIZE, Math.floor(maxIndexBytes / OFFSET_INDEX_ENTRY_SIZE))
  }

  get entryCount(): number {
    return this.file.entryCount
  }

  get isFull(): boolean {
    return this.file.isFull
  }

  entry(index: number): OffsetPosition {
    const at = this.file.entryPosition(index)
    const buffer = this.file.buffer
    return { offset: this.baseOffset + buffer.readInt32BE(at), position: buffer.readInt32BE(at + 4) }
  }

  /** The last entry, or (baseOffset, 0) when empty. */
  lastEntry(): OffsetPosition {
    return this.entryCount === 0 ? { offset: this.baseOffset, position: 0 } : this.entry(this.entryCount - 1)
  }

  append(offset: number, position: number): void {
    const relativeOffset = offset - this.baseOffset
    assert.ok(relativeOffset >= 0 && relativeOffset <= INT32_MAX, 'offset outside the segment range')
    assert.ok(position >= 0 && position <= INT32_MAX, 'position beyond int32')
    if (this.entryCount > 0) {
      const last = this.entry(this.entryCount - 1)
      assert.ok(offset > last.offset, 'offset index entries must increase')
      assert.ok(position > last.position, 'offset index positions must increase')
    }
    const at = this.file.appendSlot()
    this.file.buffer.writeInt32BE(relativeOffset, at)
    this.file.buffer.writeInt32BE(position, at + 4)
  }

  /** Largest entry with offset ≤ targetOffset, else (baseOffset, 0). */
  lookup(targetOffset: number): OffsetPosition {
    const slot = this.floorSlot(targetOffset - this.baseOffset)
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot)
  }

  /** Removes every entry with offset ≥ offset, and forgets every known position. */
  truncateTo(offset: number): void {
    this.file.truncateToEntries(this.floorSlot(offset - this.baseOffset - 1) + 1)
    this.forgetPositions()
  }

  /**
   * Forgets every known position, and what reads running now would remember. The segment calls it
   * again once its file is shorter: a read that began in between saw the old bytes.
   */
  forgetPositions(): void {
    this.truncations++
    this.knownPositions.length = 0
  }

  /** The position a read found for `offset` (rememberPosition), or null. */
  knownPosition(offset: number): KnownPosition | null {
    for (const known of this.knownPositions) if (known.offset === offset) return known
    return null
  }

  /**
   * Records that the first batch with last offset ≥ `offset` starts at `position` (and is `size`
   * bytes, 0 if not seen), as a read that began when `truncations` was current found it.
   */
  rememberPosition(truncations: number, offset: number, position: number, size: number): void {
    assert.ok(position >= 0 && size >= 0, 'known positions are file positions and batch sizes')
    if (truncations !== this.truncations) return
    const known = { offset, position, size }
    for (let index = 0; index < this.knownPositions.length; index++) {
      if (this.knownPositions[index]!.offset !== offset) continue
      this.knownPositions[index] = known
      return
    }
    if (this.knownPositions.length < KNOWN_POSITIONS_MAX) {
      this.knownPositions.push(known)
      return
    }
    this.knownPositions[this.knownPositionsNext] = known
    this.knownPositionsNext = (this.knownPositionsNext + 1) % KNOWN_POSITIONS_MAX
  }

  /**
   * Whether the loaded entries are plausible for a segment of `segmentSize` bytes (Kafka's
   * sanityCheck): increasing and pointing inside the segment.
   */
  isSane(segmentSize: number): boolean {
    let previousOffset = -1
    let previousPosition = -1
    for (let index = 0; index < this.entryCount; index++) {
      const at = this.file.entryPosition(index)
      const relativeOffset = this.file.buffer.readInt32BE(at)
      const position = this.file.buffer.readInt32BE(at + 4)
      if (relativeOffset <= previousOffset || position <= previousPosition || position >= segmentSize) return false
      previousOffset = relativeOffset
      previousPosition = position
    }
    return true
  }

  /** Binary search: the slot of the largest relative offset ≤ relativeTarget, or -1. */
  private floorSlot(relativeTarget: number): number {
    const buffer = this.file.buffer
    let low = 0
    let high = this.entryCount - 1
    let found = -1
    while (low <= high) {
      const middle = (low + high) >>> 1
      if (buffer.readInt32BE(middle * OFFSET_INDEX_ENTRY_SIZE) <= relativeTarget) {
        found = middle
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found
  }
}
