import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  groupMetadataRecord, groupTombstone, offsetCommitRecord, offsetTombstone, parseCoordinatorRecord,
} from '../../../src/coordinators/group/group-records.js'
import { CorruptFrameError } from '../../../src/protocol/reader.js'

test('offset commit key is version 1 (int16) + group, topic, partition; value is version 3 unless an expiry is set', () => {
  const record = offsetCommitRecord('g', 't', 3, { offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n })
  // key: int16 1, string "g", string "t", int32 3
  assert.deepEqual([...record.key], [0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 3])
  assert.equal(record.value!.readInt16BE(0), 3)
  // v3 value: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
  assert.equal(record.value!.length, 2 + 8 + 4 + 2 + 1 + 8)
  const parsed = parseCoordinatorRecord(record.key, record.value)
  assert.deepEqual(parsed, {
    kind: 'offset', group: 'g', topic: 't', partition: 3,
    value: { offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n },
  })
  const withExpiry = offsetCommitRecord('g', 't', 3, { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 1000n, expireTimestamp: 5000n })
  assert.equal(withExpiry.value!.readInt16BE(0), 1)
  const parsedExpiry = parseCoordinatorRecord(withExpiry.key, withExpiry.value)
  assert.equal(parsedExpiry.kind === 'offset' && parsedExpiry.value?.expireTimestamp, 5000n)
})

test('group metadata record is key version 2 and value version 3, and round-trips members', () => {
  const record = groupMetadataRecord('grp', {
    protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 123n,
    members: [{
      memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 30000,
      sessionTimeout: 10000, subscription: Buffer.from('sub'), assignment: Buffer.from('asg'),
    }],
  })
  assert.equal(record.key.readInt16BE(0), 2)
  assert.equal(record.value!.readInt16BE(0), 3)
  const parsed = parseCoordinatorRecord(record.key, record.value)
  assert.equal(parsed.kind, 'group')
  if (parsed.kind !== 'group') return
  assert.equal(parsed.group, 'grp')
  assert.equal(parsed.value!.generation, 4)
  assert.equal(parsed.value!.members[0]!.groupInstanceId, 'i1')
  assert.equal(parsed.value!.members[0]!.assignment.toString(), 'asg')
})

test('tombstones have the same keys and null values', () => {
  assert.deepEqual(parseCoordinatorRecord(groupTombstone('g').key, null), { kind: 'group', group: 'g', value: null })
  assert.deepEqual(parseCoordinatorRecord(offsetTombstone('g', 't', 0).key, null), { kind: 'offset', group: 'g', topic: 't', partition: 0, value: null })
})

test('records of newer coordinators (key version 3+) are recognised and not misread', () => {
  assert.deepEqual(parseCoordinatorRecord(Buffer.from([0, 3, 0, 1, 0x67]), Buffer.from([0, 0])), { kind: 'other', keyVersion: 3 })
})

test('malformed keys and unknown value versions raise CorruptFrameError', () => {
  assert.throws(() => parseCoordinatorRecord(null, null), CorruptFrameError)
  assert.throws(() => parseCoordinatorRecord(Buffer.from([0, 1, 0, 5]), null), CorruptFrameError)
  const key = offsetTombstone('g', 't', 0).key
  assert.throws(() => parseCoordinatorRecord(key, Buffer.from([0, 9, 1, 2])), CorruptFrameError)
})
