// Zig-zag varints as used inside v2 records (Kafka's ByteUtils), read through a reusable cursor so
// walking records allocates nothing. Malformed input throws RecordFormatError.

export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RecordFormatError'
  }
}

export class VarintCursor {
  constructor(
    public buffer: Buffer,
    public position: number,
    public end: number,
  ) {}

  reset(buffer: Buffer, position: number, end: number): void {
    this.buffer = buffer
    this.position = position
    this.end = end
  }

  int8(): number {
    if (this.position >= this.end) throw new RecordFormatError('record ends early')
    return this.buffer.readInt8(this.position++)
  }

  /** A signed 32-bit varint; more than 5 bytes is an error, overflow wraps as in Java. */
  varint(): number {
    let value = 0
    let shift = 0
    for (;;) {
      if (this.position >= this.end) throw new RecordFormatError('varint runs past the record')
      const byte = this.buffer[this.position++]!
      if ((byte & 0x80) === 0) {
        value |= byte << shift
        return (value >>> 1) ^ -(value & 1)
      }
      value |= (byte & 0x7f) << shift
      shift += 7
      if (shift > 28) throw new RecordFormatError('varint is too long')
    }
  }

  /** A signed 64-bit varint as a number (exact within ±2^53). */
  varlong(): number {
    let raw = 0
    let scale = 1
    for (let i = 0; ; i++) {
      if (i >= 10) throw new RecordFormatError('varlong is too long')
      if (this.position >= this.end) throw new RecordFormatError('varlong runs past the record')
      const byte = this.buffer[this.position++]!
      raw += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) break
      scale *= 128
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2
  }

  skip(bytes: number): void {
    if (bytes < 0 || bytes > this.end - this.position) throw new RecordFormatError('field runs past the record')
    this.position += bytes
  }
}

export function sizeOfVarint(value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0
  let bytes = 1
  while (raw >= 0x80) {
    raw >>>= 7
    bytes++
  }
  return bytes
}

export function sizeOfVarlong(value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1
  let bytes = 1
  while (raw >= 0x80) {
    raw = Math.floor(raw / 128)
    bytes++
  }
  return bytes
}

/** Writes a zig-zag varint; returns the position after it. */
export function writeVarint(buffer: Buffer, position: number, value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0
  while (raw >= 0x80) {
    buffer[position++] = (raw & 0x7f) | 0x80
    raw >>>= 7
  }
  buffer[position++] = raw
  return position
}

/** Writes a zig-zag varlong of a safe integer; returns the position after it. */
export function writeVarlong(buffer: Buffer, position: number, value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1
  while (raw >= 0x80) {
    buffer[position++] = (raw % 128) | 0x80
    raw = Math.floor(raw / 128)
  }
  buffer[position++] = raw
  return position
}
