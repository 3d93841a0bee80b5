// Kafka's group coordinator for the classic rebalance protocol (GroupCoordinator and
// GroupMetadataManager of Kafka 3.x), on one broker's share of __consumer_offsets.
//
// Placement: a group lives in partition abs(hash(groupId)) % offsets.topic.num.partitions; this
// broker coordinates the groups of the partitions it leads. onElection loads a partition (groups
// and offsets are rebuilt from its records; requests for its groups get COORDINATOR_LOAD_IN_PROGRESS
// meanwhile), onResignation drops them (NOT_COORDINATOR afterwards).
//
// The in-memory state is a cache of the log: an offset commit is applied to the cache, and
// acknowledged, only after its record is appended; a group's metadata (generation, leader,
// members, assignments) is appended when the leader's SyncGroup completes a rebalance, when a
// join phase leaves the group empty, and when a static member is replaced. Deletions (DeleteGroups,
// OffsetDelete, offset expiration) append tombstones.
//
// Rebalance (classic protocol): JoinGroup moves the group to PreparingRebalance; the join phase
// ends when every known member rejoined, or at the rebalance timeout (dynamic members that did
// not rejoin are dropped), or, for an empty group, after group.initial.rebalance.delay.ms (extended
// while new members keep arriving, up to the rebalance timeout). Then the generation advances,
// a protocol is chosen by vote, everyone gets its JoinGroup answer (the leader with the members'
// metadata), and the group waits in CompletingRebalance for the leader's SyncGroup carrying the
// assignment. Members that do not send SyncGroup within the rebalance timeout are removed.
// Sessions: a member that neither heartbeats nor takes part in a rebalance within
// session.timeout.ms is removed. Long polls (JoinGroup, SyncGroup) are promises settled by these
// transitions; every deadline goes through the injected Scheduler, so tests drive time by hand.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { GroupMetadataValue } from '../../protocol/internal/group-metadata-value.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Clock } from '../../util/clock.js'
import {
  CONSUMER_PROTOCOL_TYPE, GroupMetadata, MemberMetadata,
  type CommittedOffset, type GroupState, type JoinGroupResult, type Protocol, type SyncGroupResult,
} from './group-metadata.js'
import {
  groupMetadataRecord, groupTombstone, offsetCommitRecord, offsetTombstone, parseCoordinatorRecord,
  type CoordinatorRecord,
} from './group-records.js'
import type { OffsetsTopicStore } from './offsets-topic-store.js'
import { partitionForGroup } from './partitioner.js'
import type { ScheduledTask, Scheduler } from './scheduler.js'

/** A member that joined but never completed a join phase is dropped after this long (KIP-394). */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000

const EMPTY = Buffer.alloc(0)
/** JoinGroupRequest.UNKNOWN_MEMBER_ID and UNKNOWN_GENERATION_ID. */
const UNKNOWN_MEMBER_ID = ''
const UNKNOWN_GENERATION_ID = -1
const NO_OFFSET = -1n
const NO_LEADER_EPOCH = -1

export interface GroupCoordinatorConfig {
  readonly offsetsTopicNumPartitions: number
  readonly groupMinSessionTimeoutMs: number
  readonly groupMaxSessionTimeoutMs: number
  readonly groupInitialRebalanceDelayMs: number
  readonly groupMaxSize: number
  readonly offsetMetadataMaxBytes: number
  readonly offsetsRetentionMs: number
  readonly offsetsRetentionCheckIntervalMs: number
}

/** The coordinator's settings from the broker's Kafka-named properties. */
export function groupCoordinatorConfig(config: {
  offsetsTopicNumPartitions: number; groupMinSessionTimeoutMs: number; groupMaxSessionTimeoutMs: number
  groupInitialRebalanceDelayMs: number; groupMaxSize: number; offsetMetadataMaxBytes: number
  offsetsRetentionMinutes: number; offsetsRetentionCheckIntervalMs: number
}): GroupCoordinatorConfig {
  return {
    offsetsTopicNumPartitions: config.offsetsTopicNumPartitions,
    groupMinSessionTimeoutMs: config.groupMinSessionTimeoutMs,
    groupMaxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    groupInitialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    groupMaxSize: config.groupMaxSize,
    offsetMetadataMaxBytes: config.offsetMetadataMaxBytes,
    offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
    offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
  }
}

export interface GroupCoordinatorDeps {
  readonly config: GroupCoordinatorConfig
  readonly store: OffsetsTopicStore
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly log: Logger
  /** Random part of new member ids (a UUID by default; tests inject a counter). */
  readonly randomId?: () => string
}

export interface JoinGroupParams {
  readonly groupId: string
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** JoinGroup v4+: a dynamic member must first obtain its member id (MEMBER_ID_REQUIRED). */
  readonly requireKnownMemberId: boolean
  readonly clientId: string
  readonly clientHost: string
  readonly rebalanceTimeoutMs: number
  readonly sessionTimeoutMs: number
  readonly protocolType: string
  readonly protocols: readonly Protocol[]
}

export interface SyncGroupParams {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly assignments: ReadonlyMap<string, Buffer>
}

export interface HeartbeatParams {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
}

export interface MemberIdentity {
  readonly memberId: string
  readonly groupInstanceId: string | null
}

export interface LeaveGroupResult {
  readonly errorCode: number
  readonly members: { memberId: string; groupInstanceId: string | null; errorCode: number }[]
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface OffsetCommitEntry extends TopicPartition {
  readonly offset: bigint
  readonly leaderEpoch: number
  readonly metadata: string | null
}

export interface OffsetCommitParams {
  readonly groupId: string
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly generationId: number
  /** OffsetCommit v2-4 retention_time_ms; -1 for the broker's offsets.retention.minutes. */
  readonly retentionTimeMs: number
  readonly offsets: readonly OffsetCommitEntry[]
}

export interface FetchedOffset extends TopicPartition {
  readonly offset: bigint
  readonly leaderEpoch: number
  readonly metadata: string
  readonly errorCode: number
}

export interface OffsetFetchResult {
  readonly errorCode: number
  readonly offsets: FetchedOffset[]
}

export interface GroupMemberSummary {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly metadata: Buffer
  readonly assignment: Buffer
}

export interface GroupSummary {
  readonly errorCode: number
  readonly groupId: string
  readonly state: string
  readonly protocolType: string
  readonly protocolData: string
  readonly members: GroupMemberSummary[]
}

export interface GroupOverview {
  readonly groupId: string
  readonly protocolType: string
  readonly state: GroupState
}

export interface ListGroupsResult {
  readonly errorCode: number
  readonly groups: GroupOverview[]
}

export interface OffsetDeleteResult {
  readonly errorCode: number
  /** Parallel to the requested partitions. */
  readonly partitionErrors: number[]
}

/** The group type ListGroups v5+ reports for classic-protocol groups (KIP-848). */
export const CLASSIC_GROUP_TYPE = 'classic'

type PartitionLoad = { state: 'loading' | 'active'; readonly token: object }

export class GroupCoordinator {
  private readonly groups = new Map<string, GroupMetadata>()
  private readonly partitions = new Map<number, PartitionLoad>()
  private active = false
  private expirationTask: ScheduledTask | null = null
  private readonly config: GroupCoordinatorConfig
  private readonly log: Logger
  /** Partitions of __consumer_offsets that placement hashes over. */
  private partitionCount: number

  constructor(private readonly deps: GroupCoordinatorDeps) {
    this.config = deps.config
    this.log = deps.log
    this.partitionCount = deps.config.offsetsTopicNumPartitions
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitionCount)
  }

  /**
   * Places groups by the topic's actual partition count (it may have been created with another
   * offsets.topic.num.partitions). Only before any partition is loaded: placement never changes
   * under a loaded group.
   */
  usePartitionCount(count: number): void {
    assert.ok(Number.isInteger(count) && count > 0, `partition count ${count} is positive`)
    assert.equal(this.partitions.size, 0, 'no __consumer_offsets partition is loaded yet')
    this.partitionCount = count
  }

  private isLoading(): boolean {
    for (const load of this.partitions.values()) if (load.state === 'loading') return true
    return false
  }

  startup(): void {
    this.active = true
    this.scheduleOffsetExpiration()
  }

  /** Stops the timers and unloads every group; parked requests get NOT_COORDINATOR. */
  shutdown(): void {
    this.active = false
    this.expirationTask?.cancel()
    this.expirationTask = null
    for (const partition of [...this.partitions.keys()]) this.onResignation(partition)
  }

  // ---------------------------------------------------------------- partition ownership

  /** This broker became leader of the partition: load its groups and offsets from the log. */
  async onElection(partition: number): Promise<void> {
    if (!this.active || this.partitions.has(partition)) return
    const token = {}
    this.partitions.set(partition, { state: 'loading', token })
    const loaded = new PartitionLoader(partition, this.log)
    try {
      await this.deps.store.load(partition, (offset, key, value) => loaded.apply(offset, key, value))
    } catch (error) {
      // As Kafka: a partition that failed to load is still served, with what was read.
      this.log.error({ err: error, partition }, 'loading __consumer_offsets partition failed')
    }
    const current = this.partitions.get(partition)
    if (current === undefined || current.token !== token) return
    const nowMs = this.deps.clock.nowMs()
    const groups = loaded.groups(nowMs)
    for (const group of groups) this.groups.set(group.groupId, group)
    current.state = 'active'
    for (const group of groups) {
      for (const member of group.members.values()) this.scheduleHeartbeat(group, member)
      if (group.members.size > this.config.groupMaxSize) {
        this.prepareRebalance(group, `the group has more than group.max.size ${this.config.groupMaxSize} members`)
      }
    }
    this.log.info({ partition, groups: groups.length }, 'loaded group metadata and offsets')
  }

  /** This broker no longer leads the partition: drop its groups from the cache. */
  onResignation(partition: number): void {
    if (!this.partitions.delete(partition)) return
    for (const group of [...this.groups.values()]) {
      if (group.partition === partition) this.unloadGroup(group)
    }
  }

  private unloadGroup(group: GroupMetadata): void {
    const previous = group.state
    group.transitionTo('Dead', this.deps.clock.nowMs())
    this.groups.delete(group.groupId)
    this.cancelGroupTasks(group)
    for (const member of group.members.values()) {
      if (previous === 'PreparingRebalance') group.completeJoin(member, joinError(member.memberId, ErrorCode.NOT_COORDINATOR))
      group.completeSync(member, syncError(ErrorCode.NOT_COORDINATOR))
      member.heartbeatTask?.cancel()
      member.heartbeatTask = null
    }
  }

  private cancelGroupTasks(group: GroupMetadata): void {
    group.joinTask?.cancel()
    group.joinTask = null
    group.syncTask?.cancel()
    group.syncTask = null
    for (const task of group.pendingMembers.values()) task.cancel()
    group.pendingMembers.clear()
  }

  /** Kafka's validateGroupStatus: the error to answer, or NONE. */
  private groupStatus(groupId: string, allowEmptyGroupId: boolean): number {
    // OffsetCommit/OffsetFetch/DescribeGroups/DeleteGroups accept "" for old simple consumers.
    if (!allowEmptyGroupId && groupId === '') return ErrorCode.INVALID_GROUP_ID
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const load = this.partitions.get(this.partitionFor(groupId))
    if (load === undefined) return ErrorCode.NOT_COORDINATOR
    if (load.state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return ErrorCode.NONE
  }

  private addGroup(groupId: string): GroupMetadata {
    const group = new GroupMetadata(groupId, this.partitionFor(groupId), 'Empty', this.deps.clock.nowMs())
    this.groups.set(groupId, group)
    return group
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(params: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.handleJoinGroup(params, resolve))
  }

  private handleJoinGroup(params: JoinGroupParams, respond: (result: JoinGroupResult) => void): void {
    const status = this.groupStatus(params.groupId, false)
    if (status !== ErrorCode.NONE) return respond(joinError(params.memberId, status))
    if (params.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || params.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return respond(joinError(params.memberId, ErrorCode.INVALID_SESSION_TIMEOUT))
    }
    const isUnknownMember = params.memberId === UNKNOWN_MEMBER_ID
    let group = this.groups.get(params.groupId)
    if (group === undefined) {
      if (!isUnknownMember) return respond(joinError(params.memberId, ErrorCode.UNKNOWN_MEMBER_ID))
      group = this.addGroup(params.groupId)
    }
    if (!this.acceptJoiningMember(group, params.memberId)) {
      const member = group.members.get(params.memberId)
      if (member !== undefined) this.removeMemberAndUpdateGroup(group, member, 'the group reached group.max.size')
      respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED))
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, params, respond)
    } else {
      this.doCurrentMemberJoinGroup(group, params, respond)
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group)
  }

  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true
      case 'PreparingRebalance':
        return (group.members.get(memberId)?.isAwaitingJoin ?? false) || group.numMembersAwaitingJoin < this.config.groupMaxSize
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.members.size < this.config.groupMaxSize
    }
  }

  private doNewMemberJoinGroup(group: GroupMetadata, params: JoinGroupParams, respond: (result: JoinGroupResult) => void): void {
    if (group.is('Dead')) return respond(joinError(params.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (!group.supportsProtocols(params.protocolType, params.protocols)) {
      return respond(joinError(params.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    const newMemberId = `${params.groupInstanceId ?? params.clientId}-${this.deps.randomId?.() ?? randomUUID()}`
    if (params.groupInstanceId !== null) {
      const oldMemberId = group.staticMemberId(params.groupInstanceId)
      if (oldMemberId === undefined) this.addMemberAndRebalance(group, newMemberId, params, respond)
      else this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, params, respond)
    } else if (params.requireKnownMemberId) {
      // KIP-394: the member gets its id first and must join with it within its session timeout.
      const task = this.deps.scheduler.schedule(params.sessionTimeoutMs, () => this.onExpirePendingMember(group, newMemberId))
      group.pendingMembers.set(newMemberId, task)
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
    } else {
      this.addMemberAndRebalance(group, newMemberId, params, respond)
    }
  }

  private doCurrentMemberJoinGroup(group: GroupMetadata, params: JoinGroupParams, respond: (result: JoinGroupResult) => void): void {
    if (group.is('Dead')) return respond(joinError(params.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (!group.supportsProtocols(params.protocolType, params.protocols)) {
      return respond(joinError(params.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    if (group.isPendingMember(params.memberId)) {
      // Pending ids are only handed to dynamic members; Kafka fails such a request the same way.
      if (params.groupInstanceId !== null) return respond(joinError(params.memberId, ErrorCode.UNKNOWN_SERVER_ERROR))
      return this.addMemberAndRebalance(group, params.memberId, params, respond)
    }
    const error = validateCurrentMember(group, params.memberId, params.groupInstanceId)
    if (error !== ErrorCode.NONE) return respond(joinError(params.memberId, error))
    const member = group.get(params.memberId)
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, params, respond, `member ${member.memberId} rejoined`)
        break
      case 'CompletingRebalance':
        if (member.matches(params.protocols)) {
          // The member missed the answer of this generation's join: send it again.
          respond(currentGenerationJoinResult(group, member.memberId, group.isLeader(member.memberId)))
        } else {
          this.updateMemberAndRebalance(group, member, params, respond, `member ${member.memberId} changed its protocols`)
        }
        break
      case 'Stable':
        if (group.isLeader(member.memberId) || !member.matches(params.protocols)) {
          // A leader rejoins to force a rebalance (e.g. the topics' metadata changed).
          this.updateMemberAndRebalance(group, member, params, respond,
            group.isLeader(member.memberId) ? `leader ${member.memberId} rejoined` : `member ${member.memberId} changed its protocols`)
        } else {
          respond(currentGenerationJoinResult(group, member.memberId, false))
        }
        break
      case 'Empty':
      case 'Dead':
        respond(joinError(params.memberId, ErrorCode.UNKNOWN_MEMBER_ID))
        break
    }
  }

  private addMemberAndRebalance(
    group: GroupMetadata, memberId: string, params: JoinGroupParams, respond: (result: JoinGroupResult) => void,
  ): void {
    const member = new MemberMetadata(memberId, params.groupInstanceId, params.clientId, params.clientHost,
      params.rebalanceTimeoutMs, params.sessionTimeoutMs, params.protocolType, copyProtocols(params.protocols))
    member.isNew = true
    // KIP-134: a member arriving during the initial delay extends it.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true
    group.add(member, respond)
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
    this.maybePrepareRebalance(group, `adding new member ${memberId}`)
  }

  private updateMemberAndRebalance(
    group: GroupMetadata, member: MemberMetadata, params: JoinGroupParams, respond: (result: JoinGroupResult) => void, reason: string,
  ): void {
    // A second JoinGroup from the same member replaces the parked one; answer the old request.
    group.completeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS))
    group.updateMember(member, copyProtocols(params.protocols), params.rebalanceTimeoutMs, params.sessionTimeoutMs, respond)
    this.maybePrepareRebalance(group, reason)
  }

  /** A static member restarted (new member id, same group.instance.id): it takes over the old slot. */
  private updateStaticMemberAndRebalance(
    group: GroupMetadata, oldMemberId: string, newMemberId: string, params: JoinGroupParams, respond: (result: JoinGroupResult) => void,
  ): void {
    const instanceId = params.groupInstanceId!
    const currentLeader = group.leaderId
    const existing = group.get(oldMemberId)
    group.completeJoin(existing, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID))
    group.completeSync(existing, syncError(ErrorCode.FENCED_INSTANCE_ID))
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId)
    this.scheduleHeartbeat(group, member)
    const oldProtocols = member.supportedProtocols
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs
    const oldSessionTimeoutMs = member.sessionTimeoutMs
    group.updateMember(member, copyProtocols(params.protocols), params.rebalanceTimeoutMs, params.sessionTimeoutMs, respond)
    member.clientId = params.clientId
    member.clientHost = params.clientHost
    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalance(group, `static member ${instanceId} rejoined with protocols that change the group's choice`)
          return
        }
        // Nothing changes for the others: persist the new member id and answer from the current
        // generation. The old leader id is returned so that a pre-KIP-814 client does not compute
        // an assignment a stable group would never distribute; v9+ clients get skipAssignment.
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]))
        void this.storeGroup(group, assignment).then((errorCode) => {
          if (group.members.get(newMemberId) !== member) return
          if (errorCode !== ErrorCode.NONE) {
            group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null)
            group.replaceStaticMember(instanceId, newMemberId, oldMemberId)
            this.scheduleHeartbeat(group, member)
            respond({
              errorCode, memberId: UNKNOWN_MEMBER_ID, generationId: group.generationId, protocolType: group.protocolType,
              protocolName: group.protocolName, leaderId: currentLeader ?? '', skipAssignment: false, members: [],
            })
            return
          }
          const isLeader = group.isLeader(newMemberId)
          group.completeJoin(member, {
            errorCode: ErrorCode.NONE, memberId: newMemberId, generationId: group.generationId,
            protocolType: group.protocolType, protocolName: group.protocolName, leaderId: currentLeader ?? '',
            skipAssignment: isLeader, members: isLeader ? group.currentMemberMetadata() : [],
          })
        })
        return
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old member id: start over.
        this.prepareRebalance(group, `static member ${instanceId} rejoined during CompletingRebalance`)
        return
      case 'PreparingRebalance':
        return // answered when the join phase completes
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${group.groupId} in state ${group.state} has static member ${instanceId}`)
    }
  }

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason)
  }

  private prepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS)
    group.syncTask?.cancel()
    group.syncTask = null
    const fromEmpty = group.is('Empty')
    group.transitionTo('PreparingRebalance', this.deps.clock.nowMs())
    this.log.info({ group: group.groupId, generationId: group.generationId, reason }, 'preparing to rebalance group')
    if (fromEmpty) {
      const delayMs = this.config.groupInitialRebalanceDelayMs
      this.scheduleInitialJoin(group, delayMs, Math.max(group.rebalanceTimeoutMs - delayMs, 0))
    } else {
      this.scheduleJoin(group, group.rebalanceTimeoutMs)
      this.tryCompleteJoin(group)
    }
  }

  private scheduleJoin(group: GroupMetadata, timeoutMs: number): void {
    group.joinTask?.cancel()
    group.joinTaskIsInitialDelay = false
    group.joinTask = this.deps.scheduler.schedule(timeoutMs, () => {
      group.joinTask = null
      if (group.is('PreparingRebalance')) this.onCompleteJoin(group)
    })
  }

  /** KIP-134's InitialDelayedJoin: never completes early; re-arms while members keep arriving. */
  private scheduleInitialJoin(group: GroupMetadata, delayMs: number, remainingMs: number): void {
    group.joinTask?.cancel()
    group.joinTaskIsInitialDelay = true
    group.joinTask = this.deps.scheduler.schedule(delayMs, () => {
      group.joinTask = null
      if (!group.is('PreparingRebalance')) return
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false
        const nextDelayMs = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs)
        this.scheduleInitialJoin(group, nextDelayMs, Math.max(remainingMs - delayMs, 0))
      } else {
        this.onCompleteJoin(group)
      }
    })
  }

  private tryCompleteJoin(group: GroupMetadata): void {
    if (!group.is('PreparingRebalance') || group.joinTask === null || group.joinTaskIsInitialDelay) return
    if (!group.hasAllMembersJoined) return
    group.joinTask.cancel()
    group.joinTask = null
    this.onCompleteJoin(group)
  }

  private onCompleteJoin(group: GroupMetadata): void {
    // Dynamic members that did not rejoin are gone; static ones keep their slot until their session expires.
    for (const member of group.notYetRejoinedMembers()) {
      if (!member.isStaticMember) group.remove(member.memberId)
    }
    if (group.is('Dead')) return
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that did not rejoin are left: wait again until they do or expire.
      this.log.warn({ group: group.groupId }, 'could not complete rebalance because no members rejoined')
      this.scheduleJoin(group, group.rebalanceTimeoutMs)
      return
    }
    group.initNextGeneration(this.deps.clock.nowMs())
    if (group.is('Empty')) {
      this.log.info({ group: group.groupId, generationId: group.generationId }, 'group is empty')
      void this.storeGroup(group, new Map()).then((errorCode) => {
        if (errorCode !== ErrorCode.NONE) this.log.warn({ group: group.groupId, errorCode }, 'failed to write empty group metadata')
      })
      return
    }
    this.log.info({ group: group.groupId, generationId: group.generationId, members: group.members.size }, 'stabilized group')
    for (const member of group.members.values()) {
      group.completeJoin(member, currentGenerationJoinResult(group, member.memberId, group.isLeader(member.memberId)))
      this.scheduleHeartbeat(group, member)
      member.isNew = false
      group.pendingSyncMembers.add(member.memberId)
    }
    this.schedulePendingSync(group)
  }

  private schedulePendingSync(group: GroupMetadata): void {
    group.syncTask?.cancel()
    const generationId = group.generationId
    group.syncTask = this.deps.scheduler.schedule(group.rebalanceTimeoutMs, () => {
      group.syncTask = null
      this.onExpirePendingSync(group, generationId)
    })
  }

  private onExpirePendingSync(group: GroupMetadata, generationId: number): void {
    if (generationId !== group.generationId) return
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return
    if (group.pendingSyncMembers.size === 0) return
    const pending = [...group.pendingSyncMembers]
    for (const memberId of pending) group.remove(memberId)
    this.prepareRebalance(group, `removing ${pending.join(', ')} on pending sync request expiration`)
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(params: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.handleSyncGroup(params, resolve))
  }

  private handleSyncGroup(params: SyncGroupParams, respond: (result: SyncGroupResult) => void): void {
    const status = this.groupStatus(params.groupId, false)
    // While loading, the member is told to rejoin rather than to look for the coordinator.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
    if (status !== ErrorCode.NONE) return respond(syncError(status))
    const group = this.groups.get(params.groupId)
    if (group === undefined) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    if (group.is('Dead')) return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    const error = validateSyncGroup(group, params)
    if (error !== ErrorCode.NONE) return respond(syncError(error))
    switch (group.state) {
      case 'Empty':
        return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
      case 'PreparingRebalance':
        return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      case 'CompletingRebalance': {
        const member = group.get(params.memberId)
        group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS))
        member.awaitingSync = respond
        this.removePendingSyncMember(group, member.memberId)
        if (group.isLeader(member.memberId)) this.completeAssignment(group, params.assignments)
        return
      }
      case 'Stable': {
        const member = group.get(params.memberId)
        this.removePendingSyncMember(group, member.memberId)
        respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment })
        this.scheduleHeartbeat(group, member)
        return
      }
      case 'Dead':
        return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    }
  }

  /** The leader's assignment: persist it, then hand every member its part and become Stable. */
  private completeAssignment(group: GroupMetadata, assignments: ReadonlyMap<string, Buffer>): void {
    const assignment = new Map<string, Buffer>()
    for (const memberId of group.members.keys()) {
      const bytes = assignments.get(memberId)
      assignment.set(memberId, bytes === undefined ? EMPTY : Buffer.from(bytes))
    }
    const generationId = group.generationId
    void this.storeGroup(group, assignment).then((errorCode) => {
      // Members may have come or gone meanwhile: only the same generation still waiting applies it.
      if (!group.is('CompletingRebalance') || group.generationId !== generationId) return
      if (errorCode !== ErrorCode.NONE) {
        this.resetAndPropagateAssignmentError(group, errorCode)
        this.maybePrepareRebalance(group, 'error when storing the group assignment')
        return
      }
      for (const member of group.members.values()) member.assignment = assignment.get(member.memberId) ?? EMPTY
      this.propagateAssignment(group, ErrorCode.NONE)
      group.transitionTo('Stable', this.deps.clock.nowMs())
    })
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, errorCode: number): void {
    for (const member of group.members.values()) member.assignment = EMPTY
    this.propagateAssignment(group, errorCode)
  }

  private propagateAssignment(group: GroupMetadata, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE
    for (const member of group.members.values()) {
      const answered = group.completeSync(member, {
        errorCode, protocolType: ok ? group.protocolType : null, protocolName: ok ? group.protocolName : null, assignment: member.assignment,
      })
      // A member's session may have expired while it waited for the assignment; restart it.
      if (answered) this.scheduleHeartbeat(group, member)
    }
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.pendingSyncMembers.delete(memberId)
    if (group.pendingSyncMembers.size === 0) {
      group.syncTask?.cancel()
      group.syncTask = null
    }
  }

  // ---------------------------------------------------------------- Heartbeat and sessions

  heartbeat(params: HeartbeatParams): number {
    const status = this.groupStatus(params.groupId, false)
    // While loading, a heartbeat is answered blindly: the group's state is not known yet.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE
    if (status !== ErrorCode.NONE) return status
    const group = this.groups.get(params.groupId)
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const error = validateCurrentMember(group, params.memberId, params.groupInstanceId)
    if (error !== ErrorCode.NONE) return error
    if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return ErrorCode.UNKNOWN_MEMBER_ID
      case 'CompletingRebalance':
      case 'Stable':
        this.scheduleHeartbeat(group, group.get(params.memberId))
        return ErrorCode.NONE
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, group.get(params.memberId))
        return ErrorCode.REBALANCE_IN_PROGRESS
    }
  }

  private scheduleHeartbeat(group: GroupMetadata, member: MemberMetadata, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeatTask?.cancel()
    member.heartbeatTask = this.deps.scheduler.schedule(timeoutMs, () => {
      member.heartbeatTask = null
      this.onExpireHeartbeat(group, member)
    })
  }

  private onExpireHeartbeat(group: GroupMetadata, member: MemberMetadata): void {
    if (group.is('Dead') || group.members.get(member.memberId) !== member) return
    // Members taking part in a rebalance need not heartbeat; new ones must finish joining first.
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) return
    this.log.info({ group: group.groupId, memberId: member.memberId }, 'member failed its session, removing it from the group')
    this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`)
  }

  private onExpirePendingMember(group: GroupMetadata, memberId: string): void {
    if (group.is('Dead') || !group.isPendingMember(memberId)) return
    this.removePendingMemberAndUpdateGroup(group, memberId)
  }

  private removePendingMemberAndUpdateGroup(group: GroupMetadata, memberId: string): void {
    group.pendingMembers.get(memberId)?.cancel()
    group.pendingMembers.delete(memberId)
    this.tryCompleteJoin(group)
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    // A member may go while its JoinGroup or SyncGroup is parked: answer it so the client rejoins.
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID))
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    group.remove(member.memberId)
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason)
        break
      case 'PreparingRebalance':
        this.tryCompleteJoin(group)
        break
      case 'Empty':
      case 'Dead':
        break
    }
  }

  // ---------------------------------------------------------------- LeaveGroup

  leaveGroup(groupId: string, leaving: readonly MemberIdentity[]): LeaveGroupResult {
    const status = this.groupStatus(groupId, false)
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] }
    const group = this.groups.get(groupId)
    if (group === undefined) {
      return { errorCode: ErrorCode.NONE, members: leaving.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) }
    }
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    const members = leaving.map((identity) => ({ ...identity, errorCode: this.leaveOne(group, identity) }))
    return { errorCode: ErrorCode.NONE, members }
  }

  private leaveOne(group: GroupMetadata, identity: MemberIdentity): number {
    if (identity.memberId === UNKNOWN_MEMBER_ID) {
      // KIP-345 administrative removal of a static member by group.instance.id alone.
      const current = identity.groupInstanceId === null ? undefined : group.staticMemberId(identity.groupInstanceId)
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      this.removeMemberAndUpdateGroup(group, group.get(current), `static member ${identity.groupInstanceId} removed by LeaveGroup`)
      return ErrorCode.NONE
    }
    if (group.isPendingMember(identity.memberId)) {
      this.removePendingMemberAndUpdateGroup(group, identity.memberId)
      return ErrorCode.NONE
    }
    const error = validateCurrentMember(group, identity.memberId, identity.groupInstanceId)
    if (error !== ErrorCode.NONE) return error
    this.removeMemberAndUpdateGroup(group, group.get(identity.memberId), `member ${identity.memberId} left the group`)
    return ErrorCode.NONE
  }

  // ---------------------------------------------------------------- Offsets

  /** Resolves with one error code per entry of params.offsets, after the commit is in the log. */
  async commitOffsets(params: OffsetCommitParams): Promise<number[]> {
    const all = (code: number) => params.offsets.map(() => code)
    const status = this.groupStatus(params.groupId, true)
    if (status !== ErrorCode.NONE) return all(status)
    let group = this.groups.get(params.groupId)
    if (group === undefined) {
      // A group id never seen: a simple consumer (no generation) may store offsets; anyone else is stale.
      if (params.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION)
      group = this.addGroup(params.groupId)
    }
    const error = validateOffsetCommit(group, params)
    if (error !== ErrorCode.NONE) return all(error)
    switch (group.state) {
      case 'Empty':
        return this.storeOffsets(group, params)
      case 'Stable':
      case 'PreparingRebalance':
        // Commits stay allowed while rebalancing: the next heartbeat tells the member to rejoin.
        this.scheduleHeartbeat(group, group.get(params.memberId))
        return this.storeOffsets(group, params)
      case 'CompletingRebalance':
        return all(ErrorCode.REBALANCE_IN_PROGRESS)
      case 'Dead':
        return all(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    }
  }

  private async storeOffsets(group: GroupMetadata, params: OffsetCommitParams): Promise<number[]> {
    const nowMs = this.deps.clock.nowMs()
    const results: number[] = params.offsets.map(() => ErrorCode.NONE)
    const records: CoordinatorRecord[] = []
    const accepted: { index: number; entry: OffsetCommitEntry; committed: Omit<CommittedOffset, 'recordOffset'> }[] = []
    const expireTimestampMs = params.retentionTimeMs === -1 ? null : nowMs + params.retentionTimeMs
    params.offsets.forEach((entry, index) => {
      const metadata = entry.metadata ?? ''
      // Kafka measures the metadata in UTF-16 code units (String.length).
      if (metadata.length > this.config.offsetMetadataMaxBytes) {
        results[index] = ErrorCode.OFFSET_METADATA_TOO_LARGE
        return
      }
      const committed = { offset: entry.offset, leaderEpoch: entry.leaderEpoch, metadata, commitTimestampMs: nowMs, expireTimestampMs }
      records.push(offsetCommitRecord(group.groupId, entry.topic, entry.partition, {
        offset: entry.offset, leaderEpoch: entry.leaderEpoch, metadata, commitTimestamp: BigInt(nowMs),
        expireTimestamp: expireTimestampMs === null ? -1n : BigInt(expireTimestampMs),
      }))
      accepted.push({ index, entry, committed })
    })
    if (accepted.length === 0) return results
    for (const { entry } of accepted) group.prepareOffsetCommit(entry.topic, entry.partition)
    let errorCode: number = ErrorCode.NONE
    let baseOffset = -1
    try {
      baseOffset = await this.deps.store.append(group.partition, records, nowMs)
    } catch (error) {
      errorCode = this.appendErrorCode(error, 'offsets')
    }
    accepted.forEach(({ index, entry, committed }, position) => {
      // A commit whose partition's offsets were deleted while it was appending stays deleted.
      const stillPending = group.finishOffsetCommit(entry.topic, entry.partition)
      if (errorCode === ErrorCode.NONE && stillPending && !group.is('Dead')) {
        group.putOffset(entry.topic, entry.partition, { ...committed, recordOffset: baseOffset + position })
      }
      results[index] = errorCode
    })
    return results
  }

  fetchOffsets(groupId: string, partitions: readonly TopicPartition[] | null, requireStable: boolean): OffsetFetchResult {
    const status = this.groupStatus(groupId, true)
    if (status !== ErrorCode.NONE) return { errorCode: status, offsets: [] }
    const group = this.groups.get(groupId)
    if (group === undefined || group.is('Dead')) {
      return { errorCode: ErrorCode.NONE, offsets: (partitions ?? []).map((tp) => noOffset(tp, ErrorCode.NONE)) }
    }
    const wanted = partitions ?? group.allOffsets().map(({ topic, partition }) => ({ topic, partition }))
    const offsets = wanted.map((tp): FetchedOffset => {
      if (requireStable && group.hasPendingOffsetCommit(tp.topic, tp.partition)) return noOffset(tp, ErrorCode.UNSTABLE_OFFSET_COMMIT)
      const committed = group.offset(tp.topic, tp.partition)
      if (committed === undefined) return noOffset(tp, ErrorCode.NONE)
      return {
        topic: tp.topic, partition: tp.partition, offset: committed.offset, leaderEpoch: committed.leaderEpoch,
        metadata: committed.metadata, errorCode: ErrorCode.NONE,
      }
    })
    return { errorCode: ErrorCode.NONE, offsets }
  }

  /** OffsetDelete: removes committed offsets of partitions the group does not consume. */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<OffsetDeleteResult> {
    const status = this.groupStatus(groupId, false)
    if (status !== ErrorCode.NONE) return { errorCode: status, partitionErrors: [] }
    const group = this.groups.get(groupId)
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitionErrors: [] }
    const partitionErrors = partitions.map((): number => ErrorCode.NONE)
    let eligible: TopicPartition[]
    if (group.is('Empty')) {
      eligible = [...partitions]
    } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE) {
      eligible = []
      partitions.forEach((tp, index) => {
        if (group.isSubscribedToTopic(tp.topic)) partitionErrors[index] = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
        else eligible.push(tp)
      })
    } else {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitionErrors: [] }
    }
    if (eligible.length > 0) {
      await this.cleanupGroupMetadata([group], (target) => eligible.filter((tp) => target.removeOffset(tp.topic, tp.partition) !== undefined))
    }
    return { errorCode: ErrorCode.NONE, partitionErrors }
  }

  /** A topic was deleted: its committed offsets go from every group, as Kafka's handleDeletedPartitions. */
  async onTopicDeleted(topic: string): Promise<void> {
    const groups = [...this.groups.values()].filter((group) => group.offsets.has(topic))
    await this.cleanupGroupMetadata(groups, (group) => {
      const removed = [...group.offsets.get(topic)?.keys() ?? []].map((partition) => ({ topic, partition }))
      for (const tp of removed) group.removeOffset(tp.topic, tp.partition)
      return removed
    })
  }

  // ---------------------------------------------------------------- Describe, list, delete

  describeGroup(groupId: string): GroupSummary {
    const status = this.groupStatus(groupId, true)
    if (status !== ErrorCode.NONE) {
      return { errorCode: status, groupId, state: '', protocolType: '', protocolData: '', members: [] }
    }
    const group = this.groups.get(groupId)
    if (group === undefined) {
      return { errorCode: ErrorCode.NONE, groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] }
    }
    const protocol = group.is('Stable') ? group.protocolName : null
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: protocol ?? '',
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost,
        metadata: protocol === null ? EMPTY : member.metadata(protocol), assignment: protocol === null ? EMPTY : member.assignment,
      })),
    }
  }

  /** ListGroups: every cached group, optionally filtered by state and type (case-insensitive). */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListGroupsResult {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
    const errorCode = this.isLoading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE
    const types = new Set(typesFilter.map((type) => type.toLowerCase()))
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return { errorCode, groups: [] }
    const states = new Set(statesFilter.map((state) => state.toLowerCase()))
    const groups = [...this.groups.values()]
      .filter((group) => states.size === 0 || states.has(group.state.toLowerCase()))
      .map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? '', state: group.state }))
    return { errorCode, groups }
  }

  /** DeleteGroups: only empty groups go; their metadata and offsets get tombstones. */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const errors = new Map<string, number>()
    const eligible: GroupMetadata[] = []
    for (const groupId of groupIds) {
      if (errors.has(groupId)) continue
      const status = this.groupStatus(groupId, true)
      if (status !== ErrorCode.NONE) {
        errors.set(groupId, status)
        continue
      }
      const group = this.groups.get(groupId)
      if (group === undefined || group.is('Dead')) {
        errors.set(groupId, ErrorCode.GROUP_ID_NOT_FOUND)
      } else if (group.is('Empty')) {
        group.transitionTo('Dead', this.deps.clock.nowMs())
        eligible.push(group)
        errors.set(groupId, ErrorCode.NONE)
      } else {
        errors.set(groupId, ErrorCode.NON_EMPTY_GROUP)
      }
    }
    await this.cleanupGroupMetadata(eligible, (group) => {
      const removed = group.allOffsets().map(({ topic, partition }) => ({ topic, partition }))
      for (const tp of removed) group.removeOffset(tp.topic, tp.partition)
      group.pendingOffsetCommits.clear()
      return removed
    })
    return groupIds.map((groupId) => ({ groupId, errorCode: errors.get(groupId)! }))
  }

  /**
   * Removes the offsets `select` picks from each group, drops groups left empty with no offsets,
   * and appends the tombstones. Like Kafka, failures to append are logged, not reported.
   */
  private async cleanupGroupMetadata(groups: readonly GroupMetadata[], select: (group: GroupMetadata) => TopicPartition[]): Promise<number> {
    const nowMs = this.deps.clock.nowMs()
    const appends: Promise<unknown>[] = []
    let removedCount = 0
    for (const group of groups) {
      const removed = select(group)
      removedCount += removed.length
      if (group.is('Empty') && !group.hasOffsets) group.transitionTo('Dead', nowMs)
      const records = removed.map((tp) => offsetTombstone(group.groupId, tp.topic, tp.partition))
      if (group.is('Dead')) {
        if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId)
        this.cancelGroupTasks(group)
        records.push(groupTombstone(group.groupId))
      }
      if (records.length === 0) continue
      appends.push(this.deps.store.append(group.partition, records, nowMs).catch((error: unknown) => {
        this.log.warn({ err: error, group: group.groupId }, 'failed to append tombstones to __consumer_offsets')
      }))
    }
    await Promise.all(appends)
    return removedCount
  }

  // ---------------------------------------------------------------- Offset expiration

  private scheduleOffsetExpiration(): void {
    // Fixed rate, as Kafka's scheduler: the next check is armed before this one runs.
    this.expirationTask = this.deps.scheduler.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.scheduleOffsetExpiration()
      void this.cleanupExpiredOffsets()
    })
  }

  /** One pass of offsets.retention.minutes expiry over every loaded group; resolves with the count removed. */
  private cleanupExpiredOffsets(): Promise<number> {
    const nowMs = this.deps.clock.nowMs()
    const groups = [...this.groups.values()].filter((group) => this.partitions.get(group.partition)?.state === 'active')
    return this.cleanupGroupMetadata(groups, (group) => this.removeExpiredOffsets(group, nowMs)).then((removed) => {
      if (removed > 0) this.log.info({ removed }, 'removed expired offsets')
      return removed
    })
  }

  /** Kafka's rules (KIP-211): when a group's offsets may expire, and from which timestamp. */
  private removeExpiredOffsets(group: GroupMetadata, nowMs: number): TopicPartition[] {
    let since: (committed: CommittedOffset) => number
    let subscribed: ReadonlySet<string> = new Set()
    if (group.protocolType !== null && group.is('Empty')) {
      // No members: retention counts from when the group became empty.
      since = (committed) => group.currentStateTimestampMs ?? committed.commitTimestampMs
    } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.is('Stable')) {
      // Active consumers: only offsets of topics nobody subscribes to expire, from their commit.
      since = (committed) => committed.commitTimestampMs
      subscribed = group.subscribedTopics
    } else if (group.protocolType === null) {
      // Simple (group-less) consumer: from each commit.
      since = (committed) => committed.commitTimestampMs
    } else {
      return []
    }
    const expired: TopicPartition[] = []
    for (const { topic, partition, committed } of group.allOffsets()) {
      if (subscribed.has(topic) || group.hasPendingOffsetCommit(topic, partition)) continue
      const isExpired = committed.expireTimestampMs === null
        ? nowMs - since(committed) >= this.config.offsetsRetentionMs
        : nowMs >= committed.expireTimestampMs
      if (isExpired) expired.push({ topic, partition })
    }
    for (const tp of expired) group.removeOffset(tp.topic, tp.partition)
    return expired
  }

  // ---------------------------------------------------------------- persistence helpers

  private async storeGroup(group: GroupMetadata, assignment: ReadonlyMap<string, Buffer>): Promise<number> {
    const protocol = group.protocolName
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.currentStateTimestampMs ?? -1),
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeout: member.rebalanceTimeoutMs,
        sessionTimeout: member.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY : member.metadata(protocol),
        assignment: assignment.get(member.memberId) ?? EMPTY,
      })),
    }
    try {
      await this.deps.store.append(group.partition, [groupMetadataRecord(group.groupId, value)], this.deps.clock.nowMs())
      return ErrorCode.NONE
    } catch (error) {
      return this.appendErrorCode(error, 'group')
    }
  }

  /** Kafka's mapping of log-append errors to what group and commit requests answer. */
  private appendErrorCode(error: unknown, purpose: 'group' | 'offsets'): number {
    if (!(error instanceof KafkaError)) {
      this.log.error({ err: error }, 'unexpected error appending to __consumer_offsets')
      return ErrorCode.UNKNOWN_SERVER_ERROR
    }
    switch (error.code) {
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      case ErrorCode.NOT_ENOUGH_REPLICAS:
      case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
      case ErrorCode.REQUEST_TIMED_OUT:
        return purpose === 'group' ? ErrorCode.COORDINATOR_NOT_AVAILABLE : error.code
      case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      case ErrorCode.KAFKA_STORAGE_ERROR:
        return ErrorCode.NOT_COORDINATOR
      case ErrorCode.MESSAGE_TOO_LARGE:
      case ErrorCode.RECORD_LIST_TOO_LARGE:
      case ErrorCode.INVALID_FETCH_SIZE:
        return purpose === 'group' ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.INVALID_COMMIT_OFFSET_SIZE
      default:
        return error.code
    }
  }
}

// ------------------------------------------------------------------ validation and results

/** Static members are fenced when their instance id now maps to another member id (KIP-345). */
function validateCurrentMember(group: GroupMetadata, memberId: string, groupInstanceId: string | null): number {
  if (group.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID
  if (!group.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
  return ErrorCode.NONE
}

function validateSyncGroup(group: GroupMetadata, params: SyncGroupParams): number {
  const error = validateCurrentMember(group, params.memberId, params.groupInstanceId)
  if (error !== ErrorCode.NONE) return error
  if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
  if (params.protocolType !== null && params.protocolType !== group.protocolType) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
  if (params.protocolName !== null && params.protocolName !== group.protocolName) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
  return ErrorCode.NONE
}

function validateOffsetCommit(group: GroupMetadata, params: OffsetCommitParams): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
  if (params.generationId >= 0 || params.memberId !== UNKNOWN_MEMBER_ID || params.groupInstanceId !== null) {
    const error = validateCurrentMember(group, params.memberId, params.groupInstanceId)
    if (error !== ErrorCode.NONE) return error
    if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    return ErrorCode.NONE
  }
  // Without member id and generation only a group with no members may be committed to.
  return group.is('Empty') ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
}

function currentGenerationJoinResult(group: GroupMetadata, memberId: string, withMembers: boolean): JoinGroupResult {
  return {
    errorCode: ErrorCode.NONE, memberId, generationId: group.generationId, protocolType: group.protocolType,
    protocolName: group.protocolName, leaderId: group.leaderId ?? '', skipAssignment: false,
    members: withMembers ? group.currentMemberMetadata() : [],
  }
}

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode, memberId, generationId: UNKNOWN_GENERATION_ID, protocolType: null, protocolName: null,
    leaderId: UNKNOWN_MEMBER_ID, skipAssignment: false, members: [],
  }
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY }
}

function noOffset(tp: TopicPartition, errorCode: number): FetchedOffset {
  return { topic: tp.topic, partition: tp.partition, offset: NO_OFFSET, leaderEpoch: NO_LEADER_EPOCH, metadata: '', errorCode }
}

/** Request buffers are views of the whole frame; keep copies so a member does not pin frames. */
function copyProtocols(protocols: readonly Protocol[]): Protocol[] {
  return protocols.map((protocol) => ({ name: protocol.name, metadata: Buffer.from(protocol.metadata) }))
}

// ------------------------------------------------------------------ loading

/** Replays one partition's records (last record per key wins; null values are tombstones). */
class PartitionLoader {
  private readonly groupValues = new Map<string, GroupMetadataValue>()
  private readonly offsets = new Map<string, Map<string, { topic: string; partition: number; committed: CommittedOffset }>>()
  private corruptRecords = 0

  constructor(private readonly partition: number, private readonly log: Logger) {}

  apply(recordOffset: number, key: Buffer | null, value: Buffer | null): void {
    let parsed
    try {
      parsed = parseCoordinatorRecord(key, value)
    } catch (error) {
      if (this.corruptRecords++ === 0) {
        this.log.error({ err: error, partition: this.partition, offset: recordOffset }, 'skipping undecodable __consumer_offsets record')
      }
      return
    }
    if (parsed.kind === 'group') {
      if (parsed.value === null) this.groupValues.delete(parsed.group)
      else this.groupValues.set(parsed.group, parsed.value)
    } else if (parsed.kind === 'offset') {
      const tpKey = `${parsed.topic}\u0000${parsed.partition}`
      let byGroup = this.offsets.get(parsed.group)
      if (parsed.value === null) {
        byGroup?.delete(tpKey)
        return
      }
      if (byGroup === undefined) this.offsets.set(parsed.group, (byGroup = new Map()))
      const stored = parsed.value
      byGroup.set(tpKey, {
        topic: parsed.topic, partition: parsed.partition,
        committed: {
          offset: stored.offset, leaderEpoch: stored.leaderEpoch, metadata: stored.metadata,
          commitTimestampMs: Number(stored.commitTimestamp),
          expireTimestampMs: stored.expireTimestamp === -1n ? null : Number(stored.expireTimestamp),
          recordOffset,
        },
      })
    }
  }

  /** The groups as of the end of the log: with metadata, or Empty holders of offsets only. */
  groups(nowMs: number): GroupMetadata[] {
    if (this.corruptRecords > 0) this.log.error({ partition: this.partition, count: this.corruptRecords }, 'skipped undecodable records')
    const groups: GroupMetadata[] = []
    for (const [groupId, value] of this.groupValues) groups.push(this.groupFromValue(groupId, value, nowMs))
    for (const [groupId, byPartition] of this.offsets) {
      if (byPartition.size === 0 || this.groupValues.has(groupId)) continue
      groups.push(new GroupMetadata(groupId, this.partition, 'Empty', nowMs))
    }
    for (const group of groups) {
      for (const { topic, partition, committed } of this.offsets.get(group.groupId)?.values() ?? []) {
        group.putOffset(topic, partition, committed)
      }
    }
    return groups
  }

  private groupFromValue(groupId: string, value: GroupMetadataValue, nowMs: number): GroupMetadata {
    const group = new GroupMetadata(groupId, this.partition, value.members.length === 0 ? 'Empty' : 'Stable', nowMs)
    const protocolType = value.protocolType === '' ? null : value.protocolType
    group.generationId = value.generation
    group.protocolName = value.protocol
    for (const stored of value.members) {
      const member = new MemberMetadata(stored.memberId, stored.groupInstanceId, stored.clientId, stored.clientHost,
        // Version 0 records had no rebalance timeout: the session timeout served as both.
        stored.rebalanceTimeout === -1 ? stored.sessionTimeout : stored.rebalanceTimeout, stored.sessionTimeout,
        value.protocolType, [{ name: value.protocol ?? '', metadata: Buffer.from(stored.subscription) }])
      member.assignment = Buffer.from(stored.assignment)
      group.add(member, null)
    }
    group.protocolType = protocolType
    group.leaderId = value.leader
    group.currentStateTimestampMs = value.currentStateTimestamp === -1n ? null : Number(value.currentStateTimestamp)
    group.subscribedTopics = group.computeSubscribedTopics()
    return group
  }
}
