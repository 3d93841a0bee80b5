// @platformatic/kafka 1.x (flexible protocol versions, Fetch by topic id) against a broker process:
// admin, a producer with keys and headers, and reading back with the consumer's group-less fetch().
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Admin, Consumer, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { checkDelivery, type ConsumedRecord, type ProducedRecord } from '../helpers/delivery.js'
import { killTracked } from '../helpers/processes.js'

describe('@platformatic/kafka interop', { timeout: 120_000 }, () => {
  let broker: BrokerProcess
  let admin: Admin
  let producer: Producer<string, string, string, string>
  let consumer: Consumer

  before(async () => {
    broker = await startBrokerProcess()
    const base = { clientId: 'gregor-interop', bootstrapBrokers: [broker.bootstrap], retries: 2, retryDelay: 100 }
    admin = new Admin(base)
    producer = new Producer({ ...base, serializers: stringSerializers, autocreateTopics: false })
    // groupId is required by the constructor; fetch() never joins the group.
    consumer = new Consumer({ ...base, groupId: 'gregor-interop-unused' })
  })
  after(async () => {
    await consumer?.close()
    await producer?.close()
    await admin?.close()
    await broker?.stop()
    await killTracked()
  })

  test('createTopics, listTopics and metadata agree on a new topic', async () => {
    const topic = 'platformatic-admin'
    const [created] = await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
    assert.equal(created!.name, topic)
    assert.equal(created!.partitions, 3)
    assert.equal(created!.replicas, 1)
    assert.match(created!.id, /^[0-9a-f-]{36}$/)
    assert.notEqual(created!.id, '00000000-0000-0000-0000-000000000000')

    assert.ok((await admin.listTopics()).includes(topic))
    const metadata = await admin.metadata({ topics: [topic] })
    assert.deepEqual([...metadata.brokers.keys()], [broker.brokerId])
    assert.equal(metadata.brokers.get(broker.brokerId)!.host, broker.host)
    assert.equal(metadata.brokers.get(broker.brokerId)!.port, broker.port)
    const described = metadata.topics.get(topic)!
    assert.equal(described.id, created!.id)
    assert.equal(described.partitionsCount, 3)
    for (const partition of described.partitions) {
      assert.equal(partition.leader, broker.brokerId)
      assert.deepEqual(partition.replicas, [broker.brokerId])
      assert.deepEqual(partition.isr, [broker.brokerId])
    }
  })

  test('producer with keys and headers; fetch by topic id reads back exactly', async () => {
    const topic = 'platformatic-produce'
    const [created] = await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 })
    const produced: ProducedRecord[] = []
    for (const acks of [ProduceAcks.LEADER, ProduceAcks.ALL]) {
      const messages = Array.from({ length: 20 }, (_, i) => ({
        topic,
        partition: i % 2,
        key: `key-${acks}-${i}`,
        value: `value-${acks}-${i}`,
        headers: { source: 'platformatic', acks: String(acks) },
      }))
      const before = [0, 1].map((p) => produced.filter((r) => r.partition === p).length)
      const result = await producer.send({ messages, acks })
      const baseOffsets = new Map((result.offsets ?? []).map((o) => [o.partition, Number(o.offset)]))
      assert.deepEqual(baseOffsets, new Map([[0, before[0]!], [1, before[1]!]]), `base offsets at acks=${acks}`)
      for (const m of messages) {
        produced.push({
          partition: m.partition,
          key: m.key,
          value: m.value,
          headers: Object.entries(m.headers),
          offset: produced.filter((r) => r.partition === m.partition).length,
        })
      }
    }

    const response = await consumer.fetch({
      node: broker.brokerId,
      maxWaitTime: 100,
      topics: [
        {
          topicId: created!.id,
          partitions: [0, 1].map((partition) => ({
            partition,
            fetchOffset: 0n,
            partitionMaxBytes: 1 << 20,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          })),
        },
      ],
    })
    assert.equal(response.errorCode, 0)
    const consumed: ConsumedRecord[] = []
    for (const topicResponse of response.responses) {
      assert.equal(topicResponse.topicId, created!.id)
      for (const partition of topicResponse.partitions) {
        assert.equal(partition.errorCode, 0, `partition ${partition.partitionIndex}`)
        assert.equal(partition.highWatermark, 20n)
        assert.equal(partition.logStartOffset, 0n)
        for (const batch of partition.records ?? []) {
          for (const record of batch.records) {
            consumed.push({
              partition: partition.partitionIndex,
              offset: Number(batch.firstOffset) + record.offsetDelta,
              key: record.key?.toString() ?? null,
              value: record.value?.toString() ?? null,
              headers: record.headers.map(([k, v]) => [k?.toString() ?? '', v?.toString() ?? '']),
            })
          }
        }
      }
    }
    checkDelivery(produced, consumed)

    const latest = await consumer.listOffsets({ topics: [topic] })
    assert.deepEqual(latest.get(topic), [20n, 20n])
  })

  test('deleteTopics removes the topic', async () => {
    const topic = 'platformatic-delete-me'
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    await admin.deleteTopics({ topics: [topic] })
    assert.ok(!(await admin.listTopics()).includes(topic))
  })
})
