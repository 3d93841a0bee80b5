import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isCrcValid, readRecordsCount } from '../../src/records/batch-header.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { readAllRecords, readBatchRecords } from '../../src/records/record-reader.js'
import { RecordFormatError } from '../../src/records/varint.js'

const arbBytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes))

test('records built into a batch read back identically', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: fc.option(arbBytes(300), { nil: null }),
          value: fc.option(arbBytes(300), { nil: null }),
          headers: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(arbBytes(20), { nil: null }) }), { maxLength: 3 }),
          timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
        }),
        { minLength: 1, maxLength: 20 },
      ),
      fc.integer({ min: 0, max: 2 ** 40 }),
      (records, baseOffset) => {
        const batch = buildRecordBatch(records, { baseOffset })
        assert.ok(isCrcValid(batch, 0, batch.length))
        assert.equal(readRecordsCount(batch, 0), records.length)
        const decoded = readBatchRecords(batch)
        assert.deepEqual(
          decoded.map((record) => ({ ...record, headers: record.headers.map((h) => ({ key: h.key, value: h.value })) })),
          records.map((record, index) => ({
            offset: baseOffset + index,
            timestamp: record.timestamp,
            key: record.key,
            value: record.value,
            headers: record.headers.map((h) => ({ key: h.key, value: h.value })),
          })),
        )
      },
    ),
  )
})

test('readAllRecords walks several batches', () => {
  const bytes = Buffer.concat([
    buildRecordBatch([{ value: 'a', timestamp: 1 }], { baseOffset: 0 }),
    buildRecordBatch([{ value: 'b', timestamp: 2 }, { value: 'c', timestamp: 3 }], { baseOffset: 1 }),
  ])
  assert.deepEqual(
    readAllRecords(bytes).map((record) => [record.offset, record.value?.toString()]),
    [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ],
  )
})

test('reading a compressed batch throws RecordFormatError', () => {
  const batch = buildRecordBatch([{ value: 'a', timestamp: 1 }])
  batch.writeInt16BE(1, 21)
  assert.throws(() => readBatchRecords(batch), RecordFormatError)
})
