// `gregor groups list | describe | reset-offsets | delete`, after kafka-consumer-groups.sh: the same
// columns and messages where Kafka has them. Every request goes to the group's coordinator
// (FindCoordinator); list asks every broker, since each coordinates its own share of groups.
// reset-offsets is a dry run unless --execute is given, and is refused while the group has members.
import { KafkaClient, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../client/kafka-client.js'
import type { Connection } from '../client/connection.js'
import { ErrorCode, errorName, KafkaError } from '../protocol/errors.js'
import { decodeConsumerProtocolAssignment } from '../protocol/messages/consumer-protocol.js'
import { DeleteGroups, createDeleteGroupsRequest } from '../protocol/messages/delete-groups.js'
import { DescribeGroups, createDescribeGroupsRequest, type DescribeGroupsResponse } from '../protocol/messages/describe-groups.js'
import { FindCoordinator, createFindCoordinatorRequest } from '../protocol/messages/find-coordinator.js'
import { ListGroups, createListGroupsRequest } from '../protocol/messages/list-groups.js'
import { OffsetCommit, createOffsetCommitRequest } from '../protocol/messages/offset-commit.js'
import { OffsetFetch, createOffsetFetchRequest } from '../protocol/messages/offset-fetch.js'
import { Reader } from '../protocol/reader.js'
import { BOOTSTRAP_OPTION, HELP_OPTION, parseCommandArgs } from './args.js'
import { CliError, usageError } from './cli-error.js'
import { write, type CliIo } from './io.js'
import { formatTable } from './table.js'

export const GROUPS_USAGE = `Usage: gregor groups <command> [options]

Commands:
  list [--state <state>]...              Group ids; with --state, a table filtered by state
  describe <group>... | --group <group>  Committed offset, log end offset and lag per partition,
                                         and the members with their client ids, hosts and assignments
  reset-offsets --group <group> (--topic <topic>[:<p>,<p>...]... | --all-topics)
                (--to-earliest | --to-latest | --to-datetime <date> | --to-offset <n> | --shift-by <n>)
                [--execute]              Dry run unless --execute; the group must have no members
  delete --group <group>...              Delete groups without members, with their offsets

Options:
  -b, --bootstrap-server <host:port>   Broker to connect to (default 127.0.0.1:9092)
  -h, --help                           Show this help

--to-datetime takes an ISO-8601 date such as 2026-01-31T12:00:00.000 (local time unless a zone is given).
`

const OPTIONS = {
  ...BOOTSTRAP_OPTION,
  ...HELP_OPTION,
  group: { type: 'string', short: 'g', multiple: true },
  state: { type: 'string', multiple: true },
  topic: { type: 'string', short: 't', multiple: true },
  'all-topics': { type: 'boolean' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-datetime': { type: 'string' },
  'to-offset': { type: 'string' },
  'shift-by': { type: 'string' },
  execute: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const

// The single-group form of OffsetFetch (v8+ batch groups); DescribeGroups v6+ (Kafka 4) changed
// how unknown groups are reported. ListGroups' state filter is applied here, for any version.
const VERSION_CAPS = { [OffsetFetch.apiKey]: 7, [DescribeGroups.apiKey]: 5 }

const INACTIVE_STATES = new Set(['Empty', 'Dead'])

export async function groupsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await write(sub === undefined ? io.stderr : io.stdout, GROUPS_USAGE)
    return sub === undefined ? 2 : 0
  }
  const { values, positionals } = parseCommandArgs(joinNegativeShift(rest), OPTIONS, true)
  if (values.help === true) {
    await write(io.stdout, GROUPS_USAGE)
    return 0
  }
  const groupIds = [...(values.group ?? []), ...positionals]
  const client = new KafkaClient({ bootstrapServers: values['bootstrap-server'], clientId: 'gregor-groups', maxVersions: VERSION_CAPS })
  const groups = new GroupsAdmin(client)
  try {
    switch (sub) {
      case 'list':
        await write(io.stdout, await listGroups(groups, values.state))
        return 0
      case 'describe': {
        if (groupIds.length === 0) throw usageError('describe needs a group (--group <group>)')
        const described = []
        for (const groupId of groupIds) described.push(await describeGroup(client, groups, groupId))
        await write(io.stdout, described.join('\n'))
        return 0
      }
      case 'reset-offsets':
        await write(io.stdout, await resetOffsets(client, groups, groupIds, values))
        if (values.execute !== true) {
          await write(io.stderr, 'WARN: No action was performed as the --execute option is missing (dry run).\n')
        }
        return 0
      case 'delete': {
        if (groupIds.length === 0) throw usageError('delete needs a group (--group <group>)')
        const results = await groups.deleteGroups(groupIds)
        const failed = results.filter((result) => result.errorCode !== ErrorCode.NONE)
        if (failed.length > 0) {
          const lines = failed.map((result) => `* Group '${result.groupId}' could not be deleted due to: ${errorName(result.errorCode)}`)
          throw new CliError('GREGOR_CLI_FAILED', `Deletion of some consumer groups failed:\n${lines.join('\n')}`)
        }
        await write(io.stdout, `Deletion of requested consumer groups (${groupIds.map((id) => `'${id}'`).join(', ')}) was successful.\n`)
        return 0
      }
      default:
        throw usageError(`unknown groups command '${sub}'\n\n${GROUPS_USAGE}`)
    }
  } finally {
    await client.close()
  }
}

// ------------------------------------------------------------------ the commands

async function listGroups(groups: GroupsAdmin, states: readonly string[] | undefined): Promise<string> {
  const listed = (await groups.listGroups()).sort((a, b) => a.groupId.localeCompare(b.groupId))
  if (states === undefined) return listed.map((group) => `${group.groupId}\n`).join('')
  const wanted = new Set(states.flatMap((state) => state.split(',')).map((state) => state.trim().toLowerCase()).filter((s) => s !== ''))
  const rows = listed
    .filter((group) => wanted.size === 0 || wanted.has(group.groupState.toLowerCase()))
    .map((group) => [group.groupId, group.groupState])
  return formatTable(['GROUP', 'STATE'], rows)
}

interface PartitionRow {
  topic: string
  partition: number
  committed: bigint | null
  member: Member | null
}

interface Member {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  partitions: { topic: string; partition: number }[]
}

async function describeGroup(client: KafkaClient, groups: GroupsAdmin, groupId: string): Promise<string> {
  const group = await groups.describeGroup(groupId)
  if (group.groupState === 'Dead') throw new CliError('GREGOR_CLI_FAILED', `Consumer group '${groupId}' does not exist.`)
  const members: Member[] = group.members.map((member) => ({
    memberId: member.memberId, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost,
    partitions: group.protocolType === 'consumer' ? assignedPartitions(member.memberAssignment) : [],
  }))
  const rows = new Map<string, PartitionRow>()
  for (const committed of await groups.committedOffsets(groupId)) {
    rows.set(`${committed.topic}\u0000${committed.partition}`, { ...committed, member: null })
  }
  for (const member of members) {
    for (const tp of member.partitions) {
      const key = `${tp.topic}\u0000${tp.partition}`
      const row = rows.get(key) ?? { topic: tp.topic, partition: tp.partition, committed: null, member: null }
      row.member = member
      rows.set(key, row)
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
  const table = []
  for (const row of sorted) {
    const logEndOffset = await logEndOffsetOf(client, row.topic, row.partition)
    const lag = row.committed === null || logEndOffset === null ? '-' : String(logEndOffset - row.committed)
    table.push([
      groupId, row.topic, String(row.partition), row.committed === null ? '-' : String(row.committed),
      logEndOffset === null ? '-' : String(logEndOffset), lag,
      row.member?.memberId ?? '-', row.member?.clientHost ?? '-', row.member?.clientId ?? '-',
    ])
  }
  const protocol = group.protocolData === '' ? '' : ` (protocol ${group.protocolData})`
  const summary = members.length === 0
    ? `Consumer group '${groupId}' has no active members.`
    : `Consumer group '${groupId}' is ${group.groupState} with ${members.length} member${members.length === 1 ? '' : 's'}${protocol}.`
  let out = `${summary}\n\n`
  out += formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], table)
  if (members.length > 0) {
    out += '\n' + formatTable(['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'],
      members.map((member) => [
        groupId, member.memberId, member.groupInstanceId ?? '-', member.clientHost, member.clientId, String(member.partitions.length),
        formatAssignment(member.partitions),
      ]))
  }
  return out
}

type ResetValues = {
  topic?: string[] | undefined
  'all-topics'?: boolean | undefined
  'to-earliest'?: boolean | undefined
  'to-latest'?: boolean | undefined
  'to-datetime'?: string | undefined
  'to-offset'?: string | undefined
  'shift-by'?: string | undefined
  execute?: boolean | undefined
}

async function resetOffsets(client: KafkaClient, groups: GroupsAdmin, groupIds: readonly string[], values: ResetValues): Promise<string> {
  if (groupIds.length !== 1) throw usageError('reset-offsets needs exactly one --group')
  const groupId = groupIds[0]!
  const plan = resetPlan(values)
  const group = await groups.describeGroup(groupId)
  if (!INACTIVE_STATES.has(group.groupState)) {
    throw new CliError('GREGOR_CLI_FAILED',
      `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${group.groupState}.`)
  }
  const committed = await groups.committedOffsets(groupId)
  const partitions = await selectPartitions(client, values, committed)
  const rows: { topic: string; partition: number; offset: bigint }[] = []
  for (const tp of partitions) {
    const earliest = (await client.listOffsets(tp.topic, tp.partition, EARLIEST_TIMESTAMP)).offset
    const latest = (await client.listOffsets(tp.topic, tp.partition, LATEST_TIMESTAMP)).offset
    const current = committed.find((c) => c.topic === tp.topic && c.partition === tp.partition)?.committed ?? null
    let target: bigint
    switch (plan.kind) {
      case 'earliest': target = earliest; break
      case 'latest': target = latest; break
      case 'offset': target = plan.offset; break
      case 'shift':
        if (current === null) throw new CliError('GREGOR_CLI_FAILED', `Cannot shift the offset of ${tp.topic}-${tp.partition}: it has no committed offset.`)
        target = current + plan.shift
        break
      case 'datetime': {
        const found = await client.listOffsets(tp.topic, tp.partition, BigInt(plan.timestampMs))
        target = found.offset < 0n ? latest : found.offset
        break
      }
    }
    // As Kafka: targets outside the log are moved to its nearest end.
    if (target < earliest) target = earliest
    if (target > latest) target = latest
    rows.push({ ...tp, offset: target })
  }
  if (values.execute === true && rows.length > 0) await groups.commitOffsets(groupId, rows)
  return formatTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], rows.map((row) => [groupId, row.topic, String(row.partition), String(row.offset)]))
}

type ResetPlan =
  | { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'shift'; shift: bigint }
  | { kind: 'datetime'; timestampMs: number }

function resetPlan(values: ResetValues): ResetPlan {
  const plans: ResetPlan[] = []
  if (values['to-earliest'] === true) plans.push({ kind: 'earliest' })
  if (values['to-latest'] === true) plans.push({ kind: 'latest' })
  if (values['to-offset'] !== undefined) plans.push({ kind: 'offset', offset: bigIntOption('to-offset', values['to-offset']) })
  if (values['shift-by'] !== undefined) plans.push({ kind: 'shift', shift: bigIntOption('shift-by', values['shift-by']) })
  if (values['to-datetime'] !== undefined) {
    const timestampMs = Date.parse(values['to-datetime'])
    if (Number.isNaN(timestampMs)) throw usageError(`--to-datetime: '${values['to-datetime']}' is not an ISO-8601 date`)
    plans.push({ kind: 'datetime', timestampMs })
  }
  if (plans.length !== 1) {
    throw usageError('reset-offsets needs exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by')
  }
  return plans[0]!
}

/** Lets `--shift-by -2` through, as kafka-consumer-groups accepts it (parseArgs would take -2 for an option). */
function joinNegativeShift(args: readonly string[]): string[] {
  const joined: string[] = []
  for (let index = 0; index < args.length; index++) {
    const next = args[index + 1]
    if ((args[index] === '--shift-by' || args[index] === '--to-offset') && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`${args[index]}=${next}`)
      index++
    } else {
      joined.push(args[index]!)
    }
  }
  return joined
}

function bigIntOption(name: string, value: string): bigint {
  if (!/^-?\d+$/.test(value.trim())) throw usageError(`--${name} must be an integer, not '${value}'`)
  return BigInt(value.trim())
}

async function selectPartitions(
  client: KafkaClient, values: ResetValues, committed: readonly { topic: string; partition: number }[],
): Promise<{ topic: string; partition: number }[]> {
  if (values['all-topics'] === true) {
    if (values.topic !== undefined) throw usageError('--all-topics and --topic exclude each other')
    return committed.map(({ topic, partition }) => ({ topic, partition }))
  }
  if (values.topic === undefined) throw usageError('reset-offsets needs --topic <topic>[:<partitions>] or --all-topics')
  const selected = []
  for (const spec of values.topic) {
    const colon = spec.indexOf(':')
    const topic = colon < 0 ? spec : spec.slice(0, colon)
    const info = await client.topicMetadata(topic)
    const all = info.partitions.map((p) => p.partition)
    const partitions = colon < 0 ? all : spec.slice(colon + 1).split(',').map((text) => {
      const partition = Number(text)
      if (!Number.isInteger(partition) || !all.includes(partition)) throw usageError(`--topic ${spec}: topic ${topic} has no partition '${text}'`)
      return partition
    })
    for (const partition of partitions) selected.push({ topic, partition })
  }
  return selected
}

async function logEndOffsetOf(client: KafkaClient, topic: string, partition: number): Promise<bigint | null> {
  try {
    return (await client.listOffsets(topic, partition, LATEST_TIMESTAMP)).offset
  } catch (error) {
    if (error instanceof KafkaError) return null
    throw error
  }
}

function assignedPartitions(assignment: Buffer): { topic: string; partition: number }[] {
  if (assignment.length === 0) return []
  try {
    const reader = new Reader(assignment)
    const version = reader.int16()
    const decoded = decodeConsumerProtocolAssignment(reader, Math.max(0, Math.min(version, 3)))
    return decoded.assignedPartitions.flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition })))
  } catch {
    return []
  }
}

function formatAssignment(partitions: readonly { topic: string; partition: number }[]): string {
  const byTopic = new Map<string, number[]>()
  for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
  return [...byTopic].map(([topic, list]) => `${topic}(${list.sort((a, b) => a - b).join(',')})`).join(',') || '-'
}

// ------------------------------------------------------------------ group requests

class GroupsAdmin {
  constructor(private readonly client: KafkaClient) {}

  /** The connection to the group's coordinator (FindCoordinator, retried while it is not available). */
  private coordinator(groupId: string): Promise<Connection> {
    return this.retryingCoordinator(async () => {
      const connection = await this.client.anyConnection()
      const version = connection.versionFor(FindCoordinator)
      const request = createFindCoordinatorRequest()
      if (version >= 4) request.coordinatorKeys = [groupId]
      else request.key = groupId
      const response = await connection.send(FindCoordinator, request, { version })
      const found = version >= 4 ? response.coordinators[0] : response
      if (found === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `no coordinator answer for ${groupId}`)
      checkError(found.errorCode, `finding the coordinator of group '${groupId}'`)
      return this.client.connectionTo(found.nodeId)
    })
  }

  async listGroups(): Promise<{ groupId: string; groupState: string }[]> {
    const metadata = await this.client.metadata([])
    const all = []
    for (const nodeId of metadata.brokers.keys()) {
      const listed = await this.retryingCoordinator(async () => {
        const connection = await this.client.connectionTo(nodeId)
        const version = connection.versionFor(ListGroups)
        const response = await connection.send(ListGroups, createListGroupsRequest(), { version })
        checkError(response.errorCode, `listing the groups of broker ${nodeId}`)
        return response.groups
      })
      all.push(...listed)
    }
    return all
  }

  describeGroup(groupId: string): Promise<DescribeGroupsResponse['groups'][number]> {
    return this.retryingCoordinator(async () => {
      const connection = await this.coordinator(groupId)
      const request = createDescribeGroupsRequest()
      request.groups = [groupId]
      const response = await connection.send(DescribeGroups, request)
      const group = response.groups[0]
      if (group === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `no answer for group '${groupId}'`)
      checkError(group.errorCode, `describing group '${groupId}'`)
      return group
    })
  }

  /** Every committed offset of the group. */
  committedOffsets(groupId: string): Promise<{ topic: string; partition: number; committed: bigint }[]> {
    return this.retryingCoordinator(async () => {
      const connection = await this.coordinator(groupId)
      const request = createOffsetFetchRequest()
      request.groupId = groupId
      request.topics = null
      const response = await connection.send(OffsetFetch, request)
      checkError(response.errorCode, `fetching the offsets of group '${groupId}'`)
      return response.topics.flatMap((topic) => topic.partitions
        .filter((p) => p.committedOffset >= 0n)
        .map((p) => ({ topic: topic.name, partition: p.partitionIndex, committed: p.committedOffset })))
    })
  }

  /** A commit outside any generation (generation -1, no member), as Kafka's tool does for an inactive group. */
  async commitOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const request = createOffsetCommitRequest()
    request.groupId = groupId
    request.generationIdOrMemberEpoch = -1
    request.memberId = ''
    const byTopic = new Map<string, typeof request.topics[number]>()
    for (const entry of offsets) {
      let topic = byTopic.get(entry.topic)
      if (topic === undefined) byTopic.set(entry.topic, (topic = { name: entry.topic, partitions: [] }))
      topic.partitions.push({ partitionIndex: entry.partition, committedOffset: entry.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })
    }
    request.topics = [...byTopic.values()]
    const response = await this.retryingCoordinator(async () => (await this.coordinator(groupId)).send(OffsetCommit, request))
    for (const topic of response.topics) {
      for (const partition of topic.partitions) checkError(partition.errorCode, `committing ${topic.name}-${partition.partitionIndex} for group '${groupId}'`)
    }
  }

  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results = []
    for (const groupId of groupIds) {
      const request = createDeleteGroupsRequest()
      request.groupsNames = [groupId]
      const response = await this.retryingCoordinator(async () => (await this.coordinator(groupId)).send(DeleteGroups, request))
      const result = response.results[0] ?? { groupId, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }
      if (COORDINATOR_ERRORS.has(result.errorCode)) checkError(result.errorCode, `deleting group '${groupId}'`)
      results.push({ groupId, errorCode: result.errorCode })
    }
    return results
  }

  /** Retries while the coordinator moves or loads, as Kafka's admin client does. */
  private async retryingCoordinator<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt()
      } catch (error) {
        if (tries >= COORDINATOR_RETRIES || !(error instanceof KafkaError) || !COORDINATOR_ERRORS.has(error.code)) throw error
        await new Promise((resolve) => setTimeout(resolve, COORDINATOR_RETRY_BACKOFF_MS))
      }
    }
  }
}

const COORDINATOR_ERRORS = new Set<number>([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR])
const COORDINATOR_RETRIES = 20
const COORDINATOR_RETRY_BACKOFF_MS = 250

function checkError(errorCode: number, what: string): void {
  if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode, `${what}: ${errorName(errorCode)}`)
}
