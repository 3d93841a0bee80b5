// Producer state of one partition: Kafka's ProducerStateManager for idempotent producers (KIP-98,
// without transactions yet).
//
// For every producer id that appended to the partition we keep its epoch, the timestamp of its
// last batch and the sequence ranges and offsets of its last NUM_BATCHES_TO_RETAIN (5) batches: an
// idempotent client has at most 5 requests in flight per partition, so any retry it sends is of one
// of those. PartitionLog checks each client batch carrying a producer id (header fields only) in
// its append queue, after a possible roll and right before stamping offsets, so the decision and
// the offset assignment happen in one synchronous step (UnifiedLog.append order):
//  - same epoch, exactly the sequence range of a retained batch: a duplicate; nothing is written
//    and the append answers the original offsets (UnifiedLog's maybeDuplicate);
//  - epoch below the known one: INVALID_PRODUCER_EPOCH (Kafka ≥ 2.7 answers this for produce);
//  - a new epoch must start at sequence 0, unless the producer is unknown here: since KIP-360
//    (Kafka 2.5) an unknown producer id may start at any sequence (its earlier batches may have
//    been removed by retention), so UNKNOWN_PRODUCER_ID is never answered;
//  - same epoch: the base sequence must follow the last one (Int32.MAX is followed by 0), else
//    OUT_OF_ORDER_SEQUENCE_NUMBER (ProducerAppendInfo.checkSequence).
//
// Snapshots: `<20-digit offset>.snapshot` in the partition directory holds the state after every
// batch below `offset`. Format version 1, big-endian:
//   version int16 (1) | crc uint32: CRC-32C of every byte after it | offset int64 | producerCount int32
//   per producer: producerId int64 | producerEpoch int16 | lastTimestamp int64 | batchCount int8 (1..5)
//     per batch, oldest first: lastSequence int32 | lastOffset int64 | offsetDelta int32 | timestamp int64
// Unlike Kafka's (one batch per producer), all 5 retained batches are kept, so a restart still
// recognises retries of any of them. Written when a segment rolls (offset = the new segment's base)
// and on close (offset = log end offset). Not fsynced: a torn, short or stale file fails the
// version, CRC or length checks, is deleted, and the previous snapshot is used instead. The newest
// SNAPSHOTS_RETAINED files are kept.
//
// Recovery (load): snapshots above the log end offset are deleted (the log was truncated below
// them); the newest valid one is loaded, then the headers of every batch from its offset to the log
// end are replayed (header reads only, no record decoding); without a snapshot the whole log is
// replayed. Expired producers are dropped afterwards.
//
// Expiry: a producer whose last batch timestamp is producer.id.expiration.ms old or more is
// forgotten (removeExpiredProducers; the LogManager runs it every
// producer.id.expiration.check.interval.ms). As in Kafka, moving the log start offset (retention,
// DeleteRecords) keeps producer state; only expiry removes it.
import assert from 'node:assert/strict'
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ErrorCode } from '../protocol/errors.js'
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  readBaseSequence,
  readInt64,
  readIsControl,
  readLastOffsetDelta,
  readMaxTimestamp,
  readProducerEpoch,
  readProducerId,
} from '../records/batch-header.js'
import { crc32c } from '../records/crc32c.js'
import { FileWindow } from './file-window.js'
import type { LogSegment } from './segment.js'

export const SNAPSHOT_FILE_SUFFIX = '.snapshot'
/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the most in-flight requests of an idempotent producer. */
export const NUM_BATCHES_TO_RETAIN = 5
/** Snapshots kept on disk: the newest, plus one to fall back on if it turns out unreadable. */
export const SNAPSHOTS_RETAINED = 2
export const PRODUCER_SNAPSHOT_VERSION = 1
/** Kafka's producer.id.expiration.ms default (1 day). */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000

const NO_PRODUCER_EPOCH = -1
const INT32_MAX = 0x7fffffff
const SNAPSHOT_HEADER_BYTES = 2 + 4 + 8 + 4
const SNAPSHOT_PRODUCER_BYTES = 8 + 2 + 8 + 1
const SNAPSHOT_BATCH_BYTES = 4 + 8 + 4 + 8
/** Read size while replaying headers: several small batches per read, one header per read of large ones. */
const REPLAY_WINDOW_BYTES = 64 * 1024

/** Shared by every log of a broker, so a dynamic producer.id.expiration.ms change applies to all. */
export interface ProducerStateConfig {
  producerIdExpirationMs: number
}

/** One retained batch (Kafka's BatchMetadata). */
export interface BatchMetadata {
  readonly lastSequence: number
  readonly lastOffset: number
  /** lastOffset - firstOffset, which is also lastSequence - firstSequence. */
  readonly offsetDelta: number
  /** The batch's stored maxTimestamp. */
  readonly timestamp: number
}

export interface ProducerStateEntry {
  readonly producerId: number
  producerEpoch: number
  lastTimestamp: number
  /** Oldest first; 1..NUM_BATCHES_TO_RETAIN entries. */
  readonly batches: BatchMetadata[]
}

/** The header fields of a batch the check needs (records/validate.ts BatchInfo has them). */
export interface ProducerBatch {
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly lastOffsetDelta: number
  readonly isControl: boolean
}

/** Why an append must not be written: it repeats a retained batch, or it breaks the rules. */
export type ProducerAppendCheck =
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | { readonly kind: 'rejected'; readonly errorCode: number; readonly errorMessage: string }

/** DefaultRecordBatch.incrementSequence: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1
  return sequence + increment
}

/** DefaultRecordBatch.decrementSequence. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1
  return sequence - decrement
}

function firstSequenceOf(batch: BatchMetadata): number {
  return decrementSequence(batch.lastSequence, batch.offsetDelta)
}

/** ProducerAppendInfo.inSequence. */
function isInSequence(lastSequence: number, nextSequence: number): boolean {
  return nextSequence === lastSequence + 1 || (nextSequence === 0 && lastSequence === INT32_MAX)
}

export function snapshotFileName(offset: number): string {
  return String(offset).padStart(20, '0') + SNAPSHOT_FILE_SUFFIX
}

/** The offset in a snapshot file name, or null when the name is not one. */
export function parseSnapshotFileName(name: string): number | null {
  if (!name.endsWith(SNAPSHOT_FILE_SUFFIX)) return null
  const digits = name.slice(0, -SNAPSHOT_FILE_SUFFIX.length)
  if (!/^\d{20}$/.test(digits)) return null
  const offset = Number(digits)
  return Number.isSafeInteger(offset) ? offset : null
}

export interface ProducerStateLogger {
  info(object: object, message: string): void
  warn(object: object, message: string): void
}

export interface ProducerStateLoadOptions {
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly nowMs: number
  readonly config: ProducerStateConfig
  readonly logger?: ProducerStateLogger | null
}

/** What loading found, for logs and tests. */
export interface ProducerStateLoadStats {
  /** Offset of the snapshot loaded, or null when none was usable. */
  readonly snapshotOffset: number | null
  /** Snapshot files deleted as unreadable. */
  readonly corruptSnapshots: number
  /** Batch headers replayed after the snapshot. */
  readonly replayedBatches: number
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>()
  /** Offsets of the snapshot files on disk, ascending. */
  private snapshotOffsets: number[] = []
  loadStats: ProducerStateLoadStats = { snapshotOffset: null, corruptSnapshots: 0, replayedBatches: 0 }

  constructor(
    readonly dir: string,
    readonly config: ProducerStateConfig,
    private readonly logger: ProducerStateLogger | null = null,
  ) {}

  /** The state of the log in `dir` whose segments are `segments`, as described at the top. */
  static async load(dir: string, segments: readonly LogSegment[], options: ProducerStateLoadOptions): Promise<ProducerStateManager> {
    const manager = new ProducerStateManager(dir, options.config, options.logger ?? null)
    await manager.reload(segments, options.logStartOffset, options.logEndOffset, options.nowMs)
    return manager
  }

  get producerCount(): number {
    return this.producers.size
  }

  /** Every producer's entry (tests, DescribeProducers later). */
  activeProducers(): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers
  }

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId)
  }

  get snapshotFileOffsets(): readonly number[] {
    return this.snapshotOffsets
  }

  /**
   * Checks the client batches of one append against the state (no change to it). Null means
   * "append normally"; update must then record each batch as its offsets are stamped. Client appends
   * hold exactly one batch; several batches (coordinator appends) are each checked against the
   * state before the append.
   */
  checkAppend(batches: readonly ProducerBatch[]): ProducerAppendCheck | null {
    for (const batch of batches) {
      if (batch.producerId < 0 || batch.isControl) continue
      const check = this.checkBatch(batch)
      if (check !== null) return check
    }
    return null
  }

  private checkBatch(batch: ProducerBatch): ProducerAppendCheck | null {
    const entry = this.producers.get(batch.producerId)
    const currentEpoch = entry?.producerEpoch ?? NO_PRODUCER_EPOCH
    const firstSequence = batch.baseSequence
    if (entry !== undefined && batch.producerEpoch === currentEpoch) {
      const lastSequence = incrementSequence(firstSequence, batch.lastOffsetDelta)
      for (const retained of entry.batches) {
        if (retained.lastSequence === lastSequence && firstSequenceOf(retained) === firstSequence) return { kind: 'duplicate', batch: retained }
      }
    }
    if (batch.producerEpoch < currentEpoch) {
      return rejected(ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${batch.producerId} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${currentEpoch}`)
    }
    // An unknown producer (or one known without an epoch) may start at any sequence (KIP-360, Kafka ≥ 2.5).
    if (entry === undefined || currentEpoch === NO_PRODUCER_EPOCH) return null
    if (batch.producerEpoch !== currentEpoch) {
      if (firstSequence === 0) return null
      return rejected(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Invalid sequence number for new epoch of producer ${batch.producerId}: ${batch.producerEpoch} (request epoch), ` +
        `${firstSequence} (seq. number), ${currentEpoch} (current producer epoch)`)
    }
    const lastSequence = entry.batches[entry.batches.length - 1]!.lastSequence
    if (!isInSequence(lastSequence, firstSequence)) {
      return rejected(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Out of order sequence number for producer ${batch.producerId}: ${firstSequence} (incoming seq. number), ` +
        `${lastSequence} (current end sequence number)`)
    }
    return null
  }

  /** Records an appended batch ending at lastOffset; batches without a producer id have no state. */
  update(batch: ProducerBatch, lastOffset: number, timestamp: number): void {
    if (batch.producerId < 0 || batch.isControl) return
    this.appendBatch(batch.producerId, batch.producerEpoch, batch.baseSequence, batch.lastOffsetDelta, lastOffset, timestamp)
  }

  /**
   * Records a batch written at [lastOffset - lastOffsetDelta, lastOffset] (after checkAppend, or
   * replayed from the log). A new epoch forgets the old epoch's batches (maybeUpdateProducerEpoch).
   */
  appendBatch(producerId: number, producerEpoch: number, baseSequence: number, lastOffsetDelta: number, lastOffset: number, timestamp: number): void {
    assert.ok(producerId >= 0, 'only batches with a producer id have producer state')
    assert.ok(lastOffsetDelta >= 0, 'a batch covers at least one offset')
    const batch: BatchMetadata = { lastSequence: incrementSequence(baseSequence, lastOffsetDelta), lastOffset, offsetDelta: lastOffsetDelta, timestamp }
    const entry = this.producers.get(producerId)
    if (entry === undefined) {
      this.producers.set(producerId, { producerId, producerEpoch, lastTimestamp: timestamp, batches: [batch] })
      return
    }
    if (entry.producerEpoch !== producerEpoch) {
      entry.producerEpoch = producerEpoch
      entry.batches.length = 0
    }
    if (entry.batches.length === NUM_BATCHES_TO_RETAIN) entry.batches.shift()
    entry.batches.push(batch)
    entry.lastTimestamp = timestamp
  }

  /** Forgets producers idle for producer.id.expiration.ms (ProducerStateManager.removeExpiredProducers). */
  removeExpiredProducers(nowMs: number): number {
    let removed = 0
    for (const [producerId, entry] of this.producers) {
      if (this.isExpired(entry, nowMs)) {
        this.producers.delete(producerId)
        removed++
      }
    }
    return removed
  }

  private isExpired(entry: ProducerStateEntry, nowMs: number): boolean {
    return nowMs - entry.lastTimestamp >= this.config.producerIdExpirationMs
  }

  /**
   * Writes `<offset>.snapshot` with the current state, which must cover exactly the batches below
   * `offset`, unless the newest snapshot already is at that offset; then keeps SNAPSHOTS_RETAINED.
   */
  async takeSnapshot(offset: number): Promise<void> {
    assert.ok(Number.isSafeInteger(offset) && offset >= 0, 'snapshot offset must be a non-negative integer')
    const newest = this.snapshotOffsets[this.snapshotOffsets.length - 1]
    if (newest === offset) return
    assert.ok(newest === undefined || newest < offset, 'snapshots are taken at increasing offsets')
    const bytes = encodeSnapshot(offset, [...this.producers.values()])
    await writeFile(path.join(this.dir, snapshotFileName(offset)), bytes)
    this.snapshotOffsets.push(offset)
    while (this.snapshotOffsets.length > SNAPSHOTS_RETAINED) await this.deleteSnapshot(this.snapshotOffsets[0]!)
  }

  /** Forgets every producer and snapshot (the log restarts empty: truncateFullyAndStartAt). */
  async truncateFully(): Promise<void> {
    this.producers.clear()
    for (const offset of [...this.snapshotOffsets]) await this.deleteSnapshot(offset)
  }

  /**
   * Rebuilds the state of a log that now ends at logEndOffset: deletes snapshots beyond it, loads
   * the newest readable one and replays the batch headers after it (open, and truncateTo).
   */
  async reload(segments: readonly LogSegment[], logStartOffset: number, logEndOffset: number, nowMs: number): Promise<void> {
    this.producers.clear()
    this.snapshotOffsets = await this.listSnapshotOffsets()
    for (const offset of this.snapshotOffsets.filter((snapshot) => snapshot > logEndOffset)) await this.deleteSnapshot(offset)
    let snapshotOffset: number | null = null
    let corruptSnapshots = 0
    while (this.snapshotOffsets.length > 0 && snapshotOffset === null) {
      const offset = this.snapshotOffsets[this.snapshotOffsets.length - 1]!
      const entries = await this.readSnapshotFile(offset)
      if (entries === null) {
        corruptSnapshots++
        await this.deleteSnapshot(offset)
        continue
      }
      for (const entry of entries) this.producers.set(entry.producerId, entry)
      snapshotOffset = offset
    }
    const replayFrom = Math.max(snapshotOffset ?? logStartOffset, segments[0]?.baseOffset ?? 0)
    const replayedBatches = await this.replay(segments, replayFrom, logEndOffset)
    this.removeExpiredProducers(nowMs)
    this.loadStats = { snapshotOffset, corruptSnapshots, replayedBatches }
    if (replayedBatches > 0 || corruptSnapshots > 0) {
      this.logger?.info({ dir: this.dir, ...this.loadStats, logEndOffset, producers: this.producers.size }, 'rebuilt producer state')
    }
  }

  /** Applies the header of every batch in [fromOffset, toOffset) of `segments`; returns how many had a producer id. */
  private async replay(segments: readonly LogSegment[], fromOffset: number, toOffset: number): Promise<number> {
    let replayed = 0
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!
      const nextBase = segments[index + 1]?.baseOffset ?? Number.MAX_SAFE_INTEGER
      if (nextBase <= fromOffset || segment.baseOffset >= toOffset || segment.size === 0) continue
      const start = fromOffset > segment.baseOffset ? await segment.translateOffset(fromOffset) : { position: 0 }
      if (start === null) continue
      replayed += await this.replaySegment(segment, start.position, fromOffset, toOffset)
    }
    return replayed
  }

  private async replaySegment(segment: LogSegment, startPosition: number, fromOffset: number, toOffset: number): Promise<number> {
    const window = new FileWindow(segment.log, segment.size, REPLAY_WINDOW_BYTES)
    let replayed = 0
    for (let position = startPosition; ;) {
      const header = await window.view(position, BATCH_HEADER_SIZE)
      if (header === null) break
      const size = header.readInt32BE(8) + LOG_OVERHEAD
      if (size < BATCH_HEADER_SIZE || size > segment.size - position) break
      const baseOffset = readInt64(header, 0)
      if (baseOffset >= toOffset) break
      const lastOffsetDelta = readLastOffsetDelta(header, 0)
      const producerId = readProducerId(header, 0)
      if (baseOffset + lastOffsetDelta >= fromOffset && producerId >= 0 && !readIsControl(header, 0)) {
        this.appendBatch(producerId, readProducerEpoch(header, 0), readBaseSequence(header, 0), lastOffsetDelta,
          baseOffset + lastOffsetDelta, readMaxTimestamp(header, 0))
        replayed++
      }
      position += size
    }
    return replayed
  }

  private async listSnapshotOffsets(): Promise<number[]> {
    const offsets: number[] = []
    for (const name of await readdir(this.dir)) {
      const offset = parseSnapshotFileName(name)
      if (offset !== null) offsets.push(offset)
    }
    return offsets.sort((a, b) => a - b)
  }

  /** The entries of a snapshot file, or null (with a warning) when it is unreadable. */
  private async readSnapshotFile(offset: number): Promise<ProducerStateEntry[] | null> {
    const file = path.join(this.dir, snapshotFileName(offset))
    const bytes = await readFile(file)
    const decoded = decodeSnapshot(bytes)
    if (typeof decoded === 'string') {
      this.logger?.warn({ file, reason: decoded }, 'ignoring an unreadable producer state snapshot')
      return null
    }
    if (decoded.offset !== offset) {
      this.logger?.warn({ file, storedOffset: decoded.offset }, 'ignoring a producer state snapshot whose offset does not match its name')
      return null
    }
    return decoded.entries
  }

  private async deleteSnapshot(offset: number): Promise<void> {
    this.snapshotOffsets = this.snapshotOffsets.filter((existing) => existing !== offset)
    await unlink(path.join(this.dir, snapshotFileName(offset))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }
}

function rejected(errorCode: number, errorMessage: string): ProducerAppendCheck {
  return { kind: 'rejected', errorCode, errorMessage }
}

/** The snapshot file bytes (format at the top of this file). */
export function encodeSnapshot(offset: number, entries: readonly ProducerStateEntry[]): Buffer {
  let size = SNAPSHOT_HEADER_BYTES
  for (const entry of entries) size += SNAPSHOT_PRODUCER_BYTES + entry.batches.length * SNAPSHOT_BATCH_BYTES
  const bytes = Buffer.alloc(size)
  let position = 0
  position = bytes.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, position)
  position += 4 // crc, filled in last
  position = writeInt64(bytes, position, offset)
  position = bytes.writeInt32BE(entries.length, position)
  for (const entry of entries) {
    assert.ok(entry.batches.length >= 1 && entry.batches.length <= NUM_BATCHES_TO_RETAIN, 'a producer entry holds 1..5 batches')
    position = writeInt64(bytes, position, entry.producerId)
    position = bytes.writeInt16BE(entry.producerEpoch, position)
    position = writeInt64(bytes, position, entry.lastTimestamp)
    position = bytes.writeInt8(entry.batches.length, position)
    for (const batch of entry.batches) {
      position = bytes.writeInt32BE(batch.lastSequence, position)
      position = writeInt64(bytes, position, batch.lastOffset)
      position = bytes.writeInt32BE(batch.offsetDelta, position)
      position = writeInt64(bytes, position, batch.timestamp)
    }
  }
  assert.equal(position, size, 'snapshot fully written')
  bytes.writeUInt32BE(crc32c(bytes.subarray(6)), 2)
  return bytes
}

/** The snapshot in `bytes`, or why it is unreadable. Never throws on bad input. */
export function decodeSnapshot(bytes: Buffer): { offset: number; entries: ProducerStateEntry[] } | string {
  if (bytes.length < SNAPSHOT_HEADER_BYTES) return `file of ${bytes.length} bytes is shorter than the header`
  const version = bytes.readInt16BE(0)
  if (version !== PRODUCER_SNAPSHOT_VERSION) return `unknown snapshot version ${version}`
  if (bytes.readUInt32BE(2) !== crc32c(bytes.subarray(6))) return 'CRC mismatch'
  const offset = readInt64(bytes, 6)
  const count = bytes.readInt32BE(14)
  if (!Number.isSafeInteger(offset) || offset < 0) return `invalid offset ${offset}`
  if (count < 0 || count > (bytes.length - SNAPSHOT_HEADER_BYTES) / (SNAPSHOT_PRODUCER_BYTES + SNAPSHOT_BATCH_BYTES)) return `invalid producer count ${count}`
  const entries: ProducerStateEntry[] = []
  let position = SNAPSHOT_HEADER_BYTES
  for (let index = 0; index < count; index++) {
    if (position + SNAPSHOT_PRODUCER_BYTES > bytes.length) return 'truncated producer entry'
    const producerId = readInt64(bytes, position)
    const producerEpoch = bytes.readInt16BE(position + 8)
    const lastTimestamp = readInt64(bytes, position + 10)
    const batchCount = bytes.readInt8(position + 18)
    position += SNAPSHOT_PRODUCER_BYTES
    if (!Number.isSafeInteger(producerId) || producerId < 0) return `invalid producer id ${producerId}`
    if (batchCount < 1 || batchCount > NUM_BATCHES_TO_RETAIN) return `invalid batch count ${batchCount}`
    if (position + batchCount * SNAPSHOT_BATCH_BYTES > bytes.length) return 'truncated batch list'
    const batches: BatchMetadata[] = []
    for (let batch = 0; batch < batchCount; batch++) {
      batches.push({
        lastSequence: bytes.readInt32BE(position),
        lastOffset: readInt64(bytes, position + 4),
        offsetDelta: bytes.readInt32BE(position + 12),
        timestamp: readInt64(bytes, position + 16),
      })
      position += SNAPSHOT_BATCH_BYTES
    }
    entries.push({ producerId, producerEpoch, lastTimestamp, batches })
  }
  if (position !== bytes.length) return `${bytes.length - position} trailing bytes`
  return { offset, entries }
}

function writeInt64(bytes: Buffer, position: number, value: number): number {
  bytes.writeBigInt64BE(BigInt(value), position)
  return position + 8
}
