// confluent-kafka-python 1.7 on librdkafka 2.0.2 against a broker process: AdminClient, a producer
// with keys and headers, an assigned (group-less) consumer, offsets_for_times, offset reset.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { checkDelivery, type ConsumedRecord, type ProducedRecord } from '../helpers/delivery.js'
import { killTracked } from '../helpers/processes.js'
import { runPython } from '../helpers/python.js'

const CLIENT = 'confluent_client.py'

interface AdminResult {
  created?: Record<string, string | null>
  brokers: string[]
  topics: Record<string, { partitions: number[]; error: string | null }>
  configs?: Record<string, Record<string, string>>
}

interface ConsumeResult {
  records: ConsumedRecord[]
  watermarks: Record<string, [number, number]>
}

describe('confluent-kafka interop', { timeout: 120_000 }, () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await startBrokerProcess()
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test('AdminClient creates topics, lists them and describes their configs', async () => {
    const result = await runPython<AdminResult>(CLIENT, 'admin', {
      bootstrap: broker.bootstrap,
      create: [
        { name: 'confluent-admin-a', partitions: 3 },
        { name: 'confluent-admin-b', partitions: 1 },
      ],
      describe_configs: ['confluent-admin-a'],
    })
    assert.deepEqual(result.created, { 'confluent-admin-a': null, 'confluent-admin-b': null })
    assert.deepEqual(result.brokers, [broker.bootstrap])
    assert.deepEqual(result.topics['confluent-admin-a'], { partitions: [0, 1, 2], error: null })
    assert.deepEqual(result.topics['confluent-admin-b'], { partitions: [0], error: null })
    const configs = result.configs!['confluent-admin-a']!
    assert.equal(configs['cleanup.policy'], 'delete')
    assert.equal(configs['retention.ms'], '604800000')

    const again = await runPython<AdminResult>(CLIENT, 'admin', { bootstrap: broker.bootstrap, create: [{ name: 'confluent-admin-a', partitions: 3 }] })
    assert.deepEqual(again.created, { 'confluent-admin-a': 'TOPIC_ALREADY_EXISTS' })
  })

  test('producer with keys and headers (acks=all); an assigned consumer reads back exactly', async () => {
    const topic = 'confluent-roundtrip'
    await runPython(CLIENT, 'admin', { bootstrap: broker.bootstrap, create: [{ name: topic, partitions: 2 }] })
    const records = Array.from({ length: 200 }, (_, i) => ({
      partition: i % 2,
      key: `key-${i}`,
      value: `value-${i}-${'x'.repeat(i % 50)}`,
      headers: [
        ['seq', String(i)],
        ['app', 'gregor-interop'],
      ] as [string, string][],
    }))
    const acked = await runPython<{ partition: number; offset: number }[]>(CLIENT, 'produce', { bootstrap: broker.bootstrap, topic, acks: 'all', records })
    const produced: ProducedRecord[] = records.map((r, i) => {
      assert.equal(acked[i]!.partition, r.partition)
      return { ...r, offset: acked[i]!.offset }
    })
    const result = await runPython<ConsumeResult>(CLIENT, 'consume', { bootstrap: broker.bootstrap, topic, partitions: [0, 1] })
    checkDelivery(produced, result.records)
    assert.deepEqual(result.watermarks, { '0': [0, 100], '1': [0, 100] })
  })

  test('offsets_for_times finds the first offset at or after each timestamp', async () => {
    const topic = 'confluent-times'
    const base = Date.now() - 100_000
    const records = Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: null, value: `t${i}`, timestamp: base + i * 1000 }))
    await runPython(CLIENT, 'produce', { bootstrap: broker.bootstrap, topic, records })
    type Found = Record<string, { offset: number; error: string | null }>
    const query = (timestamp: number) => runPython<Found>(CLIENT, 'offsets_for_times', { bootstrap: broker.bootstrap, topic, partitions: [0], timestamp })
    assert.deepEqual(await query(base + 6500), { '0': { offset: 7, error: null } })
    assert.deepEqual(await query(base + 2000), { '0': { offset: 2, error: null } })
    // Nothing at or after: Kafka answers offset -1 (librdkafka's OFFSET_END).
    assert.deepEqual(await query(base + 50_000), { '0': { offset: -1, error: null } })
  })

  test('an out-of-range assigned offset resets to the beginning with auto.offset.reset=earliest', async () => {
    const topic = 'confluent-out-of-range'
    const records = Array.from({ length: 7 }, (_, i) => ({ partition: 0, key: null, value: `r${i}` }))
    await runPython(CLIENT, 'produce', { bootstrap: broker.bootstrap, topic, records })
    const result = await runPython<ConsumeResult>(CLIENT, 'consume', {
      bootstrap: broker.bootstrap,
      topic,
      partitions: [0],
      offset: 5000,
      auto_offset_reset: 'earliest',
    })
    checkDelivery(
      records.map((r, offset) => ({ ...r, offset, headers: [] })),
      result.records,
    )
  })
})
