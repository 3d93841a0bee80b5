// The group coordinator APIs at the codec layer, against an in-process broker: the versions
// advertised, FindCoordinator (single and batched), the rebalance edge cases clients rely on (join
// during a rebalance, sync from a non-leader, heartbeat with a stale generation, leave of an unknown
// member) and the offset, describe, list and delete APIs across old and flexible versions.
// Each member has its own connection: a parked JoinGroup holds back later responses on its connection.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeConsumerProtocolSubscription } from '../../src/protocol/messages/consumer-protocol.js'
import type { ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js'
import type { DeleteGroupsResponse } from '../../src/protocol/messages/delete-groups.js'
import type { DescribeGroupsResponse } from '../../src/protocol/messages/describe-groups.js'
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../src/protocol/messages/find-coordinator.js'
import type { HeartbeatResponse } from '../../src/protocol/messages/heartbeat.js'
import type { JoinGroupRequest, JoinGroupResponse } from '../../src/protocol/messages/join-group.js'
import type { LeaveGroupResponse } from '../../src/protocol/messages/leave-group.js'
import type { ListGroupsResponse } from '../../src/protocol/messages/list-groups.js'
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../src/protocol/messages/offset-commit.js'
import type { OffsetDeleteResponse } from '../../src/protocol/messages/offset-delete.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../src/protocol/messages/offset-fetch.js'
import type { SyncGroupRequest, SyncGroupResponse } from '../../src/protocol/messages/sync-group.js'
import { Writer } from '../../src/protocol/writer.js'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { pollUntil } from '../helpers/poll.js'
import { WireClient, createRequest } from '../helpers/wire-client.js'
import { createTopic } from './groups-support.js'

const API = {
  OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14,
  DescribeGroups: 15, ListGroups: 16, ApiVersions: 18, DeleteGroups: 42, OffsetDelete: 47,
} as const
const TOPIC = 'protocol-topic'

function subscription(...topics: string[]): Buffer {
  const w = new Writer()
  w.int16(0)
  encodeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0)
  return w.toBuffer()
}

describe('group coordinator APIs on the wire', { timeout: 60_000 }, () => {
  let broker: InProcessBroker
  const clients: WireClient[] = []

  before(async () => {
    broker = await startInProcessBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 500 } })
    await createTopic(broker.bootstrap, TOPIC, 2)
    // The first FindCoordinator creates __consumer_offsets (answering COORDINATOR_NOT_AVAILABLE
    // until it is loaded); the raw requests below go straight to the coordinator.
    const client = await connect()
    const find = createRequest<FindCoordinatorRequest>(API.FindCoordinator)
    find.key = 'any-group'
    await pollUntil(async () => (await client.request<FindCoordinatorResponse>(API.FindCoordinator, 3, find)).errorCode === ErrorCode.NONE,
      { message: 'FindCoordinator answers' })
  })
  after(async () => {
    for (const client of clients) client.close()
    await broker?.close()
  })

  async function connect(): Promise<WireClient> {
    const client = await WireClient.connect(broker.host, broker.port)
    clients.push(client)
    return client
  }

  function joinRequest(groupId: string, memberId = '', overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
    const request = createRequest<JoinGroupRequest>(API.JoinGroup)
    Object.assign(request, {
      groupId, memberId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(TOPIC) }], ...overrides,
    })
    return request
  }

  function syncRequest(groupId: string, joined: JoinGroupResponse, assignments: Record<string, string> = {}): SyncGroupRequest {
    const request = createRequest<SyncGroupRequest>(API.SyncGroup)
    Object.assign(request, {
      groupId, generationId: joined.generationId, memberId: joined.memberId, protocolType: 'consumer', protocolName: 'range',
      assignments: Object.entries(assignments).map(([memberId, text]) => ({ memberId, assignment: Buffer.from(text) })),
    })
    return request
  }

  function heartbeat(client: WireClient, groupId: string, generationId: number, memberId: string, version = 3): Promise<HeartbeatResponse> {
    return client.request<HeartbeatResponse>(API.Heartbeat, version, { groupId, generationId, memberId, groupInstanceId: null })
  }

  /** A member through JoinGroup v5 (after MEMBER_ID_REQUIRED) and SyncGroup v3: generation 1, Stable. */
  async function stableMember(groupId: string): Promise<{ client: WireClient; joined: JoinGroupResponse }> {
    const client = await connect()
    const first = await client.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(groupId))
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    const joined = await client.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(groupId, first.memberId))
    assert.equal(joined.errorCode, ErrorCode.NONE)
    const synced = await client.request<SyncGroupResponse>(API.SyncGroup, 3, syncRequest(groupId, joined, { [joined.memberId]: 'a' }))
    assert.equal(synced.errorCode, ErrorCode.NONE)
    return { client, joined }
  }

  test('ApiVersions advertises the group APIs with the ranges old librdkafka probes (FindCoordinator/JoinGroup/... ∋ 0, OffsetCommit ∩ 1-2, OffsetFetch ∋ 1)', async () => {
    const client = await connect()
    const response = await client.request<ApiVersionsResponse>(API.ApiVersions, 3, { clientSoftwareName: 'gregor-test', clientSoftwareVersion: '1' })
    const ranges = Object.fromEntries(response.apiKeys.map((api) => [api.apiKey, [api.minVersion, api.maxVersion]]))
    assert.deepEqual([API.FindCoordinator, API.JoinGroup, API.SyncGroup, API.Heartbeat, API.LeaveGroup].map((key) => ranges[key]),
      [[0, 6], [0, 9], [0, 5], [0, 4], [0, 5]])
    assert.deepEqual(ranges[API.OffsetCommit], [2, 9])
    assert.deepEqual(ranges[API.OffsetFetch], [1, 9])
    assert.deepEqual([API.DescribeGroups, API.ListGroups, API.DeleteGroups, API.OffsetDelete].map((key) => ranges[key]), [[0, 5], [0, 5], [0, 2], [0, 0]])
  })

  test('FindCoordinator names this broker for groups in v0-v3 and per key in batched v4+; unknown key types are INVALID_REQUEST', async () => {
    const client = await connect()
    for (const version of [0, 1, 2, 3]) {
      const request = createRequest<FindCoordinatorRequest>(API.FindCoordinator)
      request.key = 'some-group'
      const response = await client.request<FindCoordinatorResponse>(API.FindCoordinator, version, request)
      assert.deepEqual([response.errorCode, response.nodeId, response.host, response.port], [0, broker.brokerId, broker.host, broker.port], `v${version}`)
    }
    const batched = createRequest<FindCoordinatorRequest>(API.FindCoordinator)
    batched.coordinatorKeys = ['g1', 'g2']
    const response = await client.request<FindCoordinatorResponse>(API.FindCoordinator, 4, batched)
    assert.deepEqual(response.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.port]), [['g1', 0, broker.brokerId, broker.port], ['g2', 0, broker.brokerId, broker.port]])
    const transactional = { ...batched, keyType: 1, coordinatorKeys: ['txn'] }
    const txn = await client.request<FindCoordinatorResponse>(API.FindCoordinator, 6, transactional)
    assert.equal(txn.coordinators[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const invalid = await client.request<FindCoordinatorResponse>(API.FindCoordinator, 4, { ...batched, keyType: 7 })
    assert.deepEqual(invalid.coordinators.map((c) => c.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST])
  })

  test('JoinGroup v0 joins without MEMBER_ID_REQUIRED; v9 reports the protocol type and leader; answers of old versions use "" for no protocol', async () => {
    const client = await connect()
    const v0 = await client.request<JoinGroupResponse>(API.JoinGroup, 0, joinRequest('join-v0'))
    assert.deepEqual([v0.errorCode, v0.generationId, v0.protocolName, v0.leader === v0.memberId], [0, 1, 'range', true])
    const other = await connect()
    const v9first = await other.request<JoinGroupResponse>(API.JoinGroup, 9, joinRequest('join-v9'))
    assert.deepEqual([v9first.errorCode, v9first.protocolName, v9first.generationId], [ErrorCode.MEMBER_ID_REQUIRED, null, -1])
    const v9 = await other.request<JoinGroupResponse>(API.JoinGroup, 9, joinRequest('join-v9', v9first.memberId))
    assert.deepEqual([v9.errorCode, v9.protocolType, v9.protocolName, v9.skipAssignment], [0, 'consumer', 'range', false])
    const invalid = await client.request<JoinGroupResponse>(API.JoinGroup, 3, joinRequest('join-bad', '', { sessionTimeoutMs: 100 }))
    assert.deepEqual([invalid.errorCode, invalid.protocolName], [ErrorCode.INVALID_SESSION_TIMEOUT, ''])
  })

  test('a join during CompletingRebalance sends the waiting follower SyncGroup back with REBALANCE_IN_PROGRESS; a non-leader sync waits for the leader', async () => {
    const group = 'join-during-rebalance'
    const { client: leaderClient, joined: leader } = await stableMember(group)
    // A follower joins: the leader learns of the rebalance by heartbeat and rejoins.
    const followerClient = await connect()
    const followerFirst = await followerClient.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(group))
    const followerJoin = followerClient.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(group, followerFirst.memberId))
    assert.equal((await heartbeat(leaderClient, group, 1, leader.memberId)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    const leaderJoin = await leaderClient.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(group, leader.memberId))
    const follower = await followerJoin
    assert.equal(leaderJoin.generationId, 2)
    assert.equal(leaderJoin.members.length, 2, 'the leader gets every member\'s metadata')
    assert.equal(follower.members.length, 0)
    // The follower's SyncGroup waits for the leader's.
    let followerSynced = false
    const followerSync = followerClient.request<SyncGroupResponse>(API.SyncGroup, 3, syncRequest(group, follower))
      .then((response) => { followerSynced = true; return response })
    assert.equal((await heartbeat(leaderClient, group, 2, leader.memberId)).errorCode, ErrorCode.NONE)
    assert.equal(followerSynced, false)
    // A third member joins now: the waiting follower is told to rejoin.
    const thirdClient = await connect()
    const thirdFirst = await thirdClient.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(group))
    const thirdJoin = thirdClient.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(group, thirdFirst.memberId))
    assert.equal((await followerSync).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    // Everyone rejoins into generation 3; now a non-leader sync waits for the leader's assignment.
    const [leader3, follower3, third3] = await Promise.all([
      leaderClient.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(group, leader.memberId)),
      followerClient.request<JoinGroupResponse>(API.JoinGroup, 5, joinRequest(group, follower.memberId)),
      thirdJoin,
    ])
    assert.deepEqual([leader3.generationId, follower3.generationId, third3.generationId], [3, 3, 3])
    const waiting = followerClient.request<SyncGroupResponse>(API.SyncGroup, 5, syncRequest(group, follower3))
    const leaderSync = await leaderClient.request<SyncGroupResponse>(API.SyncGroup, 5, syncRequest(group, leader3, {
      [leader3.memberId]: 'L', [follower3.memberId]: 'F', [third3.memberId]: 'T',
    }))
    assert.deepEqual([leaderSync.errorCode, leaderSync.assignment.toString(), leaderSync.protocolName], [0, 'L', 'range'])
    assert.equal((await waiting).assignment.toString(), 'F')
    const thirdSync = await thirdClient.request<SyncGroupResponse>(API.SyncGroup, 4, syncRequest(group, third3))
    assert.equal(thirdSync.assignment.toString(), 'T')
  })

  test('heartbeat with a stale generation is ILLEGAL_GENERATION; SyncGroup v5 without protocol type is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const group = 'stale-generation'
    const { client, joined } = await stableMember(group)
    assert.equal((await heartbeat(client, group, 0, joined.memberId)).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await heartbeat(client, group, 1, 'unknown-member', 4)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal((await heartbeat(client, group, 1, joined.memberId, 0)).errorCode, ErrorCode.NONE)
    const noProtocol = { ...syncRequest(group, joined), protocolType: null }
    assert.equal((await client.request<SyncGroupResponse>(API.SyncGroup, 5, noProtocol)).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  })

  test('leave of an unknown member is UNKNOWN_MEMBER_ID: top-level in v0-2, per member in v3+', async () => {
    const group = 'leave-unknown'
    const { client, joined } = await stableMember(group)
    const v1 = await client.request<LeaveGroupResponse>(API.LeaveGroup, 1, { groupId: group, memberId: 'ghost', members: [] })
    assert.equal(v1.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    const v3 = await client.request<LeaveGroupResponse>(API.LeaveGroup, 3, {
      groupId: group, memberId: '', members: [{ memberId: 'ghost', groupInstanceId: null, reason: null }, { memberId: joined.memberId, groupInstanceId: null, reason: null }],
    })
    assert.equal(v3.errorCode, ErrorCode.NONE)
    assert.deepEqual(v3.members.map((m) => [m.memberId, m.errorCode]), [['ghost', ErrorCode.UNKNOWN_MEMBER_ID], [joined.memberId, ErrorCode.NONE]])
  })

  test('OffsetCommit v2-v9 and OffsetFetch v1-v9: unknown topics, v1 errors per partition, null topics, several groups at once', async () => {
    const client = await connect()
    const commit = (groupId: string, version: number, partitions: [string, number, number][]) => {
      const request = createRequest<OffsetCommitRequest>(API.OffsetCommit)
      Object.assign(request, { groupId, generationIdOrMemberEpoch: -1, memberId: '' })
      const byTopic = new Map<string, OffsetCommitRequest['topics'][number]>()
      for (const [name, partitionIndex, offset] of partitions) {
        if (!byTopic.has(name)) byTopic.set(name, { name, partitions: [] })
        byTopic.get(name)!.partitions.push({ partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: 2, commitTimestamp: -1n, committedMetadata: `m${offset}` })
      }
      request.topics = [...byTopic.values()]
      return client.request<OffsetCommitResponse>(API.OffsetCommit, version, request)
    }
    const v2 = await commit('offsets-a', 2, [[TOPIC, 0, 5], ['no-such-topic', 0, 1], [TOPIC, 9, 1]])
    assert.deepEqual(v2.topics.map((t) => t.partitions.map((p) => p.errorCode)), [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]])
    assert.deepEqual((await commit('offsets-b', 8, [[TOPIC, 1, 7]])).topics[0]!.partitions[0]!.errorCode, 0)
    const v1 = await commit('offsets-a', 1, [[TOPIC, 0, 6]])
    assert.equal(v1.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNSUPPORTED_VERSION, 'v0-1 are gone, as in Kafka 4')

    const fetchRequest = createRequest<OffsetFetchRequest>(API.OffsetFetch)
    fetchRequest.groupId = 'offsets-a'
    fetchRequest.topics = [{ name: TOPIC, partitionIndexes: [0, 1] }]
    const fetchedV1 = await client.request<OffsetFetchResponse>(API.OffsetFetch, 1, fetchRequest)
    assert.deepEqual(fetchedV1.topics[0]!.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset), p.metadata]), [[0, 5, 'm5'], [1, -1, '']])
    const all = await client.request<OffsetFetchResponse>(API.OffsetFetch, 5, { ...fetchRequest, topics: null })
    // The v2 commit carried no leader epoch (v6+), so none is stored.
    assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset), p.committedLeaderEpoch])]), [[TOPIC, [[0, 5, -1]]]])
    const stable = await client.request<OffsetFetchResponse>(API.OffsetFetch, 7, { ...fetchRequest, requireStable: true })
    assert.equal(stable.topics[0]!.partitions[0]!.errorCode, 0)
    const multi = await client.request<OffsetFetchResponse>(API.OffsetFetch, 8, {
      ...createRequest<OffsetFetchRequest>(API.OffsetFetch),
      groups: [
        { groupId: 'offsets-a', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'offsets-b', memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [1] }] },
        { groupId: '', memberId: null, memberEpoch: -1, topics: null },
      ],
    })
    assert.deepEqual(multi.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => [Number(p.committedOffset), p.committedLeaderEpoch]))]),
      [['offsets-a', 0, [[5, -1]]], ['offsets-b', 0, [[7, 2]]], ['', 0, []]])
  })

  test('deleting a topic deletes the groups\' committed offsets of it', async () => {
    const client = await connect()
    await createTopic(broker.bootstrap, 'doomed', 1)
    const commit = createRequest<OffsetCommitRequest>(API.OffsetCommit)
    Object.assign(commit, {
      groupId: 'doomed-group', generationIdOrMemberEpoch: -1, memberId: '',
      topics: [{ name: 'doomed', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
    })
    assert.equal((await client.request<OffsetCommitResponse>(API.OffsetCommit, 8, commit)).topics[0]!.partitions[0]!.errorCode, 0)
    const admin = new Kafka({ clientId: 'gregor-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.deleteTopics({ topics: ['doomed'] })
    await admin.disconnect()
    const fetchRequest = { ...createRequest<OffsetFetchRequest>(API.OffsetFetch), groupId: 'doomed-group', topics: null }
    assert.deepEqual((await client.request<OffsetFetchResponse>(API.OffsetFetch, 6, fetchRequest)).topics, [])
  })

  test('DescribeGroups, ListGroups (states filter), DeleteGroups (NON_EMPTY_GROUP) and OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC)', async () => {
    const group = 'admin-group'
    const { client, joined } = await stableMember(group)
    const commit = createRequest<OffsetCommitRequest>(API.OffsetCommit)
    Object.assign(commit, {
      groupId: group, generationIdOrMemberEpoch: 1, memberId: joined.memberId,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    })
    assert.equal((await client.request<OffsetCommitResponse>(API.OffsetCommit, 7, commit)).topics[0]!.partitions[0]!.errorCode, 0)

    const described = await client.request<DescribeGroupsResponse>(API.DescribeGroups, 5, { groups: [group, 'nobody'], includeAuthorizedOperations: true })
    const [mine, nobody] = described.groups
    assert.deepEqual([mine!.groupState, mine!.protocolType, mine!.protocolData, mine!.members.length], ['Stable', 'consumer', 'range', 1])
    assert.equal(mine!.members[0]!.clientId, 'gregor-test')
    assert.match(mine!.members[0]!.clientHost, /^\/127\.0\.0\.1$/)
    assert.equal(mine!.members[0]!.memberAssignment.toString(), 'a')
    assert.ok(mine!.authorizedOperations > 0)
    assert.deepEqual([nobody!.errorCode, nobody!.groupState], [0, 'Dead'])

    const listed = await client.request<ListGroupsResponse>(API.ListGroups, 4, { statesFilter: ['stable'], typesFilter: [] })
    assert.ok(listed.groups.some((g) => g.groupId === group && g.groupState === 'Stable'))
    assert.ok(listed.groups.every((g) => g.groupState === 'Stable'))
    const listedV5 = await client.request<ListGroupsResponse>(API.ListGroups, 5, { statesFilter: [], typesFilter: ['classic'] })
    assert.ok(listedV5.groups.some((g) => g.groupId === group && g.groupType === 'classic'))

    const notEmpty = await client.request<DeleteGroupsResponse>(API.DeleteGroups, 2, { groupsNames: [group, 'never-existed'] })
    assert.deepEqual(notEmpty.results.map((r) => r.errorCode), [ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND])
    const offsetDelete = await client.request<OffsetDeleteResponse>(API.OffsetDelete, 0, {
      groupId: group, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }, { name: 'no-such-topic', partitions: [{ partitionIndex: 0 }] }],
    })
    assert.deepEqual(offsetDelete.topics.map((t) => t.partitions[0]!.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])

    await client.request<LeaveGroupResponse>(API.LeaveGroup, 0, { groupId: group, memberId: joined.memberId, members: [] })
    const deleted = await client.request<DeleteGroupsResponse>(API.DeleteGroups, 0, { groupsNames: [group] })
    assert.deepEqual(deleted.results.map((r) => [r.groupId, r.errorCode]), [[group, 0]])
    const gone = await client.request<DescribeGroupsResponse>(API.DescribeGroups, 0, { groups: [group], includeAuthorizedOperations: false })
    assert.equal(gone.groups[0]!.groupState, 'Dead')
  })
})
