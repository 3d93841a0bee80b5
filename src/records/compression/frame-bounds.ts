// Upper bounds on the decompressed size of lz4 and zstd frames, read from the frame and block
// headers without decompressing anything. The native decoders allocate whatever the input asks
// for, so a client-sent frame of RLE blocks could expand a 1 MB batch into gigabytes; walking
// the headers first (a few bytes per 64-128 KiB block) lets the caller refuse it up front.
//
// Formats: the LZ4 frame format (lz4_Frame_format.md, as Kafka's KafkaLZ4BlockOutputStream and
// librdkafka write it) and the Zstandard frame format (RFC 8878). Skippable frames of both are
// allowed and contribute nothing. Every function returns null when the bytes are not a
// well-formed sequence of frames, so the caller answers CORRUPT_MESSAGE.

const LZ4_MAGIC = 0x184d2204
const ZSTD_MAGIC = 0xfd2fb528
/** Both formats reserve 0x184D2A50..5F for skippable frames. */
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
const LZ4_BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20]
/** RFC 8878: a block never regenerates more than 128 KiB. */
const ZSTD_BLOCK_MAX_SIZE = 128 << 10

/** Bytes an LZ4 frame sequence decompresses to at most, or null if malformed. */
export function lz4DecompressedBound(data: Buffer): number | null {
  return frameSequenceBound(data, LZ4_MAGIC, lz4FrameBound)
}

/** Bytes a Zstandard frame sequence decompresses to at most, or null if malformed. */
export function zstdDecompressedBound(data: Buffer): number | null {
  return frameSequenceBound(data, ZSTD_MAGIC, zstdFrameBound)
}

/** Where a frame starting at `position` (its magic already checked) ends, and what it decompresses to at most. */
interface FrameBound {
  readonly end: number
  readonly bound: number
}

/** The frames of `data`, each of `magic` or skippable; the sum of their bounds, or null if malformed. */
function frameSequenceBound(data: Buffer, magic: number, frameBound: (data: Buffer, position: number) => FrameBound | null): number | null {
  let position = 0
  let bound = 0
  while (position < data.length) {
    if (data.length - position < 4) return null
    const frameMagic = data.readUInt32LE(position)
    if ((frameMagic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      const skipped = skipSkippableFrame(data, position)
      if (skipped === null) return null
      position = skipped
      continue
    }
    if (frameMagic !== magic) return null
    const frame = frameBound(data, position)
    if (frame === null) return null
    position = frame.end
    bound += frame.bound
  }
  return bound
}

function lz4FrameBound(data: Buffer, start: number): FrameBound | null {
  if (data.length - start < 7) return null
  const flags = data[start + 4]!
  const blockDescriptor = data[start + 5]!
  if (flags >> 6 !== 1) return null
  const hasBlockChecksum = (flags & 0x10) !== 0
  const hasContentSize = (flags & 0x08) !== 0
  const hasContentChecksum = (flags & 0x04) !== 0
  const hasDictionaryId = (flags & 0x01) !== 0
  const blockMaxSize = LZ4_BLOCK_MAX_SIZES[(blockDescriptor >> 4) & 0x07]!
  if (blockMaxSize === 0) return null
  // magic, FLG, BD, optional content size and dictionary id, then the header checksum byte.
  let position = start + 6 + (hasContentSize ? 8 : 0) + (hasDictionaryId ? 4 : 0) + 1
  let bound = 0
  for (;;) {
    if (data.length - position < 4) return null
    const word = data.readUInt32LE(position)
    position += 4
    if (word === 0) break
    const isUncompressed = (word & 0x80000000) !== 0
    const size = word & 0x7fffffff
    if (size > blockMaxSize) return null
    position += size + (hasBlockChecksum ? 4 : 0)
    if (position > data.length) return null
    bound += isUncompressed ? size : blockMaxSize
  }
  position += hasContentChecksum ? 4 : 0
  return position > data.length ? null : { end: position, bound }
}

function zstdFrameBound(data: Buffer, start: number): FrameBound | null {
  if (data.length - start < 5) return null
  const descriptor = data[start + 4]!
  const contentSizeFlag = descriptor >> 6
  const isSingleSegment = (descriptor & 0x20) !== 0
  if ((descriptor & 0x08) !== 0) return null
  const hasChecksum = (descriptor & 0x04) !== 0
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03]!
  const contentSizeBytes = [isSingleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]!
  let position = start + 5 + (isSingleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes
  let bound = 0
  for (;;) {
    if (data.length - position < 3) return null
    const header = data[position]! | (data[position + 1]! << 8) | (data[position + 2]! << 16)
    position += 3
    const isLast = (header & 1) !== 0
    const type = (header >> 1) & 0x03
    const size = header >>> 3
    if (type === 3) return null
    if (type === 1) {
      // RLE: one byte repeated `size` times.
      position += 1
      bound += size
    } else {
      if (size > ZSTD_BLOCK_MAX_SIZE) return null
      position += size
      bound += type === 0 ? size : ZSTD_BLOCK_MAX_SIZE
    }
    if (position > data.length) return null
    if (isLast) break
  }
  position += hasChecksum ? 4 : 0
  return position > data.length ? null : { end: position, bound }
}

function skipSkippableFrame(data: Buffer, position: number): number | null {
  if (data.length - position < 8) return null
  const next = position + 8 + data.readUInt32LE(position + 4)
  return next <= data.length ? next : null
}
