// Bounds-checked reader for Kafka's wire primitives. Every violation throws CorruptFrameError
// (never RangeError), and every length is checked against the bytes left before anything is
// allocated, so a forged length cannot make us allocate or loop.

export class CorruptFrameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CorruptFrameError'
  }
}

const EMPTY = Buffer.alloc(0)

export class Reader {
  offset: number
  readonly buffer: Buffer
  readonly end: number

  constructor(buffer: Buffer, offset = 0, end = buffer.length) {
    if (!Number.isInteger(offset) || !Number.isInteger(end) || offset < 0 || end > buffer.length || offset > end) {
      throw new CorruptFrameError(`invalid reader bounds ${offset}..${end} of ${buffer.length}`)
    }
    this.buffer = buffer
    this.offset = offset
    this.end = end
  }

  static of(buffer: Buffer | Buffer[]): Reader {
    return new Reader(Array.isArray(buffer) ? Buffer.concat(buffer) : buffer)
  }

  remaining(): number {
    return this.end - this.offset
  }

  private need(n: number): number {
    const at = this.offset
    if (this.end - at < n) throw new CorruptFrameError(`need ${n} bytes at ${at}, ${this.end - at} left`)
    this.offset = at + n
    return at
  }

  skip(n: number): void {
    if (!(n >= 0)) throw new CorruptFrameError(`negative skip ${n}`)
    this.need(n)
  }

  int8(): number {
    return this.buffer.readInt8(this.need(1))
  }

  int16(): number {
    return this.buffer.readInt16BE(this.need(2))
  }

  int32(): number {
    return this.buffer.readInt32BE(this.need(4))
  }

  uint16(): number {
    return this.buffer.readUInt16BE(this.need(2))
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.need(4))
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.need(8))
  }

  float64(): number {
    return this.buffer.readDoubleBE(this.need(8))
  }

  bool(): boolean {
    // Kafka treats any non-zero byte as true.
    return this.buffer[this.need(1)] !== 0
  }

  uuid(): Buffer {
    const at = this.need(16)
    return this.buffer.subarray(at, at + 16)
  }

  /** Unsigned LEB128, at most 5 bytes, value < 2^32. */
  uvarint(): number {
    const buf = this.buffer
    let at = this.offset
    if (at < this.end) {
      const b = buf[at]
      if (b < 0x80) {
        this.offset = at + 1
        return b
      }
    }
    let result = 0
    let multiplier = 1
    for (let i = 0; i < 5; i++) {
      if (at >= this.end) throw new CorruptFrameError(`truncated varint at ${this.offset}`)
      const b = buf[at++]
      if (i === 4 && b > 0x0f) throw new CorruptFrameError(`varint at ${this.offset} exceeds 32 bits`)
      result += (b & 0x7f) * multiplier
      if (b < 0x80) {
        this.offset = at
        return result
      }
      multiplier *= 128
    }
    throw new CorruptFrameError(`varint at ${this.offset} is longer than 5 bytes`)
  }

  /** Zig-zag signed 32-bit varint (record batches). */
  varint(): number {
    const u = this.uvarint()
    return (u >>> 1) ^ -(u & 1)
  }

  /** Zig-zag signed 64-bit varint (record batches), at most 10 bytes. */
  varlong(): bigint {
    const buf = this.buffer
    let at = this.offset
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (at >= this.end) throw new CorruptFrameError(`truncated varlong at ${this.offset}`)
      const b = buf[at++]
      if (i === 9 && b > 0x01) throw new CorruptFrameError(`varlong at ${this.offset} exceeds 64 bits`)
      result |= BigInt(b & 0x7f) << shift
      if (b < 0x80) {
        this.offset = at
        return (result >> 1n) ^ -(result & 1n)
      }
      shift += 7n
    }
    throw new CorruptFrameError(`varlong at ${this.offset} is longer than 10 bytes`)
  }

  private utf8(length: number): string {
    const at = this.need(length)
    return this.buffer.toString('utf8', at, at + length)
  }

  private view(length: number): Buffer {
    if (length === 0) return EMPTY
    const at = this.need(length)
    return this.buffer.subarray(at, at + length)
  }

  string(): string {
    const length = this.int16()
    if (length < 0) throw new CorruptFrameError(`non-nullable string has length ${length}`)
    return this.utf8(length)
  }

  nullableString(): string | null {
    const length = this.int16()
    if (length === -1) return null
    if (length < 0) throw new CorruptFrameError(`invalid string length ${length}`)
    return this.utf8(length)
  }

  compactString(): string {
    const n = this.uvarint()
    if (n === 0) throw new CorruptFrameError('non-nullable compact string is null')
    return this.utf8(n - 1)
  }

  compactNullableString(): string | null {
    const n = this.uvarint()
    return n === 0 ? null : this.utf8(n - 1)
  }

  bytes(): Buffer {
    const length = this.int32()
    if (length < 0) throw new CorruptFrameError(`non-nullable bytes have length ${length}`)
    return this.view(length)
  }

  nullableBytes(): Buffer | null {
    const length = this.int32()
    if (length === -1) return null
    if (length < 0) throw new CorruptFrameError(`invalid bytes length ${length}`)
    return this.view(length)
  }

  compactBytes(): Buffer {
    const n = this.uvarint()
    if (n === 0) throw new CorruptFrameError('non-nullable compact bytes are null')
    return this.view(n - 1)
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint()
    return n === 0 ? null : this.view(n - 1)
  }

  /**
   * Classic array count: -1 means null. The count is checked against the bytes left, given
   * that every element takes at least `minElementBytes`, before the caller allocates.
   */
  arrayLength(minElementBytes: number): number {
    const n = this.int32()
    if (n === -1) return -1
    if (n < 0) throw new CorruptFrameError(`invalid array length ${n}`)
    this.checkCount(n, minElementBytes)
    return n
  }

  /** Compact array count (unsigned varint of count + 1; 0 means null): -1 for null. */
  compactArrayLength(minElementBytes: number): number {
    const n = this.uvarint() - 1
    if (n > 0) this.checkCount(n, minElementBytes)
    return n
  }

  private checkCount(n: number, minElementBytes: number): void {
    if (n * minElementBytes > this.end - this.offset) {
      throw new CorruptFrameError(`array of ${n} elements cannot fit in ${this.end - this.offset} bytes`)
    }
  }

  /** Reads a tagged field's size and returns where the field ends, checked against the bytes left. */
  taggedFieldEnd(): number {
    const size = this.uvarint()
    if (size > this.end - this.offset) throw new CorruptFrameError(`tagged field of ${size} bytes exceeds the ${this.end - this.offset} left`)
    return this.offset + size
  }

  /** Skips a whole tagged-field section (KIP-482). */
  skipTaggedFields(): void {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      this.skip(this.uvarint())
    }
  }
}
