// The in-memory state of one classic-protocol group and its members (Kafka's GroupMetadata and
// MemberMetadata). Pure data plus the bookkeeping that must stay consistent with it (leader,
// protocol vote counts, static-member index, awaiting-join count); the rebalance logic that
// drives it lives in group-coordinator.ts.
//
// States and the transitions Kafka allows (GroupState.validPreviousStates):
//   Empty               ← PreparingRebalance
//   PreparingRebalance  ← Stable | CompletingRebalance | Empty
//   CompletingRebalance ← PreparingRebalance
//   Stable              ← CompletingRebalance
//   Dead                ← any
import assert from 'node:assert/strict'
import { decodeConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol.js'
import { Reader } from '../../protocol/reader.js'
import type { ScheduledTask } from './scheduler.js'

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

const VALID_PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
}

/** The protocol type of the Java/librdkafka/kafkajs consumer (ConsumerProtocol.PROTOCOL_TYPE). */
export const CONSUMER_PROTOCOL_TYPE = 'consumer'

export interface Protocol {
  readonly name: string
  readonly metadata: Buffer
}

export interface JoinGroupMemberInfo {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly metadata: Buffer
}

export interface JoinGroupResult {
  errorCode: number
  memberId: string
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leaderId: string
  skipAssignment: boolean
  members: JoinGroupMemberInfo[]
}

export interface SyncGroupResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

const EMPTY = Buffer.alloc(0)

export class MemberMetadata {
  assignment: Buffer = EMPTY
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null
  awaitingSync: ((result: SyncGroupResult) => void) | null = null
  /** Joined but not yet through a completed join phase (KIP-394 expiry applies). */
  isNew = false
  heartbeatTask: ScheduledTask | null = null

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: Protocol[],
  ) {}

  get isStaticMember(): boolean {
    return this.groupInstanceId !== null
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null
  }

  /** The member's metadata for protocol; the protocol was selected among the ones it supports. */
  metadata(protocol: string): Buffer {
    const found = this.supportedProtocols.find((candidate) => candidate.name === protocol)
    assert.ok(found !== undefined, `member ${this.memberId} does not support protocol ${protocol}`)
    return found.metadata
  }

  /** Whether a rejoin carries exactly the protocols (names, order and metadata) already known. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false
    return protocols.every((protocol, index) => {
      const known = this.supportedProtocols[index]!
      return known.name === protocol.name && known.metadata.equals(protocol.metadata)
    })
  }

  /** The first protocol in the member's preference order that every member supports. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.supportedProtocols.find((protocol) => candidates.has(protocol.name))
    assert.ok(choice !== undefined, `member ${this.memberId} supports none of the candidate protocols`)
    return choice.name
  }
}

/** A committed offset as cached from (and written to) __consumer_offsets. */
export interface CommittedOffset {
  readonly offset: bigint
  readonly leaderEpoch: number
  readonly metadata: string
  readonly commitTimestampMs: number
  /** Only for commits that asked for an explicit retention (OffsetCommit v2-4); else null. */
  readonly expireTimestampMs: number | null
  /** Log offset of the record that holds this commit; a later record always wins. */
  readonly recordOffset: number
}

export class GroupMetadata {
  state: GroupState
  /** When the group entered its state; null for groups loaded from records that predate the field. */
  currentStateTimestampMs: number | null
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, MemberMetadata>()
  /** group.instance.id → current member id. */
  readonly staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined (KIP-394), with their expiry. */
  readonly pendingMembers = new Map<string, ScheduledTask>()
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>()
  numMembersAwaitingJoin = 0
  /** Protocol name → number of members supporting it. */
  private readonly supportedProtocols = new Map<string, number>()
  /** Set when a member joined during the initial rebalance delay (extends the delay). */
  newMemberAdded = false
  /** Topics the members subscribe to, when every member's subscription could be parsed. */
  subscribedTopics: Set<string> | null = null
  /** Pending join-phase deadline (initial delay or rebalance timeout). */
  joinTask: ScheduledTask | null = null
  joinTaskIsInitialDelay = false
  /** Pending deadline for SyncGroup from every member of the generation. */
  syncTask: ScheduledTask | null = null
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>()
  /** "topic\0partition" → number of commits appending for it. */
  readonly pendingOffsetCommits = new Map<string, number>()

  constructor(readonly groupId: string, readonly partition: number, state: GroupState, nowMs: number) {
    this.state = state
    this.currentStateTimestampMs = nowMs
  }

  is(state: GroupState): boolean {
    return this.state === state
  }

  transitionTo(state: GroupState, nowMs: number): void {
    assert.ok(VALID_PREVIOUS_STATES[state].includes(this.state),
      `group ${this.groupId}: invalid transition ${this.state} -> ${state}`)
    this.state = state
    this.currentStateTimestampMs = nowMs
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state)
  }

  has(memberId: string): boolean {
    return this.members.has(memberId)
  }

  get(memberId: string): MemberMetadata {
    const member = this.members.get(memberId)
    assert.ok(member !== undefined, `group ${this.groupId} has no member ${memberId}`)
    return member
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId)
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId)
  }

  /** A static member whose instance id now belongs to another member id is fenced. */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false
    const current = this.staticMembers.get(groupInstanceId)
    return current !== undefined && current !== memberId
  }

  add(member: MemberMetadata, onJoin: ((result: JoinGroupResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    assert.equal(this.protocolType, member.protocolType, 'joining member has the group protocol type')
    if (this.leaderId === null) this.leaderId = member.memberId
    this.members.set(member.memberId, member)
    this.countProtocols(member, 1)
    member.awaitingJoin = onJoin
    if (onJoin !== null) this.numMembersAwaitingJoin++
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    this.pendingMembers.get(member.memberId)?.cancel()
    this.pendingMembers.delete(member.memberId)
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId)
    if (member === undefined) return
    this.countProtocols(member, -1)
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin--
    member.heartbeatTask?.cancel()
    member.heartbeatTask = null
    this.members.delete(memberId)
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId)
    }
    this.pendingSyncMembers.delete(memberId)
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null
  }

  /** Gives a static member's slot to a new member id (a restarted instance); the old id is fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.get(oldMemberId)
    this.members.delete(oldMemberId)
    member.memberId = newMemberId
    this.members.set(newMemberId, member)
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId
    this.staticMembers.set(groupInstanceId, newMemberId)
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId)
    return member
  }

  updateMember(
    member: MemberMetadata, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number,
    onJoin: ((result: JoinGroupResult) => void) | null,
  ): void {
    this.countProtocols(member, -1)
    member.supportedProtocols = protocols
    this.countProtocols(member, 1)
    member.rebalanceTimeoutMs = rebalanceTimeoutMs
    member.sessionTimeoutMs = sessionTimeoutMs
    if (onJoin !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++
    else if (onJoin === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--
    member.awaitingJoin = onJoin
  }

  /** Answers the member's parked JoinGroup, if any. */
  completeJoin(member: MemberMetadata, result: JoinGroupResult): void {
    const callback = member.awaitingJoin
    if (callback === null) return
    member.awaitingJoin = null
    this.numMembersAwaitingJoin--
    callback(result)
  }

  /** Answers the member's parked SyncGroup, if any; returns whether there was one. */
  completeSync(member: MemberMetadata, result: SyncGroupResult): boolean {
    const callback = member.awaitingSync
    if (callback === null) return false
    member.awaitingSync = null
    callback(result)
    return true
  }

  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0
  }

  /** Members that did not rejoin in the current join phase. */
  notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((member) => !member.isAwaitingJoin)
  }

  /** Largest rebalance timeout among members: how long a join phase may wait. */
  get rebalanceTimeoutMs(): number {
    let timeout = 0
    for (const member of this.members.values()) timeout = Math.max(timeout, member.rebalanceTimeoutMs)
    return timeout
  }

  /** Keeps a leader that rejoined, else picks any member that did; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false
    if (this.members.get(this.leaderId)?.isAwaitingJoin) return true
    const joined = [...this.members.values()].find((member) => member.isAwaitingJoin)
    if (joined === undefined) return false
    this.leaderId = joined.memberId
    return true
  }

  /** Kafka's supportsProtocols: a joining member must share a protocol with everyone else. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0
    return this.protocolType === protocolType
      && protocols.some((protocol) => this.supportedProtocols.get(protocol.name) === this.members.size)
  }

  /** The protocol with the most first-choice votes among those all members support. */
  selectProtocol(): string {
    assert.ok(this.members.size > 0, 'cannot select a protocol for an empty group')
    const candidates = new Set<string>()
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name)
    const votes = new Map<string, number>()
    for (const member of this.members.values()) {
      const choice = member.vote(candidates)
      votes.set(choice, (votes.get(choice) ?? 0) + 1)
    }
    let best: string | null = null
    let bestVotes = -1
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name
        bestVotes = count
      }
    }
    return best!
  }

  /** Moves to the next generation after a join phase: CompletingRebalance, or Empty when nobody is left. */
  initNextGeneration(nowMs: number): void {
    this.generationId++
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo('CompletingRebalance', nowMs)
    } else {
      this.protocolName = null
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo('Empty', nowMs)
    }
    this.pendingSyncMembers.clear()
  }

  /** Members' protocol metadata for the selected protocol, for the leader's JoinGroup answer. */
  currentMemberMetadata(): JoinGroupMemberInfo[] {
    assert.ok(this.protocolName !== null, 'a protocol is selected')
    const protocol = this.protocolName
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId, groupInstanceId: member.groupInstanceId, metadata: member.metadata(protocol),
    }))
  }

  /**
   * The union of the members' subscriptions, when the group uses the consumer protocol and every
   * subscription parses; null otherwise (then OffsetDelete and expiration treat no topic as subscribed).
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.members.size === 0) return new Set()
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null
    const topics = new Set<string>()
    for (const member of this.members.values()) {
      const parsed = parseSubscriptionTopics(member.metadata(this.protocolName))
      if (parsed === null) return null
      for (const topic of parsed) topics.add(topic)
    }
    return topics
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics !== null && this.subscribedTopics.has(topic)
  }

  // ---- offsets

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition)
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0
  }

  /** Stores a commit read from, or appended to, the log unless a later record already holds the partition. */
  putOffset(topic: string, partition: number, committed: CommittedOffset): void {
    let byPartition = this.offsets.get(topic)
    const existing = byPartition?.get(partition)
    if (existing !== undefined && existing.recordOffset > committed.recordOffset) return
    if (byPartition === undefined) this.offsets.set(topic, (byPartition = new Map()))
    byPartition.set(partition, committed)
  }

  removeOffset(topic: string, partition: number): CommittedOffset | undefined {
    this.pendingOffsetCommits.delete(pendingKey(topic, partition))
    const byPartition = this.offsets.get(topic)
    const removed = byPartition?.get(partition)
    if (byPartition === undefined || removed === undefined) return undefined
    byPartition.delete(partition)
    if (byPartition.size === 0) this.offsets.delete(topic)
    return removed
  }

  allOffsets(): { topic: string; partition: number; committed: CommittedOffset }[] {
    const all = []
    for (const [topic, byPartition] of this.offsets) {
      for (const [partition, committed] of byPartition) all.push({ topic, partition, committed })
    }
    return all
  }

  prepareOffsetCommit(topic: string, partition: number): void {
    const key = pendingKey(topic, partition)
    this.pendingOffsetCommits.set(key, (this.pendingOffsetCommits.get(key) ?? 0) + 1)
  }

  /** Ends a pending commit; false when the partition's offsets were deleted meanwhile. */
  finishOffsetCommit(topic: string, partition: number): boolean {
    const key = pendingKey(topic, partition)
    const count = this.pendingOffsetCommits.get(key)
    if (count === undefined) return false
    if (count <= 1) this.pendingOffsetCommits.delete(key)
    else this.pendingOffsetCommits.set(key, count - 1)
    return true
  }

  hasPendingOffsetCommit(topic: string, partition: number): boolean {
    return this.pendingOffsetCommits.has(pendingKey(topic, partition))
  }

  private countProtocols(member: MemberMetadata, delta: number): void {
    for (const protocol of member.supportedProtocols) {
      const count = (this.supportedProtocols.get(protocol.name) ?? 0) + delta
      if (count === 0) this.supportedProtocols.delete(protocol.name)
      else this.supportedProtocols.set(protocol.name, count)
    }
  }
}

function pendingKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/**
 * Topics of a ConsumerProtocolSubscription (int16 version, then the struct). Versions above the
 * newest known one parse as the newest, as Kafka's ConsumerProtocol does; null when unparseable.
 */
export function parseSubscriptionTopics(metadata: Buffer): string[] | null {
  try {
    const reader = new Reader(metadata)
    const version = reader.int16()
    if (version < 0) return null
    return decodeConsumerProtocolSubscription(reader, Math.min(version, 3)).topics
  } catch {
    return null
  }
}
