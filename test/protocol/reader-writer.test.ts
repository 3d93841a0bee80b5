import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CorruptFrameError, Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'

function bytesOf(write: (w: Writer) => void): Buffer {
  const w = new Writer(4)
  write(w)
  return w.toBuffer()
}

test('fixed-width integers are big-endian two\'s complement', () => {
  const b = bytesOf((w) => {
    w.int8(-2)
    w.int16(-2)
    w.int32(0x01020304)
    w.uint16(0xfffe)
    w.uint32(0xfffffffe)
    w.int64(-2n)
    w.float64(1.5)
    w.bool(true)
  })
  assert.equal(b.toString('hex'), 'fe' + 'fffe' + '01020304' + 'fffe' + 'fffffffe' + 'fffffffffffffffe' + '3ff8000000000000' + '01')
  const r = new Reader(b)
  assert.equal(r.int8(), -2)
  assert.equal(r.int16(), -2)
  assert.equal(r.int32(), 0x01020304)
  assert.equal(r.uint16(), 0xfffe)
  assert.equal(r.uint32(), 0xfffffffe)
  assert.equal(r.int64(), -2n)
  assert.equal(r.float64(), 1.5)
  assert.equal(r.bool(), true)
  assert.equal(r.remaining(), 0)
})

test('int64 writes the same bytes as writeBigInt64BE over the whole range', () => {
  const edges = [0n, -1n, 1n, 2n ** 32n, -(2n ** 32n), 2n ** 32n - 1n, 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, -(2n ** 53n), 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)]
  const check = (value: bigint) => {
    const expected = Buffer.alloc(8)
    expected.writeBigInt64BE(value)
    assert.deepEqual(bytesOf((w) => w.int64(value)), expected, String(value))
  }
  for (const value of edges) check(value)
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => check(value)))
  fc.assert(fc.property(fc.maxSafeInteger(), (value) => check(BigInt(value))))
})

test('bool reads any non-zero byte as true', () => {
  assert.equal(new Reader(Buffer.from([2])).bool(), true)
  assert.equal(new Reader(Buffer.from([0])).bool(), false)
})

test('unsigned varints use LEB128 with the documented edge encodings', () => {
  const cases: Array<[number, string]> = [
    [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16383, 'ff7f'], [16384, '808001'],
    [0x7fffffff, 'ffffffff07'], [0xffffffff, 'ffffffff0f'],
  ]
  for (const [value, hex] of cases) {
    assert.equal(bytesOf((w) => w.uvarint(value)).toString('hex'), hex, `uvarint ${value}`)
    const r = new Reader(Buffer.from(hex, 'hex'))
    assert.equal(r.uvarint(), value)
    assert.equal(r.remaining(), 0)
  }
  assert.throws(() => new Writer().uvarint(-1), RangeError)
  assert.throws(() => new Writer().uvarint(2 ** 32), RangeError)
})

test('zig-zag varints map small magnitudes to short encodings', () => {
  const cases: Array<[number, string]> = [[0, '00'], [-1, '01'], [1, '02'], [-64, '7f'], [64, '8001'], [-2147483648, 'ffffffff0f'], [2147483647, 'feffffff0f']]
  for (const [value, hex] of cases) {
    assert.equal(bytesOf((w) => w.varint(value)).toString('hex'), hex, `varint ${value}`)
    assert.equal(new Reader(Buffer.from(hex, 'hex')).varint(), value)
  }
  const longs: Array<[bigint, string]> = [[0n, '00'], [-1n, '01'], [1n, '02'], [(1n << 63n) - 1n, 'feffffffffffffffff01'], [-(1n << 63n), 'ffffffffffffffffff01']]
  for (const [value, hex] of longs) {
    assert.equal(bytesOf((w) => w.varlong(value)).toString('hex'), hex, `varlong ${value}`)
    assert.equal(new Reader(Buffer.from(hex, 'hex')).varlong(), value)
  }
  assert.throws(() => new Writer().varint(2 ** 31), RangeError)
  assert.throws(() => new Writer().varlong(1n << 63n), RangeError)
})

test('varints round-trip over their whole range', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -2147483648, max: 2147483647 }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (u, s, l) => {
    const r = new Reader(bytesOf((w) => { w.uvarint(u); w.varint(s); w.varlong(l) }))
    assert.equal(r.uvarint(), u)
    assert.equal(r.varint(), s)
    assert.equal(r.varlong(), l)
    assert.equal(r.remaining(), 0)
  }), { numRuns: 300 })
})

test('overlong or oversized varints are corrupt', () => {
  assert.throws(() => new Reader(Buffer.from('ffffffffff01', 'hex')).uvarint(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('ffffffff1f', 'hex')).uvarint(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('8080', 'hex')).uvarint(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('ffffffffffffffffff03', 'hex')).varlong(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('ffffffffffffffffffff01', 'hex')).varlong(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('80', 'hex')).varlong(), CorruptFrameError)
})

test('classic and compact strings and bytes, including null and empty', () => {
  const b = bytesOf((w) => {
    w.string('hé')
    w.nullableString(null)
    w.compactString('')
    w.compactNullableString(null)
    w.compactNullableString('x')
    w.bytes(Buffer.from([1, 2]))
    w.nullableBytes(null)
    w.compactBytes(Buffer.alloc(0))
    w.compactNullableBytes(null)
  })
  assert.equal(b.toString('hex'), '000368c3a9' + 'ffff' + '01' + '00' + '0278' + '000000020102' + 'ffffffff' + '01' + '00')
  const r = new Reader(b)
  assert.equal(r.string(), 'hé')
  assert.equal(r.nullableString(), null)
  assert.equal(r.compactString(), '')
  assert.equal(r.compactNullableString(), null)
  assert.equal(r.compactNullableString(), 'x')
  assert.deepEqual(r.bytes(), Buffer.from([1, 2]))
  assert.equal(r.nullableBytes(), null)
  assert.deepEqual(r.compactBytes(), Buffer.alloc(0))
  assert.equal(r.compactNullableBytes(), null)
  assert.equal(r.remaining(), 0)
})

test('bytes and uuids decode as views of the frame, not copies', () => {
  const frame = Buffer.from('00000002abcd' + '00112233445566778899aabbccddeeff', 'hex')
  const r = new Reader(frame)
  const bytes = r.bytes()
  const uuid = r.uuid()
  assert.equal(bytes.buffer, frame.buffer)
  assert.equal(bytes.byteOffset, frame.byteOffset + 4)
  assert.equal(uuid.buffer, frame.buffer)
  assert.equal(uuid.length, 16)
})

test('non-nullable readers reject null encodings', () => {
  assert.throws(() => new Reader(Buffer.from('ffff', 'hex')).string(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('00', 'hex')).compactString(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('ffffffff', 'hex')).bytes(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('00', 'hex')).compactBytes(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('fffe', 'hex')).nullableString(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('fffffffe', 'hex')).nullableBytes(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('fffffffe', 'hex')).arrayLength(1), CorruptFrameError)
})

test('array lengths are checked against the bytes left before any allocation', () => {
  assert.throws(() => new Reader(Buffer.from('7fffffff', 'hex')).arrayLength(1), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('00000002000000', 'hex')).arrayLength(4), CorruptFrameError)
  assert.equal(new Reader(Buffer.from('000000020000000000000000', 'hex')).arrayLength(4), 2)
  assert.equal(new Reader(Buffer.from('ffffffff', 'hex')).arrayLength(4), -1)
  assert.throws(() => new Reader(Buffer.from('ffffffff0f', 'hex')).compactArrayLength(1), CorruptFrameError)
  assert.equal(new Reader(Buffer.from('00', 'hex')).compactArrayLength(1), -1)
  assert.equal(new Reader(Buffer.from('01', 'hex')).compactArrayLength(1), 0)
})

test('a reader never reads past its end bound, even inside a larger buffer', () => {
  const r = new Reader(Buffer.from('0001020304', 'hex'), 1, 3)
  assert.equal(r.int16(), 0x0102)
  assert.throws(() => r.int8(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.alloc(4), 0, 5), CorruptFrameError)
})

test('every primitive on truncated input throws CorruptFrameError, never RangeError', () => {
  const reads: Array<(r: Reader) => unknown> = [
    (r) => r.int8(), (r) => r.int16(), (r) => r.int32(), (r) => r.uint16(), (r) => r.uint32(), (r) => r.int64(),
    (r) => r.float64(), (r) => r.bool(), (r) => r.uuid(), (r) => r.uvarint(), (r) => r.varint(), (r) => r.varlong(),
    (r) => r.string(), (r) => r.nullableString(), (r) => r.compactString(), (r) => r.compactNullableString(),
    (r) => r.bytes(), (r) => r.nullableBytes(), (r) => r.compactBytes(), (r) => r.compactNullableBytes(),
    (r) => r.skip(1), (r) => r.skipTaggedFields(), (r) => r.taggedFieldEnd(),
  ]
  for (const read of reads) assert.throws(() => read(new Reader(Buffer.alloc(0))), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('0005616263', 'hex')).string(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('0a6162', 'hex')).compactBytes(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('0201', 'hex')).taggedFieldEnd(), CorruptFrameError)
  assert.throws(() => new Reader(Buffer.from('0105', 'hex')).skipTaggedFields(), CorruptFrameError)
})

test('skipTaggedFields skips every tag by its size', () => {
  const r = new Reader(Buffer.from('02' + '0002aabb' + '0501cc' + '7f', 'hex'))
  r.skipTaggedFields()
  assert.equal(r.int8(), 0x7f)
})

test('raw() appends by reference and toBuffers() keeps the write order', () => {
  const records = Buffer.from('recordbatchbytes')
  const w = new Writer(8)
  w.int32(records.length)
  w.raw(records)
  w.int16(7)
  const parts = w.toBuffers()
  assert.equal(parts.length, 3)
  assert.equal(parts[1], records)
  assert.equal(w.length, 4 + records.length + 2)
  assert.deepEqual(Buffer.concat(parts), Buffer.concat([Buffer.from('00000010', 'hex'), records, Buffer.from('0007', 'hex')]))
  assert.deepEqual(w.toBuffer(), Buffer.concat(parts))
})

test('the writer grows across chunks without losing bytes', () => {
  const w = new Writer(16)
  const expected: number[] = []
  for (let i = 0; i < 5000; i++) {
    w.int32(i)
    expected.push(i)
    if (i % 1000 === 0) w.raw(Buffer.from([i & 0xff]))
  }
  const r = new Reader(w.toBuffer())
  for (const i of expected) {
    assert.equal(r.int32(), i)
    if (i % 1000 === 0) assert.equal(r.int8(), (i & 0xff) << 24 >> 24)
  }
  assert.equal(r.remaining(), 0)
  assert.ok(w.toBuffers().length <= 11 + 2 * 5, 'chunks double in size; each raw buffer splits one')
})

test('appendWriter copies small chunks and keeps raw buffers by reference', () => {
  const big = Buffer.alloc(1000, 1)
  const inner = new Writer()
  inner.int8(5)
  inner.raw(big)
  const outer = new Writer()
  outer.int8(4)
  outer.appendWriter(inner)
  assert.ok(outer.toBuffers().includes(big))
  assert.deepEqual(outer.toBuffer(), Buffer.concat([Buffer.from([4, 5]), big]))
})

test('writing out-of-range values throws instead of truncating', () => {
  assert.throws(() => new Writer().int8(128), RangeError)
  assert.throws(() => new Writer().int16(40000), RangeError)
  assert.throws(() => new Writer().uuid(Buffer.alloc(15)), RangeError)
  assert.throws(() => new Writer().string('x'.repeat(40000)), RangeError)
})
