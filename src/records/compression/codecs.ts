// The four codecs of RecordBatch v2 (attributes bits 0-2: 1 gzip, 2 snappy, 3 lz4, 4 zstd), all
// asynchronous: zlib, snappy (napi-rs), lz4-napi and @mongodb-js/zstd run on the libuv thread
// pool, so a batch being (de)compressed never blocks the event loop.
//
// Formats, as Kafka and the clients use them:
//  - gzip: RFC 1952 members (Java's GZIPOutputStream, librdkafka).
//  - snappy: Java clients write the xerial framing (magic "\x82SNAPPY\0", two int32 versions,
//    then int32-length-prefixed raw blocks); librdkafka and @platformatic/kafka write one raw
//    block. Both are read. We write a raw block: every client reads it (snappy-java's
//    SnappyInputStream falls back to raw input), whereas @platformatic/kafka cannot read xerial.
//  - lz4: the LZ4 frame format with independent 64 KiB blocks (KafkaLZ4BlockOutputStream).
//  - zstd: Zstandard frames (RFC 8878), with or without the content size.
//
// Decompression is bounded: the decompressed size is known or bounded from headers before any
// output is allocated (gzip: zlib's maxOutputLength), so a small batch cannot expand without limit.
//
// Each codec's module is loaded on its first use (a native addon costs ~10-15 ms to load): a
// broker that never sees a codec never loads it, and start-up does not wait for any of them.
import { createRequire } from 'node:module'
import { CompressionType } from '../batch-header.js'
import { lz4DecompressedBound, zstdDecompressedBound } from './frame-bounds.js'

/** Bad compressed bytes, or output beyond the allowed size. */
export class DecompressionError extends Error {
  constructor(
    readonly reason: 'corrupt' | 'tooLarge',
    message: string,
  ) {
    super(message)
    this.name = 'DecompressionError'
  }
}

export interface CompressionCodec {
  readonly id: number
  /** Kafka's compression.type name. */
  readonly name: 'gzip' | 'snappy' | 'lz4' | 'zstd'
  /** `level` is the topic's compression.<codec>.level; codecs without levels ignore it. */
  compress(data: Buffer, level: number): Promise<Buffer>
  /** Throws DecompressionError when the bytes are malformed or would exceed maxBytes. */
  decompress(data: Buffer, maxBytes: number): Promise<Buffer>
}

// require() of a CommonJS addon skips the ESM wrapper's export scan of its loader script.
const require = createRequire(import.meta.url)

/** The module, loaded on the first call; later calls return the cached one. */
function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined
  return () => (loaded ??= load())
}

type Zlib = typeof import('node:zlib')
const zlib = lazy(() => require('node:zlib') as Zlib)
const snappy = lazy(() => require('snappy') as typeof import('snappy'))
const lz4 = lazy(() => require('lz4-napi') as typeof import('lz4-napi'))
const zstd = lazy(() => require('@mongodb-js/zstd') as typeof import('@mongodb-js/zstd'))

function gzipAsync(data: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => zlib().gzip(data, { level }, (error, result) => (error === null ? resolve(result) : reject(error))))
}

function gunzipAsync(data: Buffer, maxOutputLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => zlib().gunzip(data, { maxOutputLength }, (error, result) => (error === null ? resolve(result) : reject(error))))
}

const gzipCodec: CompressionCodec = {
  id: CompressionType.GZIP,
  name: 'gzip',
  compress: (data, level) => gzipAsync(data, level === -1 ? zlib().constants.Z_DEFAULT_COMPRESSION : level),
  async decompress(data, maxBytes) {
    try {
      return await gunzipAsync(data, maxBytes)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip', maxBytes)
      throw new DecompressionError('corrupt', `invalid gzip data: ${(error as Error).message}`)
    }
  },
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
/** Magic plus the int32 version and compatible version. */
const XERIAL_HEADER_SIZE = 16

const snappyCodec: CompressionCodec = {
  id: CompressionType.SNAPPY,
  name: 'snappy',
  compress: (data) => snappy().compress(data),
  async decompress(data, maxBytes) {
    const isXerial = data.length >= XERIAL_HEADER_SIZE && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)
    if (!isXerial) return snappyBlock(data, maxBytes)
    const blocks: Buffer[] = []
    let position = XERIAL_HEADER_SIZE
    let total = 0
    while (position < data.length) {
      if (data.length - position < 4) throw new DecompressionError('corrupt', 'truncated xerial snappy block length')
      const length = data.readInt32BE(position)
      position += 4
      if (length < 0 || length > data.length - position) throw new DecompressionError('corrupt', 'invalid xerial snappy block length')
      const block = await snappyBlock(data.subarray(position, position + length), maxBytes - total)
      total += block.length
      blocks.push(block)
      position += length
    }
    return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total)
  },
}

/** One raw snappy block; its uvarint preamble states the decompressed length. */
async function snappyBlock(block: Buffer, maxBytes: number): Promise<Buffer> {
  let length = 0
  let shift = 0
  for (let index = 0; ; index++) {
    if (index >= 5 || index >= block.length) throw new DecompressionError('corrupt', 'invalid snappy length preamble')
    const byte = block[index]!
    length += (byte & 0x7f) * 2 ** shift
    shift += 7
    if ((byte & 0x80) === 0) break
  }
  if (length > maxBytes) throw tooLarge('snappy', maxBytes)
  try {
    return (await snappy().uncompress(block, { asBuffer: true })) as Buffer
  } catch (error) {
    throw new DecompressionError('corrupt', `invalid snappy data: ${(error as Error).message}`)
  }
}

const lz4Codec: CompressionCodec = {
  id: CompressionType.LZ4,
  name: 'lz4',
  // lz4-napi exposes no level: compression.lz4.level is accepted but does not apply.
  compress: (data) => lz4().compressFrame(data),
  async decompress(data, maxBytes) {
    const bound = lz4DecompressedBound(data)
    if (bound === null) throw new DecompressionError('corrupt', 'invalid lz4 frame')
    if (bound > maxBytes) throw tooLarge('lz4', maxBytes)
    try {
      return await lz4().decompressFrame(data)
    } catch (error) {
      throw new DecompressionError('corrupt', `invalid lz4 data: ${(error as Error).message}`)
    }
  },
}

const zstdCodec: CompressionCodec = {
  id: CompressionType.ZSTD,
  name: 'zstd',
  compress: (data, level) => zstd().compress(data, level),
  async decompress(data, maxBytes) {
    const bound = zstdDecompressedBound(data)
    if (bound === null) throw new DecompressionError('corrupt', 'invalid zstd frame')
    if (bound > maxBytes) throw tooLarge('zstd', maxBytes)
    try {
      return await zstd().decompress(data)
    } catch (error) {
      throw new DecompressionError('corrupt', `invalid zstd data: ${(error as Error).message}`)
    }
  },
}

function tooLarge(name: string, maxBytes: number): DecompressionError {
  return new DecompressionError('tooLarge', `${name} data decompresses to more than ${maxBytes} bytes`)
}

const CODECS: readonly (CompressionCodec | undefined)[] = [undefined, gzipCodec, snappyCodec, lz4Codec, zstdCodec]

/** The codec for attributes bits 0-2 (1..4); undefined for NONE and unknown ids. */
export function codecById(id: number): CompressionCodec | undefined {
  return CODECS[id]
}

/** compression.type values naming a codec → attribute id; 'uncompressed' → NONE; 'producer' → null. */
export function compressionTypeId(name: string): number | null {
  switch (name) {
    case 'producer':
      return null
    case 'uncompressed':
    case 'none':
      return CompressionType.NONE
    case 'gzip':
      return CompressionType.GZIP
    case 'snappy':
      return CompressionType.SNAPPY
    case 'lz4':
      return CompressionType.LZ4
    case 'zstd':
      return CompressionType.ZSTD
    default:
      throw new RangeError(`unknown compression type ${name}`)
  }
}
