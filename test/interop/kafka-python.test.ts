// kafka-python 2.0.2 (Debian python3-kafka; never uses flexible versions, probes the broker version
// with ApiVersions v0 + Metadata v0) against a broker process.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { checkDelivery, type ConsumedRecord, type ProducedRecord } from '../helpers/delivery.js'
import { kcatMetadata } from '../helpers/kcat.js'
import { killTracked } from '../helpers/processes.js'
import { runPython } from '../helpers/python.js'

const CLIENT = 'kafka_python_client.py'

interface Acked {
  partition: number
  offset: number
  timestamp: number
}

describe('kafka-python interop', { timeout: 120_000 }, () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'num.partitions': '2' } })
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test('KafkaProducer auto-creates the topic; keys and headers are read back exactly by an assigned, group-less KafkaConsumer', async () => {
    const topic = 'kafka-python-roundtrip'
    const records = Array.from({ length: 40 }, (_, i) => ({
      partition: i % 2,
      key: i % 5 === 0 ? null : `key-${i}`,
      value: `value-${i}`,
      headers: [['index', String(i)]] as [string, string][],
    }))
    const acked = await runPython<Acked[]>(CLIENT, 'produce', { bootstrap: broker.bootstrap, topic, acks: 'all', records })
    assert.equal(acked.length, records.length)
    const produced: ProducedRecord[] = records.map((r, i) => ({ ...r, offset: acked[i]!.offset }))
    assert.deepEqual(
      acked.map((a) => a.partition),
      records.map((r) => r.partition),
    )
    const { records: consumed, end_offsets } = await runPython<{ records: ConsumedRecord[]; end_offsets: Record<string, number> }>(CLIENT, 'consume', {
      bootstrap: broker.bootstrap,
      topic,
      partitions: [0, 1],
    })
    assert.deepEqual(end_offsets, { '0': 20, '1': 20 })
    checkDelivery(produced, consumed)
    const metadata = await kcatMetadata(broker.bootstrap, topic)
    assert.equal(metadata.topics.find((t) => t.topic === topic)?.partitions.length, 2)
  })

  test('offsets_for_times returns the earliest offset whose timestamp is at or after the query', async () => {
    const topic = 'kafka-python-times'
    const base = Date.now() - 100_000
    const records = Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: null, value: `t${i}`, timestamp: base + i * 1000 }))
    await runPython(CLIENT, 'produce', { bootstrap: broker.bootstrap, topic, records })
    type Found = Record<string, { offset: number; timestamp: number } | null>
    const query = (timestamp: number) => runPython<Found>(CLIENT, 'offsets_for_times', { bootstrap: broker.bootstrap, topic, partitions: [0], timestamp })
    assert.deepEqual(await query(base + 3500), { '0': { offset: 4, timestamp: base + 4000 } })
    assert.deepEqual(await query(base), { '0': { offset: 0, timestamp: base } })
    assert.deepEqual(await query(base + 50_000), { '0': null })
  })
})

describe('kafka-python with auto.create.topics.enable=false', { timeout: 60_000 }, () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } })
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test('producing to an unknown topic fails and does not create it', async () => {
    const topic = 'kafka-python-unknown'
    const outcome = await runPython<{ error: string | null; partitions: number[] | null; topics: string[] }>(CLIENT, 'produce_unknown_topic', {
      bootstrap: broker.bootstrap,
      topic,
      max_block_ms: 2000,
    })
    assert.equal(outcome.error, 'KafkaTimeoutError')
    assert.equal(outcome.partitions, null)
    assert.ok(!outcome.topics.includes(topic))
    const metadata = await kcatMetadata(broker.bootstrap)
    assert.ok(!metadata.topics.some((t) => t.topic === topic), `${topic} was created: ${JSON.stringify(metadata.topics)}`)
  })
})
