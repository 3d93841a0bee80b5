// Cost of compressed batches on the produce path, per codec: `node dist/bench/compression.js`.
// Measures, on one ~0.5 MiB batch of 2500 JSON-like records:
//  - validate: decompress + walk the records (compression.type=producer, what every compressed
//    produce pays), one batch at a time and 4 in flight (the libuv pool has 4 threads);
//  - convert: an uncompressed batch compressed into the codec (compression.type=<codec>).
// Throughput is in MB/s of uncompressed record bytes.
import { CompressionType } from '../src/records/batch-header.js'
import { codecById } from '../src/records/compression/codecs.js'
import { compressBatch, PRODUCER_COMPRESSION, prepareBatches, type CompressionTarget } from '../src/records/compression/compressed-batch.js'
import { buildRecordBatch } from '../src/records/record-builder.js'
import { validateBatches, type ValidationLimits } from '../src/records/validate.js'
import { systemClock } from '../src/util/clock.js'

const NOW = systemClock.nowMs()
const limits: ValidationLimits = {
  maxMessageBytes: 64 << 20, origin: 'client', timestampType: 'CreateTime', nowMs: NOW,
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: 3600000, isCompacted: false,
}

function sampleBatch(): Buffer {
  let seed = 42
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  const words = ['order', 'customer', 'amount', 'status', 'shipped', 'pending', 'region', 'eu-west', 'us-east', 'item']
  const records = Array.from({ length: 2500 }, (_, index) => {
    const fields = Array.from({ length: 12 }, () => `"${words[Math.floor(random() * words.length)]}":${Math.floor(random() * 1e6)}`)
    return { key: `customer-${index % 97}`, value: `{${fields.join(',')},"seq":${index}}`, timestamp: NOW }
  })
  return buildRecordBatch(records, { timestampMs: NOW })
}

async function rate(label: string, bytes: number, iterations: number, concurrency: number, run: () => Promise<unknown>): Promise<void> {
  await run()
  const start = systemClock.monotonicMs()
  let next = 0
  const worker = async () => {
    while (next++ < iterations) await run()
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (systemClock.monotonicMs() - start) / 1000
  console.log(`${label.padEnd(34)} ${((bytes * iterations) / seconds / 1e6).toFixed(0).padStart(6)} MB/s`)
}

const plain = sampleBatch()
const uncompressedBytes = plain.length
console.log(`batch: ${uncompressedBytes} bytes uncompressed, 2500 records`)
for (const id of [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]) {
  const name = codecById(id)!.name
  const level = id === CompressionType.GZIP ? -1 : id === CompressionType.ZSTD ? 3 : 9
  const compressed = await compressBatch(plain, id, level)
  console.log(`${name}: ${compressed.length} bytes (ratio ${(uncompressedBytes / compressed.length).toFixed(1)})`)
  const batches = validateBatches(compressed, limits).batches!
  const validate = () => prepareBatches(compressed, batches, limits, PRODUCER_COMPRESSION)
  await rate(`${name} validate, 1 in flight`, uncompressedBytes, 40, 1, validate)
  await rate(`${name} validate, 4 in flight`, uncompressedBytes, 80, 4, validate)
  const plainBatches = validateBatches(plain, limits).batches!
  const target: CompressionTarget = { codec: id, level }
  await rate(`${name} convert from uncompressed`, uncompressedBytes, 20, 1, () => prepareBatches(plain, plainBatches, limits, target))
}
