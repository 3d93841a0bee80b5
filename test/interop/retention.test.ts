// Retention, DeleteRecords, CreatePartitions and DescribeLogDirs seen by real clients: the
// earliest offset moves, a consumer below it gets OFFSET_OUT_OF_RANGE and its reset policy
// applies (confluent-kafka auto.offset.reset), and the log start offset survives a restart.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Admin as PlatformaticAdmin } from '@platformatic/kafka'
import kafkajs, { type Admin } from 'kafkajs'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { kcatConsume, kcatProduce } from '../helpers/kcat.js'
import { PYTHON, pyScript } from '../helpers/paths.js'
import { pollUntil } from '../helpers/poll.js'
import { killTracked, runOk } from '../helpers/processes.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const { Kafka, logLevel } = kafkajs

async function python<T>(command: string, args: object): Promise<T> {
  const { stdout } = await runOk(PYTHON, [pyScript('log_management_client.py'), command], { input: JSON.stringify(args), timeoutMs: 60_000 })
  return JSON.parse(stdout.trim().split('\n').pop()!) as T
}

interface ConsumeResult { records: { offset: number; value: string }[]; low?: number; high?: number; error?: string }

function records(count: number, tag: string, timestamp?: number) {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}-${'x'.repeat(80)}`, timestamp }))
}

describe('retention and partition management through real clients', { timeout: 120_000 }, () => {
  const logDir = tmpDir('gregor-retention-').path
  const brokerConfig = { 'log.retention.check.interval.ms': 100, 'log.segment.delete.delay.ms': 0 }
  let broker: InProcessBroker
  let admin: Admin
  let platformatic: PlatformaticAdmin

  async function connect(): Promise<void> {
    broker = await startInProcessBroker({ logDirs: logDir, config: brokerConfig })
    admin = new Kafka({ clientId: 'gregor-retention', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    platformatic = new PlatformaticAdmin({ clientId: 'gregor-retention', bootstrapBrokers: [broker.bootstrap] })
  }
  async function disconnect(): Promise<void> {
    await admin?.disconnect()
    await platformatic?.close()
    await broker?.close()
  }
  before(connect)
  after(async () => {
    await disconnect()
    await killTracked()
  })

  async function createTopic(topic: string, configs: Record<string, string>, numPartitions = 1): Promise<void> {
    await admin.createTopics({ topics: [{ topic, numPartitions, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] })
  }

  async function lowWatermark(topic: string, partition = 0): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic)
    return Number(offsets.find((entry) => entry.partition === partition)!.low)
  }

  test('retention.bytes: old segments go, consumers below the new earliest offset reset per policy', async () => {
    const topic = 'retention-bytes'
    await createTopic(topic, { 'segment.bytes': '2048', 'retention.bytes': '4096' })
    await python('produce', { bootstrap: broker.bootstrap, topic, records: records(200, 'b'), batch_messages: 5 })
    // 200 records of ~120 bytes: retention keeps the newest ~4 KiB, about the last 40 records.
    const low = await pollUntil(async () => {
      const value = await lowWatermark(topic)
      return value >= 100 ? value : null
    }, { message: 'retention.bytes moved the earliest offset', timeoutMs: 15_000 })

    const strict = await python<ConsumeResult>('consume', { bootstrap: broker.bootstrap, topic, offset: 0, auto_offset_reset: 'error' })
    assert.equal(strict.error, '_AUTO_OFFSET_RESET', 'OFFSET_OUT_OF_RANGE surfaces with auto.offset.reset=error')
    const reset = await python<ConsumeResult>('consume', { bootstrap: broker.bootstrap, topic, offset: 0, auto_offset_reset: 'earliest' })
    assert.equal(reset.error, undefined)
    const current = await lowWatermark(topic)
    assert.equal(reset.records[0]!.offset, reset.low)
    assert.ok(reset.low! >= low && reset.low! <= current)
    assert.equal(reset.records.at(-1)!.offset, 199)
    const viaKcat = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    assert.equal(viaKcat[0]!.offset, current)
  })

  test('retention.ms: segments whose records are all older than retention.ms go, newer ones stay', async () => {
    const topic = 'retention-time'
    await createTopic(topic, { 'segment.bytes': '2048', 'retention.ms': '600000' })
    const old = records(60, 'old', Date.now() - 3_600_000)
    await python('produce', { bootstrap: broker.bootstrap, topic, records: old, batch_messages: 5 })
    await python('produce', { bootstrap: broker.bootstrap, topic, records: records(60, 'new'), batch_messages: 5 })
    await pollUntil(async () => (await lowWatermark(topic)) > 0, { message: 'retention.ms moved the earliest offset', timeoutMs: 15_000 })
    const read = await python<ConsumeResult>('consume', { bootstrap: broker.bootstrap, topic })
    assert.ok(read.low! > 0 && read.low! <= 60, `only old records are deleted (low ${read.low})`)
    assert.equal(read.records[0]!.offset, read.low)
    assert.equal(read.records.filter((record) => record.value.startsWith('new')).length, 60)
  })

  test('DeleteRecords: kafkajs and platformatic move the low watermark; beyond the high watermark is refused', async () => {
    const topic = 'delete-records'
    await createTopic(topic, { 'segment.bytes': '4096' })
    await kcatProduce(broker.bootstrap, topic, Array.from({ length: 100 }, (_, i) => `v${i}`), { partition: 0, props: { 'batch.num.messages': '10' } })
    // kafkajs looks the leader up before loading the topic's metadata: load it first.
    assert.equal(await lowWatermark(topic), 0)
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '30' }] })
    assert.equal(await lowWatermark(topic), 30)
    const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    assert.deepEqual([consumed[0]!.offset, consumed[0]!.value], [30, 'v30'])

    await assert.rejects(
      admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '101' }] }),
      (error: Error & { originalError?: unknown; cause?: unknown }) => {
        const details = JSON.stringify({ error, original: error.originalError, cause: error.cause })
        assert.match(details, /OFFSET_OUT_OF_RANGE/)
        return true
      },
    )
    const [deleted] = await platformatic.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: -1n }] }] })
    assert.equal(deleted!.partitions[0]!.lowWatermark, 100n)
    assert.equal(await lowWatermark(topic), 100)
  })

  test('CreatePartitions: kafkajs grows a topic, confluent-kafka cannot shrink it, validate_only changes nothing', async () => {
    const topic = 'create-partitions'
    await createTopic(topic, {}, 2)
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    assert.deepEqual(metadata.topics[0]!.partitions.map((partition) => partition.partitionId).sort(), [0, 1, 2])
    await kcatProduce(broker.bootstrap, topic, ['in-new-partition'], { partition: 2 })
    assert.deepEqual((await kcatConsume(broker.bootstrap, topic, { partition: 2 })).map((record) => record.value), ['in-new-partition'])

    assert.deepEqual(await python('create_partitions', { bootstrap: broker.bootstrap, topic, count: 2 }), { error: 'INVALID_PARTITIONS' })
    assert.deepEqual(await python('create_partitions', { bootstrap: broker.bootstrap, topic, count: 3 }), { error: 'INVALID_PARTITIONS' })
    assert.deepEqual(await python('create_partitions', { bootstrap: broker.bootstrap, topic, count: 6, validate_only: true }), { error: null })
    assert.equal((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.length, 3)
    assert.deepEqual(await python('create_partitions', { bootstrap: broker.bootstrap, topic: 'no-such-topic', count: 2 }), { error: 'UNKNOWN_TOPIC_OR_PART' })
  })

  test('DescribeLogDirs (platformatic) reports the log directory and partition sizes', async () => {
    const [description] = await platformatic.describeLogDirs({ topics: [{ name: 'delete-records', partitions: [0] }] })
    const dir = description!.results[0]!
    assert.equal(dir.logDir, logDir)
    const partition = dir.topics.find((topic) => topic.name === 'delete-records')!.partitions[0]!
    assert.ok(partition.partitionSize > 0n)
    assert.ok(dir.totalBytes > 0n && dir.usableBytes > 0n)
  })

  test('the log start offset survives a restart', async () => {
    await disconnect()
    await connect()
    assert.equal(await lowWatermark('delete-records'), 100)
    assert.equal((await admin.fetchTopicMetadata({ topics: ['create-partitions'] })).topics[0]!.partitions.length, 3)
  })
})
