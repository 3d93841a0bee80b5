import assert from 'node:assert/strict'
import { readdir, rename } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { BatchIterator } from '../../src/records/batch-iterator.js'
import { CompressionType, readBatchSize } from '../../src/records/batch-header.js'
import { compressBatch, decompressBatch } from '../../src/records/compression/compressed-batch.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { readBatchRecords } from '../../src/records/record-reader.js'
import { CleanerCrash, cleanLog, LogCleaner, type CleanerOptions, type CleanStep } from '../../src/storage/cleaner.js'
import { logConfigFrom } from '../../src/storage/log-config.js'
import { PartitionLog } from '../../src/storage/log.js'
import { tmpDir, type TmpDir } from '../helpers/tmp-dir.js'
import { appendOk, manualClock, T0 } from './helpers.js'

const dirs: TmpDir[] = []
after(async () => {
  for (const dir of dirs) await dir.cleanup()
})

const DAY = 86_400_000
const CODECS = [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]

interface Write { key: string; value: string | null }
interface Stored { offset: number; key: string; value: string | null }

function cleanerOptions(nowMs: () => number, onStep?: (step: CleanStep) => void): CleanerOptions {
  return { nowMs, backoffMs: 1000, dedupeBufferBytes: 1 << 20, ioBufferBytes: 64 * 1024, onStep: onStep && ((step) => onStep(step)) }
}

async function openLog(logDir?: string) {
  const dir = logDir ?? path.join((dirs[dirs.push(tmpDir()) - 1]!).path, 'compacted-0')
  const config = logConfigFrom({ segmentBytes: 700, cleanupPolicy: ['compact'], deleteRetentionMs: DAY, fileDeleteDelayMs: 0 })
  const clock = manualClock()
  const log = await PartitionLog.open(dir, config, { nowMs: clock.nowMs, hadCleanShutdown: true })
  return { log, dir, clock }
}

/** Appends the writes in batches (with their codecs); returns the model of what is stored. */
async function writeAll(log: PartitionLog, batches: { writes: Write[]; codec: number }[]): Promise<Stored[]> {
  const stored: Stored[] = []
  for (const { writes, codec } of batches) {
    const plain = buildRecordBatch(writes.map((write) => ({ key: write.key, value: write.value })), { timestampMs: T0 })
    const result = await appendOk(log, await compressBatch(plain, codec, 3), { nowMs: T0 })
    writes.forEach((write, index) => stored.push({ offset: result.baseOffset + index, ...write }))
  }
  return stored
}

/** Every record in the log, decompressing batches, as a real consumer would see them. */
async function readLog(log: PartitionLog): Promise<Stored[]> {
  const out: Stored[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const read = await log.read(offset, 1 << 20)
    assert.equal(read.errorCode, 0)
    const batches = new BatchIterator(read.records)
    let next = offset
    while (batches.next()) {
      const batch = await decompressBatch(read.records.subarray(batches.position, batches.position + batches.size))
      for (const record of readBatchRecords(batch)) {
        if (record.offset >= offset) out.push({ offset: record.offset, key: record.key!.toString(), value: record.value?.toString() ?? null })
      }
      next = batch.readInt32BE(23) + Number(batch.readBigInt64BE(0)) + 1
      assert.equal(readBatchSize(batch, 0), batch.length)
    }
    assert.ok(next > offset, 'reading makes progress')
    offset = next
  }
  return out
}

function latest(records: readonly Stored[]): Map<string, string | null> {
  const map = new Map<string, string | null>()
  for (const record of records) map.set(record.key, record.value)
  return map
}

function assertCompactedView(after: readonly Stored[], written: readonly Stored[], cleanedBelow: number): void {
  // Same latest value per key as the model, offsets strictly increasing, every survivor unchanged.
  assert.deepEqual(latest(after), latest(written))
  const byOffset = new Map(written.map((record) => [record.offset, record]))
  let previous = -1
  for (const record of after) {
    assert.ok(record.offset > previous, 'offsets increase')
    previous = record.offset
    assert.deepEqual(record, byOffset.get(record.offset), `record at ${record.offset} unchanged`)
  }
  // In the cleaned part each key appears once.
  const keys = after.filter((record) => record.offset < cleanedBelow).map((record) => record.key)
  assert.equal(new Set(keys).size, keys.length, 'one record per key in the cleaned part')
}

const writesArbitrary = fc.array(
  fc.record({
    writes: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), value: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { freq: 5 }) }), { minLength: 1, maxLength: 6 }),
    codec: fc.constantFrom(...CODECS),
  }),
  { minLength: 8, maxLength: 40 },
)

test('compaction keeps the latest record per key, preserves offsets and survivors, handles every codec (property)', async () => {
  await fc.assert(
    fc.asyncProperty(writesArbitrary, async (batches) => {
      const { log, clock } = await openLog()
      try {
        const written = await writeAll(log, batches)
        clock.now = T0 + 1000
        const result = await cleanLog(log, 0, cleanerOptions(clock.nowMs))
        const after = await readLog(log)
        if (result !== null) {
          assert.equal(result.endOffset, log.activeSegmentBaseOffset)
          assertCompactedView(after, written, result.endOffset)
        } else {
          assert.deepEqual(after, written)
        }
        // After delete.retention.ms the tombstones in the cleaned part go too.
        clock.now += 2 * DAY
        const second = await cleanLog(log, result?.endOffset ?? 0, cleanerOptions(clock.nowMs), { isForced: true })
        const final = await readLog(log)
        const cleanedBelow = second?.endOffset ?? 0
        assert.ok(final.every((record) => record.value !== null || record.offset >= cleanedBelow), 'no tombstone left in the cleaned part')
        const liveValues = (records: readonly Stored[]) => new Map([...latest(records)].filter(([, value]) => value !== null))
        assert.deepEqual(liveValues(final), liveValues(written))
        assert.equal(log.logEndOffset, written.length)
      } finally {
        await log.close()
      }
    }),
    { numRuns: 15 },
  )
})

test('min.compaction.lag.ms leaves young segments dirty', async () => {
  const { log, clock } = await openLog()
  const config = logConfigFrom({ segmentBytes: 700, cleanupPolicy: ['compact'], minCompactionLagMs: DAY })
  log.updateConfig(config)
  const written = await writeAll(log, Array.from({ length: 20 }, (_, index) => ({ writes: [{ key: 'k', value: `v${index}` }], codec: 0 })))
  clock.now = T0 + 1000
  assert.equal(await cleanLog(log, 0, cleanerOptions(clock.nowMs)), null)
  assert.deepEqual(await readLog(log), written)
  clock.now = T0 + 2 * DAY
  assert.ok((await cleanLog(log, 0, cleanerOptions(clock.nowMs))) !== null)
  assert.ok((await readLog(log)).length < written.length)
  await log.close()
})

const crashCases: { step: CleanStep; partialReplace: boolean; expectCleaned: boolean }[] = [
  { step: 'cleaned-written', partialReplace: false, expectCleaned: false },
  { step: 'swap-renamed', partialReplace: false, expectCleaned: true },
  { step: 'swap-renamed', partialReplace: true, expectCleaned: true },
]

for (const { step, partialReplace, expectCleaned } of crashCases) {
  const name = `${step}${partialReplace ? ' with some old segments already renamed .deleted' : ''}`
  test(`a crash after ${name} recovers to a valid ${expectCleaned ? 'cleaned' : 'uncleaned'} log`, async () => {
    const { log, dir, clock } = await openLog()
    const batches = Array.from({ length: 40 }, (_, index) => ({
      writes: [{ key: `k${index % 4}`, value: index % 9 === 8 ? null : `value-${index}` }], codec: CODECS[index % CODECS.length]!,
    }))
    const written = await writeAll(log, batches)
    clock.now = T0 + 1000
    const crash = (at: CleanStep) => {
      if (at === step) throw new CleanerCrash(`crash at ${at}`)
    }
    await assert.rejects(cleanLog(log, 0, cleanerOptions(clock.nowMs, crash)), CleanerCrash)
    await log.close()
    if (partialReplace) {
      // replaceSegments renames the replaced segments `.deleted` one by one: stop after the first.
      const swap = (await readdir(dir)).find((file) => file.endsWith('.log.swap'))!
      const base = swap.slice(0, 20)
      for (const suffix of ['.log', '.index', '.timeindex']) await rename(path.join(dir, base + suffix), path.join(dir, `${base}${suffix}.deleted`))
    }
    const { log: reopened } = await openLog(dir)
    try {
      const names = await readdir(dir)
      assert.deepEqual(names.filter((file) => /\.(cleaned|swap|deleted)$/.test(file)), [], `leftovers in ${names}`)
      const after = await readLog(reopened)
      assert.equal(reopened.logEndOffset, written.length)
      if (expectCleaned) {
        // Only the first group was swapped in before the crash: valid, and partly cleaned.
        assertCompactedView(after, written, 0)
        assert.ok(after.length < written.length)
      } else {
        assert.deepEqual(after, written)
      }
      // The recovered log cleans normally afterwards.
      const result = await cleanLog(reopened, 0, cleanerOptions(() => T0 + 2000))
      assert.ok(result !== null)
      assertCompactedView(await readLog(reopened), written, result.endOffset)
    } finally {
      await reopened.close()
    }
  })
}

test('the cleaner picks a log by min.cleanable.dirty.ratio, or by max.compaction.lag.ms when the ratio is low', async () => {
  const { log, clock } = await openLog()
  await writeAll(log, Array.from({ length: 30 }, (_, index) => ({ writes: [{ key: `k${index % 3}`, value: `v${index}` }], codec: 0 })))
  const cleanerFor = (ratio: number, maxLagMs: number) => {
    log.updateConfig(logConfigFrom({ segmentBytes: 700, cleanupPolicy: ['compact'], minCleanableDirtyRatio: ratio, maxCompactionLagMs: maxLagMs }))
    return LogCleaner.create({
      nowMs: clock.nowMs, backoffMs: 1000, dedupeBufferBytes: 1 << 20, ioBufferBytes: 65536,
      logs: () => [log], logDirOf: () => undefined, logDirs: [],
    })
  }
  clock.now = T0 + 1000
  // Everything is dirty (ratio 1.0), so only a ratio above 1 can hold it back.
  assert.equal(await (await cleanerFor(1.1, Number.MAX_SAFE_INTEGER)).runOnce(), 0)
  const overdue = await cleanerFor(1.1, 500)
  assert.equal(await overdue.runOnce(), 1)
  assert.equal(overdue.checkpointOf(log), log.activeSegmentBaseOffset)
  // Nothing dirty is left: the next pass has nothing to do.
  assert.equal(await overdue.runOnce(), 0)
  await log.close()
})
