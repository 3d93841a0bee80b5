import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { OffsetIndex } from '../../src/storage/offset-index.js'
import { TimeIndex } from '../../src/storage/time-index.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const BASE = 1000

/** Strictly increasing (offset, position) pairs, as the log produces them. */
const arbOffsetEntries = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 200 })
  .map((steps) => {
    let offset = BASE
    let position = 0
    return steps.map(([offsetStep, positionStep]) => {
      offset += offsetStep
      position += positionStep
      return { offset, position }
    })
  })

test('offset index lookup equals a linear scan, before and after truncation', () => {
  fc.assert(
    fc.property(arbOffsetEntries, fc.array(fc.integer({ min: BASE - 5, max: BASE + 11000 }), { maxLength: 20 }), fc.integer({ min: BASE, max: BASE + 11000 }), (entries, targets, cut) => {
      const index = new OffsetIndex('/nonexistent/index', BASE, 10 * 1024 * 1024)
      for (const entry of entries) index.append(entry.offset, entry.position)
      const linear = (list: typeof entries, target: number) =>
        list.filter((entry) => entry.offset <= target).at(-1) ?? { offset: BASE, position: 0 }
      for (const target of targets) assert.deepEqual(index.lookup(target), linear(entries, target))
      index.truncateTo(cut)
      const kept = entries.filter((entry) => entry.offset < cut)
      assert.equal(index.entryCount, kept.length)
      for (const target of targets) assert.deepEqual(index.lookup(target), linear(kept, target))
    }),
  )
})

test('time index lookup equals a linear scan, before and after truncation', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: -3, max: 1000 }), fc.integer({ min: 0, max: 30 })), { maxLength: 200 }),
      fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 20 }),
      fc.integer({ min: BASE, max: BASE + 7000 }),
      (steps, targets, cut) => {
        const index = new TimeIndex('/nonexistent/timeindex', BASE, 10 * 1024 * 1024)
        const appended: { timestamp: number; offset: number }[] = []
        let timestamp = 0
        let offset = BASE
        for (const [timestampStep, offsetStep] of steps) {
          timestamp += timestampStep
          offset += offsetStep
          index.maybeAppend(timestamp, offset)
          if (timestamp > (appended.at(-1)?.timestamp ?? -1)) appended.push({ timestamp, offset })
        }
        const linear = (list: typeof appended, target: number) =>
          list.filter((entry) => entry.timestamp <= target).at(-1) ?? { timestamp: -1, offset: BASE }
        assert.equal(index.entryCount, appended.length)
        for (const target of targets) assert.deepEqual(index.lookup(target), linear(appended, target))
        index.truncateTo(cut)
        const kept = appended.filter((entry) => entry.offset < cut)
        for (const target of targets) assert.deepEqual(index.lookup(target), linear(kept, target))
      },
    ),
  )
})

test('index files hold exactly the entries, in Kafka layout, and load back', async () => {
  const dir = tmpDir()
  try {
    const file = path.join(dir.path, '00000000000000001000.index')
    const index = new OffsetIndex(file, BASE, 1024)
    index.append(BASE + 5, 4200)
    index.append(BASE + 9, 9000)
    await index.file.persist()
    const bytes = await readFile(file)
    assert.deepEqual([...bytes], [0, 0, 0, 5, 0, 0, 0x10, 0x68, 0, 0, 0, 9, 0, 0, 0x23, 0x28])
    index.truncateTo(BASE + 9)
    await index.file.close()
    assert.equal((await stat(file)).size, 8)
    const loaded = new OffsetIndex(file, BASE, 1024)
    assert.equal(await loaded.file.load(), true)
    assert.deepEqual(loaded.lookup(BASE + 100), { offset: BASE + 5, position: 4200 })

    const timeFile = path.join(dir.path, '00000000000000001000.timeindex')
    const times = new TimeIndex(timeFile, BASE, 1024)
    times.maybeAppend(1_700_000_000_000, BASE + 5)
    await times.file.close()
    const timeBytes = await readFile(timeFile)
    assert.equal(timeBytes.length, 12)
    assert.equal(timeBytes.readBigInt64BE(0), 1_700_000_000_000n)
    assert.equal(timeBytes.readInt32BE(8), 5)
  } finally {
    await dir.cleanup()
  }
})

test('an index file of a partial entry fails to load (so it is rebuilt)', async () => {
  const dir = tmpDir()
  try {
    const file = path.join(dir.path, 'x.index')
    const index = new OffsetIndex(file, 0, 1024)
    index.append(3, 100)
    await index.file.close()
    const { appendFile } = await import('node:fs/promises')
    await appendFile(file, Buffer.from([1, 2, 3]))
    assert.equal(await new OffsetIndex(file, 0, 1024).file.load(), false)
    assert.equal(await new OffsetIndex(path.join(dir.path, 'missing.index'), 0, 1024).file.load(), false)
  } finally {
    await dir.cleanup()
  }
})

test('the offset index is full at segment.index.bytes / 8 entries; the time index keeps a spare slot', () => {
  const offsets = new OffsetIndex('/nonexistent', 0, 20)
  offsets.append(1, 10)
  offsets.append(2, 20)
  assert.equal(offsets.isFull, true)
  assert.throws(() => offsets.append(3, 30))
  const times = new TimeIndex('/nonexistent', 0, 36)
  times.maybeAppend(10, 1)
  times.maybeAppend(20, 2)
  assert.equal(times.isFull, true)
  times.maybeAppend(30, 3)
  assert.equal(times.entryCount, 2)
  times.maybeAppend(30, 3, true)
  assert.equal(times.entryCount, 3)
})
