import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode } from '../../src/protocol/errors.js'
import { BATCH_HEADER_SIZE, computeCrc, CRC, writeInt64 } from '../../src/records/batch-header.js'
import { buildRecordBatch, type RecordInput } from '../../src/records/record-builder.js'
import { validateBatches, type ValidationLimits, type ValidationResult } from '../../src/records/validate.js'

const NOW = 1_700_000_000_000
const limits: ValidationLimits = {
  maxMessageBytes: 1048588,
  origin: 'client',
  timestampType: 'CreateTime',
  nowMs: NOW,
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: 3600000,
  isCompacted: false,
}

function batch(records: RecordInput[] = [{ key: 'k', value: 'v', timestamp: NOW }], options = {}): Buffer {
  return buildRecordBatch(records, options)
}

/** Applies `mutate` then recomputes the CRC so only the mutated field is wrong. */
function mutated(bytes: Buffer, mutate: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(bytes)
  mutate(copy)
  copy.writeUInt32BE(computeCrc(copy, 0, copy.length), CRC)
  return copy
}

function codeOf(result: ValidationResult): number {
  return result.errorCode ?? ErrorCode.NONE
}

test('a valid client batch yields its info and no error', () => {
  const bytes = batch([{ value: 'a', timestamp: NOW - 5 }, { value: 'b', timestamp: NOW - 1 }], { producerId: 5, producerEpoch: 1, baseSequence: 0 })
  const result = validateBatches(bytes, limits)
  assert.equal(result.errorCode, undefined)
  assert.equal(result.batches?.length, 1)
  const info = result.batches![0]!
  assert.equal(info.position, 0)
  assert.equal(info.size, bytes.length)
  assert.equal(info.lastOffsetDelta, 1)
  assert.equal(info.recordsCount, 2)
  assert.equal(info.maxTimestamp, NOW - 1)
  assert.equal(info.producerId, 5)
  assert.equal(info.baseSequence, 0)
  assert.equal(info.isControl, false)
})

test('no whole batch at all is INVALID_RECORD', () => {
  assert.equal(codeOf(validateBatches(Buffer.alloc(0), limits)), ErrorCode.INVALID_RECORD)
  assert.equal(codeOf(validateBatches(Buffer.alloc(11), limits)), ErrorCode.INVALID_RECORD)
  assert.equal(codeOf(validateBatches(batch().subarray(0, 40), limits)), ErrorCode.INVALID_RECORD)
})

test('a length field under 14 bytes is CORRUPT_MESSAGE', () => {
  const bytes = Buffer.from(batch())
  bytes.writeInt32BE(13, 8)
  assert.equal(codeOf(validateBatches(bytes, limits)), ErrorCode.CORRUPT_MESSAGE)
})

test('a magic outside 0..2 is CORRUPT_MESSAGE; magic 0 or 1 is INVALID_RECORD', () => {
  for (const [magic, code] of [
    [3, ErrorCode.CORRUPT_MESSAGE],
    [-1, ErrorCode.CORRUPT_MESSAGE],
    [1, ErrorCode.INVALID_RECORD],
    [0, ErrorCode.INVALID_RECORD],
  ] as const) {
    const bytes = Buffer.from(batch())
    bytes.writeInt8(magic, 16)
    assert.equal(codeOf(validateBatches(bytes, limits)), code, `magic ${magic}`)
  }
})

test('more than one batch is INVALID_RECORD from a client and accepted from a coordinator', () => {
  const two = Buffer.concat([batch(), batch()])
  assert.equal(codeOf(validateBatches(two, limits)), ErrorCode.INVALID_RECORD)
  const result = validateBatches(two, { ...limits, origin: 'coordinator' })
  assert.equal(result.errorCode, undefined)
  assert.deepEqual(result.batches!.map((b) => b.position), [0, two.length / 2])
})

test('a partial batch after the whole ones is left out of validBytes at every cut point, as Kafka trims it', () => {
  const whole = batch()
  const next = batch([{ key: 'k2', value: 'v2', timestamp: NOW }])
  for (const origin of ['client', 'coordinator'] as const) {
    for (let cut = 1; cut < next.length; cut++) {
      const result = validateBatches(Buffer.concat([whole, next.subarray(0, cut)]), { ...limits, origin })
      assert.equal(result.errorCode, undefined, `cut ${cut}`)
      assert.equal(result.validBytes, whole.length)
      assert.deepEqual(result.batches!.map((b) => b.position), [0])
    }
  }
  assert.equal(validateBatches(whole, limits).validBytes, whole.length)
})

test('bytes after the last whole batch that cannot start a batch are still CORRUPT_MESSAGE', () => {
  const tooShortLength = Buffer.alloc(20)
  tooShortLength.writeInt32BE(13, 8)
  assert.equal(codeOf(validateBatches(Buffer.concat([batch(), tooShortLength]), limits)), ErrorCode.CORRUPT_MESSAGE)
  const badMagic = Buffer.from(batch().subarray(0, 30))
  badMagic.writeInt8(7, 16)
  assert.equal(codeOf(validateBatches(Buffer.concat([batch(), badMagic]), limits)), ErrorCode.CORRUPT_MESSAGE)
})

test('a client batch with a non-zero baseOffset is INVALID_RECORD', () => {
  assert.equal(codeOf(validateBatches(batch(undefined, { baseOffset: 5 }), limits)), ErrorCode.INVALID_RECORD)
  assert.equal(validateBatches(batch(undefined, { baseOffset: 5 }), { ...limits, origin: 'coordinator' }).errorCode, undefined)
})

test('a batch larger than max.message.bytes is MESSAGE_TOO_LARGE', () => {
  const bytes = batch([{ value: Buffer.alloc(2000), timestamp: NOW }])
  assert.equal(codeOf(validateBatches(bytes, { ...limits, maxMessageBytes: bytes.length - 1 })), ErrorCode.MESSAGE_TOO_LARGE)
  assert.equal(validateBatches(bytes, { ...limits, maxMessageBytes: bytes.length }).errorCode, undefined)
})

test('a CRC mismatch is CORRUPT_MESSAGE', () => {
  const bytes = Buffer.from(batch())
  bytes[bytes.length - 1]! ^= 0xff
  assert.equal(codeOf(validateBatches(bytes, limits)), ErrorCode.CORRUPT_MESSAGE)
})

test('a batch shorter than the v2 header is CORRUPT_MESSAGE', () => {
  const bytes = Buffer.from(batch()).subarray(0, 40)
  bytes.writeInt32BE(40 - 12, 8)
  assert.equal(codeOf(validateBatches(bytes, limits)), ErrorCode.CORRUPT_MESSAGE)
})

test('an unknown compression codec is UNKNOWN_SERVER_ERROR, as in Kafka', () => {
  assert.equal(codeOf(validateBatches(mutated(batch(), (b) => b.writeInt16BE(5, 21)), limits)), ErrorCode.UNKNOWN_SERVER_ERROR)
})

test('client batch header checks answer INVALID_RECORD', () => {
  const two = batch([
    { value: 'a', timestamp: NOW },
    { value: 'b', timestamp: NOW },
  ])
  const cases: Array<[string, Buffer]> = [
    ['count ≠ lastOffsetDelta + 1', mutated(two, (b) => b.writeInt32BE(3, 57))],
    ['zero records', mutated(two, (b) => b.writeInt32BE(0, 57))],
    ['negative lastOffsetDelta', mutated(two, (b) => b.writeInt32BE(-1, 23))],
    ['control batch', batch(undefined, { isControl: true })],
    ['producer id without sequence', batch(undefined, { producerId: 7, producerEpoch: 0, baseSequence: -1 })],
  ]
  for (const [name, bytes] of cases) assert.equal(codeOf(validateBatches(bytes, limits)), ErrorCode.INVALID_RECORD, name)
})

test('malformed records of an uncompressed batch are INVALID_RECORD', () => {
  const one = batch([{ key: 'key', value: 'value', timestamp: NOW }])
  const grown = Buffer.concat([one, Buffer.from([0x00])])
  grown.writeInt32BE(grown.length - 12, 8)
  const cases: Array<[string, Buffer]> = [
    ['record length past the batch', mutated(one, (b) => b.writeUInt8(0x7e, BATCH_HEADER_SIZE))],
    ['record length too short', mutated(one, (b) => b.writeUInt8(0x02, BATCH_HEADER_SIZE))],
    ['bytes after the declared records', mutated(grown, () => undefined)],
    ['varint longer than 5 bytes', mutated(one, (b) => b.fill(0xff, BATCH_HEADER_SIZE + 1, BATCH_HEADER_SIZE + 8))],
    ['more records declared than present', mutated(batch([{ value: 'a', timestamp: NOW }, { value: 'b', timestamp: NOW }]), (b) => {
      b.writeInt32BE(2, 23)
      b.writeInt32BE(3, 57)
    })],
  ]
  for (const [name, bytes] of cases) assert.equal(codeOf(validateBatches(bytes, limits)), ErrorCode.INVALID_RECORD, name)
})

test('CreateTime timestamps outside the allowed skew are INVALID_TIMESTAMP with per-record errors', () => {
  const bytes = batch([
    { value: 'ok', timestamp: NOW },
    { value: 'future', timestamp: NOW + 3600001 },
  ])
  const result = validateBatches(bytes, limits)
  assert.equal(result.errorCode, ErrorCode.INVALID_TIMESTAMP)
  assert.deepEqual(result.recordErrors?.map((error) => error.batchIndex), [1])
  const past = batch([{ value: 'old', timestamp: NOW - 1001 }])
  assert.equal(codeOf(validateBatches(past, { ...limits, timestampBeforeMaxMs: 1000 })), ErrorCode.INVALID_TIMESTAMP)
  assert.equal(validateBatches(past, { ...limits, timestampBeforeMaxMs: 1001 }).errorCode, undefined)
})

test('a producer claiming LogAppendTime on a LogAppendTime topic is INVALID_TIMESTAMP', () => {
  const bytes = batch(undefined, { timestampType: 'LogAppendTime' })
  assert.equal(codeOf(validateBatches(bytes, { ...limits, timestampType: 'LogAppendTime' })), ErrorCode.INVALID_TIMESTAMP)
  assert.equal(validateBatches(batch(), { ...limits, timestampType: 'LogAppendTime' }).errorCode, undefined)
})

test('a keyless record on a compacted topic is INVALID_RECORD with its index', () => {
  const bytes = batch([
    { key: 'k', value: 'a', timestamp: NOW },
    { key: null, value: 'b', timestamp: NOW },
  ])
  const result = validateBatches(bytes, { ...limits, isCompacted: true })
  assert.equal(result.errorCode, ErrorCode.INVALID_RECORD)
  assert.deepEqual(result.recordErrors?.map((error) => error.batchIndex), [1])
})

test('a compressed batch is accepted as sent, its timestamps checked from the header', () => {
  const compressed = mutated(batch(), (b) => b.writeInt16BE(1, 21))
  const result = validateBatches(compressed, limits)
  assert.equal(result.errorCode, undefined)
  assert.equal(result.batches![0]!.compressionType, 1)
  const future = mutated(compressed, (b) => writeInt64(b, 35, NOW + 7200000))
  assert.equal(codeOf(validateBatches(future, limits)), ErrorCode.INVALID_TIMESTAMP)
})

test('the reported maxTimestamp of an uncompressed batch is the largest record timestamp', () => {
  const bytes = mutated(batch([{ value: 'a', timestamp: NOW - 10 }, { value: 'b', timestamp: NOW - 20 }]), (b) => writeInt64(b, 35, NOW - 30))
  assert.equal(validateBatches(bytes, limits).batches![0]!.maxTimestamp, NOW - 10)
})

test('arbitrary and mutated bytes never throw, only answer error codes', () => {
  const valid = batch([{ key: 'k', value: 'value', headers: [{ key: 'h', value: 'x' }], timestamp: NOW }])
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      validateBatches(Buffer.from(bytes), limits)
    }),
  )
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean(), (edits, fixCrc) => {
      const bytes = Buffer.from(valid)
      for (const [at, value] of edits) bytes[at] = value
      if (fixCrc && bytes.readInt32BE(8) + 12 === bytes.length) bytes.writeUInt32BE(computeCrc(bytes, 0, bytes.length), CRC)
      const result = validateBatches(bytes, limits)
      assert.ok(result.errorCode === undefined || typeof result.errorCode === 'number')
    }),
  )
})
