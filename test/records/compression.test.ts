import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import lz4 from 'lz4-napi'
import snappy from 'snappy'
import { compress as zstdCompress } from '@mongodb-js/zstd'
import { CompressionType, isCrcValid, readCompressionType, readBatchSize } from '../../src/records/batch-header.js'
import { codecById, DecompressionError } from '../../src/records/compression/codecs.js'
import {
  compressBatch, decompressBatch, PRODUCER_COMPRESSION, prepareBatches, rebuildBatch,
} from '../../src/records/compression/compressed-batch.js'
import { lz4DecompressedBound, zstdDecompressedBound } from '../../src/records/compression/frame-bounds.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { readBatchRecords } from '../../src/records/record-reader.js'
import { validateBatches, type ValidationLimits } from '../../src/records/validate.js'
import { ErrorCode } from '../../src/protocol/errors.js'

const NOW = 1_700_000_000_000
const limits: ValidationLimits = {
  maxMessageBytes: 1048588, origin: 'client', timestampType: 'CreateTime', nowMs: NOW,
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: 3600000, isCompacted: false,
}
const CODECS = [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]

function sampleBatch(count = 20): Buffer {
  const records = Array.from({ length: count }, (_, index) => ({
    key: `key-${index % 5}`, value: `value ${index} `.repeat(10), timestamp: NOW - 1000 + index,
    headers: [{ key: 'h', value: String(index) }],
  }))
  return buildRecordBatch(records, { timestampMs: NOW })
}

async function validated(records: Buffer, target = PRODUCER_COMPRESSION, extra: Partial<ValidationLimits> = {}) {
  const merged = { ...limits, ...extra }
  const sync = validateBatches(records, merged)
  assert.equal(sync.errorCode, undefined, sync.errorCode === undefined ? '' : sync.errorMessage)
  return prepareBatches(records, sync.batches!, merged, target)
}

for (const codec of CODECS) {
  const name = codecById(codec)!.name
  test(`${name}: a compressed batch round-trips to the same records with a valid CRC`, async () => {
    const plain = sampleBatch()
    const compressed = await compressBatch(plain, codec, codec === CompressionType.GZIP ? -1 : 3)
    assert.equal(readCompressionType(compressed, 0), codec)
    assert.ok(isCrcValid(compressed, 0, compressed.length))
    assert.ok(compressed.length < plain.length, 'repetitive records compress')
    const restored = await decompressBatch(compressed)
    assert.deepEqual(restored, plain)
  })

  test(`${name}: validation accepts a valid batch and keeps it as sent under compression.type=producer`, async () => {
    const compressed = await compressBatch(sampleBatch(), codec, 3)
    const result = await validated(compressed)
    assert.ok(!('errorCode' in result && result.errorCode !== undefined))
    assert.equal(result.records, compressed)
    assert.equal(result.batches[0]!.maxTimestamp, NOW - 1000 + 19)
  })

  test(`${name}: inner offsets that are not 0,1,2,... are INVALID_RECORD`, async () => {
    const plain = buildRecordBatch([{ value: 'a' }, { value: 'b' }], { timestampMs: NOW })
    // Rewrite the second record's offset delta (the varint after its timestamp delta) from 1 to 3.
    const secondRecordStart = 61 + 1 + plain[61]! / 2
    const offsetDeltaPosition = secondRecordStart + 1 + 1 + 1
    assert.equal(plain[offsetDeltaPosition], 2, 'zig-zag 1')
    plain[offsetDeltaPosition] = 6
    const compressed = await compressBatch(rebuildBatch(plain, plain.subarray(61), 0), codec, 3)
    const result = await validated(compressed)
    assert.equal(result.errorCode, ErrorCode.INVALID_RECORD)
  })

  test(`${name}: undecodable compressed bytes are CORRUPT_MESSAGE`, async () => {
    const plain = sampleBatch()
    const garbage = Buffer.alloc(200, 0x5a)
    const corrupt = rebuildBatch(plain, garbage, codec)
    const result = await validated(corrupt)
    assert.equal(result.errorCode, ErrorCode.CORRUPT_MESSAGE)
  })

  test(`${name}: a keyless record in a compressed batch on a compacted topic is INVALID_RECORD`, async () => {
    const plain = buildRecordBatch([{ key: 'k', value: 'a' }, { value: 'no key' }], { timestampMs: NOW })
    const compressed = await compressBatch(plain, codec, 3)
    const result = await validated(compressed, PRODUCER_COMPRESSION, { isCompacted: true })
    assert.equal(result.errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(result.errorCode !== undefined && result.recordErrors[0]!.batchIndex, 1)
  })

  test(`${name}: fewer records than the header's count is INVALID_RECORD`, async () => {
    const threeRecords = buildRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], { timestampMs: NOW })
    const twoRecords = buildRecordBatch([{ value: 'a' }, { value: 'b' }], { timestampMs: NOW })
    const compressed = await compressBatch(rebuildBatch(threeRecords, twoRecords.subarray(61), 0), codec, 3)
    const result = await validated(compressed)
    assert.equal(result.errorCode, ErrorCode.INVALID_RECORD)
  })

  test(`${name}: compression.type=${name} compresses uncompressed batches, offsets and records intact`, async () => {
    const plain = sampleBatch()
    const result = await validated(plain, { codec, level: 3 })
    assert.ok(result.errorCode === undefined)
    const stored = result.records
    assert.equal(readCompressionType(stored, 0), codec)
    assert.equal(result.batches[0]!.size, stored.length)
    assert.equal(result.batches[0]!.compressionType, codec)
    assert.ok(isCrcValid(stored, 0, stored.length))
    assert.deepEqual(await decompressBatch(stored), plain)
  })
}

test('compression.type=uncompressed decompresses, a different codec converts', async () => {
  const plain = sampleBatch()
  const zstd = await compressBatch(plain, CompressionType.ZSTD, 3)
  const asPlain = await validated(zstd, { codec: CompressionType.NONE, level: 0 })
  assert.ok(asPlain.errorCode === undefined)
  assert.deepEqual(asPlain.records, plain)
  const asLz4 = await validated(zstd, { codec: CompressionType.LZ4, level: 9 })
  assert.ok(asLz4.errorCode === undefined)
  assert.equal(readCompressionType(asLz4.records, 0), CompressionType.LZ4)
  assert.deepEqual(readBatchRecords(await decompressBatch(asLz4.records)), readBatchRecords(plain))
})

test('snappy reads both raw blocks (librdkafka) and xerial framing (Java clients)', async () => {
  const data = Buffer.from('xerial framed '.repeat(1000))
  const blockA = snappy.compressSync(data.subarray(0, 5000))
  const blockB = snappy.compressSync(data.subarray(5000))
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1])
  const length = (block: Buffer) => { const b = Buffer.alloc(4); b.writeInt32BE(block.length); return b }
  const xerial = Buffer.concat([header, length(blockA), blockA, length(blockB), blockB])
  const codec = codecById(CompressionType.SNAPPY)!
  assert.deepEqual(await codec.decompress(xerial, 1 << 20), data)
  assert.deepEqual(await codec.decompress(snappy.compressSync(data), 1 << 20), data)
})

test('decompression refuses output beyond the limit before allocating it', async () => {
  const big = Buffer.alloc(4 << 20, 7)
  const cases: [number, Buffer][] = [
    [CompressionType.GZIP, gzipSync(big)],
    [CompressionType.SNAPPY, snappy.compressSync(big)],
    [CompressionType.LZ4, await lz4.compressFrame(big)],
    [CompressionType.ZSTD, await zstdCompress(big, 3)],
  ]
  for (const [id, compressed] of cases) {
    await assert.rejects(codecById(id)!.decompress(compressed, 1 << 20), (error: unknown) =>
      error instanceof DecompressionError && error.reason === 'tooLarge')
    assert.equal((await codecById(id)!.decompress(compressed, 8 << 20)).length, big.length)
  }
})

test('frame bounds cover the real size and reject malformed frames', async () => {
  const data = Buffer.from('bounded '.repeat(50000))
  const lz4Frame = await lz4.compressFrame(data)
  const zstdFrame = await zstdCompress(data, 3)
  assert.ok(lz4DecompressedBound(lz4Frame)! >= data.length)
  assert.ok(zstdDecompressedBound(zstdFrame)! >= data.length)
  assert.equal(lz4DecompressedBound(lz4Frame.subarray(0, lz4Frame.length - 3)), null)
  assert.equal(zstdDecompressedBound(zstdFrame.subarray(0, zstdFrame.length - 3)), null)
  assert.equal(lz4DecompressedBound(Buffer.from('not a frame')), null)
  assert.equal(zstdDecompressedBound(Buffer.from('not a frame')), null)
})

test('rebuilding keeps the batch length consistent with its size', () => {
  const plain = sampleBatch(2)
  const rebuilt = rebuildBatch(plain, Buffer.alloc(10), CompressionType.GZIP)
  assert.equal(readBatchSize(rebuilt, 0), rebuilt.length)
})
