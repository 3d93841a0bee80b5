// Random sequences of what clients can do (join, rejoin, sync, heartbeat, leave, commit, fetch,
// delete) interleaved with time passing, coordinator restarts and partition moves. After every
// step the group's bookkeeping must be consistent, no call may throw, and at the end every parked
// JoinGroup/SyncGroup must have been answered once the coordinator shuts down.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { GroupMetadata } from '../../../src/coordinators/group/group-metadata.js'
import type { GroupCoordinator } from '../../../src/coordinators/group/group-coordinator.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { settle, startHarness, track, type Harness, type Tracked } from './harness.js'

const GROUP = 'fuzzed'
const SLOTS = 4

type Op =
  | { kind: 'join'; slot: number; isStatic: boolean; protocol: number; requireKnown: boolean; fresh: boolean }
  | { kind: 'sync'; slot: number; generationDelta: number; withAssignment: boolean }
  | { kind: 'heartbeat'; slot: number; generationDelta: number }
  | { kind: 'leave'; slot: number; byInstance: boolean }
  | { kind: 'commit'; slot: number; simple: boolean }
  | { kind: 'fetch'; requireStable: boolean }
  | { kind: 'deleteGroup' }
  | { kind: 'deleteOffsets' }
  | { kind: 'advance'; ms: number }
  | { kind: 'restart' }
  | { kind: 'move' }

const slot = fc.integer({ min: 0, max: SLOTS - 1 })
const delta = fc.constantFrom(0, 0, 0, -1, 1)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('join' as const), slot, isStatic: fc.boolean(), protocol: fc.integer({ min: 0, max: 2 }), requireKnown: fc.boolean(), fresh: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), slot, generationDelta: delta, withAssignment: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), slot, generationDelta: delta }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), slot, byInstance: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), slot, simple: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fetch' as const), requireStable: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deleteGroup' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deleteOffsets' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 1, 500, 3000, 6000, 10_000, 31_000) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'move' as const }) },
)

const PROTOCOLS = [
  [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }],
  [{ name: 'range', metadata: Buffer.from('x') }, { name: 'roundrobin', metadata: Buffer.from('y') }],
  [{ name: 'sticky', metadata: Buffer.alloc(0) }],
]

interface Member {
  memberId: string
  generationId: number
}

function groupOf(coordinator: GroupCoordinator): GroupMetadata | undefined {
  return (coordinator as unknown as { groups: Map<string, GroupMetadata> }).groups.get(GROUP)
}

function checkInvariants(coordinator: GroupCoordinator): void {
  const group = groupOf(coordinator)
  if (group === undefined) return
  const members = [...group.members.values()]
  assert.equal(group.numMembersAwaitingJoin, members.filter((m) => m.isAwaitingJoin).length, 'awaiting-join count')
  if (members.length === 0) {
    assert.ok(group.is('Empty') || group.is('PreparingRebalance') || group.is('Dead'), `no members in ${group.state}`)
  } else {
    assert.ok(group.leaderId !== null && group.members.has(group.leaderId), 'the leader is a member')
    assert.ok(!group.is('Empty'), 'an empty group has no members')
  }
  for (const [instanceId, memberId] of group.staticMembers) {
    assert.equal(group.members.get(memberId)?.groupInstanceId, instanceId, 'static index points at its member')
  }
  for (const memberId of group.pendingSyncMembers) assert.ok(group.members.has(memberId), 'pending sync members are members')
  if (!group.is('CompletingRebalance')) {
    assert.ok(members.every((m) => !m.isAwaitingSync), `no SyncGroup parked in ${group.state}`)
  }
  if (!group.is('PreparingRebalance')) {
    assert.ok(members.every((m) => !m.isAwaitingJoin || m.isStaticMember), `no dynamic JoinGroup parked in ${group.state}`)
  }
}

async function runOps(ops: readonly Op[]): Promise<void> {
  let h: Harness = await startHarness({ offsetsTopicNumPartitions: 1, groupInitialRebalanceDelayMs: 100 })
  const slots: (Member | null)[] = Array.from({ length: SLOTS }, () => null)
  const parked: Tracked<unknown>[] = []
  const generation = () => groupOf(h.coordinator)?.generationId ?? 0
  for (const step of ops) {
    const member = 'slot' in step ? slots[step.slot] : undefined
    switch (step.kind) {
      case 'join': {
        const memberId = step.fresh || member === null || member === undefined ? '' : member.memberId
        const request = track(h.coordinator.joinGroup({
          groupId: GROUP, memberId, groupInstanceId: step.isStatic ? `instance-${step.slot}` : null, requireKnownMemberId: step.requireKnown,
          clientId: `c${step.slot}`, clientHost: '/127.0.0.1', rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 10_000,
          protocolType: 'consumer', protocols: PROTOCOLS[step.protocol]!,
        }))
        parked.push(request)
        void request.promise.then((result) => {
          if (result.errorCode === ErrorCode.NONE || result.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
            slots[step.slot] = { memberId: result.memberId, generationId: result.generationId }
          }
        })
        break
      }
      case 'sync': {
        if (member === null || member === undefined) break
        const assignments = new Map(step.withAssignment ? slots.filter((s): s is Member => s !== null).map((s) => [s.memberId, Buffer.from('a')]) : [])
        parked.push(track(h.coordinator.syncGroup({
          groupId: GROUP, generationId: member.generationId + step.generationDelta, memberId: member.memberId, groupInstanceId: null,
          protocolType: null, protocolName: null, assignments,
        })))
        break
      }
      case 'heartbeat':
        h.coordinator.heartbeat({ groupId: GROUP, generationId: (member?.generationId ?? generation()) + step.generationDelta, memberId: member?.memberId ?? 'ghost', groupInstanceId: null })
        break
      case 'leave':
        h.coordinator.leaveGroup(GROUP, [step.byInstance ? { memberId: '', groupInstanceId: `instance-${step.slot}` } : { memberId: member?.memberId ?? 'ghost', groupInstanceId: null }])
        break
      case 'commit':
        parked.push(track(h.coordinator.commitOffsets({
          groupId: GROUP, memberId: step.simple ? '' : member?.memberId ?? 'ghost', groupInstanceId: null,
          generationId: step.simple ? -1 : member?.generationId ?? 0, retentionTimeMs: -1,
          offsets: [{ topic: 't', partition: step.slot, offset: BigInt(step.slot), leaderEpoch: -1, metadata: null }],
        })))
        break
      case 'fetch':
        h.coordinator.fetchOffsets(GROUP, null, step.requireStable)
        h.coordinator.describeGroup(GROUP)
        h.coordinator.listGroups([], [])
        break
      case 'deleteGroup':
        parked.push(track(h.coordinator.deleteGroups([GROUP])))
        break
      case 'deleteOffsets':
        parked.push(track(h.coordinator.deleteOffsets(GROUP, [{ topic: 't', partition: 0 }])))
        break
      case 'advance':
        h.time.advance(step.ms)
        break
      case 'restart':
        h.coordinator.shutdown()
        h = await startHarness({ offsetsTopicNumPartitions: 1, groupInitialRebalanceDelayMs: 100 }, h.store, h.time)
        break
      case 'move':
        h.coordinator.onResignation(0)
        await h.coordinator.onElection(0)
        break
    }
    await settle()
    checkInvariants(h.coordinator)
  }
  h.coordinator.shutdown()
  await settle()
  for (const request of parked) assert.ok(request.settled, 'every request is answered by shutdown at the latest')
}

test('random client operations keep the group consistent and never leave a request unanswered', async () => {
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), runOps), { numRuns: 400, seed: 20_260_301 })
})
