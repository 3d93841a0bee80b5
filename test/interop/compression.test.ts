// Every codec produced and consumed by real clients: kcat (-z), confluent-kafka (compression.type),
// @platformatic/kafka (gzip, snappy, lz4; its zstd needs Node 22's zlib) and a kafkajs producer
// (gzip; other codecs need plugins, and its consumer needs groups). The topic config compression.type is checked on the stored segment bytes.
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Admin, Consumer, Producer, stringSerializers, type CompressionAlgorithmValue } from '@platformatic/kafka'
import { CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { kcatConsume, kcatProduce } from '../helpers/kcat.js'
import { PYTHON, pyScript } from '../helpers/paths.js'
import { killTracked, runOk } from '../helpers/processes.js'
import { walkBatches } from '../helpers/record-batch.js'

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const
const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const COUNT = 40

interface Message { key: string; value: string }

function messages(tag: string): Message[] {
  return Array.from({ length: COUNT }, (_, i) => ({ key: `k${i % 7}`, value: `${tag} value ${i} `.repeat(8).trim() }))
}

async function python<T>(command: string, args: object): Promise<T> {
  const { stdout } = await runOk(PYTHON, [pyScript('log_management_client.py'), command], { input: JSON.stringify(args), timeoutMs: 60_000 })
  return JSON.parse(stdout.trim().split('\n').pop()!) as T
}

/** Compression codec of every batch stored for topic-0, read from the segment files. */
async function storedCodecs(logDir: string, topic: string): Promise<number[]> {
  const dir = path.join(logDir, `${topic}-0`)
  const codecs: number[] = []
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.log')).sort()) {
    const bytes = await readFile(path.join(dir, name))
    for (const batch of walkBatches(bytes).batches) codecs.push(bytes.readInt16BE(batch.position + 21) & 0x07)
  }
  return codecs
}

function assertSame(consumed: { offset: number; key: string | null; value: string | null }[], sent: Message[]): void {
  assert.deepEqual(consumed.map((r) => [r.offset, r.key, r.value]), sent.map((m, i) => [i, m.key, m.value]))
}

describe('compression interop', { timeout: 120_000 }, () => {
  let broker: InProcessBroker
  let kafka: Kafka
  let platformaticAdmin: Admin

  before(async () => {
    broker = await startInProcessBroker()
    kafka = new Kafka({ clientId: 'gregor-compression', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    platformaticAdmin = new Admin({ clientId: 'gregor-compression', bootstrapBrokers: [broker.bootstrap] })
  })
  after(async () => {
    await platformaticAdmin?.close()
    await broker?.close()
    await killTracked()
  })

  async function createTopic(topic: string, configs: Record<string, string> = {}): Promise<void> {
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      })
    } finally {
      await admin.disconnect()
    }
  }

  async function platformaticRead(topic: string): Promise<{ offset: number; key: string | null; value: string | null }[]> {
    const metadata = await platformaticAdmin.metadata({ topics: [topic] })
    const consumer = new Consumer({ clientId: 'gregor-compression', bootstrapBrokers: [broker.bootstrap], groupId: 'unused' })
    try {
      const response = await consumer.fetch({
        node: broker.brokerId,
        maxWaitTime: 100,
        topics: [{
          topicId: metadata.topics.get(topic)!.id,
          partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
        }],
      })
      const out: { offset: number; key: string | null; value: string | null }[] = []
      for (const partition of response.responses[0]!.partitions) {
        assert.equal(partition.errorCode, 0)
        for (const batch of partition.records ?? []) {
          for (const record of batch.records) {
            out.push({ offset: Number(batch.firstOffset) + record.offsetDelta, key: record.key?.toString() ?? null, value: record.value?.toString() ?? null })
          }
        }
      }
      return out
    } finally {
      await consumer.close()
    }
  }

  for (const codec of CODECS) {
    test(`${codec}: kcat -z ${codec} writes compressed batches that confluent-kafka${codec === 'zstd' ? '' : ' and @platformatic/kafka'} read back`, async () => {
      const topic = `compression-kcat-${codec}`
      await createTopic(topic)
      const sent = messages(`kcat-${codec}`)
      await kcatProduce(broker.bootstrap, topic, sent.map((m) => `${m.key}:${m.value}`), {
        keyDelimiter: ':', partition: 0, props: { 'compression.codec': codec, 'linger.ms': '50' },
      })
      // librdkafka silently sends lz4 uncompressed to brokers without FindCoordinator: check what is stored.
      const codecs = await storedCodecs(broker.logDirs[0]!, topic)
      assert.ok(codecs.length > 0 && codecs.every((id) => id === CODEC_IDS[codec]), `stored codecs ${codecs}`)
      const read = await python<{ records: Message[] & { offset: number }[] }>('consume', { bootstrap: broker.bootstrap, topic })
      assertSame(read.records as never, sent)
      if (codec !== 'zstd') assertSame(await platformaticRead(topic), sent)
    })

    test(`${codec}: confluent-kafka compression.type=${codec} is read back by kcat`, async () => {
      const topic = `compression-confluent-${codec}`
      await createTopic(topic)
      const sent = messages(`confluent-${codec}`)
      const offsets = await python<number[]>('produce', { bootstrap: broker.bootstrap, topic, records: sent, compression: codec })
      assert.deepEqual(offsets, sent.map((_, i) => i))
      const codecs = await storedCodecs(broker.logDirs[0]!, topic)
      assert.ok(codecs.length > 0 && codecs.every((id) => id === CODEC_IDS[codec]), `stored codecs ${codecs}`)
      assertSame(await kcatConsume(broker.bootstrap, topic, { partition: 0 }), sent)
    })
  }

  for (const codec of ['gzip', 'snappy', 'lz4'] as const) {
    test(`${codec}: @platformatic/kafka compression ${codec} is read back by kcat and confluent-kafka`, async () => {
      const topic = `compression-platformatic-${codec}`
      await createTopic(topic)
      const sent = messages(`platformatic-${codec}`)
      const producer = new Producer({
        clientId: 'gregor-compression', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, autocreateTopics: false,
      })
      try {
        await producer.send({ messages: sent.map((m) => ({ topic, partition: 0, ...m })), compression: codec as CompressionAlgorithmValue })
      } finally {
        await producer.close()
      }
      assert.deepEqual(await storedCodecs(broker.logDirs[0]!, topic), [CODEC_IDS[codec]])
      assertSame(await kcatConsume(broker.bootstrap, topic, { partition: 0 }), sent)
      assertSame((await python<{ records: never }>('consume', { bootstrap: broker.bootstrap, topic })).records, sent)
    })
  }

  test('gzip: a kafkajs producer (CompressionTypes.GZIP) is read back by kcat', async () => {
    const topic = 'compression-kafkajs-gzip'
    await createTopic(topic)
    const sent = messages('kafkajs')
    const producer = kafka.producer()
    await producer.connect()
    try {
      await producer.send({ topic, compression: CompressionTypes.GZIP, messages: sent.map((m) => ({ ...m, partition: 0 })) })
    } finally {
      await producer.disconnect()
    }
    assert.deepEqual(await storedCodecs(broker.logDirs[0]!, topic), [CODEC_IDS.gzip])
    assertSame(await kcatConsume(broker.bootstrap, topic, { partition: 0 }), sent)
  })

  test('compression.type=zstd recompresses uncompressed batches; compression.type=uncompressed stores them plain', async () => {
    const zstdTopic = 'compression-topic-zstd'
    await createTopic(zstdTopic, { 'compression.type': 'zstd' })
    const sent = messages('recompressed')
    await kcatProduce(broker.bootstrap, zstdTopic, sent.map((m) => `${m.key}:${m.value}`), { keyDelimiter: ':', partition: 0, props: { 'linger.ms': '50' } })
    const zstdCodecs = await storedCodecs(broker.logDirs[0]!, zstdTopic)
    assert.ok(zstdCodecs.length > 0 && zstdCodecs.every((id) => id === CODEC_IDS.zstd), `stored codecs ${zstdCodecs}`)
    assertSame((await python<{ records: never }>('consume', { bootstrap: broker.bootstrap, topic: zstdTopic })).records, sent)

    const plainTopic = 'compression-topic-uncompressed'
    await createTopic(plainTopic, { 'compression.type': 'uncompressed' })
    await kcatProduce(broker.bootstrap, plainTopic, sent.map((m) => `${m.key}:${m.value}`), {
      keyDelimiter: ':', partition: 0, props: { 'compression.codec': 'gzip', 'linger.ms': '50' },
    })
    const plainCodecs = await storedCodecs(broker.logDirs[0]!, plainTopic)
    assert.ok(plainCodecs.length > 0 && plainCodecs.every((id) => id === CODEC_IDS.none), `stored codecs ${plainCodecs}`)
    assertSame(await kcatConsume(broker.bootstrap, plainTopic, { partition: 0 }), sent)
  })
})
