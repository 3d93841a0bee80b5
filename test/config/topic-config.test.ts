import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, ConfigSource, loadServerConfig } from '../../src/config/server-config.js'
import { describeTopicConfigs, resolveTopicConfig, TOPIC_CONFIGS, validateTopicConfigs } from '../../src/config/topic-config.js'

const quiet = { warn: () => {} }
const server = (overrides: Record<string, string | number> = {}) => loadServerConfig({ overrides, env: {}, logger: quiet })

test('a topic without overrides inherits the broker synonyms, hours and minutes converted to ms', () => {
  const t = resolveTopicConfig({}, server({ 'log.segment.bytes': 1000, 'log.roll.hours': 2, 'log.retention.minutes': 5 }))
  assert.equal(t.segmentBytes, 1000)
  assert.equal(t.segmentMs, 7_200_000)
  assert.equal(t.retentionMs, 300_000)
  assert.equal(t.segmentIndexBytes, 10485760)
  assert.equal(t.indexIntervalBytes, 4096)
  assert.equal(t.maxMessageBytes, 1048588)
  assert.equal(t.messageTimestampType, 'CreateTime')
  assert.deepEqual(t.cleanupPolicy, ['delete'])
  assert.equal(t.flushMs, Number.MAX_SAFE_INTEGER)
  assert.equal(t.minCleanableDirtyRatio, 0.5)
  assert.equal(t.uncleanLeaderElectionEnable, false)
})

test('topic overrides win over broker values', () => {
  const t = resolveTopicConfig({ 'segment.bytes': '2048', 'cleanup.policy': 'compact', 'retention.ms': '-1' }, server({ 'log.segment.bytes': 1000 }))
  assert.equal(t.segmentBytes, 2048)
  assert.deepEqual(t.cleanupPolicy, ['compact'])
  assert.equal(t.retentionMs, -1)
})

test('flush.ms falls back to log.flush.interval.ms, then log.flush.scheduler.interval.ms', () => {
  assert.equal(resolveTopicConfig({}, server({ 'log.flush.scheduler.interval.ms': 900 })).flushMs, 900)
  assert.equal(resolveTopicConfig({}, server({ 'log.flush.interval.ms': 50, 'log.flush.scheduler.interval.ms': 900 })).flushMs, 50)
})

test('unknown topic configs are GREGOR_UNKNOWN_CONFIG; invalid values GREGOR_INVALID_CONFIG naming the key', () => {
  const check = (overrides: Record<string, string>, code: string, key: string) =>
    assert.throws(() => validateTopicConfigs(overrides), (e: unknown) => e instanceof ConfigError && e.code === code && e.key === key)
  check({ 'segment.size': '1' }, 'GREGOR_UNKNOWN_CONFIG', 'segment.size')
  check({ 'segment.bytes': '13' }, 'GREGOR_INVALID_CONFIG', 'segment.bytes')
  check({ 'retention.ms': '-2' }, 'GREGOR_INVALID_CONFIG', 'retention.ms')
  check({ 'cleanup.policy': 'compact,nope' }, 'GREGOR_INVALID_CONFIG', 'cleanup.policy')
  check({ 'min.cleanable.dirty.ratio': '2' }, 'GREGOR_INVALID_CONFIG', 'min.cleanable.dirty.ratio')
  check({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }, 'GREGOR_INVALID_CONFIG', 'min.compaction.lag.ms')
  assert.doesNotThrow(() => validateTopicConfigs({ 'segment.bytes': '14', 'cleanup.policy': 'compact,delete' }))
})

test('describeTopicConfigs: overrides are DYNAMIC_TOPIC_CONFIG, inherited values carry the broker source, exact Long.MAX_VALUE', () => {
  const entries = describeTopicConfigs({ 'segment.bytes': '2048' }, server({ 'log.retention.hours': 1 }))
  assert.equal(entries.length, TOPIC_CONFIGS.length)
  const byName = new Map(entries.map((e) => [e.name, e]))

  const segment = byName.get('segment.bytes')!
  assert.equal(segment.value, '2048')
  assert.equal(segment.source, ConfigSource.DYNAMIC_TOPIC_CONFIG)
  assert.deepEqual(segment.synonyms.map((s) => [s.name, s.source]), [
    ['segment.bytes', ConfigSource.DYNAMIC_TOPIC_CONFIG],
    ['log.segment.bytes', ConfigSource.DEFAULT_CONFIG],
  ])

  const retention = byName.get('retention.ms')!
  assert.equal(retention.value, '3600000')
  assert.equal(retention.source, ConfigSource.STATIC_BROKER_CONFIG)

  assert.equal(byName.get('flush.ms')!.value, '9223372036854775807')
  assert.equal(byName.get('flush.ms')!.source, ConfigSource.DEFAULT_CONFIG)
  assert.equal(byName.get('max.message.bytes')!.isReadOnly, false)
})
