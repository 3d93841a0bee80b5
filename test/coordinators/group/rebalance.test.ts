// The classic rebalance protocol, driven through the coordinator with hand-moved time.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { join, settle, startHarness, sync, track, type Harness } from './harness.js'

const GROUP = 'g'

/** One member joined and synced (generation 1, Stable). */
async function stableSingle(h: Harness, overrides = {}) {
  const joining = join(h, GROUP, overrides)
  h.time.advance(0) // the initial join delay (0 in these tests) elapses
  const joined = await joining.result()
  assert.equal(joined.errorCode, ErrorCode.NONE)
  const synced = await sync(h, GROUP, joined, { [joined.memberId]: 'a1' }).result()
  assert.equal(synced.errorCode, ErrorCode.NONE)
  return joined
}

function describeState(h: Harness): string {
  return h.coordinator.describeGroup(GROUP).state
}

describe('joining', () => {
  test('a v4+ dynamic member first gets MEMBER_ID_REQUIRED with its id, then joins with it and leads generation 1', async () => {
    const h = await startHarness()
    const first = await join(h, GROUP, { requireKnownMemberId: true }).result()
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    assert.match(first.memberId, /^client-id\d+$/)
    const joining = join(h, GROUP, { requireKnownMemberId: true, memberId: first.memberId })
    await settle()
    assert.equal(joining.settled, false, 'the join waits for the initial delay')
    h.time.advance(0)
    const joined = await joining.result()
    assert.equal(joined.errorCode, ErrorCode.NONE)
    assert.equal(joined.generationId, 1)
    assert.equal(joined.leaderId, first.memberId)
    assert.equal(joined.protocolName, 'range')
    assert.equal(joined.protocolType, 'consumer')
    assert.deepEqual(joined.members.map((m) => [m.memberId, m.metadata.toString()]), [[first.memberId, 'range-metadata']])
    assert.equal(describeState(h), 'CompletingRebalance')
    const synced = await sync(h, GROUP, joined, { [joined.memberId]: 'assignment' }).result()
    assert.equal(synced.errorCode, ErrorCode.NONE)
    assert.equal(synced.assignment.toString(), 'assignment')
    assert.equal(describeState(h), 'Stable')
  })

  test('the initial rebalance delay gathers members that arrive within it into one generation', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 3000 })
    const a = join(h, GROUP, { clientId: 'a' })
    h.time.advance(2000)
    const b = join(h, GROUP, { clientId: 'b' })
    // At 3000 ms the delay is extended by another 3000 ms because b arrived during it (KIP-134).
    h.time.advance(3999)
    await settle()
    assert.equal(a.settled || b.settled, false)
    h.time.advance(1)
    const [ja, jb] = [await a.result(), await b.result()]
    assert.equal(ja.generationId, 1)
    assert.equal(jb.generationId, 1)
    assert.equal(ja.leaderId, ja.memberId)
    assert.equal(ja.members.length, 2)
    assert.equal(jb.members.length, 0, 'only the leader receives the member list')
  })

  test('a join with an unsupported session timeout is refused with INVALID_SESSION_TIMEOUT', async () => {
    const h = await startHarness()
    assert.equal((await join(h, GROUP, { sessionTimeoutMs: 1000 }).result()).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
    assert.equal((await join(h, GROUP, { sessionTimeoutMs: 1_800_001 }).result()).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  })

  test('an empty group id is INVALID_GROUP_ID and a member sharing no protocol is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const h = await startHarness()
    assert.equal((await join(h, '').result()).errorCode, ErrorCode.INVALID_GROUP_ID)
    assert.equal((await join(h, GROUP, { protocols: [] }).result()).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    await stableSingle(h)
    const other = await join(h, GROUP, { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }).result()
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const otherType = await join(h, GROUP, { protocolType: 'connect' }).result()
    assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  })

  test('a join with a member id the group does not know is UNKNOWN_MEMBER_ID', async () => {
    const h = await startHarness()
    assert.equal((await join(h, GROUP, { memberId: 'ghost' }).result()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    await stableSingle(h)
    assert.equal((await join(h, GROUP, { memberId: 'ghost' }).result()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('the protocol chosen is the one most members prefer among those all support', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 100 })
    const both = [{ name: 'range', metadata: Buffer.from('r') }, { name: 'cooperative-sticky', metadata: Buffer.from('c') }]
    const stickyFirst = [both[1]!, both[0]!]
    const a = join(h, GROUP, { protocols: both })
    const b = join(h, GROUP, { protocols: stickyFirst })
    const c = join(h, GROUP, { protocols: stickyFirst })
    h.time.advance(200)
    for (const member of [a, b, c]) assert.equal((await member.result()).protocolName, 'cooperative-sticky')
    const leader = (await a.result())
    assert.deepEqual(leader.members.map((m) => m.metadata.toString()), ['c', 'c', 'c'])
  })
})

describe('rebalancing', () => {
  test('a second member triggers a rebalance: the first learns it by heartbeat, both rejoin into generation 2', async () => {
    const h = await startHarness()
    const first = await stableSingle(h)
    const second = join(h, GROUP, { clientId: 'second' })
    await settle()
    assert.equal(describeState(h), 'PreparingRebalance')
    assert.equal(second.settled, false)
    const hb = h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: first.memberId, groupInstanceId: null })
    assert.equal(hb, ErrorCode.REBALANCE_IN_PROGRESS)
    const rejoin = join(h, GROUP, { memberId: first.memberId })
    const [j1, j2] = [await rejoin.result(), await second.result()]
    assert.equal(j1.generationId, 2)
    assert.equal(j2.generationId, 2)
    assert.equal(j1.leaderId, first.memberId, 'the leader stays the leader')
    assert.deepEqual(j1.members.map((m) => m.memberId).sort(), [first.memberId, j2.memberId].sort())
    // Sync from a non-leader waits for the leader's assignment.
    const followerSync = sync(h, GROUP, j2)
    await settle()
    assert.equal(followerSync.settled, false)
    const leaderSync = sync(h, GROUP, j1, { [j1.memberId]: 'p0', [j2.memberId]: 'p1' })
    assert.equal((await leaderSync.result()).assignment.toString(), 'p0')
    assert.equal((await followerSync.result()).assignment.toString(), 'p1')
    assert.equal(describeState(h), 'Stable')
  })

  test('a new member joining while the group completes a rebalance sends waiting SyncGroups back with REBALANCE_IN_PROGRESS', async () => {
    const h = await startHarness()
    const first = await stableSingle(h)
    const second = join(h, GROUP)
    const rejoin = join(h, GROUP, { memberId: first.memberId })
    const [j1, j2] = [await rejoin.result(), await second.result()]
    assert.equal(describeState(h), 'CompletingRebalance')
    const followerSync = sync(h, GROUP, j2)
    await settle()
    const third = join(h, GROUP)
    assert.equal((await followerSync.result()).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(describeState(h), 'PreparingRebalance')
    assert.equal((await sync(h, GROUP, j1).result()).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(third.settled, false)
  })

  test('a join phase ends at the rebalance timeout without members that did not rejoin', async () => {
    const h = await startHarness()
    const first = await stableSingle(h, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 60_000 })
    const second = join(h, GROUP, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 60_000 })
    h.time.advance(19_999)
    await settle()
    assert.equal(second.settled, false)
    h.time.advance(1)
    const j2 = await second.result()
    assert.equal(j2.generationId, 2)
    assert.equal(j2.leaderId, j2.memberId, 'the leader who did not rejoin was replaced')
    assert.deepEqual(j2.members.map((m) => m.memberId), [j2.memberId])
    const stale = h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: first.memberId, groupInstanceId: null })
    assert.equal(stale, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('a member that stops heartbeating is removed after its session timeout and the others rebalance', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 10 })
    const a = join(h, GROUP, { sessionTimeoutMs: 6000 })
    const b = join(h, GROUP, { sessionTimeoutMs: 6000 })
    h.time.advance(20) // two initial delays: the second member's arrival extended the first
    const [ja, jb] = [await a.result(), await b.result()]
    await Promise.all([sync(h, GROUP, ja).result(), sync(h, GROUP, jb).result()])
    for (const step of [3000, 2999]) {
      h.time.advance(step)
      assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: ja.memberId, groupInstanceId: null }), ErrorCode.NONE)
    }
    assert.equal(describeState(h), 'Stable')
    h.time.advance(1)
    assert.equal(describeState(h), 'PreparingRebalance', 'b missed its session')
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: jb.memberId, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: ja.memberId, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS)
    const rejoined = await join(h, GROUP, { memberId: ja.memberId }).result()
    assert.equal(rejoined.generationId, 2)
    assert.deepEqual(rejoined.members.map((m) => m.memberId), [ja.memberId])
  })

  test('a member that never sends SyncGroup is removed after the rebalance timeout', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 10 })
    const a = join(h, GROUP, { rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 })
    const b = join(h, GROUP, { rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 })
    h.time.advance(20)
    const [ja, jb] = [await a.result(), await b.result()]
    await sync(h, GROUP, ja, { [ja.memberId]: 'x', [jb.memberId]: 'y' }).result()
    assert.equal(describeState(h), 'Stable')
    h.time.advance(14_999)
    assert.equal(describeState(h), 'Stable')
    h.time.advance(1)
    assert.equal(describeState(h), 'PreparingRebalance')
    assert.deepEqual(h.coordinator.describeGroup(GROUP).members.map((m) => m.memberId), [ja.memberId])
  })

  test('the last member leaving empties the group after the join phase and writes the empty generation', async () => {
    const h = await startHarness()
    const joined = await stableSingle(h)
    const left = h.coordinator.leaveGroup(GROUP, [{ memberId: joined.memberId, groupInstanceId: null }])
    assert.deepEqual(left, { errorCode: ErrorCode.NONE, members: [{ memberId: joined.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE }] })
    assert.equal(describeState(h), 'Empty')
    await settle()
    assert.equal(h.coordinator.describeGroup(GROUP).members.length, 0)
  })
})

describe('errors clients expect', () => {
  test('heartbeat with a stale generation is ILLEGAL_GENERATION; from an unknown member or group UNKNOWN_MEMBER_ID', async () => {
    const h = await startHarness()
    const joined = await stableSingle(h)
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 0, memberId: joined.memberId, groupInstanceId: null }), ErrorCode.ILLEGAL_GENERATION)
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: 'ghost', groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(h.coordinator.heartbeat({ groupId: 'nope', generationId: 1, memberId: 'ghost', groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: joined.memberId, groupInstanceId: null }), ErrorCode.NONE)
  })

  test('sync with a stale generation is ILLEGAL_GENERATION, from an unknown member UNKNOWN_MEMBER_ID, with another protocol INCONSISTENT_GROUP_PROTOCOL', async () => {
    const h = await startHarness()
    const joined = await stableSingle(h)
    assert.equal((await sync(h, GROUP, { ...joined, generationId: 0 }).result()).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await sync(h, GROUP, { ...joined, memberId: 'ghost' }).result()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal((await sync(h, 'nope', joined).result()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    const wrongProtocol = await track(h.coordinator.syncGroup({
      groupId: GROUP, generationId: 1, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: new Map(),
    })).result()
    assert.equal(wrongProtocol.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const stable = await track(h.coordinator.syncGroup({
      groupId: GROUP, generationId: 1, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: new Map(),
    })).result()
    assert.deepEqual([stable.errorCode, stable.protocolType, stable.protocolName, stable.assignment.toString()], [ErrorCode.NONE, 'consumer', 'range', 'a1'])
  })

  test('sync during a join phase is REBALANCE_IN_PROGRESS', async () => {
    const h = await startHarness()
    const joined = await stableSingle(h)
    join(h, GROUP)
    assert.equal((await sync(h, GROUP, joined).result()).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
  })

  test('leave of an unknown member is UNKNOWN_MEMBER_ID per member; the others still leave', async () => {
    const h = await startHarness()
    const joined = await stableSingle(h)
    const result = h.coordinator.leaveGroup(GROUP, [
      { memberId: 'ghost', groupInstanceId: null },
      { memberId: joined.memberId, groupInstanceId: null },
      { memberId: '', groupInstanceId: 'unknown-instance' },
    ])
    assert.equal(result.errorCode, ErrorCode.NONE)
    assert.deepEqual(result.members.map((m) => m.errorCode), [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID])
    const unknownGroup = h.coordinator.leaveGroup('nope', [{ memberId: 'x', groupInstanceId: null }])
    assert.deepEqual(unknownGroup.members.map((m) => m.errorCode), [ErrorCode.UNKNOWN_MEMBER_ID])
  })

  test('a member leaving while its JoinGroup is parked gets UNKNOWN_MEMBER_ID for that join', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 10 })
    const a = join(h, GROUP)
    const b = join(h, GROUP)
    h.time.advance(20)
    const [ja, jb] = [await a.result(), await b.result()]
    await Promise.all([sync(h, GROUP, ja).result(), sync(h, GROUP, jb).result()])
    const parked = join(h, GROUP, { memberId: ja.memberId }) // the leader rejoins: a rebalance waiting for b
    await settle()
    assert.equal(parked.settled, false)
    h.coordinator.leaveGroup(GROUP, [{ memberId: ja.memberId, groupInstanceId: null }])
    assert.equal((await parked.result()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    const rejoined = await join(h, GROUP, { memberId: jb.memberId }).result()
    assert.equal(rejoined.generationId, 2)
    assert.equal(rejoined.leaderId, jb.memberId)
  })

  test('groups of partitions this broker does not lead are NOT_COORDINATOR; partitions being loaded COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const h = await startHarness({ offsetsTopicNumPartitions: 2 })
    const groupOnPartition1 = 'a' // 97 % 2 = 1
    h.coordinator.onResignation(1)
    assert.equal((await join(h, groupOnPartition1).result()).errorCode, ErrorCode.NOT_COORDINATOR)
    let finishLoad!: () => void
    const slowStore = {
      append: h.store.append.bind(h.store),
      load: () => new Promise<void>((resolve) => { finishLoad = resolve }),
    }
    Object.assign(h.store, { load: slowStore.load })
    const loading = h.coordinator.onElection(1)
    assert.equal((await join(h, groupOnPartition1).result()).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    assert.equal(h.coordinator.heartbeat({ groupId: groupOnPartition1, generationId: 1, memberId: 'm', groupInstanceId: null }), ErrorCode.NONE)
    assert.equal((await sync(h, groupOnPartition1, { generationId: 1, memberId: 'm' } as never).result()).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(h.coordinator.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    finishLoad()
    await loading
    const joining = join(h, groupOnPartition1)
    h.time.advance(0)
    assert.equal((await joining.result()).errorCode, ErrorCode.NONE)
  })

  test('resignation answers parked joins with NOT_COORDINATOR', async () => {
    const h = await startHarness()
    const first = await stableSingle(h)
    const parked = join(h, GROUP)
    await settle()
    h.coordinator.onResignation(h.coordinator.partitionFor(GROUP))
    assert.equal((await parked.result()).errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: first.memberId, groupInstanceId: null }), ErrorCode.NOT_COORDINATOR)
  })

  test('group.max.size refuses members beyond it with GROUP_MAX_SIZE_REACHED', async () => {
    const h = await startHarness({ groupMaxSize: 1 })
    await stableSingle(h)
    const extra = join(h, GROUP)
    assert.equal((await extra.result()).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
    assert.equal(describeState(h), 'Stable')
  })
})

describe('static membership (KIP-345)', () => {
  test('a static member restarting within its session takes over its slot without a rebalance and the old id is fenced', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 10 })
    const a = join(h, GROUP, { groupInstanceId: 'instance-a', clientId: 'ca' })
    const b = join(h, GROUP, { clientId: 'cb' })
    h.time.advance(20)
    const [ja, jb] = [await a.result(), await b.result()]
    assert.match(ja.memberId, /^instance-a-/)
    await Promise.all([sync(h, GROUP, ja, { [ja.memberId]: 'pa', [jb.memberId]: 'pb' }).result(), sync(h, GROUP, jb).result()])
    const restarted = await join(h, GROUP, { groupInstanceId: 'instance-a', clientId: 'ca' }).result()
    assert.equal(restarted.errorCode, ErrorCode.NONE)
    assert.notEqual(restarted.memberId, ja.memberId)
    assert.equal(restarted.generationId, 1, 'no new generation')
    assert.equal(restarted.leaderId, ja.memberId, 'the old leader id is returned so the restarted leader does not reassign')
    assert.equal(restarted.skipAssignment, true)
    assert.equal(describeState(h), 'Stable')
    const synced = await track(h.coordinator.syncGroup({
      groupId: GROUP, generationId: 1, memberId: restarted.memberId, groupInstanceId: 'instance-a', protocolType: null, protocolName: null, assignments: new Map(),
    })).result()
    assert.equal(synced.assignment.toString(), 'pa', 'the restarted member keeps its assignment')
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: ja.memberId, groupInstanceId: 'instance-a' }), ErrorCode.FENCED_INSTANCE_ID)
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: jb.memberId, groupInstanceId: null }), ErrorCode.NONE)
  })

  test('a static member that does not come back within its session timeout is removed and the group rebalances', async () => {
    const h = await startHarness()
    const joined = await stableSingle(h, { groupInstanceId: 'i', sessionTimeoutMs: 6000 })
    h.time.advance(6000)
    assert.equal(h.coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: joined.memberId, groupInstanceId: 'i' }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(describeState(h), 'Empty')
  })

  test('LeaveGroup by group.instance.id alone removes the static member', async () => {
    const h = await startHarness()
    await stableSingle(h, { groupInstanceId: 'i' })
    const left = h.coordinator.leaveGroup(GROUP, [{ memberId: '', groupInstanceId: 'i' }])
    assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.NONE])
    assert.equal(describeState(h), 'Empty')
  })

  test('a static member rejoining during CompletingRebalance restarts the join phase', async () => {
    const h = await startHarness({ groupInitialRebalanceDelayMs: 10 })
    const a = join(h, GROUP, { groupInstanceId: 'i' })
    const b = join(h, GROUP)
    h.time.advance(20)
    const [ja, jb] = [await a.result(), await b.result()]
    const waiting = sync(h, GROUP, jb)
    await settle()
    const restarted = join(h, GROUP, { groupInstanceId: 'i' })
    assert.equal((await waiting.result()).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(describeState(h), 'PreparingRebalance')
    const oldInstance = await track(h.coordinator.syncGroup({
      groupId: GROUP, generationId: 1, memberId: ja.memberId, groupInstanceId: 'i', protocolType: null, protocolName: null, assignments: new Map(),
    })).result()
    assert.equal(oldInstance.errorCode, ErrorCode.FENCED_INSTANCE_ID)
    const rejoined = join(h, GROUP, { memberId: jb.memberId })
    assert.equal((await restarted.result()).generationId, 2)
    assert.equal((await rejoined.result()).generationId, 2)
  })
})

describe('timers', () => {
  test('a pending member id that is never used expires after the session timeout', async () => {
    const h = await startHarness()
    const first = await stableSingle(h)
    const pending = await join(h, GROUP, { requireKnownMemberId: true }).result()
    assert.equal(pending.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    join(h, GROUP, { memberId: first.memberId, sessionTimeoutMs: 60_000 })
    await settle()
    assert.equal(describeState(h), 'PreparingRebalance', 'the leader rejoin starts a rebalance')
    // The join phase waits for the pending member until its session timeout.
    h.time.advance(9_999)
    assert.equal(describeState(h), 'PreparingRebalance')
    h.time.advance(1)
    assert.equal(describeState(h), 'CompletingRebalance')
  })

  test('stopping the coordinator leaves no timers armed', async () => {
    const h = await startHarness()
    await stableSingle(h)
    h.coordinator.shutdown()
    assert.equal(h.time.pendingTimers, 0)
  })
})
