// Writer for Kafka's wire primitives. Fields go into a growing scratch buffer (no allocation per
// field); raw() appends a Buffer by reference so record batches are never copied. toBuffers()
// returns the filled parts of the scratch chunks and the raw buffers, in order, for writev.

const INITIAL_CHUNK_BYTES = 1024
// Chunks double up to this size; beyond it a fresh chunk per MiB keeps a big response from
// reallocating and copying what is already written.
const MAX_CHUNK_BYTES = 1 << 20
const UINT32_LIMIT = 2 ** 32

export class Writer {
  private chunks: Buffer[] = []
  private chunksBytes = 0
  private buf: Buffer
  private start = 0
  private pos = 0

  constructor(initialCapacity = INITIAL_CHUNK_BYTES) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity))
  }

  /** Bytes written so far, raw buffers included. */
  get length(): number {
    return this.chunksBytes + this.pos - this.start
  }

  private ensure(n: number): void {
    if (this.buf.length - this.pos < n) this.grow(n)
  }

  private grow(n: number): void {
    this.flushPending()
    const size = Math.max(n, Math.min(this.buf.length * 2, MAX_CHUNK_BYTES))
    this.buf = Buffer.allocUnsafe(size)
    this.start = 0
    this.pos = 0
  }

  private flushPending(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos))
      this.chunksBytes += this.pos - this.start
      this.start = this.pos
    }
  }

  int8(value: number): void {
    this.ensure(1)
    this.pos = this.buf.writeInt8(value, this.pos)
  }

  int16(value: number): void {
    this.ensure(2)
    this.pos = this.buf.writeInt16BE(value, this.pos)
  }

  int32(value: number): void {
    this.ensure(4)
    this.pos = this.buf.writeInt32BE(value, this.pos)
  }

  uint16(value: number): void {
    this.ensure(2)
    this.pos = this.buf.writeUInt16BE(value, this.pos)
  }

  uint32(value: number): void {
    this.ensure(4)
    this.pos = this.buf.writeUInt32BE(value, this.pos)
  }

  int64(value: bigint): void {
    this.ensure(8)
    // Offsets and timestamps are safe integers: two int32 writes instead of writeBigInt64BE, whose
    // bigint shifts allocate (~1/3 of a produce response's encoding).
    const number = Number(value)
    if (Number.isSafeInteger(number)) {
      const high = Math.floor(number / UINT32_LIMIT)
      this.buf.writeInt32BE(high, this.pos)
      this.pos = this.buf.writeUInt32BE(number - high * UINT32_LIMIT, this.pos + 4)
    } else {
      this.pos = this.buf.writeBigInt64BE(value, this.pos)
    }
  }

  float64(value: number): void {
    this.ensure(8)
    this.pos = this.buf.writeDoubleBE(value, this.pos)
  }

  bool(value: boolean): void {
    this.ensure(1)
    this.buf[this.pos++] = value ? 1 : 0
  }

  uuid(value: Buffer): void {
    if (value.length !== 16) throw new RangeError(`uuid must be 16 bytes, got ${value.length}`)
    this.ensure(16)
    this.pos += value.copy(this.buf, this.pos)
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  uvarint(value: number): void {
    if (!(Number.isInteger(value) && value >= 0 && value < UINT32_LIMIT)) {
      throw new RangeError(`uvarint out of range: ${value}`)
    }
    this.ensure(5)
    const buf = this.buf
    let pos = this.pos
    while (value >= 0x80) {
      buf[pos++] = (value & 0x7f) | 0x80
      value = value >>> 7
    }
    buf[pos++] = value
    this.pos = pos
  }

  /** Zig-zag signed 32-bit varint. */
  varint(value: number): void {
    if (!(Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff)) {
      throw new RangeError(`varint out of range: ${value}`)
    }
    this.uvarint(((value << 1) ^ (value >> 31)) >>> 0)
  }

  /** Zig-zag signed 64-bit varint. */
  varlong(value: bigint): void {
    let u = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
    if (BigInt.asIntN(64, value) !== value) throw new RangeError(`varlong out of range: ${value}`)
    this.ensure(10)
    const buf = this.buf
    let pos = this.pos
    while (u >= 0x80n) {
      buf[pos++] = Number(u & 0x7fn) | 0x80
      u >>= 7n
    }
    buf[pos++] = Number(u)
    this.pos = pos
  }

  private utf8(value: string, byteLength: number): void {
    this.ensure(byteLength)
    this.pos += this.buf.write(value, this.pos, byteLength, 'utf8')
  }

  string(value: string): void {
    const n = Buffer.byteLength(value, 'utf8')
    if (n > 0x7fff) throw new RangeError(`string of ${n} bytes exceeds int16 length`)
    this.int16(n)
    this.utf8(value, n)
  }

  nullableString(value: string | null): void {
    if (value === null) this.int16(-1)
    else this.string(value)
  }

  compactString(value: string): void {
    const n = Buffer.byteLength(value, 'utf8')
    this.uvarint(n + 1)
    this.utf8(value, n)
  }

  compactNullableString(value: string | null): void {
    if (value === null) this.uvarint(0)
    else this.compactString(value)
  }

  private copyBytes(value: Buffer): void {
    this.ensure(value.length)
    this.pos += value.copy(this.buf, this.pos)
  }

  bytes(value: Buffer): void {
    this.int32(value.length)
    this.copyBytes(value)
  }

  nullableBytes(value: Buffer | null): void {
    if (value === null) this.int32(-1)
    else this.bytes(value)
  }

  compactBytes(value: Buffer): void {
    this.uvarint(value.length + 1)
    this.copyBytes(value)
  }

  compactNullableBytes(value: Buffer | null): void {
    if (value === null) this.uvarint(0)
    else this.compactBytes(value)
  }

  // `records` fields: the length prefix is written here, the batches are appended by reference.

  records(value: Buffer): void {
    this.int32(value.length)
    this.raw(value)
  }

  nullableRecords(value: Buffer | null): void {
    if (value === null) this.int32(-1)
    else this.records(value)
  }

  compactRecords(value: Buffer): void {
    this.uvarint(value.length + 1)
    this.raw(value)
  }

  compactNullableRecords(value: Buffer | null): void {
    if (value === null) this.uvarint(0)
    else this.compactRecords(value)
  }

  /** Classic array count; -1 for null. */
  arrayLength(count: number): void {
    this.int32(count)
  }

  /** Compact array count (count + 1, 0 for null); pass -1 for null. */
  compactArrayLength(count: number): void {
    this.uvarint(count + 1)
  }

  /** An empty tagged-field section. */
  emptyTaggedFields(): void {
    this.ensure(1)
    this.buf[this.pos++] = 0
  }

  /** Appends `value` by reference: it must not change until the output is consumed. */
  raw(value: Buffer): void {
    if (value.length === 0) return
    this.flushPending()
    this.chunks.push(value)
    this.chunksBytes += value.length
  }

  /** Appends what another writer holds (its raw buffers stay by reference). */
  appendWriter(other: Writer): void {
    for (const chunk of other.toBuffers()) {
      if (chunk.length <= 256) this.copyBytes(chunk)
      else this.raw(chunk)
    }
  }

  toBuffers(): Buffer[] {
    this.flushPending()
    return this.chunks.slice()
  }

  toBuffer(): Buffer {
    this.flushPending()
    if (this.chunks.length === 1) return this.chunks[0]
    return Buffer.concat(this.chunks, this.chunksBytes)
  }
}
