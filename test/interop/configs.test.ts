// Dynamic configs through real admin clients: kafkajs (DescribeConfigs, AlterConfigs),
// confluent-kafka AdminClient (AlterConfigs, DescribeConfigs), @platformatic/kafka
// (IncrementalAlterConfigs); changes are applied live and survive a broker restart.
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Admin as PlatformaticAdmin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka'
import kafkajs, { type Admin } from 'kafkajs'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { kcatProduce } from '../helpers/kcat.js'
import { PYTHON, pyScript } from '../helpers/paths.js'
import { killTracked, runOk } from '../helpers/processes.js'
import { walkBatches } from '../helpers/record-batch.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const { ConfigResourceTypes: KafkaJsResourceTypes, Kafka, logLevel } = kafkajs
const SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 }

async function python<T>(command: string, args: object): Promise<T> {
  const { stdout } = await runOk(PYTHON, [pyScript('log_management_client.py'), command], { input: JSON.stringify(args), timeoutMs: 60_000 })
  return JSON.parse(stdout.trim().split('\n').pop()!) as T
}

interface ConfluentEntry { value: string | null; source: number; read_only: boolean; is_default: boolean }

describe('dynamic configs through admin clients', { timeout: 120_000 }, () => {
  const logDir = tmpDir('gregor-configs-').path
  let broker: InProcessBroker
  let admin: Admin
  let platformatic: PlatformaticAdmin

  async function connect(): Promise<void> {
    broker = await startInProcessBroker({ logDirs: logDir })
    admin = new Kafka({ clientId: 'gregor-configs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    platformatic = new PlatformaticAdmin({ clientId: 'gregor-configs', bootstrapBrokers: [broker.bootstrap] })
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

  async function topicConfigs(topic: string): Promise<Map<string, { value: string; source: number }>> {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: KafkaJsResourceTypes.TOPIC, name: topic }] })
    return new Map(described.resources[0]!.configEntries.map((entry) => [entry.configName, { value: entry.configValue, source: entry.configSource }]))
  }

  test('kafkajs: alterConfigs sets topic overrides, shown with their source and applied to the open log', async () => {
    const topic = 'configs-kafkajs'
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    const before = await topicConfigs(topic)
    assert.deepEqual(before.get('compression.type'), { value: 'producer', source: SOURCE.DEFAULT_CONFIG })

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: KafkaJsResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'compression.type', value: 'gzip' }, { name: 'retention.ms', value: '3600000' }] }],
    })
    const after = await topicConfigs(topic)
    assert.deepEqual(after.get('compression.type'), { value: 'gzip', source: SOURCE.DYNAMIC_TOPIC_CONFIG })
    assert.deepEqual(after.get('retention.ms'), { value: '3600000', source: SOURCE.DYNAMIC_TOPIC_CONFIG })

    // Live: the partition's log now recompresses what an uncompressed producer sends.
    await kcatProduce(broker.bootstrap, topic, ['a', 'b', 'c'], { partition: 0 })
    const dir = path.join(logDir, `${topic}-0`)
    const segment = (await readdir(dir)).find((name) => name.endsWith('.log'))!
    const bytes = await readFile(path.join(dir, segment))
    const codecs = walkBatches(bytes).batches.map((batch) => bytes.readInt16BE(batch.position + 21) & 7)
    assert.ok(codecs.length > 0 && codecs.every((codec) => codec === 1), `stored codecs ${codecs}`)

    // Legacy AlterConfigs replaces the whole set: retention.ms goes back to its default.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: KafkaJsResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'compression.type', value: 'gzip' }] }] })
    assert.equal((await topicConfigs(topic)).get('retention.ms')!.source, SOURCE.DEFAULT_CONFIG)

    // validateOnly changes nothing; a bad value is INVALID_CONFIG; an unknown topic UNKNOWN_TOPIC_OR_PARTITION.
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: KafkaJsResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
    assert.equal((await topicConfigs(topic)).get('cleanup.policy')!.value, 'delete')
    await assert.rejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: KafkaJsResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'segment.bytes', value: '10' }] }] }),
      (error: Error & { type?: string }) => error.type === 'INVALID_CONFIG',
    )
    await assert.rejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: KafkaJsResourceTypes.TOPIC, name: 'configs-no-such-topic', configEntries: [{ name: 'retention.ms', value: '1' }] }] }),
      (error: Error & { type?: string }) => error.type === 'UNKNOWN_TOPIC_OR_PARTITION',
    )
  })

  test('confluent-kafka: AdminClient alters topic configs and sees cluster-default broker configs; read-only ones are refused', async () => {
    const topic = 'configs-confluent'
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    const altered = await python<Record<string, string | null>>('alter_configs', {
      bootstrap: broker.bootstrap,
      resources: [
        { type: 'topic', name: topic, configs: { 'cleanup.policy': 'compact,delete', 'min.compaction.lag.ms': '1000' } },
      ],
    })
    assert.deepEqual(altered, { [topic]: null })
    // Neither librdkafka nor kafkajs can name the cluster-default resource (""); platformatic can.
    await platformatic.incrementalAlterConfigs({ resources: [{
      resourceType: ConfigResourceTypes.BROKER, resourceName: '',
      configs: [{ name: 'log.retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '7200000' }],
    }] })
    const described = await python<Record<string, Record<string, ConfluentEntry>>>('describe_configs', {
      bootstrap: broker.bootstrap, resources: [{ type: 'topic', name: topic }, { type: 'broker', name: String(broker.brokerId) }],
    })
    const topicEntries = described[topic]!
    assert.equal(topicEntries['cleanup.policy']!.value, 'compact,delete')
    assert.equal(topicEntries['cleanup.policy']!.source, SOURCE.DYNAMIC_TOPIC_CONFIG)
    assert.deepEqual([topicEntries['retention.ms']!.value, topicEntries['retention.ms']!.source], ['7200000', SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG])
    const brokerEntries = described[String(broker.brokerId)]!
    assert.deepEqual([brokerEntries['log.retention.ms']!.value, brokerEntries['log.retention.ms']!.source], ['7200000', SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG])
    assert.equal(brokerEntries['num.partitions']!.read_only, true)

    const refused = await python<Record<string, string | null>>('alter_configs', {
      bootstrap: broker.bootstrap, resources: [{ type: 'broker', name: String(broker.brokerId), configs: { 'num.partitions': '3' } }],
    })
    assert.deepEqual(refused, { [String(broker.brokerId)]: 'INVALID_REQUEST' })
    const invalid = await python<Record<string, string | null>>('alter_configs', {
      bootstrap: broker.bootstrap, resources: [{ type: 'topic', name: topic, configs: { 'no.such.config': '1' } }],
    })
    assert.deepEqual(invalid, { [topic]: 'INVALID_CONFIG' })
  })

  test('@platformatic/kafka: IncrementalAlterConfigs SET, DELETE, APPEND and SUBTRACT', async () => {
    const topic = 'configs-incremental'
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    const { SET, DELETE, APPEND, SUBTRACT } = IncrementalAlterConfigOperationTypes
    const alter = (configs: { name: string; configOperation: number; value?: string }[], resourceType: 2 | 4 = ConfigResourceTypes.TOPIC, resourceName = topic) =>
      platformatic.incrementalAlterConfigs({ resources: [{ resourceType, resourceName, configs: configs as never }] }).catch((error: AggregateError) => {
        // The per-resource error codes are in the responses of the aggregated errors.
        throw new Error(JSON.stringify(error.errors.map((e: Error & { response?: unknown }) => e.response ?? e.message)))
      })

    await alter([{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }, { name: 'retention.bytes', configOperation: SET, value: '1048576' }])
    let configs = await topicConfigs(topic)
    assert.equal(configs.get('cleanup.policy')!.value, 'delete,compact')
    assert.equal(configs.get('retention.bytes')!.value, '1048576')

    await alter([{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }, { name: 'retention.bytes', configOperation: DELETE }])
    configs = await topicConfigs(topic)
    assert.deepEqual(configs.get('cleanup.policy'), { value: 'compact', source: SOURCE.DYNAMIC_TOPIC_CONFIG })
    assert.deepEqual(configs.get('retention.bytes'), { value: '-1', source: SOURCE.DEFAULT_CONFIG })

    await assert.rejects(alter([{ name: 'retention.ms', configOperation: APPEND, value: '5' }]), /"errorCode":40/)

    await alter([{ name: 'message.max.bytes', configOperation: SET, value: '500000' }], ConfigResourceTypes.BROKER, String(broker.brokerId))
    const [brokerDescription] = await platformatic.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: String(broker.brokerId), configurationKeys: ['message.max.bytes'] }],
    })
    const entry = brokerDescription!.configs.find((config) => config.name === 'message.max.bytes')!
    assert.deepEqual([entry.value, entry.configSource], ['500000', SOURCE.DYNAMIC_BROKER_CONFIG])
    assert.deepEqual((await topicConfigs(topic)).get('max.message.bytes'), { value: '500000', source: SOURCE.DYNAMIC_BROKER_CONFIG })
  })

  test('topic and broker configs persist across a restart', async () => {
    await disconnect()
    await connect()
    assert.equal((await topicConfigs('configs-kafkajs')).get('compression.type')!.value, 'gzip')
    assert.equal((await topicConfigs('configs-confluent')).get('cleanup.policy')!.value, 'compact,delete')
    const incremental = await topicConfigs('configs-incremental')
    assert.deepEqual(incremental.get('max.message.bytes'), { value: '500000', source: SOURCE.DYNAMIC_BROKER_CONFIG })
    assert.deepEqual(incremental.get('retention.ms'), { value: '7200000', source: SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG })
  })
})
