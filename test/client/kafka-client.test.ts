// KafkaClient and Admin against a real (in-process) Gregor broker.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Admin } from '../../src/client/admin.js'
import { EARLIEST_TIMESTAMP, KafkaClient, LATEST_TIMESTAMP } from '../../src/client/kafka-client.js'
import type { FetchedRecord } from '../../src/client/fetched-records.js'
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { pollUntil } from '../helpers/poll.js'

let broker: InProcessBroker
let client: KafkaClient
let admin: Admin

before(async () => {
  broker = await startInProcessBroker()
  client = new KafkaClient({ bootstrapServers: broker.bootstrap, retries: 3, retryBackoffMs: 20 })
  admin = new Admin(client)
})

after(async () => {
  await client?.close()
  await broker?.close()
})

async function take(topic: string, partition: number, offset: bigint, count: number): Promise<FetchedRecord[]> {
  const records: FetchedRecord[] = []
  for await (const record of client.consume(topic, partition, offset, { maxWaitMs: 100 })) {
    records.push(record)
    if (records.length === count) break
  }
  return records
}

function isKafkaError(code: number) {
  return (e: unknown) => e instanceof KafkaError && e.code === code
}

test('Admin creates, lists, describes (with configs) and deletes topics', async () => {
  const created = await admin.createTopics([{ name: 'admin-a', numPartitions: 2, configs: { 'retention.ms': '1000000' } }])
  assert.deepEqual(created.map((r) => [r.name, r.errorCode]), [['admin-a', ErrorCode.NONE]])
  const again = await admin.createTopics([{ name: 'admin-a' }])
  assert.equal(again[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)

  assert.ok((await admin.listTopics()).includes('admin-a'))
  const [description] = await admin.describeTopics(['admin-a'])
  assert.equal(description!.partitions.length, 2)
  assert.deepEqual(description!.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr]), [
    [0, broker.brokerId, [broker.brokerId], [broker.brokerId]],
    [1, broker.brokerId, [broker.brokerId], [broker.brokerId]],
  ])
  const retention = description!.configs.find((c) => c.name === 'retention.ms')!
  assert.deepEqual([retention.value, retention.isDefault, retention.source], ['1000000', false, 1])
  const segment = description!.configs.find((c) => c.name === 'segment.bytes')!
  assert.equal(segment.isDefault, true)
  await assert.rejects(admin.describeTopics(['admin-missing']), isKafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))

  const deleted = await admin.deleteTopics(['admin-a', 'admin-missing'])
  assert.deepEqual(deleted.map((r) => [r.name, r.errorCode]), [['admin-a', ErrorCode.NONE], ['admin-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]])
  await pollUntil(async () => !(await admin.listTopics()).includes('admin-a'), { message: 'admin-a deleted' })
})

test('produceRecords and consume round-trip keys, values, headers and timestamps with contiguous offsets', async () => {
  await admin.createTopics([{ name: 'client-rt', numPartitions: 1 }])
  const first = await client.produceRecords('client-rt', 0, [
    { key: 'k0', value: 'v0', headers: [{ key: 'h', value: 'x' }], timestamp: 1_000 },
    { key: null, value: 'v1', timestamp: 2_000 },
    { key: 'k2', value: null, timestamp: 3_000 },
  ])
  assert.equal(first.baseOffset, 0n)
  const second = await client.produceRecords('client-rt', 0, [{ value: 'v3', timestamp: 4_000 }, { value: 'v4', timestamp: 5_000 }], { acks: 1 })
  assert.equal(second.baseOffset, 3n)

  const records = await take('client-rt', 0, 0n, 5)
  assert.deepEqual(
    records.map((r) => [r.offset, r.timestamp, r.timestampType, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map((h) => `${h.key}=${h.value}`)]),
    [
      [0, 1_000, 'CreateTime', 'k0', 'v0', ['h=x']],
      [1, 2_000, 'CreateTime', null, 'v1', []],
      [2, 3_000, 'CreateTime', 'k2', null, []],
      [3, 4_000, 'CreateTime', null, 'v3', []],
      [4, 5_000, 'CreateTime', null, 'v4', []],
    ],
  )
  // From the middle of a batch: the records before the offset are dropped.
  assert.deepEqual((await take('client-rt', 0, 1n, 2)).map((r) => r.offset), [1, 2])
})

test('listOffsets answers earliest, latest and by timestamp', async () => {
  await admin.createTopics([{ name: 'client-offsets', numPartitions: 1 }])
  await client.produceRecords('client-offsets', 0, [10, 20, 30].map((t) => ({ value: `at-${t}`, timestamp: t })))
  assert.equal((await client.listOffsets('client-offsets', 0, EARLIEST_TIMESTAMP)).offset, 0n)
  assert.equal((await client.listOffsets('client-offsets', 0, LATEST_TIMESTAMP)).offset, 3n)
  const found = await client.listOffsets('client-offsets', 0, 15n)
  assert.deepEqual([found.offset, found.timestamp], [1n, 20n])
  assert.equal((await client.listOffsets('client-offsets', 0, 31n)).offset, -1n)
})

test('acks=0 produces without a response; the records become readable', async () => {
  await admin.createTopics([{ name: 'client-acks0', numPartitions: 1 }])
  const result = await client.produceRecords('client-acks0', 0, [{ value: 'fire' }, { value: 'forget' }], { acks: 0 })
  assert.equal(result.baseOffset, -1n)
  await pollUntil(async () => (await client.listOffsets('client-acks0', 0, LATEST_TIMESTAMP)).offset === 2n, { message: 'acks=0 records appended' })
  assert.deepEqual((await take('client-acks0', 0, 0n, 2)).map((r) => r.value?.toString()), ['fire', 'forget'])
})

test('partition errors surface as KafkaError with Kafka\'s code', async () => {
  await admin.createTopics([{ name: 'client-errors', numPartitions: 1 }])
  await assert.rejects(client.produceRecords('client-errors', 5, [{ value: 'x' }]), isKafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
  await assert.rejects(client.fetch('client-errors', 0, 10n), isKafkaError(ErrorCode.OFFSET_OUT_OF_RANGE))
})
