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
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { WireClient, createRequest } from '../helpers/wire-client.js'

const PRODUCE = 0

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

test('Produce v8+ names the refused records in record_errors (batch index and reason), as Kafka', async () => {
  const keyless = await compressBatch(buildRecordBatch([{ key: 'a', value: '1' }, { value: 'no key' }, { key: 'c', value: '3' }, { value: 'none' }]), CompressionType.LZ4, 9)
  const wire = await WireClient.connect(broker.host, broker.port)
  try {
    const request = createRequest<ProduceRequest>(PRODUCE)
    request.acks = -1
    request.timeoutMs = 5000
    request.topicData = [{ name: 'compressed-produce', partitionData: [{ index: 0, records: keyless }] }]
    const response = await wire.request<ProduceResponse>(PRODUCE, 9, request)
    const partition = response.responses[0]!.partitionResponses[0]!
    assert.equal(partition.errorCode, ErrorCode.INVALID_RECORD)
    assert.deepEqual(partition.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage]), [
      [1, 'Compacted topic cannot accept message without key'],
      [3, 'Compacted topic cannot accept message without key'],
    ])
  } finally {
    wire.close()
  }
})
