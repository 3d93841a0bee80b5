// walkRecords answers in two steps: a fast walk that only recognises valid batches, then, for
// anything else, the reporting walk that builds Kafka's exact answer. Property: for any record
// bytes (valid, truncated or with random bytes changed) and any limits, walkRecords answers
// exactly what the reporting walk alone answers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BATCH_HEADER_SIZE } from '../../src/records/batch-header.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { walkRecords, walkRecordsReportingErrors, type ValidationLimits } from '../../src/records/validate.js'

const NOW_MS = 1_700_000_000_000

const recordArbitrary = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), value: fc.option(fc.uint8Array({ maxLength: 5 }).map((bytes) => Buffer.from(bytes)), { nil: null }) }), { maxLength: 2 }),
  timestamp: fc.integer({ min: NOW_MS - 10_000, max: NOW_MS + 10_000 }),
})

const limitsArbitrary = fc.record({
  maxMessageBytes: fc.constant(1 << 20),
  origin: fc.constantFrom<'client' | 'coordinator'>('client', 'coordinator'),
  timestampType: fc.constantFrom<'CreateTime' | 'LogAppendTime'>('CreateTime', 'LogAppendTime'),
  nowMs: fc.constant(NOW_MS),
  timestampBeforeMaxMs: fc.constantFrom(Number.MAX_SAFE_INTEGER, 5_000),
  timestampAfterMaxMs: fc.constantFrom(Number.MAX_SAFE_INTEGER, 5_000),
  isCompacted: fc.boolean(),
}) as fc.Arbitrary<ValidationLimits>

/** Changes to the record bytes: none, a truncation, or a few bytes overwritten. */
const damageArbitrary = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('overwrite' as const), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }) }),
)

test('walkRecords answers exactly what the reporting walk answers, valid or damaged', () => {
  fc.assert(fc.property(
    fc.array(recordArbitrary, { minLength: 1, maxLength: 12 }), limitsArbitrary, damageArbitrary,
    fc.boolean(), fc.boolean(), fc.integer({ min: -2, max: 2 }),
    (records, limits, damage, claimsLogAppendTime, checkOffsetDeltas, countChange) => {
      const batch = buildRecordBatch(records, { timestampMs: NOW_MS })
      let body = Buffer.from(batch.subarray(BATCH_HEADER_SIZE))
      if (damage.kind === 'truncate') body = body.subarray(0, damage.at % (body.length + 1))
      if (damage.kind === 'overwrite') for (const [at, byte] of damage.edits) body[at % body.length] = byte
      const count = records.length + countChange
      const baseTimestamp = records[0]!.timestamp
      const args = [body, 0, body.length, count, baseTimestamp, claimsLogAppendTime, limits, checkOffsetDeltas] as const
      assert.deepEqual(walkRecords(...args), walkRecordsReportingErrors(...args))
    },
  ), { numRuns: 3000 })
})

test('a valid batch walks to its largest record timestamp', () => {
  const batch = buildRecordBatch([{ value: 'a', timestamp: NOW_MS + 5 }, { key: 'k', value: null, timestamp: NOW_MS + 9 }, { value: 'c', timestamp: NOW_MS }])
  const limits: ValidationLimits = {
    maxMessageBytes: 1 << 20, origin: 'client', timestampType: 'CreateTime', nowMs: NOW_MS,
    timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER, isCompacted: false,
  }
  const body = batch.subarray(BATCH_HEADER_SIZE)
  assert.equal(walkRecords(body, 0, body.length, 3, NOW_MS + 5, false, limits, true), NOW_MS + 9)
})
