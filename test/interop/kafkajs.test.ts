// kafkajs 2.2.4 (non-flexible protocol versions only) against a broker process: admin APIs and the
// producer with keys and headers at acks=1 and acks=-1. kafkajs can only consume through a consumer
// group, so the records are read back with kcat; the group-consumer tests come with group support.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import kafkajs, { type Admin, type Producer } from 'kafkajs'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { checkDelivery, type ProducedRecord } from '../helpers/delivery.js'
import { kcatConsume } from '../helpers/kcat.js'
import { killTracked } from '../helpers/processes.js'

// kafkajs is CommonJS: its runtime values come from the default export.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs

describe('kafkajs interop', { timeout: 120_000 }, () => {
  let broker: BrokerProcess
  let kafka: InstanceType<typeof Kafka>
  let admin: Admin
  let producer: Producer

  before(async () => {
    broker = await startBrokerProcess()
    kafka = new Kafka({
      clientId: 'gregor-interop',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING, // failures surface as rejected promises
      retry: { retries: 3, initialRetryTime: 100 },
    })
    admin = kafka.admin()
    await admin.connect()
    producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
  })
  after(async () => {
    await producer?.disconnect()
    await admin?.disconnect()
    await broker?.stop()
    await killTracked()
  })

  test('describeCluster reports this broker as the only broker and the controller', async () => {
    const cluster = await admin.describeCluster()
    assert.deepEqual(cluster.brokers, [{ nodeId: broker.brokerId, host: broker.host, port: broker.port }])
    assert.equal(cluster.controller, broker.brokerId)
    assert.equal(typeof cluster.clusterId, 'string')
    assert.ok(cluster.clusterId.length > 0)
  })

  test('createTopics creates a topic with several partitions; a second create reports it exists', async () => {
    const topic = 'kafkajs-admin'
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true }), true)
    assert.ok((await admin.listTopics()).includes(topic))
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    assert.equal(topics.length, 1)
    assert.deepEqual(topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3])
    for (const partition of topics[0]!.partitions) {
      assert.equal(partition.partitionErrorCode, 0)
      assert.equal(partition.leader, broker.brokerId)
      assert.deepEqual(partition.replicas, [broker.brokerId])
      assert.deepEqual(partition.isr, [broker.brokerId])
    }
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] }), false)
  })

  test('describeConfigs returns the Kafka defaults of a topic', async () => {
    const topic = 'kafkajs-configs'
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    const described = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      includeSynonyms: false,
    })
    assert.equal(described.resources.length, 1)
    const resource = described.resources[0]!
    assert.equal(resource.errorCode, 0)
    const configs = new Map(resource.configEntries.map((entry) => [entry.configName, entry.configValue]))
    assert.equal(configs.get('cleanup.policy'), 'delete')
    assert.equal(configs.get('retention.ms'), '604800000')
    assert.equal(configs.get('segment.bytes'), '1073741824')
  })

  for (const acks of [1, -1]) {
    test(`producer with keys and headers at acks=${acks}: acknowledged offsets are read back exactly`, async () => {
      const topic = `kafkajs-produce-acks${acks === 1 ? '1' : 'all'}`
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })
      const produced: ProducedRecord[] = []
      // Three sends, so later batches must land after earlier ones.
      for (let round = 0; round < 3; round++) {
        const messages = []
        for (let i = 0; i < 30; i++) {
          const partition = i % 3
          const n = round * 10 + Math.floor(i / 3)
          const record = { partition, key: `k${n}`, value: `round${round}-value${n}`, headers: [['h', `${round}`] as [string, string]] }
          produced.push(record)
          messages.push({ partition, key: record.key, value: record.value, headers: { h: `${round}` } })
        }
        const metadata = await producer.send({ topic, acks, messages })
        assert.equal(metadata.length, 3)
        for (const partitionResult of metadata) {
          assert.equal(partitionResult.topicName, topic)
          assert.equal(partitionResult.errorCode, 0)
          assert.equal(partitionResult.baseOffset, String(round * 10), `partition ${partitionResult.partition} base offset in round ${round}`)
        }
      }
      produced.forEach((record, index, all) => {
        record.offset = all.slice(0, index).filter((r) => r.partition === record.partition).length
      })
      checkDelivery(produced, await kcatConsume(broker.bootstrap, topic))

      const offsets = await admin.fetchTopicOffsets(topic)
      assert.deepEqual(
        offsets.map(({ partition, low, high, offset }) => ({ partition, low, high, offset })).sort((a, b) => a.partition - b.partition),
        [0, 1, 2].map((partition) => ({ partition, low: '0', high: '30', offset: '30' })),
      )
    })
  }

  test('fetchTopicOffsetsByTimestamp finds the first offset at or after a timestamp', async () => {
    const topic = 'kafkajs-by-timestamp'
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
    const base = Date.now() - 60_000
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `t${i}`, timestamp: String(base + i * 1000) })),
    })
    assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base + 4500), [{ partition: 0, offset: '5' }])
    assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base + 4000), [{ partition: 0, offset: '4' }])
    assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base - 1), [{ partition: 0, offset: '0' }])
    // No record at or after the timestamp: Kafka answers -1 and kafkajs substitutes the high watermark.
    assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base + 60_000), [{ partition: 0, offset: '10' }])
  })

  test('deleteTopics removes the topic from the listing', async () => {
    const topic = 'kafkajs-delete-me'
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
    assert.ok((await admin.listTopics()).includes(topic))
    await admin.deleteTopics({ topics: [topic] })
    assert.ok(!(await admin.listTopics()).includes(topic))
  })
})
