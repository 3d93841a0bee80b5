// validateBatches with skipRecordWalk (the broker's produce path, issue 5): uncompressed client
// batches of topics that are not compacted are checked from their header only.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode } from '../../src/protocol/errors.js'
import { BATCH_HEADER_SIZE, computeCrc, CRC, writeInt64 } from '../../src/records/batch-header.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { validateBatches, type ValidationLimits } from '../../src/records/validate.js'

const NOW = 1_700_000_000_000
const limits: ValidationLimits = {
  maxMessageBytes: 1048588,
  origin: 'client',
  timestampType: 'CreateTime',
  nowMs: NOW,
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: 3600000,
  isCompacted: false,
  skipRecordWalk: true,
}

function mutated(bytes: Buffer, mutate: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(bytes)
  mutate(copy)
  copy.writeUInt32BE(computeCrc(copy, 0, copy.length), CRC)
  return copy
}

test('malformed records behind a valid CRC are accepted without a walk, and rejected with one', () => {
  const bad = mutated(buildRecordBatch([{ key: 'key', value: 'value', timestamp: NOW }]), (b) => b.writeUInt8(0x7e, BATCH_HEADER_SIZE))
  assert.equal(validateBatches(bad, limits).errorCode, undefined)
  assert.equal(validateBatches(bad, { ...limits, skipRecordWalk: false }).errorCode, ErrorCode.INVALID_RECORD)
})

test('the header maxTimestamp is kept as sent', () => {
  const bytes = mutated(buildRecordBatch([{ value: 'a', timestamp: NOW - 10 }, { value: 'b', timestamp: NOW - 20 }]), (b) => writeInt64(b, 35, NOW - 30))
  assert.equal(validateBatches(bytes, limits).batches![0]!.maxTimestamp, NOW - 30)
})

test('header timestamps out of range fall back to the walk and its per-record errors', () => {
  const bytes = buildRecordBatch([{ value: 'ok', timestamp: NOW }, { value: 'future', timestamp: NOW + 3600001 }])
  const result = validateBatches(bytes, limits)
  assert.equal(result.errorCode, ErrorCode.INVALID_TIMESTAMP)
  assert.deepEqual(result.recordErrors?.map((error) => error.batchIndex), [1])
  const claimsLogAppendTime = buildRecordBatch([{ value: 'a', timestamp: NOW }], { timestampType: 'LogAppendTime' })
  assert.equal(validateBatches(claimsLogAppendTime, { ...limits, timestampType: 'LogAppendTime' }).errorCode, ErrorCode.INVALID_TIMESTAMP)
})

test('compacted topics and coordinator appends still walk every record', () => {
  const keyless = buildRecordBatch([{ key: 'k', value: 'a', timestamp: NOW }, { key: null, value: 'b', timestamp: NOW }])
  const compacted = validateBatches(keyless, { ...limits, isCompacted: true })
  assert.equal(compacted.errorCode, ErrorCode.INVALID_RECORD)
  assert.deepEqual(compacted.recordErrors?.map((error) => error.batchIndex), [1])
  const bad = mutated(buildRecordBatch([{ key: 'key', value: 'value', timestamp: NOW }]), (b) => b.writeUInt8(0x7e, BATCH_HEADER_SIZE))
  assert.equal(validateBatches(bad, { ...limits, origin: 'coordinator' }).errorCode, ErrorCode.INVALID_RECORD)
})
