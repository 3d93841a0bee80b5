// The broker's log cleaner on a compacted topic written by kcat (gzip batches, keys, tombstones):
// real consumers (kcat, confluent-kafka) read the compacted log with the latest value per key
// and unchanged offsets.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import kafkajs, { type Admin } from 'kafkajs'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { kcatConsume, kcatProduce } from '../helpers/kcat.js'
import { PYTHON, pyScript } from '../helpers/paths.js'
import { pollUntil } from '../helpers/poll.js'
import { killTracked, runOk } from '../helpers/processes.js'

const { Kafka, logLevel } = kafkajs
const KEYS = 8
const COUNT = 400

interface Consumed { offset: number; key: string | null; value: string | null }

describe('log compaction seen by real clients', { timeout: 120_000 }, () => {
  let broker: InProcessBroker
  let admin: Admin

  before(async () => {
    broker = await startInProcessBroker({ config: { 'log.cleaner.backoff.ms': 100, 'log.segment.delete.delay.ms': 0 } })
    admin = new Kafka({ clientId: 'gregor-compaction', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
  })
  after(async () => {
    await admin?.disconnect()
    await broker?.close()
    await killTracked()
  })

  test('kcat gzip batches with tombstones are compacted; kcat and confluent-kafka read the latest value per key', async () => {
    const topic = 'compacted-kcat'
    await admin.createTopics({
      topics: [{
        topic, numPartitions: 1,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '2048' },
          { name: 'min.cleanable.dirty.ratio', value: '0.01' }, { name: 'delete.retention.ms', value: '0' },
        ],
      }],
    })
    // Every 13th write deletes its key (an empty value is a tombstone with kcat -Z).
    const lines = Array.from({ length: COUNT }, (_, i) => `key${i % KEYS}:${i % 13 === 12 ? '' : `value-${i}`}`)
    await kcatProduce(broker.bootstrap, topic, lines, {
      keyDelimiter: ':', partition: 0, props: { 'compression.codec': 'gzip', 'batch.num.messages': '10', 'linger.ms': '5' },
    })
    const model = new Map<string, string | null>()
    lines.forEach((line) => {
      const [key, value] = line.split(':') as [string, string]
      model.set(key, value === '' ? null : value)
    })
    const produced = new Map(lines.map((line, offset) => [offset, line]))

    const compacted = await pollUntil(async () => {
      const records = await kcatConsume(broker.bootstrap, topic, { partition: 0, props: { 'enable.partition.eof': 'true' } })
      return records.length <= COUNT / 4 ? records : null
    }, { message: 'the cleaner compacted the topic', timeoutMs: 20_000, intervalMs: 200 })

    const check = (records: Consumed[]) => {
      let previous = -1
      const seen = new Map<string, string | null>()
      for (const record of records) {
        assert.ok(record.offset > previous)
        previous = record.offset
        // A survivor is exactly what was produced at its offset (kcat prints a null value as "").
        assert.equal(`${record.key}:${record.value ?? ''}`, produced.get(record.offset))
        seen.set(record.key!, record.value === '' ? null : record.value)
      }
      const live = (map: Map<string, string | null>) => new Map([...map].filter(([, value]) => value !== null))
      assert.deepEqual(live(seen), live(model))
    }
    check(compacted)
    const viaConfluent = await runOk(PYTHON, [pyScript('log_management_client.py'), 'consume'], {
      input: JSON.stringify({ bootstrap: broker.bootstrap, topic }), timeoutMs: 60_000,
    })
    const confluentRecords = (JSON.parse(viaConfluent.stdout.trim().split('\n').pop()!) as { records: Consumed[] }).records
    check(confluentRecords)
    assert.ok(confluentRecords.length <= COUNT / 4)
  })
})
