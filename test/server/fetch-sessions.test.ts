// Fetch sessions (KIP-227) beyond the basics in protocol-edges.test.ts: the order in which an
// incremental session serves its partitions.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { WireClient, createRequest } from '../helpers/wire-client.js'
import { encodeBatch } from '../helpers/record-batch.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js'
import type { FetchRequest, FetchResponse } from '../../src/protocol/messages/fetch.js'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js'

const TOPIC = 'rotating'
const PARTITIONS = 3

let broker: InProcessBroker
let client: WireClient

before(async () => {
  broker = await startInProcessBroker({})
  client = await WireClient.connect(broker.host, broker.port)
  const create = createRequest<CreateTopicsRequest>(19)
  create.topics = [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }]
  const created = await client.request<CreateTopicsResponse>(19, 4, create)
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE)
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const produce = createRequest<ProduceRequest>(0)
    produce.acks = 1
    produce.timeoutMs = 5000
    produce.topicData = [{ name: TOPIC, partitionData: [{ index: partition, records: encodeBatch([{ key: null, value: Buffer.from(`p${partition}`) }]) }] }]
    const produced = await client.request<ProduceResponse>(0, 7, produce)
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
  }
})

after(async () => {
  client.close()
  await broker.close()
})

test('an incremental session serves the partitions that returned records last (KIP-227 fairness)', async () => {
  const open = createRequest<FetchRequest>(1)
  Object.assign(open, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: 0 })
  open.topics = [{
    topic: TOPIC, topicId: Buffer.alloc(16),
    partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
      partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16),
    })),
  }]
  const full = await client.request<FetchResponse>(1, 11, open)
  assert.ok(full.sessionId > 0)
  assert.deepEqual(full.responses[0]!.partitions.map((partition) => partition.partitionIndex), [0, 1, 2])

  // One byte of room: only the first partition in the session's order returns its batch (KIP-74).
  // The offsets are never advanced, so every partition always has that batch to return.
  const served: number[] = []
  for (let epoch = 1; epoch <= 4; epoch++) {
    const incremental = createRequest<FetchRequest>(1)
    Object.assign(incremental, { maxWaitMs: 0, minBytes: 1, maxBytes: 1, sessionId: full.sessionId, sessionEpoch: epoch, topics: [] })
    const response = await client.request<FetchResponse>(1, 11, incremental)
    assert.equal(response.errorCode, ErrorCode.NONE)
    const withRecords = response.responses.flatMap((topic) => topic.partitions).filter((partition) => (partition.records?.length ?? 0) > 0)
    assert.equal(withRecords.length, 1)
    served.push(withRecords[0]!.partitionIndex)
  }
  assert.deepEqual(served, [0, 1, 2, 0])
})
