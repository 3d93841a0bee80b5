// Protocol-level behaviour of the broker's request path, against the generated codecs: version
// negotiation, removed versions, malformed and oversized frames, pipelining order, fetch
// sessions and long polls.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { WireClient, createRequest, frame } from '../helpers/wire-client.js'
import { encodeBatch } from '../helpers/record-batch.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import type { ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js'
import type { MetadataRequest, MetadataResponse } from '../../src/protocol/messages/metadata.js'
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js'
import type { FetchRequest, FetchResponse } from '../../src/protocol/messages/fetch.js'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js'

let broker: InProcessBroker
const clients: WireClient[] = []

async function connect(): Promise<WireClient> {
  const client = await WireClient.connect(broker.host, broker.port)
  clients.push(client)
  return client
}

before(async () => {
  broker = await startInProcessBroker({ config: { 'num.partitions': 2 } })
})

after(async () => {
  for (const client of clients) client.close()
  await broker.close()
})

function produceRequest(topic: string, partition: number, records: Buffer, acks = 1): ProduceRequest {
  const request = createRequest<ProduceRequest>(0)
  request.acks = acks
  request.timeoutMs = 5000
  request.topicData = [{ name: topic, partitionData: [{ index: partition, records }] }]
  return request
}

function fetchRequest(topic: string, offset: bigint, options: Partial<FetchRequest> = {}): FetchRequest {
  const request = createRequest<FetchRequest>(1)
  Object.assign(request, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 }, options)
  request.topics = [{
    topic, topicId: Buffer.alloc(16),
    partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }],
  }]
  return request
}

async function createTopic(client: WireClient, name: string, partitions = 1): Promise<void> {
  const request = createRequest<CreateTopicsRequest>(19)
  request.topics = [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }]
  const response = await client.request<CreateTopicsResponse>(19, 4, request)
  assert.equal(response.topics[0]!.errorCode, ErrorCode.NONE)
}

describe('request path', () => {
  test('ApiVersions at an unknown version answers v0 with UNSUPPORTED_VERSION and the full list', async () => {
    const client = await connect()
    const response = await client.request<ApiVersionsResponse>(18, 0, {})
    assert.equal(response.errorCode, ErrorCode.NONE)
    const raw = await connect()
    const correlationId = raw.takeCorrelationId()
    // Version 99 is unknown: the broker must not parse the body and must answer in v0 form.
    const payload = Buffer.concat([Buffer.from([0, 18, 0, 99]), int32(correlationId), Buffer.from([0, 4]), Buffer.from('test'), Buffer.from([0xff, 0xff])])
    const answer = raw.expect<ApiVersionsResponse>(18, 0, correlationId)
    await raw.write(frame(payload))
    const fallback = await answer
    assert.equal(fallback.errorCode, ErrorCode.UNSUPPORTED_VERSION)
    assert.deepEqual(fallback.apiKeys, response.apiKeys)
    assert.ok(fallback.apiKeys.some((api) => api.apiKey === 0 && api.minVersion === 0), 'Produce is advertised from v0')
  })

  test('Produce v2 is advertised but answered UNSUPPORTED_VERSION, as Kafka 4', async () => {
    const client = await connect()
    await createTopic(client, 'old-produce')
    const response = await client.request<ProduceResponse>(0, 2, produceRequest('old-produce', 0, encodeBatch([{ key: null, value: Buffer.from('x') }])))
    assert.equal(response.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNSUPPORTED_VERSION)
  })

  test('an unknown API key closes the connection and the broker keeps serving', async () => {
    const client = await connect()
    await client.write(frame(Buffer.concat([Buffer.from([0x7f, 0x00, 0, 0]), int32(1), Buffer.from([0xff, 0xff])])))
    await client.closed
    const next = await connect()
    const response = await next.request<ApiVersionsResponse>(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })
    assert.equal(response.errorCode, ErrorCode.NONE)
  })

  test('a frame larger than socket.request.max.bytes closes the connection', async () => {
    const client = await connect()
    await client.write(int32(200 * 1024 * 1024))
    await client.closed
  })

  test('pipelined requests are answered in request order even when a long poll is first', async () => {
    const client = await connect()
    await createTopic(client, 'pipeline')
    const order: string[] = []
    const slow = client.request<FetchResponse>(1, 11, fetchRequest('pipeline', 0n, { maxWaitMs: 300, minBytes: 1 }))
      .then((r) => { order.push('fetch'); return r })
    const fast = client.request<MetadataResponse>(3, 1, { ...createRequest<MetadataRequest>(3), topics: null })
      .then((r) => { order.push('metadata'); return r })
    await Promise.all([slow, fast])
    assert.deepEqual(order, ['fetch', 'metadata'])
  })

  test('a long-poll fetch completes when data arrives', async () => {
    const client = await connect()
    const producer = await connect()
    await createTopic(client, 'long-poll')
    const pending = client.request<FetchResponse>(1, 11, fetchRequest('long-poll', 0n, { maxWaitMs: 10_000, minBytes: 1 }))
    const produced = await producer.request<ProduceResponse>(0, 7, produceRequest('long-poll', 0, encodeBatch([{ key: null, value: Buffer.from('hello') }])))
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
    const response = await pending
    const partition = response.responses[0]!.partitions[0]!
    assert.equal(partition.errorCode, ErrorCode.NONE)
    assert.equal(partition.highWatermark, 1n)
    assert.ok(partition.records !== null && partition.records.length > 0)
  })

  test('fetch sessions: epoch 0 opens a session; incremental fetches carry only news', async () => {
    const client = await connect()
    await createTopic(client, 'sessions')
    const full = await client.request<FetchResponse>(1, 11, fetchRequest('sessions', 0n, { sessionId: 0, sessionEpoch: 0 }))
    assert.ok(full.sessionId > 0)
    assert.equal(full.responses.length, 1)
    const quiet = createRequest<FetchRequest>(1)
    Object.assign(quiet, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionId: full.sessionId, sessionEpoch: 1, topics: [] })
    const incremental = await client.request<FetchResponse>(1, 11, quiet)
    assert.equal(incremental.errorCode, ErrorCode.NONE)
    assert.equal(incremental.responses.length, 0, 'nothing changed, so no partitions')
    await client.request<ProduceResponse>(0, 7, produceRequest('sessions', 0, encodeBatch([{ key: null, value: Buffer.from('news') }])))
    const withNews = await client.request<FetchResponse>(1, 11, { ...quiet, sessionEpoch: 2 })
    assert.equal(withNews.responses.length, 1)
    assert.equal(withNews.responses[0]!.partitions[0]!.highWatermark, 1n)
    const stale = await client.request<FetchResponse>(1, 11, { ...quiet, sessionEpoch: 2 })
    assert.equal(stale.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    const unknown = await client.request<FetchResponse>(1, 11, { ...quiet, sessionId: 987654, sessionEpoch: 1 })
    assert.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
  })

  test('produce errors: unknown topic, corrupt batch, invalid acks', async () => {
    const client = await connect()
    await createTopic(client, 'errors')
    const unknown = await client.request<ProduceResponse>(0, 7, produceRequest('no-such-topic', 0, encodeBatch([{ key: null, value: Buffer.from('x') }])))
    assert.equal(unknown.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const corrupt = encodeBatch([{ key: null, value: Buffer.from('payload') }])
    corrupt[corrupt.length - 1]! ^= 0xff
    const corrupted = await client.request<ProduceResponse>(0, 7, produceRequest('errors', 0, corrupt))
    assert.equal(corrupted.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE)
    const badAcks = await client.request<ProduceResponse>(0, 7, produceRequest('errors', 0, encodeBatch([{ key: null, value: Buffer.from('x') }]), 2))
    assert.equal(badAcks.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS)
  })

  test('fetch out of range answers OFFSET_OUT_OF_RANGE with the log bounds', async () => {
    const client = await connect()
    await createTopic(client, 'range')
    const response = await client.request<FetchResponse>(1, 11, fetchRequest('range', 42n))
    assert.equal(response.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  })
})

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4)
  buffer.writeInt32BE(value)
  return buffer
}
