// Model-based test: random sequences of append / read / truncate / reopen (clean and after a
// crash) / offsetForTimestamp against an array of batches, with tiny segments and indexes so rolls
// of every kind happen.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode } from '../../src/protocol/errors.js'
import { BatchIterator } from '../../src/records/batch-iterator.js'
import { readBaseOffset, readLastOffset } from '../../src/records/batch-header.js'
import { readBatchRecords } from '../../src/records/record-reader.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { logConfigFrom } from '../../src/storage/log-config.js'
import { PartitionLog } from '../../src/storage/log.js'
import { tmpDir, type TmpDir } from '../helpers/tmp-dir.js'
import { manualClock, T0 } from './helpers.js'
import { modelLogEndOffset, TruncateCommand, type RealLog } from './model-commands.js'

interface ModelBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly size: number
  readonly timestamp: number
  readonly values: string[]
}

interface Model {
  batches: ModelBatch[]
  appends: number
}

const config = logConfigFrom({ segmentBytes: 1000, indexIntervalBytes: 90, segmentIndexBytes: 48 })
const clock = manualClock()

class AppendCommand implements fc.AsyncCommand<Model, RealLog> {
  constructor(
    readonly count: number,
    readonly valueBytes: number,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: RealLog): Promise<void> {
    const timestamp = T0 + model.appends * 10
    const values = Array.from({ length: this.count }, (_, index) => `${model.appends}:${index}:${'x'.repeat(this.valueBytes)}`)
    const records = buildRecordBatch(values.map((value) => ({ value, timestamp })))
    const result = await real.log.appendAsLeader(records, { leaderEpoch: 1, nowMs: timestamp })
    assert.equal(result.errorCode, ErrorCode.NONE)
    const baseOffset = modelLogEndOffset(model)
    assert.equal(result.baseOffset, baseOffset)
    model.batches.push({ baseOffset, lastOffset: baseOffset + this.count - 1, size: records.length, timestamp, values })
    model.appends++
    assert.equal(real.log.logEndOffset, modelLogEndOffset(model))
  }
  toString(): string {
    return `append(${this.count}, ${this.valueBytes})`
  }
}

class ReadCommand implements fc.AsyncCommand<Model, RealLog> {
  constructor(
    readonly offsetFraction: number,
    readonly maxBytes: number,
    readonly minOneMessage: boolean,
    readonly maxOffsetFraction: number,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: RealLog): Promise<void> {
    const end = modelLogEndOffset(model)
    const offset = Math.floor(this.offsetFraction * (end + 1))
    const maxOffset = Math.floor(this.maxOffsetFraction * (end + 1))
    const result = await real.log.read(offset, this.maxBytes, { maxOffset, minOneMessage: this.minOneMessage })
    assert.equal(result.errorCode, ErrorCode.NONE)
    const returned: Buffer[] = []
    const iterator = new BatchIterator(result.records)
    while (iterator.next()) returned.push(result.records.subarray(iterator.position, iterator.position + iterator.size))
    assert.equal(iterator.stop, 'end', 'whole batches only')
    const eligible = model.batches.filter((batch) => batch.lastOffset >= offset && batch.lastOffset < maxOffset)
    if (eligible.length === 0 || (!this.minOneMessage && eligible[0]!.size > this.maxBytes)) {
      assert.equal(returned.length, 0)
      return
    }
    assert.ok(returned.length >= 1, 'something is returned when a batch is eligible')
    if (returned.length > 1) assert.ok(result.records.length <= this.maxBytes, 'several batches stay within maxBytes')
    returned.forEach((batch, index) => {
      const expected = eligible[index]!
      assert.equal(readBaseOffset(batch, 0), expected.baseOffset)
      assert.equal(readLastOffset(batch, 0), expected.lastOffset)
      assert.deepEqual(readBatchRecords(batch).map((record) => record.value?.toString()), expected.values)
    })
  }
  toString(): string {
    return `read(${this.offsetFraction.toFixed(2)}, ${this.maxBytes}, ${this.minOneMessage}, ${this.maxOffsetFraction.toFixed(2)})`
  }
}

class ReopenCommand implements fc.AsyncCommand<Model, RealLog> {
  constructor(readonly isClean: boolean) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: RealLog): Promise<void> {
    const { dir } = real.log
    if (this.isClean) {
      await real.log.close()
      real.log = await PartitionLog.open(dir, config, { nowMs: clock.nowMs, hadCleanShutdown: true })
    } else {
      const { recoveryPoint } = real.log
      await real.log.abandon()
      real.log = await PartitionLog.open(dir, config, { nowMs: clock.nowMs, hadCleanShutdown: false, recoveryPoint })
      assert.equal(real.log.openStats.truncatedBytes, 0, 'nothing written is lost while the page cache survives')
    }
    assert.equal(real.log.logEndOffset, modelLogEndOffset(model))
  }
  toString(): string {
    return this.isClean ? 'reopen(clean)' : 'reopen(crash)'
  }
}

class OffsetForTimestampCommand implements fc.AsyncCommand<Model, RealLog> {
  constructor(readonly delta: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: RealLog): Promise<void> {
    const target = T0 + this.delta
    const found = await real.log.offsetForTimestamp(target)
    const expected = model.batches.find((batch) => batch.timestamp >= target)
    if (expected === undefined) assert.equal(found, null)
    else assert.deepEqual(found, { timestamp: expected.timestamp, offset: expected.baseOffset, leaderEpoch: 1 })
  }
  toString(): string {
    return `offsetForTimestamp(T0+${this.delta})`
  }
}

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 120 })).map(([count, bytes]) => new AppendCommand(count, bytes)),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 120 })).map(([count, bytes]) => new AppendCommand(count, bytes)),
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1500 }), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([offset, maxBytes, minOne, maxOffset]) => new ReadCommand(offset, maxBytes, minOne, Math.max(offset, maxOffset))),
  fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => new TruncateCommand<Model>(fraction)),
  fc.boolean().map((isClean) => new ReopenCommand(isClean)),
  fc.integer({ min: -5, max: 400 }).map((delta) => new OffsetForTimestampCommand(delta)),
]

const dirs: TmpDir[] = []
after(async () => {
  for (const dir of dirs) await dir.cleanup()
})

test('PartitionLog behaves like an array of batches across rolls, truncation and restarts', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (sequence) => {
      const dir = tmpDir()
      dirs.push(dir)
      const real: RealLog = { log: await PartitionLog.open(path.join(dir.path, 'model-0'), config, { nowMs: clock.nowMs, hadCleanShutdown: true }) }
      try {
        await fc.asyncModelRun(() => ({ model: { batches: [], appends: 0 }, real }), sequence)
      } finally {
        await real.log.close()
        await dir.cleanup()
      }
    }),
    { numRuns: 40 },
  )
})
