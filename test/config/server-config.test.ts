import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import {
  BROKER_CONFIGS,
  ConfigError,
  ConfigSource,
  describeBrokerConfigs,
  envNameOf,
  loadServerConfig,
  type ConfigLogger,
} from '../../src/config/server-config.js'
import { repoRoot } from '../helpers/paths.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const quiet: ConfigLogger = { warn: () => {} }

function load(overrides: Record<string, string | number | boolean> = {}, env: NodeJS.ProcessEnv = {}) {
  return loadServerConfig({ overrides, env, logger: quiet })
}

function writeProperties(text: string): string {
  const file = path.join(tmpDir('gregor-config-').path, 'server.properties')
  writeFileSync(file, text)
  return file
}

function assertInvalid(fn: () => unknown, key: string, code = 'GREGOR_INVALID_CONFIG'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`)
    assert.equal(e.code, code)
    assert.equal(e.key, key)
    assert.match(e.message, new RegExp(key.replace(/\./g, '\\.')))
    return true
  })
}

test('defaults are Kafka\'s, except broker.id 0 and log.dir ./data', () => {
  const c = load()
  assert.equal(c.brokerId, 0)
  assert.deepEqual(c.logDirs, ['./data'])
  assert.equal(c.numPartitions, 1)
  assert.equal(c.defaultReplicationFactor, 1)
  assert.equal(c.autoCreateTopicsEnable, true)
  assert.equal(c.logSegmentBytes, 1073741824)
  assert.equal(c.logIndexIntervalBytes, 4096)
  assert.equal(c.logIndexSizeMaxBytes, 10485760)
  assert.equal(c.messageMaxBytes, 1048588)
  assert.equal(c.socketRequestMaxBytes, 104857600)
  assert.equal(c.queuedMaxRequests, 500)
  assert.equal(c.fetchMaxBytes, 57671680)
  assert.equal(c.connectionsMaxIdleMs, 600000)
  assert.equal(c.groupInitialRebalanceDelayMs, 3000)
  assert.equal(c.groupMinSessionTimeoutMs, 6000)
  assert.equal(c.groupMaxSessionTimeoutMs, 1800000)
  assert.equal(c.offsetsTopicNumPartitions, 50)
  assert.equal(c.offsetsTopicReplicationFactor, 3)
  assert.equal(c.offsetsRetentionMinutes, 10080)
  assert.equal(c.zookeeperSessionTimeoutMs, 18000)
  assert.equal(c.zookeeperConnect, null)
  assert.equal(c.maxIncrementalFetchSessionCacheSlots, 1000)
  assert.equal(c.logMessageTimestampType, 'CreateTime')
  assert.equal(c.compressionType, 'producer')
  assert.deepEqual(c.logCleanupPolicy, ['delete'])
  assert.equal(c.logFlushOffsetCheckpointIntervalMs, 60000)
  assert.equal(c.logFlushIntervalMessages, Number.MAX_SAFE_INTEGER, 'Long.MAX_VALUE reads as MAX_SAFE_INTEGER')
})

test('every table entry has a valid default and its camelCase field', () => {
  const c = load() as unknown as Record<string, unknown>
  for (const def of BROKER_CONFIGS) {
    const field = def.name.replace(/\.([a-z0-9])/g, (_, ch: string) => ch.toUpperCase())
    assert.ok(field in c, `${def.name} → ${field} missing`)
  }
  assert.equal(new Set(BROKER_CONFIGS.map((d) => d.name)).size, BROKER_CONFIGS.length, 'names are unique')
})

test('derived values: roll and retention ms from hours/minutes, flush interval from the scheduler interval', () => {
  const d = load()
  assert.equal(d.logRollMs, 168 * 3_600_000)
  assert.equal(d.logRollJitterMs, 0)
  assert.equal(d.logRetentionMs, 168 * 3_600_000)
  assert.equal(d.logFlushIntervalMs, Number.MAX_SAFE_INTEGER)
  assert.equal(d.zookeeperConnectionTimeoutMs, 18000)

  assert.equal(load({ 'log.roll.hours': 2 }).logRollMs, 7_200_000)
  assert.equal(load({ 'log.roll.hours': 2, 'log.roll.ms': 5 }).logRollMs, 5)
  assert.equal(load({ 'log.retention.hours': 1, 'log.retention.minutes': 3 }).logRetentionMs, 180_000)
  assert.equal(load({ 'log.retention.minutes': 3, 'log.retention.ms': 42 }).logRetentionMs, 42)
  assert.equal(load({ 'log.retention.hours': -5 }).logRetentionMs, -1, 'negative retention means unlimited (-1)')
  assert.equal(load({ 'log.flush.scheduler.interval.ms': 2000 }).logFlushIntervalMs, 2000)
  assert.equal(load({ 'log.flush.interval.ms': 10, 'log.flush.scheduler.interval.ms': 2000 }).logFlushIntervalMs, 10)
  assert.equal(load({ 'zookeeper.connection.timeout.ms': 700 }).zookeeperConnectionTimeoutMs, 700)
})

test('log.dirs is split on commas and wins over log.dir', () => {
  assert.deepEqual(load({ 'log.dir': '/a' }).logDirs, ['/a'])
  assert.deepEqual(load({ 'log.dir': '/a', 'log.dirs': ' /b , /c ' }).logDirs, ['/b', '/c'])
  assertInvalid(() => load({ 'log.dirs': ' , ' }), 'log.dirs')
})

test('listeners parse into name/host/port; advertised listeners default to them with an empty host as 127.0.0.1', () => {
  const c = load({ listeners: 'plaintext://:9092,SSL://[::1]:9093' })
  assert.deepEqual(c.listeners, [
    { name: 'PLAINTEXT', host: '', port: 9092, securityProtocol: 'PLAINTEXT' },
    { name: 'SSL', host: '::1', port: 9093, securityProtocol: 'SSL' },
  ])
  assert.deepEqual(c.advertisedListeners, [
    { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' },
    { name: 'SSL', host: '::1', port: 9093, securityProtocol: 'SSL' },
  ])
  assert.equal(c.interBrokerListenerName, 'PLAINTEXT')

  const advertised = load({ listeners: 'PLAINTEXT://0.0.0.0:9092', 'advertised.listeners': 'PLAINTEXT://broker1:19092' })
  assert.deepEqual(advertised.advertisedListeners, [{ name: 'PLAINTEXT', host: 'broker1', port: 19092, securityProtocol: 'PLAINTEXT' }])
})

test('custom listener names need a security protocol mapping and a matching inter-broker listener', () => {
  const c = load({
    listeners: 'INTERNAL://127.0.0.1:9092,EXTERNAL://127.0.0.1:9093',
    'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
  })
  assert.equal(c.listeners[1]!.securityProtocol, 'PLAINTEXT')
  assert.equal(c.interBrokerListenerName, 'INTERNAL')
  assertInvalid(() => load({ listeners: 'INTERNAL://127.0.0.1:9092' }), 'listeners')
  assertInvalid(
    () => load({ listeners: 'INTERNAL://127.0.0.1:9092', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT' }),
    'security.inter.broker.protocol',
  )
})

test('bad listeners are rejected: syntax, port range, duplicate names, 0.0.0.0 advertised, unknown advertised names', () => {
  assertInvalid(() => load({ listeners: 'PLAINTEXT:/127.0.0.1:9092' }), 'listeners')
  assertInvalid(() => load({ listeners: 'PLAINTEXT://127.0.0.1:70000' }), 'listeners')
  assertInvalid(() => load({ listeners: 'PLAINTEXT://a:1,PLAINTEXT://b:2' }), 'listeners')
  assertInvalid(() => load({ listeners: 'PLAINTEXT://0.0.0.0:9092' }), 'advertised.listeners')
  assertInvalid(
    () => load({ listeners: 'PLAINTEXT://:9092', 'advertised.listeners': 'PLAINTEXT://a:1,SSL://a:2' }),
    'advertised.listeners',
  )
  assertInvalid(() => load({ 'listener.security.protocol.map': 'PLAINTEXT:NOPE' }), 'listener.security.protocol.map')
})

test('node.id becomes the broker id when broker.id is unset; both set must agree; negative ids are rejected', () => {
  assert.equal(load({ 'node.id': 3 }).brokerId, 3)
  assert.equal(load({ 'broker.id': 4, 'node.id': 4 }).brokerId, 4)
  assertInvalid(() => load({ 'broker.id': 4, 'node.id': 5 }), 'node.id')
  assertInvalid(() => load({ 'broker.id': -1 }), 'broker.id')
})

test('invalid values throw GREGOR_INVALID_CONFIG naming the key', () => {
  assertInvalid(() => load({ 'num.partitions': 'many' }), 'num.partitions')
  assertInvalid(() => load({ 'num.partitions': 0 }), 'num.partitions')
  assertInvalid(() => load({ 'num.partitions': '2147483648' }), 'num.partitions')
  assertInvalid(() => load({ 'log.segment.bytes': 13 }), 'log.segment.bytes')
  assertInvalid(() => load({ 'log.retention.ms': '9223372036854775808' }), 'log.retention.ms')
  assertInvalid(() => load({ 'auto.create.topics.enable': 'yes' }), 'auto.create.topics.enable')
  assertInvalid(() => load({ 'compression.type': 'brotli' }), 'compression.type')
  assertInvalid(() => load({ 'log.message.timestamp.type': 'createtime' }), 'log.message.timestamp.type')
  assertInvalid(() => load({ 'log.cleanup.policy': 'compact,shred' }), 'log.cleanup.policy')
  assertInvalid(() => load({ 'log.cleaner.min.cleanable.ratio': 1.5 }), 'log.cleaner.min.cleanable.ratio')
  assertInvalid(() => load({ 'offsets.topic.replication.factor': 40000 }), 'offsets.topic.replication.factor')
})

test('values are trimmed, booleans are case-insensitive, lists split on commas, Long.MAX_VALUE is accepted', () => {
  const c = load({
    'num.partitions': ' 7 ',
    'delete.topic.enable': 'FALSE',
    'log.cleanup.policy': 'compact , delete',
    'log.cleaner.max.compaction.lag.ms': '9223372036854775807',
  })
  assert.equal(c.numPartitions, 7)
  assert.equal(c.deleteTopicEnable, false)
  assert.deepEqual(c.logCleanupPolicy, ['compact', 'delete'])
  assert.equal(c.logCleanerMaxCompactionLagMs, Number.MAX_SAFE_INTEGER)
})

test('precedence: defaults < file < GREGOR_* environment < overrides', () => {
  const file = writeProperties('num.partitions=2\ndefault.replication.factor=2\nmessage.max.bytes=2000\nlog.dirs=/from-file\n')
  const env = { GREGOR_DEFAULT_REPLICATION_FACTOR: '3', GREGOR_MESSAGE_MAX_BYTES: '3000', GREGOR_LOG_DIRS: '/from-env' }
  const c = loadServerConfig({ file, env, overrides: { 'message.max.bytes': '4000' }, logger: quiet })
  assert.equal(c.numPartitions, 2, 'file over default')
  assert.equal(c.defaultReplicationFactor, 3, 'env over file')
  assert.equal(c.messageMaxBytes, 4000, 'override over env')
  assert.deepEqual(c.logDirs, ['/from-env'])
  assert.equal(c.queuedMaxRequests, 500, 'default')
  assert.equal(envNameOf('log.dirs'), 'GREGOR_LOG_DIRS')
})

test('environment variables that are not table properties are ignored', () => {
  const c = loadServerConfig({ env: { GREGOR_NOT_A_CONFIG: 'x' }, logger: quiet })
  assert.equal(c.originals.size, 0)
})

test('unknown keys log Kafka\'s "isn\'t a known config" warning and are kept in originals', () => {
  const warnings: string[] = []
  const c = loadServerConfig({ overrides: { 'made.up.key': 'x' }, env: {}, logger: { warn: (m) => warnings.push(m) } })
  assert.equal(warnings.length, 1)
  assert.match(warnings[0]!, /made\.up\.key.*isn't a known config/)
  assert.equal(c.originals.get('made.up.key'), 'x')
})

test('a missing config file is a GREGOR_CONFIG_FILE error', () => {
  assert.throws(
    () => loadServerConfig({ file: '/nonexistent/server.properties', env: {}, logger: quiet }),
    (e: unknown) => e instanceof ConfigError && e.code === 'GREGOR_CONFIG_FILE',
  )
})

test('the shipped config/server.properties loads cleanly with 127.0.0.1:9092 and ./data', () => {
  const warnings: string[] = []
  const c = loadServerConfig({ file: path.join(repoRoot, 'config', 'server.properties'), env: {}, logger: { warn: (m) => warnings.push(m) } })
  assert.deepEqual(warnings, [])
  assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }])
  assert.deepEqual(c.logDirs, ['./data'])
})

test('describeBrokerConfigs reports value, source, read-only flag, hidden passwords and synonyms', () => {
  const c = load({ 'log.retention.hours': 24, 'num.partitions': 3, 'ssl.key.password': 'secret' })
  const byName = new Map(describeBrokerConfigs(c, { dynamic: { clusterDefault: { 'log.retention.ms': '1000' } } }).map((e) => [e.name, e]))
  assert.equal(byName.size, BROKER_CONFIGS.length)

  const partitions = byName.get('num.partitions')!
  assert.equal(partitions.value, '3')
  assert.equal(partitions.source, ConfigSource.STATIC_BROKER_CONFIG)
  assert.equal(partitions.isReadOnly, true)

  const segment = byName.get('log.segment.bytes')!
  assert.equal(segment.value, '1073741824')
  assert.equal(segment.source, ConfigSource.DEFAULT_CONFIG)
  assert.equal(segment.isReadOnly, false)

  const retention = byName.get('log.retention.ms')!
  assert.equal(retention.value, '1000')
  assert.equal(retention.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
  assert.deepEqual(
    retention.synonyms.map((s) => [s.name, s.value, s.source]),
    [
      ['log.retention.ms', '1000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      ['log.retention.hours', '24', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
    ],
  )

  const password = byName.get('ssl.key.password')!
  assert.equal(password.isSensitive, true)
  assert.equal(password.value, null)
  assert.ok(password.synonyms.every((s) => s.value === null))

  assert.deepEqual(
    describeBrokerConfigs(c, { names: ['num.partitions', 'no.such.config'] }).map((e) => e.name),
    ['num.partitions'],
  )
})
