// Shopify/sarama 1.22.1 (Debian golang-github-shopify-sarama-dev, Go 1.19) against a broker
// process. sarama 1.22 picks every request version from config.Version, whose default (0.8.2) speaks
// only versions Kafka 4 removed; a Kafka 4 user sets Version = V2_1_0_0, as these tests do. Even
// then sarama 1.22 sends a few removed versions: OffsetCommit v1 unless Consumer.Offsets.Retention
// is set, and DescribeConfigs v0 from ClusterAdmin (docs/interop.md).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { checkDelivery, type ConsumedRecord, type Headers, type ProducedRecord } from '../helpers/delivery.js'
import { kcatConsume, kcatMetadata } from '../helpers/kcat.js'
import { pollUntil } from '../helpers/poll.js'
import { CapturedText, exitOf, killTracked, signalChild, spawnTracked } from '../helpers/processes.js'
import { buildGoProgram, runGo } from './go/go-programs.js'
import { FAST_GROUP_OVERRIDES, committedOffsets, describeGroup, waitForStableSplit } from './groups-support.js'

const V2_1 = '2.1.0'
const UNSUPPORTED = 'kafka server: The version of API is not supported.'
const WEEK_MS = 7 * 24 * 3600 * 1000

interface Ack {
  partition: number
  offset: number
}

describe('sarama 1.22 interop', { timeout: 240_000 }, () => {
  let broker: BrokerProcess
  let sarama: string

  before(async () => {
    ;[sarama, broker] = await Promise.all([
      buildGoProgram('sarama'),
      startBrokerProcess({ overrides: { ...FAST_GROUP_OVERRIDES, 'num.partitions': '2' } }),
    ])
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test('Version 2.1: SyncProducer with keys and headers; a partition consumer from oldest reads every record back exactly', async () => {
    const topic = 'sarama-roundtrip'
    const records = Array.from({ length: 30 }, (_, i) => ({
      partition: i % 2,
      key: i % 7 === 0 ? null : `key-${i}`,
      value: i % 11 === 5 ? null : `value-${i}`,
      headers: (i % 3 === 0 ? [] : [['index', String(i)], ['source', 'sarama']]) as Headers,
    }))
    const { acked, error } = await runGo<{ acked: Ack[]; error?: string }>(sarama, 'produce', { bootstrap: broker.bootstrap, version: V2_1, topic, records })
    assert.equal(error, undefined)
    assert.deepEqual(acked.map((a) => a.partition), records.map((r) => r.partition))
    const produced: ProducedRecord[] = records.map((r, i) => ({ ...r, offset: acked[i]!.offset }))

    const consumed = await runGo<{ records: ConsumedRecord[]; endOffsets: Record<string, number>; error?: string }>(sarama, 'consume', {
      bootstrap: broker.bootstrap, version: V2_1, topic, partitions: [0, 1],
    })
    assert.equal(consumed.error, undefined)
    assert.deepEqual(consumed.endOffsets, { '0': 15, '1': 15 })
    checkDelivery(produced, consumed.records)
    // A second client sees the same log: kcat (librdkafka) reads sarama's batches too.
    checkDelivery(produced, await kcatConsume(broker.bootstrap, topic))
  })

  test("sarama's default Version (0.8.2) fails cleanly: Produce v0 and ListOffsets v0 answer UNSUPPORTED_VERSION, nothing is stored, the broker keeps serving", async () => {
    const topic = 'sarama-default-version'
    const produced = await runGo<{ acked: Ack[]; error?: string }>(sarama, 'produce', {
      bootstrap: broker.bootstrap, version: 'default', topic, records: [{ partition: 0, key: 'k', value: 'v', headers: [] }],
    })
    assert.deepEqual(produced, { acked: [], error: UNSUPPORTED })
    const consumed = await runGo<{ error?: string }>(sarama, 'consume', { bootstrap: broker.bootstrap, version: 'default', topic, partitions: [0] })
    assert.deepEqual(consumed, { error: UNSUPPORTED })

    assert.ok(broker.isRunning(), 'the broker survived')
    // Metadata v0 auto-created the topic; its log stayed empty.
    const metadata = await kcatMetadata(broker.bootstrap, topic)
    assert.equal(metadata.topics.find((t) => t.topic === topic)?.partitions.length, 2)
    assert.deepEqual(await kcatConsume(broker.bootstrap, topic), [])
    // The same binary at Version 2.1 works on the same broker right after.
    const retry = await runGo<{ acked: Ack[]; error?: string }>(sarama, 'produce', {
      bootstrap: broker.bootstrap, version: V2_1, topic, records: [{ partition: 0, key: 'k', value: 'v', headers: [] }],
    })
    assert.deepEqual(retry, { acked: [{ partition: 0, offset: 0 }] })
  })

  test('a ConsumerGroup of two member processes splits four partitions, consumes every record once, commits, and leaves cleanly', async () => {
    const topic = 'sarama-group'
    const groupId = 'sarama-group'
    const admin = await runGo<{ create: string | null }>(sarama, 'admin-create', { bootstrap: broker.bootstrap, version: V2_1, topic, numPartitions: 4 })
    assert.equal(admin.create, null)

    const members = [startMember(sarama, 'sarama-a', broker.bootstrap, groupId, topic), startMember(sarama, 'sarama-b', broker.bootstrap, groupId, topic)]
    try {
      const split = await waitForStableSplit(broker.host, broker.port, groupId, 2, 4)
      assert.deepEqual(split.members.map((m) => m.partitions.length), [2, 2])
      assert.deepEqual(split.members.map((m) => m.clientId).sort(), ['sarama-a', 'sarama-b'])
      // Each member's own view (ConsumerGroupSession.Claims) agrees with the coordinator's.
      await pollUntil(() => members.every((member) => {
        const described = split.members.find((m) => m.clientId === member.name)!
        return JSON.stringify(member.claims()) === JSON.stringify(described.partitions)
      }), { message: 'members report the coordinator\'s assignment' })

      const records = Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, key: `k${i}`, value: `group-${i}`, headers: [] }))
      const produced = await runGo<{ acked: Ack[] }>(sarama, 'produce', { bootstrap: broker.bootstrap, version: V2_1, topic, records })
      assert.equal(produced.acked.length, 40)
      await pollUntil(() => members.reduce((n, m) => n + m.records.length, 0) >= 40, { timeoutMs: 20_000, message: '40 records consumed' })
      const all = members.flatMap((m) => m.records)
      assert.deepEqual(all.map((r) => r.value).sort(), records.map((r) => r.value).sort(), 'every record consumed exactly once')
      for (const member of members) {
        const owned = split.members.find((m) => m.clientId === member.name)!.partitions
        assert.ok(member.records.every((r) => owned.includes(r.partition)), `${member.name} read only its own partitions`)
      }
      // MarkMessage + the 200 ms commit interval: the group's offsets reach the log end.
      await pollUntil(async () => (await committedOffsets(broker.host, broker.port, groupId, topic, 4)).every((o) => o === 10), {
        message: 'committed offsets at 10 on every partition',
      })
    } finally {
      for (const member of members) await member.stop()
    }
    for (const member of members) {
      assert.equal(member.exitCode, 0, `${member.name} exited cleanly: ${member.stderr()}`)
      assert.deepEqual(member.errors, [], `${member.name} reported no errors`)
      assert.ok(member.closed, `${member.name} closed the group`)
    }
    const left = await describeGroup(broker.host, broker.port, groupId)
    assert.equal(left.state, 'Empty', 'both members left (LeaveGroup)')
    assert.deepEqual(await committedOffsets(broker.host, broker.port, groupId, topic, 4), [10, 10, 10, 10])
  })

  test('OffsetCommit: Consumer.Offsets.Retention 0 makes sarama send v1 (removed in Kafka 4, UNSUPPORTED_VERSION); a retention makes it v2, which commits', async () => {
    const topic = 'sarama-commit'
    await runGo(sarama, 'produce', { bootstrap: broker.bootstrap, version: V2_1, topic, records: [{ partition: 0, key: null, value: 'x', headers: [] }] })
    const commits = [{ partition: 0, offset: 1 }, { partition: 1, offset: 0 }]
    const v1 = await runGo<object>(sarama, 'commit', { bootstrap: broker.bootstrap, version: V2_1, topic, group: 'sarama-commit', records: commits })
    assert.deepEqual(v1, { version: 1, errors: { '0': UNSUPPORTED, '1': UNSUPPORTED }, committed: { '0': -1, '1': -1 } })
    const v2 = await runGo<object>(sarama, 'commit', { bootstrap: broker.bootstrap, version: V2_1, topic, group: 'sarama-commit', retentionMs: WEEK_MS, records: commits })
    assert.deepEqual(v2, { version: 2, errors: {}, committed: { '0': 1, '1': 0 } })
  })

  test('ClusterAdmin creates, lists and deletes topics; DescribeConfig (v0, removed in Kafka 4) returns no entries', async () => {
    const topic = 'sarama-admin'
    const result = await runGo<AdminResult>(sarama, 'admin', {
      bootstrap: broker.bootstrap, version: V2_1, topic, numPartitions: 3, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' },
    })
    assert.equal(result.create, null)
    assert.match(result.createAgain ?? '', /Topic with this name already exists/)
    const listed = result.listAfterCreate.topics?.[topic]
    assert.deepEqual({ ...listed, configs: undefined }, { numPartitions: 3, replicationFactor: 1, configs: undefined })
    // sarama 1.22 sends DescribeConfigs v0 (ListTopics too); Gregor, like Kafka 4, serves v1-4 and answers
    // UNSUPPORTED_VERSION per resource with a null message, which sarama 1.22 does not check.
    assert.deepEqual(result.describeConfig, { error: null, entries: {} })
    assert.deepEqual(listed?.configs, {})
    assert.equal(result.delete, null)
    assert.ok(result.listAfterDelete.topics !== undefined && !(topic in result.listAfterDelete.topics), 'deleted topic is gone')
  })

  test('the configs sarama created the topic with are on the broker (read with kafkajs DescribeConfigs v2)', async () => {
    const topic = 'sarama-admin-configs'
    const created = await runGo<{ create: string | null }>(sarama, 'admin-create', {
      bootstrap: broker.bootstrap, version: V2_1, topic, numPartitions: 1, configs: { 'retention.ms': '3600000' },
    })
    assert.equal(created.create, null)
    const admin = new Kafka({ clientId: 'sarama-configs-check', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const described = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false })
      assert.deepEqual(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue, e.isDefault]), [['retention.ms', '3600000', false]])
    } finally {
      await admin.disconnect()
    }
  })
})

interface AdminResult {
  create: string | null
  createAgain: string | null
  listAfterCreate: { topics?: Record<string, { numPartitions: number; replicationFactor: number; configs: Record<string, string> }>; error?: string }
  describeConfig: { error: string | null; entries: Record<string, string> }
  delete: string | null
  listAfterDelete: { topics?: Record<string, unknown>; error?: string }
}

interface SaramaMember {
  readonly name: string
  readonly records: { partition: number; offset: number; value: string }[]
  readonly errors: string[]
  readonly closed: boolean
  readonly exitCode: number | null
  claims(): number[]
  stderr(): string
  /** SIGTERM by PID: the member closes its ConsumerGroup (final commit, LeaveGroup) and exits. */
  stop(): Promise<void>
}

/** One `sarama group-member` process; its JSON event lines are folded into the returned view. */
function startMember(binary: string, name: string, bootstrap: string, group: string, topic: string): SaramaMember {
  const child = spawnTracked(binary, ['group-member'], { stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdin!.end(JSON.stringify({ bootstrap, version: V2_1, group, topics: [topic], clientId: name, retentionMs: WEEK_MS }))
  const stderr = new CapturedText()
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.append(chunk))
  const exited = exitOf(child)
  const state = {
    name, records: [] as SaramaMember['records'], errors: [] as string[], closed: false, exitCode: null as number | null,
    claimed: [] as number[],
  }
  let pending = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const event = JSON.parse(line) as { event: string; claims?: Record<string, number[]>; partition?: number; offset?: number; value?: string; error?: string }
      if (event.event === 'setup') state.claimed = event.claims?.[topic] ?? []
      else if (event.event === 'record') state.records.push({ partition: event.partition!, offset: event.offset!, value: event.value! })
      else if (event.event === 'error') state.errors.push(event.error!)
      else if (event.event === 'closed') state.closed = true
    }
  })
  return {
    name,
    get records() { return state.records },
    get errors() { return state.errors },
    get closed() { return state.closed },
    get exitCode() { return state.exitCode },
    claims: () => state.claimed,
    stderr: () => stderr.toString(),
    async stop() {
      signalChild(child, 'SIGTERM')
      const timer = setTimeout(() => signalChild(child, 'SIGKILL'), 15_000)
      state.exitCode = (await exited).code
      clearTimeout(timer)
    },
  }
}
