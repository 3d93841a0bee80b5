// InitProducerId and idempotent produce on the wire: producer ids, the answers for transactional
// ids, a re-sent produce request answering its original offset with the records stored once, the
// errors for gaps and fenced epochs, and both surviving a restart.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { ErrorCode } from '../../src/protocol/errors.js'
import type { ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js'
import type { FetchRequest, FetchResponse } from '../../src/protocol/messages/fetch.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../src/protocol/messages/init-producer-id.js'
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js'
import { readAllRecords } from '../../src/records/record-reader.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { tmpDir } from '../helpers/tmp-dir.js'
import { WireClient, createRequest } from '../helpers/wire-client.js'

const INIT_PRODUCER_ID = 22
const CREATE_TOPICS = 19
const TOPIC = 'idempotent-wire'
const logDir = tmpDir('gregor-idempotent-')
const open: { broker: InProcessBroker; client: WireClient }[] = []

after(async () => {
  for (const { broker, client } of open) {
    client.close()
    await broker.close()
  }
  await logDir.cleanup()
})

async function start(): Promise<{ broker: InProcessBroker; client: WireClient }> {
  const broker = await startInProcessBroker({ logDirs: logDir.path })
  const client = await WireClient.connect(broker.host, broker.port)
  const started = { broker, client }
  open.push(started)
  return started
}

async function stop(started: { broker: InProcessBroker; client: WireClient }): Promise<void> {
  started.client.close()
  await started.broker.close()
  open.splice(open.indexOf(started), 1)
}

function initRequest(fields: Partial<InitProducerIdRequest>): InitProducerIdRequest {
  return { ...createRequest<InitProducerIdRequest>(INIT_PRODUCER_ID), transactionalId: null, transactionTimeoutMs: 60_000, ...fields }
}

function produceRequest(records: Buffer): ProduceRequest {
  const request = createRequest<ProduceRequest>(0)
  request.acks = -1
  request.timeoutMs = 5000
  request.topicData = [{ name: TOPIC, partitionData: [{ index: 0, records }] }]
  return request
}

async function produce(client: WireClient, records: Buffer): Promise<{ errorCode: number; baseOffset: bigint }> {
  const response = await client.request<ProduceResponse>(0, 9, produceRequest(records))
  return response.responses[0]!.partitionResponses[0]!
}

async function fetchValues(client: WireClient): Promise<string[]> {
  const request = createRequest<FetchRequest>(1)
  Object.assign(request, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 })
  request.topics = [{
    topic: TOPIC, topicId: Buffer.alloc(16),
    partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }],
  }]
  const response = await client.request<FetchResponse>(1, 11, request)
  const partition = response.responses[0]!.partitions[0]!
  assert.equal(partition.errorCode, ErrorCode.NONE)
  return readAllRecords(partition.records!).map((record) => `${record.offset}:${record.value!.toString()}`)
}

function batch(producerId: bigint, epoch: number, sequence: number, values: string[]): Buffer {
  return buildRecordBatch(values.map((value) => ({ key: value, value })), { producerId: Number(producerId), producerEpoch: epoch, baseSequence: sequence })
}

test('InitProducerId is advertised from v0 and hands out fresh ids; transactional ids get Kafka’s answers', async () => {
  const { client } = await start()
  const create = createRequest<CreateTopicsRequest>(CREATE_TOPICS)
  create.timeoutMs = 5000
  create.topics = [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }]
  const created = await client.request<CreateTopicsResponse>(CREATE_TOPICS, 5, create)
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE)
  const versions = await client.request<ApiVersionsResponse>(18, 0, createRequest(18))
  assert.deepEqual(versions.apiKeys.find((api) => api.apiKey === INIT_PRODUCER_ID), { apiKey: INIT_PRODUCER_ID, minVersion: 0, maxVersion: 5 })

  const ids = new Set<bigint>()
  for (const version of [0, 1, 2, 3, 4, 5]) {
    const response = await client.request<InitProducerIdResponse>(INIT_PRODUCER_ID, version, initRequest({}))
    assert.equal(response.errorCode, ErrorCode.NONE, `v${version}`)
    assert.equal(response.producerEpoch, 0)
    assert.ok(response.producerId >= 0n)
    ids.add(response.producerId)
  }
  // KIP-360 with an idempotent producer: Kafka answers a new id at epoch 0, whatever was sent.
  const again = await client.request<InitProducerIdResponse>(INIT_PRODUCER_ID, 4, initRequest({ producerId: 0n, producerEpoch: 3 }))
  assert.equal(again.errorCode, ErrorCode.NONE)
  assert.equal(again.producerEpoch, 0)
  ids.add(again.producerId)
  assert.equal(ids.size, 7, 'every id is new')

  const answers = async (fields: Partial<InitProducerIdRequest>, version = 4) => {
    const response = await client.request<InitProducerIdResponse>(INIT_PRODUCER_ID, version, initRequest(fields))
    assert.equal(response.producerId, -1n)
    assert.equal(response.producerEpoch, -1)
    return response.errorCode
  }
  assert.equal(await answers({ producerId: 5n, producerEpoch: -1 }), ErrorCode.INVALID_REQUEST)
  assert.equal(await answers({ producerId: -1n, producerEpoch: 2 }), ErrorCode.INVALID_REQUEST)
  assert.equal(await answers({ transactionalId: '' }), ErrorCode.INVALID_REQUEST)
  assert.equal(await answers({ transactionalId: 'tx-1', transactionTimeoutMs: 900_001 }), ErrorCode.INVALID_TRANSACTION_TIMEOUT)
  assert.equal(await answers({ transactionalId: 'tx-1', transactionTimeoutMs: 0 }, 1), ErrorCode.INVALID_TRANSACTION_TIMEOUT)
  assert.equal(await answers({ transactionalId: 'tx-1' }), ErrorCode.NOT_COORDINATOR)
})

test('a re-sent produce request answers its original offset and the records are stored once, also after a restart', async () => {
  let started = open[0] ?? await start()
  const { producerId } = await started.client.request<InitProducerIdResponse>(INIT_PRODUCER_ID, 4, initRequest({}))
  const first = batch(producerId, 0, 0, ['a', 'b'])
  const second = batch(producerId, 0, 2, ['c'])
  for (let attempt = 0; attempt < 2; attempt++) {
    const answer = await produce(started.client, first)
    assert.equal(answer.errorCode, ErrorCode.NONE)
    assert.equal(answer.baseOffset, 0n, `attempt ${attempt}`)
  }

  const original = await produce(started.client, second)
  assert.equal(original.errorCode, ErrorCode.NONE)
  assert.equal(original.baseOffset, 2n)
  const retried = await produce(started.client, Buffer.from(second))
  assert.equal(retried.errorCode, ErrorCode.NONE)
  assert.equal(retried.baseOffset, 2n, 'the retry answers the original offset')
  assert.deepEqual(await fetchValues(started.client), ['0:a', '1:b', '2:c'])

  assert.equal((await produce(started.client, batch(producerId, 0, 4, ['gap']))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await produce(started.client, batch(producerId, 1, 0, ['epoch 1']))).baseOffset, 3n)
  assert.equal((await produce(started.client, batch(producerId, 0, 3, ['fenced']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)

  await stop(started)
  started = await start()
  assert.equal((await produce(started.client, batch(producerId, 1, 0, ['epoch 1']))).baseOffset, 3n, 'retries are recognised after a restart')
  assert.equal((await produce(started.client, batch(producerId, 0, 3, ['fenced']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  assert.deepEqual(await fetchValues(started.client), ['0:a', '1:b', '2:c', '3:epoch 1'])
  const next = await started.client.request<InitProducerIdResponse>(INIT_PRODUCER_ID, 4, initRequest({}))
  assert.ok(next.producerId > producerId, 'producer ids never repeat across restarts')
})
