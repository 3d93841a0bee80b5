// The idempotent producer's state machine in PartitionLog (storage/producer-state.ts): duplicates,
// gaps, fencing, sequence wrap-around, expiry, snapshots, and the rebuild after a crash.
import assert from 'node:assert/strict'
import { open, readdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { ErrorCode } from '../../src/protocol/errors.js'
import { CompressionType } from '../../src/records/batch-header.js'
import { compressBatch } from '../../src/records/compression/compressed-batch.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { logConfigFrom, type LogConfig } from '../../src/storage/log-config.js'
import { PartitionLog } from '../../src/storage/log.js'
import { LogManager } from '../../src/storage/log-manager.js'
import {
  decodeSnapshot, encodeSnapshot, NUM_BATCHES_TO_RETAIN, snapshotFileName, type ProducerStateEntry,
} from '../../src/storage/producer-state.js'
import { tmpDir, type TmpDir } from '../helpers/tmp-dir.js'
import { appendOk, manualClock, offsetsOf, T0 } from './helpers.js'

const INT32_MAX = 0x7fffffff
const dirs: TmpDir[] = []
after(async () => {
  for (const dir of dirs) await dir.cleanup()
})

const clock = manualClock()

function newDir(): string {
  const tmp = tmpDir()
  dirs.push(tmp)
  return path.join(tmp.path, 'topic-0')
}

async function openLog(dir: string, config: LogConfig = logConfigFrom({}), hadCleanShutdown = true, expirationMs = 86_400_000): Promise<PartitionLog> {
  return PartitionLog.open(dir, config, { nowMs: clock.nowMs, hadCleanShutdown, producerStateConfig: { producerIdExpirationMs: expirationMs } })
}

/** A batch of `count` records from producer `producerId`/`epoch` starting at `sequence`. */
function idempotentBatch(producerId: number, epoch: number, sequence: number, count = 2, timestamp = T0): Buffer {
  const records = Array.from({ length: count }, (_, index) => ({ key: `k${index}`, value: `p${producerId}-e${epoch}-s${sequence}-${index}`, timestamp }))
  return buildRecordBatch(records, { producerId, producerEpoch: epoch, baseSequence: sequence })
}

async function appendResult(log: PartitionLog, records: Buffer) {
  return log.appendAsLeader(records, { leaderEpoch: 0 })
}

/** Plain data copies of every producer entry, for comparisons. */
function stateOf(log: PartitionLog): Record<number, ProducerStateEntry> {
  const out: Record<number, ProducerStateEntry> = {}
  for (const [producerId, entry] of log.producerState.activeProducers()) out[producerId] = structuredClone(entry)
  return out
}

test('a retry of any of the last 5 batches answers its original offsets and stores nothing; older ones are out of order', async () => {
  const log = await openLog(newDir())
  const originals: number[] = []
  for (let index = 0; index < 7; index++) originals.push((await appendOk(log, idempotentBatch(1, 0, index * 2))).baseOffset)
  assert.deepEqual(originals, [0, 2, 4, 6, 8, 10, 12])
  for (let index = 7 - NUM_BATCHES_TO_RETAIN; index < 7; index++) {
    const retry = await appendOk(log, idempotentBatch(1, 0, index * 2))
    assert.equal(retry.baseOffset, originals[index], `retry of batch ${index}`)
    assert.equal(retry.lastOffset, originals[index]! + 1)
    assert.equal(retry.logAppendTimeMs, T0, 'Kafka answers the batch timestamp as logAppendTime for a duplicate')
  }
  assert.equal(log.logEndOffset, 14, 'no duplicate was written')
  for (const index of [0, 1]) {
    const stale = await appendResult(log, idempotentBatch(1, 0, index * 2))
    assert.equal(stale.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `batch ${index} is no longer retained`)
  }
  assert.equal((await appendOk(log, idempotentBatch(1, 0, 14))).baseOffset, 14)
  assert.deepEqual(offsetsOf((await log.read(0, 1 << 20)).records), Array.from({ length: 16 }, (_, offset) => offset))
  await log.close()
})

test('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER and stores nothing', async () => {
  const log = await openLog(newDir())
  await appendOk(log, idempotentBatch(7, 0, 0, 3))
  const gap = await appendResult(log, idempotentBatch(7, 0, 4))
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal(gap.baseOffset, -1)
  assert.equal(log.logEndOffset, 3)
  assert.equal((await appendOk(log, idempotentBatch(7, 0, 3))).baseOffset, 3)
  await log.close()
})

test('epochs fence: an older epoch is INVALID_PRODUCER_EPOCH, a new epoch must start at sequence 0', async () => {
  const log = await openLog(newDir())
  await appendOk(log, idempotentBatch(3, 2, 0))
  assert.equal((await appendResult(log, idempotentBatch(3, 1, 2))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  assert.equal((await appendResult(log, idempotentBatch(3, 3, 5))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await appendOk(log, idempotentBatch(3, 3, 0))).baseOffset, 2)
  assert.equal((await appendResult(log, idempotentBatch(3, 2, 2))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old epoch is fenced now')
  assert.equal(log.producerState.lastEntry(3)?.producerEpoch, 3)
  assert.equal(log.producerState.lastEntry(3)?.batches.length, 1, 'a new epoch forgets the old batches')
  assert.equal(log.logEndOffset, 4)
  await log.close()
})

test('an unknown producer may start at any sequence (KIP-360); producers are independent', async () => {
  const log = await openLog(newDir())
  assert.equal((await appendOk(log, idempotentBatch(11, 4, 1234))).baseOffset, 0)
  assert.equal((await appendOk(log, idempotentBatch(12, 0, 0))).baseOffset, 2)
  assert.equal((await appendOk(log, idempotentBatch(11, 4, 1236))).baseOffset, 4)
  assert.equal((await appendResult(log, idempotentBatch(12, 0, 3))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  // A producer id without an epoch (-1) is accepted at any sequence, and so is its next epoch.
  assert.equal((await appendOk(log, idempotentBatch(13, -1, 7))).baseOffset, 6)
  assert.equal((await appendOk(log, idempotentBatch(13, -1, 100))).baseOffset, 8)
  assert.equal((await appendOk(log, idempotentBatch(13, 0, 5))).baseOffset, 10)
  assert.equal((await appendResult(log, idempotentBatch(13, -1, 7))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  await log.close()
})

test('sequences wrap from Int32.MAX to 0, and retries across the wrap are recognised', async () => {
  const log = await openLog(newDir())
  await appendOk(log, idempotentBatch(5, 0, INT32_MAX - 5, 2))
  const spanning = await appendOk(log, idempotentBatch(5, 0, INT32_MAX - 3, 6))
  assert.equal(log.producerState.lastEntry(5)?.batches.at(-1)?.lastSequence, 1, 'MAX-3 + 5 wraps to 1')
  assert.equal((await appendOk(log, idempotentBatch(5, 0, INT32_MAX - 3, 6))).baseOffset, spanning.baseOffset)
  assert.equal((await appendResult(log, idempotentBatch(5, 0, 3))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await appendOk(log, idempotentBatch(5, 0, 2))).baseOffset, 8)
  const exact = await openLog(newDir())
  await appendOk(exact, idempotentBatch(6, 0, INT32_MAX, 1))
  assert.equal((await appendResult(exact, idempotentBatch(6, 0, 1, 1))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await appendOk(exact, idempotentBatch(6, 0, 0, 1))).baseOffset, 1, 'MAX is followed by 0')
  await log.close()
  await exact.close()
})

test('a retry queued in the same group commit as its original answers the original offset', async () => {
  const log = await openLog(newDir())
  const batch = idempotentBatch(9, 0, 0, 3)
  const [first, second, third] = await Promise.all([
    appendResult(log, Buffer.from(batch)), appendResult(log, Buffer.from(batch)), appendResult(log, idempotentBatch(9, 0, 3)),
  ])
  assert.equal(first.baseOffset, 0)
  assert.equal(second.baseOffset, 0)
  assert.equal(second.errorCode, ErrorCode.NONE)
  assert.equal(third.baseOffset, 3)
  assert.equal(log.logEndOffset, 5)
  await log.close()
})

test('idle producers expire after producer.id.expiration.ms, then start over like unknown ones', async () => {
  const log = await openLog(newDir(), logConfigFrom({}), true, 60_000)
  clock.now = T0
  await appendOk(log, idempotentBatch(21, 0, 0, 1, T0))
  await appendOk(log, idempotentBatch(22, 0, 0, 1, T0 + 30_000))
  clock.now = T0 + 59_999
  assert.equal(log.producerState.removeExpiredProducers(clock.now), 0)
  clock.now = T0 + 60_000
  assert.equal(log.producerState.removeExpiredProducers(clock.now), 1)
  assert.equal(log.producerState.lastEntry(21), undefined)
  assert.ok(log.producerState.lastEntry(22) !== undefined)
  assert.equal((await appendOk(log, idempotentBatch(21, 0, 50, 1, clock.now))).baseOffset, 2, 'an expired producer is unknown again')
  clock.now = T0
  await log.close()
})

test('snapshots round-trip, are written at roll and close, and a corrupt one is ignored', async () => {
  const entries: ProducerStateEntry[] = [
    { producerId: 1, producerEpoch: 0, lastTimestamp: T0, batches: [{ lastSequence: 4, lastOffset: 10, offsetDelta: 4, timestamp: T0 }] },
    { producerId: 2 ** 40, producerEpoch: 32767, lastTimestamp: -1, batches: Array.from({ length: 5 }, (_, index) => ({ lastSequence: index, lastOffset: 100 + index, offsetDelta: 0, timestamp: -1 })) },
  ]
  assert.deepEqual(decodeSnapshot(encodeSnapshot(77, entries)), { offset: 77, entries })
  const bytes = encodeSnapshot(77, entries)
  for (const position of [0, 3, 10, 20, bytes.length - 1]) {
    const damaged = Buffer.from(bytes)
    damaged[position]! ^= 0x01
    assert.equal(typeof decodeSnapshot(damaged), 'string', `flipped byte ${position}`)
  }
  assert.equal(typeof decodeSnapshot(bytes.subarray(0, bytes.length - 8)), 'string')

  const dir = newDir()
  const config = logConfigFrom({ segmentBytes: idempotentBatch(1, 0, 0).length * 3 })
  const log = await openLog(dir, config)
  for (let index = 0; index < 10; index++) await appendOk(log, idempotentBatch(1 + (index % 2), 0, 2 * Math.floor(index / 2)))
  const bases = log.segmentBaseOffsets
  assert.ok(bases.length >= 3)
  assert.deepEqual(log.producerState.snapshotFileOffsets, bases.slice(-2), 'one snapshot per roll, the newest two kept')
  const before = stateOf(log)
  await log.close()
  const names = (await readdir(dir)).filter((name) => name.endsWith('.snapshot')).sort()
  assert.deepEqual(names, [snapshotFileName(bases.at(-1)!), snapshotFileName(20)], 'close snapshots the log end')

  const reopened = await openLog(dir, config)
  assert.deepEqual(reopened.producerState.loadStats, { snapshotOffset: 20, corruptSnapshots: 0, replayedBatches: 0 })
  assert.deepEqual(stateOf(reopened), before)
  await reopened.close()

  const handle = await open(path.join(dir, snapshotFileName(20)), 'r+')
  await handle.write(Buffer.from([0xff]), 0, 1, 30)
  await handle.close()
  const fallback = await openLog(dir, config)
  assert.deepEqual(fallback.producerState.loadStats, { snapshotOffset: bases.at(-1), corruptSnapshots: 1, replayedBatches: (20 - bases.at(-1)!) / 2 })
  assert.deepEqual(stateOf(fallback), before, 'the older snapshot plus the batches after it give the same state')
  assert.equal((await appendOk(fallback, idempotentBatch(2, 0, 8))).baseOffset, 18, 'a retry is still recognised')
  await fallback.close()
})

test('after an unclean shutdown the state is rebuilt from the last snapshot and the batch headers after it', async () => {
  const dir = newDir()
  const config = logConfigFrom({ segmentBytes: 4096 })
  const log = await openLog(dir, config)
  const sequences = new Map<number, number>()
  for (let index = 0; index < 120; index++) {
    const producerId = 100 + (index % 7)
    const epoch = index > 80 && producerId === 103 ? 1 : 0
    const key = producerId * 10 + epoch
    const sequence = sequences.get(key) ?? 0
    await appendOk(log, idempotentBatch(producerId, epoch, sequence, 1 + (index % 3)))
    sequences.set(key, sequence + 1 + (index % 3))
    if (index % 10 === 0) await appendOk(log, buildRecordBatch([{ value: 'not idempotent', timestamp: T0 }]))
  }
  assert.ok(log.segmentBaseOffsets.length > 3, 'several rolls happened')
  const before = stateOf(log)
  const logEndOffset = log.logEndOffset

  // kill -9: the files stay as they are, nothing is closed or snapshotted.
  const recovered = await openLog(dir, config, false)
  assert.equal(recovered.logEndOffset, logEndOffset)
  const stats = recovered.producerState.loadStats
  assert.equal(stats.snapshotOffset, recovered.segmentBaseOffsets.at(-1), 'the snapshot of the last roll')
  assert.ok(stats.replayedBatches > 0, 'the batches of the active segment were replayed')
  assert.deepEqual(stateOf(recovered), before)
  const retry = await appendOk(recovered, idempotentBatch(106, 0, sequences.get(1060)! - 1 - (118 % 3), 1 + (118 % 3)))
  assert.equal(retry.lastOffset, before[106]!.batches.at(-1)!.lastOffset, 'a retry of the last batch after the crash answers its offsets')
  await recovered.close()
  await log.abandon()

  // Without any snapshot the whole log is replayed and gives the same state.
  for (const name of await readdir(dir)) if (name.endsWith('.snapshot')) await unlink(path.join(dir, name))
  const replayed = await openLog(dir, config, false)
  assert.equal(replayed.producerState.loadStats.snapshotOffset, null)
  assert.deepEqual(stateOf(replayed), before)
  await replayed.close()
})

test('truncation reloads the state below the new end; truncating fully forgets every producer', async () => {
  const dir = newDir()
  const log = await openLog(dir, logConfigFrom({ segmentBytes: idempotentBatch(1, 0, 0).length * 2 }))
  for (let sequence = 0; sequence < 12; sequence += 2) await appendOk(log, idempotentBatch(1, 0, sequence))
  await log.truncateTo(7)
  assert.equal(log.logEndOffset, 6)
  assert.equal(log.producerState.lastEntry(1)?.batches.at(-1)?.lastSequence, 5)
  assert.ok(log.producerState.snapshotFileOffsets.every((offset) => offset <= 6))
  assert.equal((await appendOk(log, idempotentBatch(1, 0, 6))).baseOffset, 6)
  await log.truncateFullyAndStartAt(100)
  assert.equal(log.producerState.producerCount, 0)
  assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.snapshot')), [])
  await log.close()
})

test('the LogManager expires idle producers of every log, with producer.id.expiration.ms changeable at runtime', async () => {
  const tmp = tmpDir()
  dirs.push(tmp)
  const manager = await LogManager.open({
    logDirs: [tmp.path], defaultConfig: logConfigFrom({}), nowMs: clock.nowMs, startScheduler: false, producerIdExpirationMs: 10_000,
  })
  clock.now = T0
  for (const partition of [0, 1]) await appendOk(await manager.createLog('idle', partition), idempotentBatch(40 + partition, 0, 0, 1, T0 + partition * 5_000))
  clock.now = T0 + 9_999
  assert.equal(manager.removeExpiredProducers(), 0)
  clock.now = T0 + 10_000
  assert.equal(manager.removeExpiredProducers(), 1, 'only the producer idle for 10 s')
  manager.setProducerIdExpirationMs(1_000)
  assert.equal(manager.removeExpiredProducers(), 1, 'the shorter expiry applies to every log at once')
  assert.equal(manager.getLog('idle', 1)!.producerState.producerCount, 0)
  clock.now = T0
  await manager.shutdown()
})

test('compressed batches, also converted to compression.type, are checked like plain ones', async () => {
  const log = await openLog(newDir(), logConfigFrom({ compressionType: 'zstd' }))
  const first = await compressBatch(idempotentBatch(31, 0, 0, 3), CompressionType.GZIP, 6)
  assert.equal((await appendOk(log, Buffer.from(first))).baseOffset, 0)
  assert.equal((await appendOk(log, Buffer.from(first))).baseOffset, 0, 'the retry of a gzip batch stored as zstd')
  assert.equal((await appendResult(log, await compressBatch(idempotentBatch(31, 0, 4), CompressionType.LZ4, 1))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await appendOk(log, await compressBatch(idempotentBatch(31, 0, 3), CompressionType.SNAPPY, 0))).baseOffset, 3)
  assert.equal(log.logEndOffset, 5)
  await log.close()
})
