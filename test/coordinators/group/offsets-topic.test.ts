// __consumer_offsets is created on the first FindCoordinator for a group, as in Kafka: a fresh
// broker has no such topic; the first lookup waits for its creation and names the coordinator
// (Kafka answers COORDINATOR_NOT_AVAILABLE and the client retries), and a broker restarted on the
// same directory finds it at once.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/errors.js'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../../src/protocol/messages/create-topics.js'
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../../src/protocol/messages/find-coordinator.js'
import type { MetadataRequest, MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import { startInProcessBroker, type InProcessBroker } from '../../helpers/broker-in-process.js'
import { pollUntil } from '../../helpers/poll.js'
import { tmpDir } from '../../helpers/tmp-dir.js'
import { WireClient, createRequest } from '../../helpers/wire-client.js'

const FIND_COORDINATOR = 10
const METADATA = 3
const CREATE_TOPICS = 19
const OFFSETS_TOPIC = '__consumer_offsets'

async function findCoordinator(client: WireClient, keys: string[], keyType = 0): Promise<number[]> {
  const request = createRequest<FindCoordinatorRequest>(FIND_COORDINATOR)
  request.keyType = keyType
  request.coordinatorKeys = keys
  const response = await client.request<FindCoordinatorResponse>(FIND_COORDINATOR, 4, request)
  return response.coordinators.map((coordinator) => coordinator.errorCode)
}

async function offsetsTopicPartitions(client: WireClient): Promise<number | null> {
  const request = createRequest<MetadataRequest>(METADATA)
  request.topics = null
  const response = await client.request<MetadataResponse>(METADATA, 12, request)
  const topic = response.topics.find((entry) => entry.name === OFFSETS_TOPIC)
  return topic === undefined ? null : topic.partitions.length
}

async function withBroker<T>(broker: InProcessBroker, body: (client: WireClient) => Promise<T>): Promise<T> {
  const client = await WireClient.connect(broker.host, broker.port)
  try {
    return await body(client)
  } finally {
    client.close()
    await broker.close()
  }
}

test('a fresh broker has no __consumer_offsets; the first group lookup creates it and, once it is loaded, names the coordinator', async () => {
  const dir = tmpDir('gregor-offsets-topic-')
  const config = { 'offsets.topic.num.partitions': 3 }
  await withBroker(await startInProcessBroker({ logDirs: dir.path, config }), async (client) => {
    assert.equal(await offsetsTopicPartitions(client), null, 'not created at start-up')
    // Transactional ids have no coordinator yet and create nothing.
    assert.deepEqual(await findCoordinator(client, ['txn'], 1), [ErrorCode.COORDINATOR_NOT_AVAILABLE])
    assert.equal(await offsetsTopicPartitions(client), null)
    assert.deepEqual(await findCoordinator(client, ['g1', 'g2']), [ErrorCode.NONE, ErrorCode.NONE])
    assert.equal(await offsetsTopicPartitions(client), 3)
  })
  // On restart the topic is there: lookups answer at once (its partitions load in the background).
  await withBroker(await startInProcessBroker({ logDirs: dir.path, config }), async (client) => {
    assert.deepEqual(await findCoordinator(client, ['g1']), [ErrorCode.NONE])
    assert.equal(await offsetsTopicPartitions(client), 3)
  })
  await dir.cleanup()
})

test('a __consumer_offsets created through CreateTopics is adopted with its own partition count', async () => {
  await withBroker(await startInProcessBroker({ config: { 'offsets.topic.num.partitions': 3 } }), async (client) => {
    const create = createRequest<CreateTopicsRequest>(CREATE_TOPICS)
    create.topics = [{ name: OFFSETS_TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }]
    const created = await client.request<CreateTopicsResponse>(CREATE_TOPICS, 5, create)
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE)
    await pollUntil(async () => (await findCoordinator(client, ['g1'])).every((code) => code === ErrorCode.NONE),
      { message: 'FindCoordinator answers' })
    assert.equal(await offsetsTopicPartitions(client), 2)
  })
})

test('a Metadata request naming __consumer_offsets creates it when auto-creation is allowed, as Kafka does', async () => {
  const metadataOf = async (client: WireClient, allowAutoTopicCreation: boolean) => {
    const request = createRequest<MetadataRequest>(METADATA)
    request.topics = [{ name: OFFSETS_TOPIC, topicId: Buffer.alloc(16) }]
    request.allowAutoTopicCreation = allowAutoTopicCreation
    const response = await client.request<MetadataResponse>(METADATA, 12, request)
    return { errorCode: response.topics[0]!.errorCode, isInternal: response.topics[0]!.isInternal, partitions: response.topics[0]!.partitions.length }
  }
  await withBroker(await startInProcessBroker({ config: { 'offsets.topic.num.partitions': 3 } }), async (client) => {
    assert.deepEqual(await metadataOf(client, false), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, isInternal: false, partitions: 0 })
    assert.deepEqual(await metadataOf(client, true), { errorCode: ErrorCode.NONE, isInternal: true, partitions: 3 })
    assert.deepEqual(await findCoordinator(client, ['g1']), [ErrorCode.NONE])
  })
  await withBroker(await startInProcessBroker({ config: { 'offsets.topic.num.partitions': 3, 'auto.create.topics.enable': false } }), async (client) => {
    assert.deepEqual(await metadataOf(client, true), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, isInternal: false, partitions: 0 })
    assert.equal(await offsetsTopicPartitions(client), null)
  })
})
