// Reads remember where the next batch starts (OffsetIndex.knownPosition), so a consumer's next
// fetch skips the index scan and, when that batch cannot fit, the read. Model-based: consumers
// that continue where their last read ended, interleaved with appends, rolls and truncation, must
// get exactly what a fresh scan would answer.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode } from '../../src/protocol/errors.js'
import { readBaseOffset, readBatchSize, readLastOffset } from '../../src/records/batch-header.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { logConfigFrom } from '../../src/storage/log-config.js'
import { PartitionLog } from '../../src/storage/log.js'
import { LogSegment } from '../../src/storage/segment.js'
import { tmpDir, type TmpDir } from '../helpers/tmp-dir.js'
import { manualClock, T0 } from './helpers.js'
import { modelLogEndOffset, TruncateCommand, type RealLog } from './model-commands.js'

interface ModelBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly size: number
}

interface Model {
  batches: ModelBatch[]
  /** Where each consumer fetches next. */
  cursors: number[]
}

const CONSUMERS = 2
const config = logConfigFrom({ segmentBytes: 1200, indexIntervalBytes: 150, segmentIndexBytes: 64 })
const clock = manualClock()

/**
 * Kafka's answer for one read: whole batches from the one holding `offset`, within maxBytes, all
 * from the segment of that first batch (one segment per read).
 */
function expectedBatches(model: Model, segmentBases: number[], offset: number, maxBytes: number, minOneMessage: boolean): ModelBatch[] {
  const first = model.batches.find((batch) => batch.lastOffset >= offset)
  if (first === undefined) return []
  const segmentBase = segmentBases.filter((base) => base <= first.baseOffset).at(-1)!
  const nextSegmentBase = segmentBases.find((base) => base > segmentBase) ?? Infinity
  const eligible = model.batches.filter((batch) => batch.lastOffset >= offset && batch.baseOffset < nextSegmentBase)
  const answer: ModelBatch[] = []
  let bytes = 0
  for (const batch of eligible) {
    if (bytes + batch.size > maxBytes && !(answer.length === 0 && minOneMessage)) break
    answer.push(batch)
    bytes += batch.size
  }
  return answer
}

function batchesOf(records: Buffer): ModelBatch[] {
  const batches: ModelBatch[] = []
  for (let position = 0; position < records.length; position += readBatchSize(records, position)) {
    batches.push({ baseOffset: readBaseOffset(records, position), lastOffset: readLastOffset(records, position), size: readBatchSize(records, position) })
  }
  return batches
}

class AppendCommand implements fc.AsyncCommand<Model, RealLog> {
  constructor(readonly count: number, readonly valueBytes: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: RealLog): Promise<void> {
    const records = buildRecordBatch(Array.from({ length: this.count }, () => ({ value: 'v'.repeat(this.valueBytes), timestamp: T0 })))
    const result = await real.log.appendAsLeader(records, { leaderEpoch: 1, nowMs: T0 })
    assert.equal(result.errorCode, ErrorCode.NONE)
    const baseOffset = modelLogEndOffset(model)
    model.batches.push({ baseOffset, lastOffset: baseOffset + this.count - 1, size: records.length })
  }
  toString(): string {
    return `append(${this.count}, ${this.valueBytes})`
  }
}

/** A consumer's fetch from where it stopped: maxBytes as given, or (exact) the next batch's size plus it. */
class ConsumeCommand implements fc.AsyncCommand<Model, RealLog> {
  constructor(readonly consumer: number, readonly bytes: number, readonly isExact: boolean, readonly minOneMessage: boolean) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: RealLog): Promise<void> {
    const offset = Math.min(model.cursors[this.consumer]!, modelLogEndOffset(model))
    const nextSize = model.batches.find((batch) => batch.lastOffset >= offset)?.size ?? 0
    const maxBytes = this.isExact ? Math.max(0, nextSize + this.bytes) : this.bytes
    const result = await real.log.read(offset, maxBytes, { minOneMessage: this.minOneMessage })
    assert.equal(result.errorCode, ErrorCode.NONE)
    const returned = batchesOf(result.records)
    assert.deepEqual(returned, expectedBatches(model, real.log.segmentBaseOffsets, offset, maxBytes, this.minOneMessage))
    if (returned.length > 0) model.cursors[this.consumer] = returned.at(-1)!.lastOffset + 1
  }
  toString(): string {
    return `consume(${this.consumer}, ${this.isExact ? 'next batch + ' : ''}${this.bytes}, ${this.minOneMessage})`
  }
}

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 150 })).map(([count, bytes]) => new AppendCommand(count, bytes)),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 150 })).map(([count, bytes]) => new AppendCommand(count, bytes)),
  fc.tuple(fc.integer({ min: 0, max: CONSUMERS - 1 }), fc.integer({ min: 0, max: 1500 }), fc.boolean())
    .map(([consumer, maxBytes, minOne]) => new ConsumeCommand(consumer, maxBytes, false, minOne)),
  fc.tuple(fc.integer({ min: 0, max: CONSUMERS - 1 }), fc.integer({ min: -2, max: 2 }), fc.boolean())
    .map(([consumer, delta, minOne]) => new ConsumeCommand(consumer, delta, true, minOne)),
  fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => new TruncateCommand<Model>(fraction)),
]

const dirs: TmpDir[] = []
after(async () => {
  for (const dir of dirs) await dir.cleanup()
})

test('consumers continuing where their reads ended get what a fresh scan answers, across rolls and truncation', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (sequence) => {
      const dir = tmpDir()
      dirs.push(dir)
      const real: RealLog = { log: await PartitionLog.open(path.join(dir.path, 'positions-0'), config, { nowMs: clock.nowMs, hadCleanShutdown: true }) }
      try {
        await fc.asyncModelRun(() => ({ model: { batches: [], cursors: new Array<number>(CONSUMERS).fill(0) }, real }), sequence)
      } finally {
        await real.log.close()
        await dir.cleanup()
      }
    }),
    { numRuns: 100 },
  )
})

/** Appends batches to a segment as the log does: offsets assigned in order, index entries recorded. */
class SegmentAppender {
  position = 0
  nextOffset = 0
  constructor(private readonly segment: LogSegment) {}
  async append(batch: Buffer): Promise<void> {
    batch.writeBigInt64BE(BigInt(this.nextOffset), 0)
    await this.segment.write([batch], batch.length, this.position)
    this.segment.size += batch.length
    this.segment.recordBatch(readLastOffset(batch, 0), T0, this.position, batch.length)
    this.position += batch.length
    this.nextOffset = readLastOffset(batch, 0) + 1
  }
}

test('a read remembers where the next batch starts; a batch known not to fit costs no file read', async () => {
  const dir = tmpDir()
  dirs.push(dir)
  const segment = await LogSegment.create(dir.path, 0, logConfigFrom({}), T0)
  try {
    const batches = [3, 5, 2].map((count) => buildRecordBatch(Array.from({ length: count }, () => ({ value: 'x'.repeat(40), timestamp: T0 }))))
    const appender = new SegmentAppender(segment)
    for (const batch of batches) await appender.append(batch)
    const first = await segment.read(0, batches[0]!.length, 100, false)
    assert.equal(first?.length, batches[0]!.length)
    assert.deepEqual(segment.offsetIndex.knownPosition(3), { offset: 3, position: batches[0]!.length, size: batches[1]!.length })

    let allocations = 0
    const counting = (size: number): Buffer => {
      allocations++
      return Buffer.alloc(size)
    }
    const tooSmall = await segment.read(3, batches[1]!.length - 1, 100, false, counting)
    assert.equal(tooSmall?.length, 0)
    assert.equal(allocations, 0, 'answered from the known size, without reading')

    const second = await segment.read(3, batches[1]!.length + batches[2]!.length, 100, false, counting)
    assert.equal(second?.length, batches[1]!.length + batches[2]!.length)
    assert.equal(allocations, 1, 'one read, from the known position')
    assert.deepEqual(segment.offsetIndex.knownPosition(10), { offset: 10, position: appender.position, size: 0 })

    await segment.truncateTo(3, T0)
    assert.equal(segment.offsetIndex.knownPosition(3), null, 'truncation forgets known positions')
  } finally {
    await segment.close()
  }
})

test('a read that runs while a truncation is shortening the file leaves no known position behind', async () => {
  const dir = tmpDir()
  dirs.push(dir)
  const segment = await LogSegment.create(dir.path, 0, logConfigFrom({}), T0)
  const appender = new SegmentAppender(segment)
  const append = (batch: Buffer): Promise<void> => appender.append(batch)
  const batchOf = (values: number[]): Buffer => buildRecordBatch(values.map((bytes) => ({ value: 'x'.repeat(bytes), timestamp: T0 })))
  try {
    const fiveRecords = batchOf([40, 40, 40, 40, 40])
    for (const batch of [batchOf([40, 40, 40]), fiveRecords, batchOf([40, 40])]) await append(batch)

    // The truncation to offset 3 is held at the file truncate; a consumer's read of 3..7 runs then.
    const handle = segment.log
    const truncate = handle.truncate.bind(handle)
    let reachedTruncate!: () => void
    const atTruncate = new Promise<void>((resolve) => (reachedTruncate = resolve))
    let releaseTruncate!: () => void
    const released = new Promise<void>((resolve) => (releaseTruncate = resolve))
    handle.truncate = async (length?: number) => {
      reachedTruncate()
      await released
      return truncate(length)
    }
    const truncation = segment.truncateTo(3, T0)
    await atTruncate
    const raced = await segment.read(3, fiveRecords.length, 100, false)
    assert.equal(raced?.length, fiveRecords.length)
    releaseTruncate()
    await truncation
    handle.truncate = truncate
    appender.position = segment.size
    appender.nextOffset = 3

    // New batches: 3..9 in as many bytes as the old 3..7, then 10..12 where the old 8..9 began.
    const sevenRecords = Array.from({ length: 60 }, (_, last) => batchOf([25, 25, 25, 25, 25, 25, last]))
      .find((batch) => batch.length === fiveRecords.length)
    assert.ok(sevenRecords !== undefined, 'a seven-record batch as long as the five-record one')
    await append(sevenRecords)
    await append(batchOf([40, 40, 40]))

    const records = await segment.read(8, 10_000, 100, false)
    assert.ok(records !== null && records.length > 0)
    assert.equal(readBaseOffset(records, 0), 3, 'offset 8 is read from the batch holding it')
  } finally {
    await segment.close()
  }
})
