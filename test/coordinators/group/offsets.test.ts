// Offset commits, fetches, deletion, expiration, group deletion, and rebuilding from the log.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { OffsetCommitEntry, OffsetCommitParams } from '../../../src/coordinators/group/group-coordinator.js'
import { offsetCommitRecord, parseCoordinatorRecord } from '../../../src/coordinators/group/group-records.js'
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/messages/consumer-protocol.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { Writer } from '../../../src/protocol/writer.js'
import { MemoryOffsetsStore, join, settle, startHarness, sync, track, ManualTime, type Harness } from './harness.js'

const GROUP = 'g'
const DAY_MS = 24 * 3600_000

function entry(topic: string, partition: number, offset: number, metadata: string | null = 'meta'): OffsetCommitEntry {
  return { topic, partition, offset: BigInt(offset), leaderEpoch: 3, metadata }
}

function simpleCommit(groupId: string, offsets: OffsetCommitEntry[], overrides: Partial<OffsetCommitParams> = {}): OffsetCommitParams {
  return { groupId, memberId: '', groupInstanceId: null, generationId: -1, retentionTimeMs: -1, offsets, ...overrides }
}

function subscription(...topics: string[]): Buffer {
  const w = new Writer()
  w.int16(1)
  encodeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 1)
  return w.toBuffer()
}

async function stableMember(h: Harness, topics: string[] = ['t'], sessionTimeoutMs = 10_000) {
  const joining = join(h, GROUP, { protocols: [{ name: 'range', metadata: subscription(...topics) }], sessionTimeoutMs })
  h.time.advance(0)
  const joined = await joining.result()
  await sync(h, GROUP, joined).result()
  return joined
}

function fetched(h: Harness, groupId: string, partitions: { topic: string; partition: number }[] | null) {
  return h.coordinator.fetchOffsets(groupId, partitions, false).offsets.map((o) => [o.topic, o.partition, Number(o.offset), o.metadata, o.errorCode])
}

/** A second coordinator over the same log, as after a broker restart. */
async function restart(h: Harness): Promise<Harness> {
  h.coordinator.shutdown()
  return startHarness({}, h.store, h.time)
}

describe('committing and fetching', () => {
  test('a simple consumer (no generation) commits to a new group; the offsets come back with leader epoch and metadata', async () => {
    const h = await startHarness()
    const errors = await h.coordinator.commitOffsets(simpleCommit(GROUP, [entry('t', 0, 10), entry('t', 1, 20, null)]))
    assert.deepEqual(errors, [ErrorCode.NONE, ErrorCode.NONE])
    const result = h.coordinator.fetchOffsets(GROUP, [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }, { topic: 't', partition: 2 }], false)
    assert.equal(result.errorCode, ErrorCode.NONE)
    assert.deepEqual(result.offsets.map((o) => [o.partition, o.offset, o.leaderEpoch, o.metadata]), [[0, 10n, 3, 'meta'], [1, 20n, 3, ''], [2, -1n, -1, '']])
    assert.deepEqual(fetched(h, GROUP, null), [['t', 0, 10, 'meta', 0], ['t', 1, 20, '', 0]])
    assert.equal(h.coordinator.describeGroup(GROUP).state, 'Empty')
  })

  test('fetching from a group nobody committed to returns offset -1 without error', async () => {
    const h = await startHarness()
    assert.deepEqual(fetched(h, 'nobody', [{ topic: 't', partition: 0 }]), [['t', 0, -1, '', 0]])
    assert.deepEqual(fetched(h, 'nobody', null), [])
  })

  test('a commit is acknowledged and visible only after its append completes; require_stable reports UNSTABLE_OFFSET_COMMIT meanwhile', async () => {
    const h = await startHarness()
    h.store.hold()
    const pending = track(h.coordinator.commitOffsets(simpleCommit(GROUP, [entry('t', 0, 5)])))
    await settle()
    assert.equal(pending.settled, false)
    assert.deepEqual(fetched(h, GROUP, [{ topic: 't', partition: 0 }]), [['t', 0, -1, '', 0]])
    const stable = h.coordinator.fetchOffsets(GROUP, [{ topic: 't', partition: 0 }], true)
    assert.equal(stable.offsets[0]!.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT)
    h.store.release()
    assert.deepEqual(await pending.result(), [ErrorCode.NONE])
    assert.deepEqual(fetched(h, GROUP, [{ topic: 't', partition: 0 }]), [['t', 0, 5, 'meta', 0]])
  })

  test('members commit with their generation; stale generations, unknown members and commits during CompletingRebalance are refused', async () => {
    const h = await startHarness()
    const member = await stableMember(h)
    const asMember = (overrides: Partial<OffsetCommitParams>) =>
      h.coordinator.commitOffsets({ ...simpleCommit(GROUP, [entry('t', 0, 1)]), memberId: member.memberId, generationId: 1, ...overrides })
    assert.deepEqual(await asMember({}), [ErrorCode.NONE])
    assert.deepEqual(await asMember({ generationId: 0 }), [ErrorCode.ILLEGAL_GENERATION])
    assert.deepEqual(await asMember({ memberId: 'ghost' }), [ErrorCode.UNKNOWN_MEMBER_ID])
    assert.deepEqual(await asMember({ memberId: '', generationId: -1 }), [ErrorCode.UNKNOWN_MEMBER_ID], 'simple commits need an empty group')
    assert.deepEqual(await h.coordinator.commitOffsets(simpleCommit('unknown-group', [entry('t', 0, 1)], { generationId: 3, memberId: 'm' })),
      [ErrorCode.ILLEGAL_GENERATION])
    const second = join(h, GROUP)
    const rejoin = join(h, GROUP, { memberId: member.memberId, protocols: [{ name: 'range', metadata: subscription('t') }] })
    const [j1] = [await rejoin.result(), await second.result()]
    assert.equal(h.coordinator.describeGroup(GROUP).state, 'CompletingRebalance')
    assert.deepEqual(await asMember({ generationId: j1.generationId }), [ErrorCode.REBALANCE_IN_PROGRESS])
  })

  test('commits are allowed while the group prepares a rebalance', async () => {
    const h = await startHarness()
    const member = await stableMember(h)
    join(h, GROUP)
    assert.equal(h.coordinator.describeGroup(GROUP).state, 'PreparingRebalance')
    const errors = await h.coordinator.commitOffsets({ ...simpleCommit(GROUP, [entry('t', 0, 7)]), memberId: member.memberId, generationId: 1 })
    assert.deepEqual(errors, [ErrorCode.NONE])
  })

  test('metadata longer than offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE for that partition only', async () => {
    const h = await startHarness({ offsetMetadataMaxBytes: 4 })
    const errors = await h.coordinator.commitOffsets(simpleCommit(GROUP, [entry('t', 0, 1, 'short'), entry('t', 1, 1, 'ok')]))
    assert.deepEqual(errors, [ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.NONE])
  })

  test('append failures map to the errors Kafka answers for commits', async () => {
    const h = await startHarness()
    for (const [appendError, expected] of [
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
    ] as const) {
      h.store.failWith = appendError
      assert.deepEqual(await h.coordinator.commitOffsets(simpleCommit(GROUP, [entry('t', 0, 1)])), [expected])
    }
    h.store.failWith = null
    assert.deepEqual(fetched(h, GROUP, [{ topic: 't', partition: 0 }]), [['t', 0, -1, '', 0]], 'failed commits are not cached')
  })

  test('a failed append of the leader assignment sends the error to every waiting member and restarts the rebalance', async () => {
    const h = await startHarness()
    const joining = join(h, GROUP)
    h.time.advance(0)
    const joined = await joining.result()
    h.store.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert.equal((await sync(h, GROUP, joined).result()).errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(h.coordinator.describeGroup(GROUP).state, 'PreparingRebalance')
  })
})

describe('deleting', () => {
  test('DeleteGroups refuses groups with members (NON_EMPTY_GROUP), deletes empty ones with tombstones, and reports unknown ones', async () => {
    const h = await startHarness()
    const member = await stableMember(h)
    await h.coordinator.commitOffsets({ ...simpleCommit(GROUP, [entry('t', 0, 9)]), memberId: member.memberId, generationId: 1 })
    assert.deepEqual(await h.coordinator.deleteGroups([GROUP, 'missing']), [
      { groupId: GROUP, errorCode: ErrorCode.NON_EMPTY_GROUP }, { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ])
    h.coordinator.leaveGroup(GROUP, [{ memberId: member.memberId, groupInstanceId: null }])
    assert.deepEqual(await h.coordinator.deleteGroups([GROUP]), [{ groupId: GROUP, errorCode: ErrorCode.NONE }])
    assert.equal(h.coordinator.describeGroup(GROUP).state, 'Dead')
    assert.deepEqual(fetched(h, GROUP, null), [])
    const tail = h.store.records(h.coordinator.partitionFor(GROUP)).slice(-2).map((r) => parseCoordinatorRecord(r.key, r.value))
    assert.deepEqual(tail.map((r) => [r.kind, 'value' in r ? r.value : undefined]), [['offset', null], ['group', null]])
    const reloaded = await restart(h)
    assert.equal(reloaded.coordinator.describeGroup(GROUP).state, 'Dead', 'the tombstones hold across a reload')
  })

  test('OffsetDelete refuses topics an active consumer group subscribes to (GROUP_SUBSCRIBED_TO_TOPIC) and deletes the rest', async () => {
    const h = await startHarness()
    const member = await stableMember(h, ['subscribed'])
    await h.coordinator.commitOffsets({
      ...simpleCommit(GROUP, [entry('subscribed', 0, 1), entry('old', 0, 2)]), memberId: member.memberId, generationId: 1,
    })
    const result = await h.coordinator.deleteOffsets(GROUP, [{ topic: 'subscribed', partition: 0 }, { topic: 'old', partition: 0 }])
    assert.deepEqual(result, { errorCode: ErrorCode.NONE, partitionErrors: [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE] })
    assert.deepEqual(fetched(h, GROUP, null), [['subscribed', 0, 1, 'meta', 0]])
    assert.deepEqual(await h.coordinator.deleteOffsets('missing', [{ topic: 't', partition: 0 }]), { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitionErrors: [] })
    h.coordinator.leaveGroup(GROUP, [{ memberId: member.memberId, groupInstanceId: null }])
    assert.deepEqual((await h.coordinator.deleteOffsets(GROUP, [{ topic: 'subscribed', partition: 0 }])).partitionErrors, [ErrorCode.NONE])
    assert.deepEqual(fetched(h, GROUP, null), [])
  })

  test('deleting a topic removes its offsets from every group with tombstones; a group left without offsets goes', async () => {
    const h = await startHarness()
    await h.coordinator.commitOffsets(simpleCommit('only-deleted', [entry('deleted', 0, 1), entry('deleted', 1, 2)]))
    await h.coordinator.commitOffsets(simpleCommit('mixed', [entry('deleted', 0, 1), entry('kept', 0, 2)]))
    await h.coordinator.onTopicDeleted('deleted')
    assert.deepEqual(fetched(h, 'mixed', null), [['kept', 0, 2, 'meta', 0]])
    assert.equal(h.coordinator.describeGroup('only-deleted').state, 'Dead')
    const reloaded = await restart(h)
    assert.deepEqual(fetched(reloaded, 'mixed', null), [['kept', 0, 2, 'meta', 0]])
    assert.equal(reloaded.coordinator.describeGroup('only-deleted').state, 'Dead')
  })
})

describe('expiration (offsets.retention.minutes)', () => {
  test('offsets of an empty group expire once the retention has passed since the group became empty; the group then goes', async () => {
    const h = await startHarness({ offsetsRetentionMs: 7 * DAY_MS, offsetsRetentionCheckIntervalMs: DAY_MS, groupMaxSessionTimeoutMs: 2 * DAY_MS })
    const member = await stableMember(h, ['t'], DAY_MS)
    await h.coordinator.commitOffsets({ ...simpleCommit(GROUP, [entry('t', 0, 3)]), memberId: member.memberId, generationId: 1 })
    for (let step = 0; step < 16; step++) {
      h.time.advance(DAY_MS / 2)
      assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: member.memberId, groupInstanceId: null }), ErrorCode.NONE)
    }
    assert.equal(fetched(h, GROUP, null).length, 1, 'offsets of a stable group\'s subscribed topics outlive the retention')
    h.coordinator.leaveGroup(GROUP, [{ memberId: member.memberId, groupInstanceId: null }])
    h.time.advance(7 * DAY_MS - DAY_MS / 2)
    await settle()
    assert.deepEqual(fetched(h, GROUP, null).length, 1, 'not yet 7 days since the group became empty')
    h.time.advance(DAY_MS)
    await settle()
    assert.deepEqual(fetched(h, GROUP, null), [])
    assert.equal(h.coordinator.describeGroup(GROUP).state, 'Dead')
  })

  test('a simple consumer\'s offsets expire from their commit time; an explicit retention (v2-4) expires at its own deadline', async () => {
    const h = await startHarness({ offsetsRetentionMs: 2 * DAY_MS, offsetsRetentionCheckIntervalMs: DAY_MS })
    await h.coordinator.commitOffsets(simpleCommit(GROUP, [entry('t', 0, 1)]))
    await h.coordinator.commitOffsets(simpleCommit(GROUP, [entry('t', 1, 1)], { retentionTimeMs: 5 * DAY_MS }))
    h.time.advance(2 * DAY_MS)
    await settle()
    assert.deepEqual(fetched(h, GROUP, null).map((row) => row[1]), [1])
    h.time.advance(3 * DAY_MS)
    await settle()
    assert.deepEqual(fetched(h, GROUP, null), [])
  })

  test('offsets of topics a stable consumer group subscribes to never expire; others do', async () => {
    const h = await startHarness({ offsetsRetentionMs: DAY_MS, offsetsRetentionCheckIntervalMs: DAY_MS / 2, groupMaxSessionTimeoutMs: DAY_MS })
    const member = await stableMember(h, ['live'], DAY_MS)
    await h.coordinator.commitOffsets({
      ...simpleCommit(GROUP, [entry('live', 0, 1), entry('gone', 0, 1)]), memberId: member.memberId, generationId: 1,
    })
    for (let step = 0; step < 6; step++) {
      h.time.advance(DAY_MS / 2)
      h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: member.memberId, groupInstanceId: null })
      await settle()
    }
    assert.deepEqual(fetched(h, GROUP, null).map((row) => row[0]), ['live'])
  })
})

describe('loading from the log', () => {
  test('a restarted coordinator rebuilds stable groups (members, assignments, generation) and offsets from __consumer_offsets', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 10 })
    const a = join(h, GROUP, { groupInstanceId: 'static-a', sessionTimeoutMs: 30_000 })
    const b = join(h, GROUP, { sessionTimeoutMs: 30_000 })
    h.time.advance(20)
    const [ja, jb] = [await a.result(), await b.result()]
    await Promise.all([sync(h, GROUP, ja, { [ja.memberId]: 'pa', [jb.memberId]: 'pb' }).result(), sync(h, GROUP, jb).result()])
    await h.coordinator.commitOffsets({ ...simpleCommit(GROUP, [entry('t', 0, 100)]), memberId: ja.memberId, generationId: 1 })
    await h.coordinator.commitOffsets({ ...simpleCommit(GROUP, [entry('t', 0, 101)]), memberId: jb.memberId, generationId: 1 })
    await h.coordinator.commitOffsets(simpleCommit('simple', [entry('t', 0, 7)]))

    const r = await restart(h)
    const described = r.coordinator.describeGroup(GROUP)
    assert.equal(described.state, 'Stable')
    assert.equal(described.protocolData, 'range')
    assert.deepEqual(described.members.map((m) => [m.memberId, m.groupInstanceId, m.assignment.toString()]),
      [[ja.memberId, 'static-a', 'pa'], [jb.memberId, null, 'pb']])
    assert.deepEqual(fetched(r, GROUP, null), [['t', 0, 101, 'meta', 0]], 'the later commit wins')
    assert.deepEqual(fetched(r, 'simple', null), [['t', 0, 7, 'meta', 0]])
    assert.equal(r.coordinator.describeGroup('simple').state, 'Empty')
    // Members carry on heartbeating at the same generation; a restarted static member rejoins without a rebalance.
    assert.equal(r.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: jb.memberId, groupInstanceId: null }), ErrorCode.NONE)
    const rejoined = await join(r, GROUP, { groupInstanceId: 'static-a', sessionTimeoutMs: 30_000 }).result()
    assert.equal(rejoined.generationId, 1)
    assert.equal(r.coordinator.describeGroup(GROUP).state, 'Stable')
    // Without heartbeats both sessions run out.
    r.time.advance(30_000)
    assert.equal(r.coordinator.describeGroup(GROUP).state, 'Empty')
    assert.equal(r.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: jb.memberId, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('records of other kinds and undecodable records are skipped when loading', async () => {
    const store = new MemoryOffsetsStore()
    const time = new ManualTime()
    store.logs.set(0, [
      { key: Buffer.from([0, 3, 0, 0]), value: Buffer.from([0, 0]), offset: 0 },
      { key: Buffer.from([0, 1, 0xff]), value: null, offset: 1 },
      { ...offsetCommitRecord('after', 't', 0, { offset: 4n, leaderEpoch: -1, metadata: '', commitTimestamp: 0n, expireTimestamp: -1n }), offset: 2 },
    ])
    const h = await startHarness({ offsetsTopicNumPartitions: 1 }, store, time)
    assert.deepEqual(h.coordinator.listGroups([], []).groups.map((g) => g.groupId), ['after'])
    assert.deepEqual(fetched(h, 'after', null), [['t', 0, 4, '', 0]])
  })
})

describe('describe and list', () => {
  test('ListGroups filters by state case-insensitively and by type (classic only); DescribeGroups reports members of a stable group', async () => {
    const h = await startHarness()
    const member = await stableMember(h)
    await h.coordinator.commitOffsets(simpleCommit('simple', [entry('t', 0, 1)]))
    const all = h.coordinator.listGroups([], [])
    assert.deepEqual(all.groups.map((g) => [g.groupId, g.state, g.protocolType]).sort(), [[GROUP, 'Stable', 'consumer'], ['simple', 'Empty', '']])
    assert.deepEqual(h.coordinator.listGroups(['stable'], []).groups.map((g) => g.groupId), [GROUP])
    assert.deepEqual(h.coordinator.listGroups(['Empty', 'Dead'], []).groups.map((g) => g.groupId), ['simple'])
    assert.deepEqual(h.coordinator.listGroups([], ['consumer']).groups, [])
    assert.equal(h.coordinator.listGroups([], ['Classic']).groups.length, 2)
    const described = h.coordinator.describeGroup(GROUP)
    assert.equal(described.protocolType, 'consumer')
    assert.deepEqual(described.members.map((m) => [m.memberId, m.clientId, m.clientHost]), [[member.memberId, 'client', '/127.0.0.1']])
    assert.ok(described.members[0]!.metadata.length > 0)
    join(h, GROUP)
    const rebalancing = h.coordinator.describeGroup(GROUP)
    assert.equal(rebalancing.state, 'PreparingRebalance')
    assert.equal(rebalancing.protocolData, '')
    assert.equal(rebalancing.members[0]!.metadata.length, 0, 'no metadata outside Stable, as Kafka')
  })
})
