import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AlterConfigOp, applyIncrementalOps, ConfigManager, topicConfigType } from '../../src/cluster/config-manager.js'
import { LocalCoordinationStore } from '../../src/cluster/coordination/local-store.js'
import { loadServerConfig } from '../../src/config/server-config.js'
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const effective = (name: string) => (name === 'cleanup.policy' ? 'delete' : null)
const isCode = (code: number) => (error: unknown) => error instanceof KafkaError && error.code === code

test('IncrementalAlterConfigs operations apply in order; APPEND/SUBTRACT start from the effective value', () => {
  const next = applyIncrementalOps({ 'retention.ms': '1000' }, [
    { name: 'cleanup.policy', op: AlterConfigOp.APPEND, value: 'compact' },
    { name: 'retention.ms', op: AlterConfigOp.DELETE, value: null },
    { name: 'segment.bytes', op: AlterConfigOp.SET, value: '2048' },
  ], topicConfigType, effective)
  assert.deepEqual(next, { 'cleanup.policy': 'delete,compact', 'segment.bytes': '2048' })
  assert.deepEqual(applyIncrementalOps(next, [{ name: 'cleanup.policy', op: AlterConfigOp.SUBTRACT, value: 'delete' }], topicConfigType, effective),
    { 'cleanup.policy': 'compact', 'segment.bytes': '2048' })
})

test('IncrementalAlterConfigs refuses duplicates, nulls, list operations on scalars and unknown operations', () => {
  const apply = (ops: { name: string; op: number; value: string | null }[]) => applyIncrementalOps({}, ops, topicConfigType, effective)
  assert.throws(() => apply([{ name: 'retention.ms', op: 0, value: '1' }, { name: 'retention.ms', op: 1, value: null }]), isCode(ErrorCode.INVALID_REQUEST))
  assert.throws(() => apply([{ name: 'retention.ms', op: AlterConfigOp.SET, value: null }]), isCode(ErrorCode.INVALID_REQUEST))
  assert.throws(() => apply([{ name: 'retention.ms', op: AlterConfigOp.APPEND, value: '1' }]), isCode(ErrorCode.INVALID_CONFIG))
  assert.throws(() => apply([{ name: 'retention.ms', op: 7, value: '1' }]), isCode(ErrorCode.INVALID_REQUEST))
})

test('broker configs: read-only INVALID_REQUEST, per-broker-only at the default INVALID_REQUEST, bad values INVALID_CONFIG; persisted', async () => {
  const dir = tmpDir()
  const serverConfig = loadServerConfig({ overrides: { 'log.dirs': dir.path }, env: {} })
  const store = await LocalCoordinationStore.open(dir.path)
  try {
    const manager = await ConfigManager.load(store, serverConfig, 0)
    assert.throws(() => manager.brokerEntity('7'), isCode(ErrorCode.INVALID_REQUEST))
    assert.throws(() => manager.validateBrokerConfigs('0', { 'log.dirs': '/x' }), isCode(ErrorCode.INVALID_REQUEST))
    assert.throws(() => manager.validateBrokerConfigs('<default>', { listeners: 'PLAINTEXT://:1' }), isCode(ErrorCode.INVALID_REQUEST))
    assert.throws(() => manager.validateBrokerConfigs('0', { 'log.segment.bytes': '1' }), isCode(ErrorCode.INVALID_CONFIG))
    assert.throws(() => manager.validateBrokerConfigs('0', { 'log.cleaner.min.compaction.lag.ms': '10', 'log.cleaner.max.compaction.lag.ms': '5' }), isCode(ErrorCode.INVALID_CONFIG))
    let changes = 0
    manager.onBrokerConfigsChanged(() => changes++)
    await manager.setBrokerConfigs('<default>', { 'log.retention.ms': '5000' })
    assert.equal(changes, 1)
    assert.equal(manager.topicConfigFor({}).retentionMs, 5000)
    assert.equal(manager.topicConfigFor({ 'retention.ms': '7' }).retentionMs, 7)
    const reloaded = await ConfigManager.load(store, serverConfig, 0)
    assert.deepEqual(reloaded.dynamic.clusterDefault, { 'log.retention.ms': '5000' })
  } finally {
    await store.close()
    await dir.cleanup()
  }
})
