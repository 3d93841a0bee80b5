// Idempotent producers of real clients against a broker process: confluent-kafka
// (enable.idempotence=True, acks=all), kafkajs (idempotent: true) and @platformatic/kafka
// (idempotent: true) produce keyed records; each is read back exactly once at its acknowledged
// offset, and the stored batches carry the producer id the client got from InitProducerId.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import kafkajs from 'kafkajs'
import { Producer as PlatformaticProducer, stringSerializers } from '@platformatic/kafka'
import { Admin } from '../../src/client/admin.js'
import { KafkaClient } from '../../src/client/kafka-client.js'
import { BatchIterator } from '../../src/records/batch-iterator.js'
import { readProducerEpoch, readProducerId } from '../../src/records/batch-header.js'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { checkDelivery, type ProducedRecord } from '../helpers/delivery.js'
import { kcatConsume } from '../helpers/kcat.js'
import { killTracked } from '../helpers/processes.js'
import { runPython } from '../helpers/python.js'

const { Kafka, logLevel } = kafkajs

describe('idempotent producers of real clients', { timeout: 90_000 }, () => {
  let broker: BrokerProcess
  let client: KafkaClient

  before(async () => {
    broker = await startBrokerProcess()
    client = new KafkaClient({ bootstrapServers: broker.bootstrap })
    const created = await new Admin(client).createTopics(['idem-confluent', 'idem-kafkajs', 'idem-platformatic'].map((name) => ({ name, numPartitions: 2 })))
    assert.ok(created.every((topic) => topic.errorCode === 0))
  })
  after(async () => {
    await client?.close()
    await broker?.stop()
    await killTracked()
  })

  /** Producer ids and epochs of every stored batch of the partition. */
  async function batchProducers(topic: string, partition: number): Promise<string[]> {
    const { records } = await client.fetch(topic, partition, 0n, { maxBytes: 16 << 20, partitionMaxBytes: 16 << 20 })
    const producers = new Set<string>()
    const batches = new BatchIterator(records!)
    while (batches.next()) producers.add(`${readProducerId(records!, batches.position)}/${readProducerEpoch(records!, batches.position)}`)
    return [...producers]
  }

  async function checkStoredOnce(topic: string, produced: ProducedRecord[]): Promise<void> {
    const consumed = await kcatConsume(broker.bootstrap, topic)
    checkDelivery(produced, consumed, { headers: false })
    for (const partition of [0, 1]) {
      const producers = await batchProducers(topic, partition)
      assert.equal(producers.length, 1, `one producer id/epoch wrote partition ${partition}: ${producers}`)
      assert.ok(!producers[0]!.startsWith('-1/'), 'the batches carry a producer id')
    }
  }

  test('confluent-kafka with enable.idempotence=True and acks=all', async () => {
    const topic = 'idem-confluent'
    const records = Array.from({ length: 2000 }, (_, i) => ({ partition: i % 2, key: `key-${i}`, value: `value-${i}` }))
    const acked = await runPython<{ partition: number; offset: number }[]>('idempotent_client.py', 'produce', { bootstrap: broker.bootstrap, topic, records })
    await checkStoredOnce(topic, records.map((record, i) => ({ ...record, offset: acked[i]!.offset })))
  })

  test('kafkajs with idempotent: true', async () => {
    const topic = 'idem-kafkajs'
    const kafka = new Kafka({ clientId: 'gregor-idempotent', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
    await producer.connect()
    const produced: ProducedRecord[] = []
    try {
      for (let round = 0; round < 10; round++) {
        const messages = Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, key: `key-${round}-${i}`, value: `value-${round}-${i}` }))
        const metadata = await producer.send({ topic, acks: -1, messages })
        for (const partition of [0, 1]) {
          const baseOffset = Number(metadata.find((entry) => entry.partition === partition)!.baseOffset)
          messages.filter((m) => m.partition === partition).forEach((m, index) => produced.push({ ...m, offset: baseOffset + index }))
        }
      }
    } finally {
      await producer.disconnect()
    }
    await checkStoredOnce(topic, produced)
  })

  test('@platformatic/kafka with idempotent: true', async () => {
    const topic = 'idem-platformatic'
    const producer = new PlatformaticProducer({
      clientId: 'gregor-idempotent', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, idempotent: true, autocreateTopics: false,
    })
    const produced: ProducedRecord[] = []
    try {
      for (let round = 0; round < 10; round++) {
        const messages = Array.from({ length: 20 }, (_, i) => ({ topic, partition: i % 2, key: `key-${round}-${i}`, value: `value-${round}-${i}` }))
        const result = await producer.send({ messages })
        const baseOffsets = new Map((result.offsets ?? []).map((entry) => [entry.partition, Number(entry.offset)]))
        for (const partition of [0, 1]) {
          messages.filter((m) => m.partition === partition).forEach((m, index) => produced.push({ ...m, offset: baseOffsets.get(partition)! + index }))
        }
      }
    } finally {
      await producer.close()
    }
    await checkStoredOnce(topic, produced)
  })
})
