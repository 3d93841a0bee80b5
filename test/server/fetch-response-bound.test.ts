// gregor.fetch.response.max.bytes bounds the record bytes of one Fetch response below Kafka's
// limits; a min_bytes that bound keeps out of reach is met by a backlog of half of it, so a
// consumer asking for more than one bounded response holds is answered at once, as Kafka answers
// it when the backlog is there.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode } from '../../src/protocol/errors.js'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js'
import type { FetchRequest, FetchResponse } from '../../src/protocol/messages/fetch.js'
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js'
import { startInProcessBroker } from '../helpers/broker-in-process.js'
import { encodeBatch } from '../helpers/record-batch.js'
import { WireClient, createRequest } from '../helpers/wire-client.js'

const BOUND = 2000
const BATCHES = 20

test('a min_bytes above the response bound is met by the backlog at hand, not by waiting max_wait_ms', { timeout: 20_000 }, async () => {
  const broker = await startInProcessBroker({ config: { 'gregor.fetch.response.max.bytes': BOUND } })
  const client = await WireClient.connect(broker.host, broker.port)
  try {
    const create = createRequest<CreateTopicsRequest>(19)
    create.topics = [{ name: 'bounded', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }]
    assert.equal((await client.request<CreateTopicsResponse>(19, 4, create)).topics[0]!.errorCode, ErrorCode.NONE)
    for (let i = 0; i < BATCHES; i++) {
      const produce = createRequest<ProduceRequest>(0)
      produce.acks = 1
      produce.timeoutMs = 5000
      produce.topicData = [{ name: 'bounded', partitionData: [{ index: 0, records: encodeBatch([{ key: null, value: Buffer.alloc(400) }]) }] }]
      assert.equal((await client.request<ProduceResponse>(0, 7, produce)).responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
    }
    const fetch = createRequest<FetchRequest>(1)
    // max_wait_ms far beyond the test's timeout: only an answer from the backlog passes.
    Object.assign(fetch, { maxWaitMs: 600_000, minBytes: 5 * BOUND, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 })
    fetch.topics = [{
      topic: 'bounded', topicId: Buffer.alloc(16),
      partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }],
    }]
    const response = await client.request<FetchResponse>(1, 11, fetch)
    const records = response.responses[0]!.partitions[0]!.records
    assert.ok(records !== null && records.length >= BOUND / 2 && records.length <= BOUND, `records within the bound: ${records?.length}`)
  } finally {
    client.close()
    await broker.close()
  }
})
