// Produce of compressed batches end to end: the broker decompresses and walks them before the
// append, answering CORRUPT_MESSAGE for undecodable bytes and INVALID_RECORD for bad records, and
// stores nothing of a rejected batch.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Admin } from '../../src/client/admin.js'
import { KafkaClient, LATEST_TIMESTAMP } from '../../src/client/kafka-client.js'
import { CompressionType } from '../../src/records/batch-header.js'
import { compressBatch, rebuildBatch } from '../../src/records/compression/compressed-batch.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'

let broker: InProcessBroker
let client: KafkaClient

before(async () => {
  broker = await startInProcessBroker()
  client = new KafkaClient({ bootstrapServers: broker.bootstrap, retries: 0 })
  await new Admin(client).createTopics([{ name: 'compressed-produce', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } }])
})
after(async () => {
  await client?.close()
  await broker?.close()
})

const isCode = (code: number) => (error: unknown) => error instanceof KafkaError && error.code === code

test('a valid zstd batch is accepted; undecodable bytes are CORRUPT_MESSAGE; a keyless record on a compacted topic INVALID_RECORD', async () => {
  const plain = buildRecordBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }])
  const accepted = await client.produce('compressed-produce', 0, await compressBatch(plain, CompressionType.ZSTD, 3), { acks: -1 })
  assert.equal(accepted.baseOffset, 0n)

  const garbage = rebuildBatch(plain, Buffer.alloc(64, 0x42), CompressionType.ZSTD)
  await assert.rejects(client.produce('compressed-produce', 0, garbage, { acks: -1 }), isCode(ErrorCode.CORRUPT_MESSAGE))

  const keyless = await compressBatch(buildRecordBatch([{ key: 'a', value: '1' }, { value: 'no key' }]), CompressionType.LZ4, 9)
  await assert.rejects(client.produce('compressed-produce', 0, keyless, { acks: -1 }), isCode(ErrorCode.INVALID_RECORD))

  assert.equal((await client.listOffsets('compressed-produce', 0, LATEST_TIMESTAMP)).offset, 2n)
})
