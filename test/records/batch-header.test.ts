import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  BATCH_HEADER_SIZE,
  isCrcValid,
  readAttributes,
  readBaseOffset,
  readBaseTimestamp,
  readBatchSize,
  readCrc,
  readInt64,
  readIsControl,
  readIsTransactional,
  readLastOffset,
  readLastOffsetDelta,
  readMagic,
  readMaxTimestamp,
  readPartitionLeaderEpoch,
  readProducerEpoch,
  readProducerId,
  readBaseSequence,
  readRecordsCount,
  readTimestampType,
  writeBaseOffset,
  writeInt64,
  writeLogAppendTime,
  writeMaxTimestamp,
  writePartitionLeaderEpoch,
} from '../../src/records/batch-header.js'
import { crc32c } from '../../src/records/crc32c.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'

const arbRecords = fc.array(
  fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)), { nil: null }),
    value: fc.option(fc.uint8Array({ maxLength: 50 }).map((bytes) => Buffer.from(bytes)), { nil: null }),
    timestamp: fc.integer({ min: 0, max: 2 ** 41 }),
  }),
  { minLength: 1, maxLength: 8 },
)

test('crc32c matches the Castagnoli check value and continues from an initial state', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
  const bytes = Buffer.from('123456789')
  assert.equal(crc32c(bytes.subarray(4), crc32c(bytes.subarray(0, 4))), 0xe3069283)
})

test('accessors read the fields the builder wrote', () => {
  const batch = buildRecordBatch([{ key: 'a', value: 'b', timestamp: 1000 }, { value: 'c', timestamp: 1500 }], {
    baseOffset: 42,
    partitionLeaderEpoch: 7,
    producerId: 9001,
    producerEpoch: 3,
    baseSequence: 11,
    isTransactional: true,
  })
  assert.equal(readBaseOffset(batch, 0), 42)
  assert.equal(readBatchSize(batch, 0), batch.length)
  assert.equal(readPartitionLeaderEpoch(batch, 0), 7)
  assert.equal(readMagic(batch, 0), 2)
  assert.equal(readLastOffsetDelta(batch, 0), 1)
  assert.equal(readLastOffset(batch, 0), 43)
  assert.equal(readBaseTimestamp(batch, 0), 1000)
  assert.equal(readMaxTimestamp(batch, 0), 1500)
  assert.equal(readProducerId(batch, 0), 9001)
  assert.equal(readProducerEpoch(batch, 0), 3)
  assert.equal(readBaseSequence(batch, 0), 11)
  assert.equal(readRecordsCount(batch, 0), 2)
  assert.equal(readIsTransactional(batch, 0), true)
  assert.equal(readIsControl(batch, 0), false)
  assert.equal(readTimestampType(batch, 0), 'CreateTime')
  assert.ok(isCrcValid(batch, 0, batch.length))
})

test('accessors work at a non-zero position', () => {
  const batch = buildRecordBatch([{ value: 'x', timestamp: 5 }], { baseOffset: 3 })
  const buffer = Buffer.concat([Buffer.alloc(13, 0xff), batch])
  assert.equal(readBaseOffset(buffer, 13), 3)
  assert.ok(isCrcValid(buffer, 13, batch.length))
})

test('int64 helpers round-trip every safe integer', () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (value) => {
      const buffer = Buffer.alloc(8)
      writeInt64(buffer, 0, value)
      assert.equal(buffer.readBigInt64BE(0), BigInt(value))
      assert.equal(readInt64(buffer, 0), value)
    }),
  )
})

test('stamping baseOffset and partitionLeaderEpoch keeps the CRC valid without recomputing it', () => {
  fc.assert(
    fc.property(arbRecords, fc.maxSafeNat(), fc.integer({ min: -1, max: 0x7fffffff }), (records, baseOffset, epoch) => {
      const batch = buildRecordBatch(records)
      const crcBefore = readCrc(batch, 0)
      writeBaseOffset(batch, 0, baseOffset)
      writePartitionLeaderEpoch(batch, 0, epoch)
      assert.equal(readCrc(batch, 0), crcBefore)
      assert.ok(isCrcValid(batch, 0, batch.length))
      assert.equal(readBaseOffset(batch, 0), baseOffset)
      assert.equal(readPartitionLeaderEpoch(batch, 0), epoch)
    }),
  )
})

test('LogAppendTime stamping sets attribute bit 3 and maxTimestamp and recomputes the CRC', () => {
  fc.assert(
    fc.property(arbRecords, fc.integer({ min: 0, max: 2 ** 45 }), (records, nowMs) => {
      const batch = buildRecordBatch(records)
      writeLogAppendTime(batch, 0, batch.length, nowMs)
      assert.equal(readTimestampType(batch, 0), 'LogAppendTime')
      assert.equal(readAttributes(batch, 0) & 0x08, 0x08)
      assert.equal(readMaxTimestamp(batch, 0), nowMs)
      assert.ok(isCrcValid(batch, 0, batch.length))
    }),
  )
})

test('writeMaxTimestamp leaves an unchanged batch alone and clears the LogAppendTime bit for CreateTime', () => {
  const batch = buildRecordBatch([{ value: 'v', timestamp: 10 }])
  assert.equal(writeMaxTimestamp(batch, 0, batch.length, 'CreateTime', 10), false)
  writeLogAppendTime(batch, 0, batch.length, 99)
  assert.equal(writeMaxTimestamp(batch, 0, batch.length, 'CreateTime', 10), true)
  assert.equal(readTimestampType(batch, 0), 'CreateTime')
  assert.equal(readMaxTimestamp(batch, 0), 10)
  assert.ok(isCrcValid(batch, 0, batch.length))
})

test('a flipped byte inside the CRC range invalidates the batch; one in baseOffset does not', () => {
  const batch = buildRecordBatch([{ value: 'payload', timestamp: 1 }])
  const inRange = Buffer.from(batch)
  inRange[BATCH_HEADER_SIZE + 2]! ^= 0x01
  assert.equal(isCrcValid(inRange, 0, inRange.length), false)
  const outside = Buffer.from(batch)
  outside[3]! ^= 0x01
  assert.equal(isCrcValid(outside, 0, outside.length), true)
})
