// Shared by the consumer-group interop tests: group members of each client library (kafkajs and
// @platformatic/kafka in this process, librdkafka via confluent-kafka in a Python process),
// a producer, the group's view from the coordinator (DescribeGroups over the wire), and the
// delivery checks: partitions split without overlap, every record consumed exactly once.
import assert from 'node:assert/strict'
import { Consumer as PlatformaticConsumer, stringDeserializers } from '@platformatic/kafka'
import { AssignerProtocol, Kafka, logLevel, PartitionAssigners, type Consumer, type PartitionAssigner } from 'kafkajs'
import { decodeConsumerProtocolAssignment } from '../../src/protocol/messages/consumer-protocol.js'
import type { DescribeGroupsResponse } from '../../src/protocol/messages/describe-groups.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../src/protocol/messages/offset-fetch.js'
import { Reader } from '../../src/protocol/reader.js'
import { PYTHON, pyScript } from '../helpers/paths.js'
import { pollUntil } from '../helpers/poll.js'
import { CapturedText, exitOf, signalChild, spawnTracked } from '../helpers/processes.js'
import { WireClient, createRequest } from '../helpers/wire-client.js'

/** Broker overrides that keep group tests fast: no initial delay, short sessions allowed. */
export const FAST_GROUP_OVERRIDES: Record<string, string> = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
}

export interface ConsumedRecord {
  readonly member: string
  readonly partition: number
  readonly offset: number
  readonly value: string
}

export interface GroupMember {
  readonly name: string
  /** Partitions of `topic` this member was last assigned, as the client reported them. */
  partitions(): number[]
  /** False while fetches issued under an earlier assignment may still deliver records. */
  isSettled(): boolean
  /** Clean stop: the client leaves the group (static librdkafka members do not send LeaveGroup). */
  stop(): Promise<void>
}

const DESCRIBE_GROUPS = 15
const OFFSET_FETCH = 9

export interface DescribedMember {
  readonly memberId: string
  readonly clientId: string
  readonly groupInstanceId: string | null
  readonly partitions: number[]
}

export interface DescribedGroup {
  readonly state: string
  readonly members: DescribedMember[]
}

/** DescribeGroups v4 to the (single) broker, assignments decoded as consumer-protocol assignments. */
export async function describeGroup(host: string, port: number, groupId: string): Promise<DescribedGroup> {
  const client = await WireClient.connect(host, port)
  try {
    const request = createRequest<{ groups: string[]; includeAuthorizedOperations: boolean }>(DESCRIBE_GROUPS)
    request.groups = [groupId]
    const response = await client.request<DescribeGroupsResponse>(DESCRIBE_GROUPS, 4, request)
    const group = response.groups[0]!
    assert.equal(group.errorCode, 0)
    return {
      state: group.groupState,
      members: group.members.map((member) => ({
        memberId: member.memberId, clientId: member.clientId, groupInstanceId: member.groupInstanceId,
        partitions: decodePartitions(member.memberAssignment),
      })),
    }
  } finally {
    client.close()
  }
}

/** OffsetFetch v5 of one topic's partitions: committed offset per partition (-1 when none). */
export async function committedOffsets(host: string, port: number, groupId: string, topic: string, partitions: number): Promise<number[]> {
  const client = await WireClient.connect(host, port)
  try {
    const request = createRequest<OffsetFetchRequest>(OFFSET_FETCH)
    request.groupId = groupId
    request.topics = [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, index) => index) }]
    const response = await client.request<OffsetFetchResponse>(OFFSET_FETCH, 5, request)
    if (response.errorCode !== 0) throw new Error(`OffsetFetch error ${response.errorCode}`)
    return response.topics[0]!.partitions.map((partition) => Number(partition.committedOffset))
  } finally {
    client.close()
  }
}

function decodePartitions(assignment: Buffer): number[] {
  if (assignment.length === 0) return []
  const reader = new Reader(assignment)
  const version = reader.int16()
  const decoded = decodeConsumerProtocolAssignment(reader, Math.min(version, 3))
  return decoded.assignedPartitions.flatMap((tp) => tp.partitions).sort((a, b) => a - b)
}

/**
 * Waits until the coordinator reports the group Stable with `memberCount` members whose
 * assignments split all `partitionCount` partitions without overlap, none left idle; returns that view.
 */
export async function waitForStableSplit(
  host: string, port: number, groupId: string, memberCount: number, partitionCount: number, timeoutMs = 30_000,
): Promise<DescribedGroup> {
  return pollUntil(async () => {
    const group = await describeGroup(host, port, groupId)
    if (group.state !== 'Stable' || group.members.length !== memberCount) return null
    const all = group.members.flatMap((member) => member.partitions).sort((a, b) => a - b)
    if (all.length !== partitionCount || all.some((partition, index) => partition !== index)) return null
    if (partitionCount >= memberCount && group.members.some((member) => member.partitions.length === 0)) return null
    return group
  }, { timeoutMs, intervalMs: 100, message: `group ${groupId} stable with ${memberCount} members splitting ${partitionCount} partitions` })
}

/** Asserts the members' own views of their assignments agree with the coordinator's split. */
export async function waitForMembersToAgree(members: readonly GroupMember[], group: DescribedGroup, timeoutMs = 20_000): Promise<void> {
  const expected = group.members.map((member) => member.partitions.join(',')).sort()
  await pollUntil(() => {
    const reported = members.map((member) => member.partitions().join(',')).sort()
    return JSON.stringify(reported) === JSON.stringify(expected) && members.every((member) => member.isSettled())
  }, { timeoutMs, message: `members report the assignment ${JSON.stringify(expected)}` })
}

/** Every value in `expected` was consumed exactly once, across all members. */
export function assertExactlyOnce(consumed: readonly ConsumedRecord[], expected: readonly string[]): void {
  const counts = new Map<string, ConsumedRecord[]>()
  for (const record of consumed) {
    let list = counts.get(record.value)
    if (list === undefined) counts.set(record.value, (list = []))
    list.push(record)
  }
  const missing = expected.filter((value) => !counts.has(value))
  const duplicated = [...counts.entries()].filter(([, list]) => list.length > 1)
  assert.deepEqual(missing, [], `records never consumed: ${missing.slice(0, 10).join(', ')}`)
  assert.deepEqual(duplicated.map(([value, list]) => `${value} by ${list.map((r) => r.member).join('+')}`), [], 'records consumed more than once')
  assert.equal(consumed.length, expected.length, 'no records beyond the ones produced')
}

export function waitForCount(consumed: readonly ConsumedRecord[], count: number, timeoutMs = 30_000): Promise<boolean> {
  return pollUntil(() => consumed.length >= count, { timeoutMs, message: `${count} records consumed (have ${consumed.length})` })
}

// ------------------------------------------------------------------ producing

/** Produces `count` records `${prefix}-<i>` round-robin over the partitions; returns the values. */
export async function produceValues(bootstrap: string, topic: string, partitions: number, prefix: string, count: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'gregor-groups-producer', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  try {
    const values = Array.from({ length: count }, (_, index) => `${prefix}-${index}`)
    await producer.send({ topic, acks: -1, messages: values.map((value, index) => ({ value, partition: index % partitions })) })
    return values
  } finally {
    await producer.disconnect()
  }
}

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'gregor-groups-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

// ------------------------------------------------------------------ kafkajs

/** kafkajs' round-robin assigner under the protocol name librdkafka and platformatic use. */
const roundRobinNamed: PartitionAssigner = (config) => {
  const inner = PartitionAssigners.roundRobin(config)
  return {
    name: 'roundrobin',
    version: inner.version,
    assign: (group) => inner.assign(group),
    protocol: ({ topics }) => ({ name: 'roundrobin', metadata: AssignerProtocol.MemberMetadata.encode({ version: inner.version, topics, userData: Buffer.alloc(0) }) }),
  }
}

export interface MemberOptions {
  readonly bootstrap: string
  readonly groupId: string
  readonly topic: string
  readonly sessionTimeoutMs: number
}

export async function startKafkajsMember(name: string, options: MemberOptions, sink: ConsumedRecord[]): Promise<GroupMember> {
  const kafka = new Kafka({
    clientId: name, brokers: [options.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 },
  })
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId, sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: 250, rebalanceTimeout: 20_000,
    partitionAssigners: [roundRobinNamed], maxWaitTimeInMs: 200, retry: { retries: 10, initialRetryTime: 100 },
  })
  let partitions: number[] = []
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    partitions = [...(event.payload.memberAssignment[options.topic] ?? [])].sort((a, b) => a - b)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true })
  // Commit after every record (threshold 1), before the next one is processed.
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ partition, message }) => {
      sink.push({ member: name, partition, offset: Number(message.offset), value: message.value!.toString() })
    },
  })
  return { name, partitions: () => partitions, isSettled: () => true, stop: () => consumer.disconnect() }
}

// ------------------------------------------------------------------ @platformatic/kafka

export async function startPlatformaticMember(name: string, options: MemberOptions, sink: ConsumedRecord[]): Promise<GroupMember> {
  const consumer = new PlatformaticConsumer({
    groupId: options.groupId, clientId: name, bootstrapBrokers: [options.bootstrap], deserializers: stringDeserializers,
    sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: 250, rebalanceTimeout: 20_000, maxWaitTime: 200,
    // Its default subscription claims version 1 but carries only the version 0 fields, which
    // librdkafka then fails to parse when it leads the group; version 0 is what it encodes.
    protocols: [{ name: 'roundrobin', version: 0 }],
  })
  let partitions: number[] = []
  // The stream keeps one fetch in flight and does not drop records of partitions revoked while it
  // was out, so only the second fetch to complete after a join is known to follow the new assignment.
  let fetchesSinceJoin = 0
  consumer.on('consumer:group:join', (payload: { assignments?: { topic: string; partitions: number[] }[] }) => {
    if (payload.assignments === undefined) return
    partitions = payload.assignments.filter((a) => a.topic === options.topic).flatMap((a) => a.partitions).sort((a, b) => a - b)
    fetchesSinceJoin = 0
  })
  const stream = await consumer.consume({ topics: [options.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
  stream.on('fetch', () => { fetchesSinceJoin++ })
  const done = (async () => {
    for await (const message of stream) {
      sink.push({ member: name, partition: message.partition, offset: Number(message.offset), value: String(message.value) })
      await message.commit()
    }
  })()
  return {
    name,
    partitions: () => partitions,
    isSettled: () => fetchesSinceJoin >= 2,
    async stop() {
      await stream.close()
      await done
      await consumer.close()
    },
  }
}

// ------------------------------------------------------------------ librdkafka (confluent-kafka) or kafka-python

export interface PythonMember extends GroupMember {
  readonly pid: number
  /** Assign/revoke events so far. */
  readonly rebalances: { event: 'assigned' | 'revoked'; partitions: number[] }[]
  kill9(): Promise<void>
  stderr(): string
}

export async function startPythonMember(
  name: string, options: MemberOptions, sink: ConsumedRecord[],
  extra: { groupInstanceId?: string; strategy?: string; library?: 'confluent-kafka' | 'kafka-python' } = {},
): Promise<PythonMember> {
  const config = {
    bootstrap: options.bootstrap, group: options.groupId, topics: [options.topic], session_timeout_ms: options.sessionTimeoutMs,
    client_id: name, group_instance_id: extra.groupInstanceId, strategy: extra.strategy, library: extra.library,
  }
  const child = spawnTracked(PYTHON, [pyScript('groups_member.py'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const stderr = new CapturedText()
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.append(chunk))
  const exited = exitOf(child)
  const rebalances: PythonMember['rebalances'] = []
  // Eager assignors revoke everything and assign anew; cooperative ones add and remove increments.
  const partitions = new Set<number>()
  let ready = false
  let pending = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      if (line.trim() === '') continue
      const event = JSON.parse(line) as { event: string; partitions?: [string, number][]; partition?: number; offset?: number; value?: string }
      if (event.event === 'ready') ready = true
      if (event.event === 'record') sink.push({ member: name, partition: event.partition!, offset: event.offset!, value: event.value! })
      if (event.event === 'assigned' || event.event === 'revoked') {
        const listed = event.partitions!.filter(([topic]) => topic === options.topic).map(([, partition]) => partition)
        rebalances.push({ event: event.event, partitions: listed })
        for (const partition of listed) {
          if (event.event === 'assigned') partitions.add(partition)
          else partitions.delete(partition)
        }
      }
    }
  })
  await pollUntil(() => ready || child.exitCode !== null, { timeoutMs: 20_000, message: `python member ${name} started` })
  assert.ok(ready, `python member ${name} exited early: ${stderr}`)
  return {
    name,
    pid: child.pid!,
    rebalances,
    partitions: () => [...partitions].sort((a, b) => a - b),
    isSettled: () => true,
    stderr: () => stderr.toString(),
    async stop() {
      signalChild(child, 'SIGTERM')
      const status = await exited
      assert.equal(status.code, 0, `python member ${name} exited with ${status.code ?? status.signal}: ${stderr}`)
    },
    async kill9() {
      signalChild(child, 'SIGKILL')
      await exited
    },
  }
}
