import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { after, test } from 'node:test'
import { ErrorCode } from '../../src/protocol/errors.js'
import { BatchIterator } from '../../src/records/batch-iterator.js'
import { readPartitionLeaderEpoch, readMaxTimestamp, readTimestampType, isCrcValid } from '../../src/records/batch-header.js'
import { logConfigFrom, type LogConfigValues } from '../../src/storage/log-config.js'
import { PartitionLog, parseTopicPartition } from '../../src/storage/log.js'
import { tmpDir, type TmpDir } from '../helpers/tmp-dir.js'
import { appendOk, clientBatch, manualClock, offsetsOf, T0, valuesOf } from './helpers.js'

const dirs: TmpDir[] = []
after(async () => {
  for (const dir of dirs) await dir.cleanup()
})

async function openLog(values: LogConfigValues = {}, clock = manualClock()): Promise<PartitionLog> {
  const dir = tmpDir()
  dirs.push(dir)
  return PartitionLog.open(`${dir.path}/topic-0`, logConfigFrom(values), { nowMs: clock.nowMs, hadCleanShutdown: true })
}

function batchesOf(records: Buffer): Buffer[] {
  const iterator = new BatchIterator(records)
  const batches: Buffer[] = []
  while (iterator.next()) batches.push(records.subarray(iterator.position, iterator.position + iterator.size))
  assert.equal(iterator.stop, 'end')
  return batches
}

test('parseTopicPartition splits at the last dash', () => {
  assert.deepEqual(parseTopicPartition('my-topic-12'), { topic: 'my-topic', partition: 12 })
  assert.equal(parseTopicPartition('topic'), null)
  assert.equal(parseTopicPartition('topic-x'), null)
  assert.equal(parseTopicPartition('t-0.abc-delete'), null)
})

test('appends get consecutive offsets, the leader epoch, and read back whole', async () => {
  const log = await openLog()
  assert.equal(log.topic, 'topic')
  assert.equal(log.partition, 0)
  const first = await appendOk(log, clientBatch(3, 'a'), { leaderEpoch: 5 })
  const second = await appendOk(log, clientBatch(2, 'b'), { leaderEpoch: 5 })
  assert.deepEqual([first.baseOffset, first.lastOffset, second.baseOffset, second.lastOffset], [0, 2, 3, 4])
  assert.equal(first.logAppendTimeMs, -1)
  assert.equal(log.logEndOffset, 5)
  const read = await log.read(0, 1 << 20)
  assert.equal(read.errorCode, ErrorCode.NONE)
  assert.deepEqual(offsetsOf(read.records), [0, 1, 2, 3, 4])
  assert.deepEqual(valuesOf(read.records), ['a-0', 'a-1', 'a-2', 'b-0', 'b-1'])
  for (const batch of batchesOf(read.records)) {
    assert.equal(readPartitionLeaderEpoch(batch, 0), 5)
    assert.ok(isCrcValid(batch, 0, batch.length))
  }
  await log.close()
})

test('a partial batch after a whole one is dropped and the whole one appended, as Kafka trims it', async () => {
  const log = await openLog()
  const whole = clientBatch(2, 'w')
  const partial = clientBatch(3, 'p').subarray(0, 40)
  const appended = await appendOk(log, Buffer.concat([whole, partial]), { leaderEpoch: 0 })
  assert.deepEqual([appended.baseOffset, appended.lastOffset], [0, 1])
  assert.equal(log.logEndOffset, 2)
  const read = await log.read(0, 1 << 20)
  assert.equal(read.records.length, whole.length)
  assert.deepEqual(valuesOf(read.records), ['w-0', 'w-1'])
  await appendOk(log, clientBatch(1, 'n'), { leaderEpoch: 0 })
  assert.deepEqual(valuesOf((await log.read(0, 1 << 20)).records), ['w-0', 'w-1', 'n-0'])
  await log.close()
})

test('appends issued in one tick are written in order', async () => {
  const log = await openLog()
  const results = await Promise.all(Array.from({ length: 50 }, (_, index) => log.appendAsLeader(clientBatch(2, `n${index}`), { leaderEpoch: 0 })))
  assert.deepEqual(results.map((result) => result.baseOffset), Array.from({ length: 50 }, (_, index) => index * 2))
  const read = await log.read(0, 1 << 20)
  assert.deepEqual(valuesOf(read.records).filter((_, index) => index % 2 === 0), Array.from({ length: 50 }, (_, index) => `n${index}-0`))
  await log.close()
})

test('invalid batches are answered with their error and leave the log unchanged', async () => {
  const log = await openLog({ segmentBytes: 1000 })
  const corrupt = clientBatch(1)
  corrupt[corrupt.length - 1]! ^= 1
  assert.equal((await log.appendAsLeader(corrupt, { leaderEpoch: 0 })).errorCode, ErrorCode.CORRUPT_MESSAGE)
  const large = clientBatch(1, 'v', T0, 2000)
  const tooLarge = await log.appendAsLeader(large, { leaderEpoch: 0 })
  assert.equal(tooLarge.errorCode, ErrorCode.RECORD_LIST_TOO_LARGE)
  assert.equal(tooLarge.baseOffset, -1)
  assert.equal(log.logEndOffset, 0)
  assert.equal(log.size, 0)
  await log.close()
})

test('LogAppendTime stamps the append time into the batch and the result', async () => {
  const clock = manualClock(T0 + 500)
  const log = await openLog({ messageTimestampType: 'LogAppendTime' }, clock)
  const result = await appendOk(log, clientBatch(2, 'x', T0))
  assert.equal(result.logAppendTimeMs, T0 + 500)
  const [batch] = batchesOf((await log.read(0, 4096)).records)
  assert.equal(readTimestampType(batch!, 0), 'LogAppendTime')
  assert.equal(readMaxTimestamp(batch!, 0), T0 + 500)
  assert.ok(isCrcValid(batch!, 0, batch!.length))
  await log.close()
})

test('the log rolls a new segment when segment.bytes would be exceeded', async () => {
  const batch = clientBatch(1, 'v', T0, 100)
  const log = await openLog({ segmentBytes: batch.length * 3 })
  for (let index = 0; index < 7; index++) await appendOk(log, clientBatch(1, 'v', T0, 100))
  assert.deepEqual(log.segmentBaseOffsets, [0, 3, 6])
  const files = (await readdir(log.dir)).sort()
  assert.ok(files.includes('00000000000000000003.log'))
  assert.ok(files.includes('00000000000000000003.index'))
  assert.ok(files.includes('00000000000000000006.timeindex'))
  assert.equal(log.recoveryPoint, 6)
  assert.deepEqual(offsetsOf((await log.read(4, 1 << 20)).records), [4, 5])
  await log.close()
})

test('the log rolls when segment.ms has passed since the first batch timestamp', async () => {
  const clock = manualClock()
  const log = await openLog({ segmentMs: 1000 }, clock)
  await appendOk(log, clientBatch(1, 'a', T0))
  await appendOk(log, clientBatch(1, 'b', T0 + 1000))
  assert.deepEqual(log.segmentBaseOffsets, [0])
  clock.now = T0 + 1001
  await appendOk(log, clientBatch(1, 'c', T0 + 1001))
  assert.deepEqual(log.segmentBaseOffsets, [0, 2])
  await log.close()
})

test('the log rolls when the offset index is full', async () => {
  const log = await openLog({ segmentIndexBytes: 16, indexIntervalBytes: 0 })
  for (let index = 0; index < 8; index++) await appendOk(log, clientBatch(1))
  assert.ok(log.segmentBaseOffsets.length >= 3, `segments ${log.segmentBaseOffsets}`)
  assert.deepEqual(offsetsOf((await log.read(0, 1 << 20)).records).length > 0, true)
  for (let offset = 0; offset < 8; offset++) assert.equal(offsetsOf((await log.read(offset, 1 << 20)).records)[0], offset)
  await log.close()
})

test('read honours maxBytes with whole batches, minOneMessage (KIP-74) and maxOffset', async () => {
  const log = await openLog({ indexIntervalBytes: 100 })
  const sizes: number[] = []
  for (let index = 0; index < 10; index++) {
    const batch = clientBatch(2, `b${index}`, T0, 50)
    sizes.push(batch.length)
    await appendOk(log, batch)
  }
  const size = sizes[0]!
  assert.deepEqual(offsetsOf((await log.read(0, size * 3 + 10)).records), [0, 1, 2, 3, 4, 5])
  assert.equal((await log.read(0, size * 3 + 10)).records.length, size * 3)
  assert.deepEqual(offsetsOf((await log.read(4, 1)).records), [4, 5], 'minOneMessage returns the first batch')
  assert.equal((await log.read(4, 1, { minOneMessage: false })).records.length, 0)
  assert.deepEqual(offsetsOf((await log.read(5, 1 << 20, { maxOffset: 10 })).records), [4, 5, 6, 7, 8, 9])
  assert.deepEqual(offsetsOf((await log.read(5, 1 << 20, { maxOffset: 9 })).records), [4, 5, 6, 7], 'a batch reaching maxOffset is withheld')
  assert.equal((await log.read(12, 1 << 20, { maxOffset: 12 })).records.length, 0)
  assert.equal((await log.read(20, 1 << 20)).records.length, 0, 'reading at the log end is empty')
  assert.equal((await log.read(21, 1 << 20)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.equal((await log.read(-1, 1 << 20)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  for (let offset = 0; offset < 20; offset++) {
    assert.equal(offsetsOf((await log.read(offset, 1)).records)[0], offset - (offset % 2), `offset ${offset}`)
  }
  await log.close()
})

test('read returns data from one segment at a time', async () => {
  const batch = clientBatch(1, 'v', T0, 100)
  const log = await openLog({ segmentBytes: batch.length * 2 })
  for (let index = 0; index < 6; index++) await appendOk(log, clientBatch(1, 'v', T0, 100))
  assert.deepEqual(offsetsOf((await log.read(1, 1 << 20)).records), [1])
  assert.deepEqual(offsetsOf((await log.read(2, 1 << 20)).records), [2, 3])
  await log.close()
})

test('offsetForTimestamp finds the first record at or after a timestamp', async () => {
  const log = await openLog({ indexIntervalBytes: 0 })
  await appendOk(log, clientBatch(2, 'a', T0 + 10))
  await appendOk(log, clientBatch(2, 'b', T0 + 30))
  const { buildRecordBatch } = await import('../../src/records/record-builder.js')
  await appendOk(log, buildRecordBatch([{ value: 'c0', timestamp: T0 + 50 }, { value: 'c1', timestamp: T0 + 70 }, { value: 'c2', timestamp: T0 + 60 }]))
  assert.deepEqual(await log.offsetForTimestamp(T0), { timestamp: T0 + 10, offset: 0, leaderEpoch: 0 })
  assert.deepEqual(await log.offsetForTimestamp(T0 + 11), { timestamp: T0 + 30, offset: 2, leaderEpoch: 0 })
  assert.deepEqual(await log.offsetForTimestamp(T0 + 65), { timestamp: T0 + 70, offset: 5, leaderEpoch: 0 })
  assert.equal(await log.offsetForTimestamp(T0 + 71), null)
  assert.deepEqual(await log.maxTimestampAndOffset(), { timestamp: T0 + 70, offset: 5, leaderEpoch: 0 })
  await log.close()
})

test('truncateTo removes the tail and the log continues from there', async () => {
  const batch = clientBatch(2, 'v', T0, 40)
  const log = await openLog({ segmentBytes: batch.length * 2, indexIntervalBytes: 0 })
  for (let index = 0; index < 5; index++) await appendOk(log, clientBatch(2, `r${index}`, T0, 40))
  assert.deepEqual(log.segmentBaseOffsets, [0, 4, 8])
  await log.truncateTo(6)
  assert.equal(log.logEndOffset, 6)
  assert.deepEqual(log.segmentBaseOffsets, [0, 4])
  assert.equal(log.recoveryPoint <= 6, true)
  const next = await appendOk(log, clientBatch(1, 'after'))
  assert.equal(next.baseOffset, 6)
  assert.deepEqual(offsetsOf((await log.read(4, 1 << 20)).records), [4, 5, 6])
  await log.truncateTo(100)
  assert.equal(log.logEndOffset, 7)
  await log.truncateFullyAndStartAt(50)
  assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets[0]], [50, 50, 50])
  assert.equal((await appendOk(log, clientBatch(1))).baseOffset, 50)
  await log.close()
})

test('flush.messages fsyncs and advances the recovery point', async () => {
  const log = await openLog({ flushMessages: 3 })
  await appendOk(log, clientBatch(2))
  assert.equal(log.recoveryPoint, 0)
  await appendOk(log, clientBatch(2))
  assert.equal(log.recoveryPoint, 4)
  await appendOk(log, clientBatch(1))
  assert.equal(log.recoveryPoint, 4)
  await log.flush()
  assert.equal(log.recoveryPoint, 5)
  await log.close()
})

test('isFlushDue follows flush.ms from the last flush', async () => {
  const clock = manualClock()
  const log = await openLog({ flushMs: 1000 }, clock)
  await appendOk(log, clientBatch(1))
  assert.equal(log.isFlushDue(clock.now + 999), false)
  assert.equal(log.isFlushDue(clock.now + 1000), true)
  await log.flush()
  assert.equal(log.isFlushDue(clock.now + 1000), false)
  await log.close()
})

test('a closed log answers KAFKA_STORAGE_ERROR and reopens with its data', async () => {
  const clock = manualClock()
  const log = await openLog({}, clock)
  await appendOk(log, clientBatch(3, 'keep'))
  await log.close()
  assert.equal((await log.appendAsLeader(clientBatch(1), { leaderEpoch: 0 })).errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.equal((await log.read(0, 100)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  const reopened = await PartitionLog.open(log.dir, log.logConfig, { nowMs: clock.nowMs, hadCleanShutdown: true })
  assert.equal(reopened.openStats.recoveredSegments, 0)
  assert.equal(reopened.logEndOffset, 3)
  assert.deepEqual(valuesOf((await reopened.read(0, 1 << 20)).records), ['keep-0', 'keep-1', 'keep-2'])
  assert.equal((await appendOk(reopened, clientBatch(1))).baseOffset, 3)
  await reopened.close()
})
