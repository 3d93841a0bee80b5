// Burrow 1.2.1 (Debian `burrow`; LinkedIn's consumer-lag monitor, on sarama) against Gregor.
// Burrow reads __consumer_offsets itself and decodes the offset-commit and group-metadata records
// byte by byte, so it checks that Gregor writes them in Kafka's formats. It needs a ZooKeeper for
// its own coordination (started here). Two findings shape the tests (docs/interop.md):
// - Burrow 1.2.1 asks for partition end offsets with ListOffsets v0, which Kafka 4 removed and
//   Gregor answers UNSUPPORTED_VERSION; without end offsets its storage drops every commit, so
//   directly against a Kafka 4-style broker it lists the cluster but no topics, groups or lag.
// - It decodes GroupMetadataValue v0-1 only; Gregor, like Kafka >= 2.3, writes v3, so it logs
//   those as undecodable (it loses partition owners, not offsets or lag).
// The second cluster goes through a proxy that answers ListOffsets v0 by way of v1, as a broker
// still serving v0 would; through it Burrow's lag must equal produced minus committed.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { kcatMetadata, kcatProduce } from '../helpers/kcat.js'
import { pollUntil, withDeadline } from '../helpers/poll.js'
import { freePort } from '../helpers/ports.js'
import { killTracked } from '../helpers/processes.js'
import {
  startBurrow, startListOffsetsShim, startZooKeeper, type Burrow, type BurrowLogEntry, type ListOffsetsShim, type ZooKeeper,
} from './go/burrow-support.js'
import { buildGoProgram, runGo } from './go/go-programs.js'
import {
  FAST_GROUP_OVERRIDES, committedOffsets, createTopic, produceValues, startKafkajsMember, waitForCount, type ConsumedRecord,
} from './groups-support.js'

const UNSUPPORTED = 'kafka server: The version of API is not supported.'
const WEEK_MS = 7 * 24 * 3600 * 1000
const DIRECT_TOPIC = 'burrow-direct'
const SHIM_TOPIC = 'burrow-shim'
/**
 * Burrow starts one sarama partition consumer per __consumer_offsets partition, one after the
 * other, each waiting behind the previous fetch's 250 ms long poll on the shared connection (as
 * with Kafka): 50 partitions take 12 s. Four keep start-up short.
 */
const BROKER_OVERRIDES = { ...FAST_GROUP_OVERRIDES, 'offsets.topic.num.partitions': '4' }

/** Awaits every part (each bounded by its own deadline); fails naming the parts that failed. */
async function startAll(parts: Record<string, Promise<void>>): Promise<void> {
  const labels = Object.keys(parts)
  const outcomes = await Promise.allSettled(Object.values(parts))
  const failures = outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' ? [`${labels[i]}: ${(outcome.reason as Error).message}`] : []))
  if (failures.length > 0) throw new Error(failures.join('\n'))
}

interface TopicDetail { offsets: number[] }
interface LagPartition { topic: string; partition: number; current_lag: number; end: { offset: number } | null }
interface LagStatus { status: { totallag: number; partition_count: number; partitions: LagPartition[] } }

describe('Burrow 1.2.1 interop', () => {
  let zookeeper: ZooKeeper | undefined
  let direct!: BrokerProcess
  let behindShim!: BrokerProcess
  let brokerPort: number
  let shim: ListOffsetsShim | undefined
  let burrow: Burrow | undefined
  let sarama = ''

  /** Everything a kafkajs group needs to consume `topic` once and commit it all, then leave. */
  async function consumeAndCommitAll(bootstrap: string, host: string, port: number, groupId: string, topic: string, count: number): Promise<void> {
    const consumed: ConsumedRecord[] = []
    const member = await startKafkajsMember(`${groupId}-member`, { bootstrap, groupId, topic, sessionTimeoutMs: 6000 }, consumed)
    try {
      await waitForCount(consumed, count)
      await pollUntil(async () => (await committedOffsets(host, port, groupId, topic, 2)).every((o) => o === count / 2), {
        message: `${groupId} committed ${count / 2} on both partitions`,
      })
    } finally {
      await withDeadline(`${groupId}: the kafkajs member leaving`, member.stop(), 30_000)
    }
  }

  before(async () => {
    brokerPort = await freePort()
    const shimPort = await freePort()
    // Each part is kept as soon as it is up, so that after() stops it even when another part failed.
    await startAll({
      'building the sarama program': buildGoProgram('sarama').then((built) => { sarama = built }),
      'starting ZooKeeper': startZooKeeper().then((started) => { zookeeper = started }),
      'starting the direct broker': startBrokerProcess({ overrides: BROKER_OVERRIDES }).then((started) => { direct = started }),
      // Clients reach this broker only through the shim: it advertises the shim's port.
      'starting the broker behind the shim': startBrokerProcess({
        overrides: {
          ...BROKER_OVERRIDES,
          listeners: `PLAINTEXT://127.0.0.1:${brokerPort}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${shimPort}`,
        },
      }).then((started) => { behindShim = started }),
      'starting the ListOffsets shim': startListOffsetsShim(brokerPort, shimPort).then((started) => { shim = started }),
    })
    await withDeadline('creating the topics', Promise.all([createTopic(direct.bootstrap, DIRECT_TOPIC, 2), createTopic(behindShim.bootstrap, SHIM_TOPIC, 2)]), 30_000)
    await withDeadline('producing the first records', Promise.all([
      produceValues(direct.bootstrap, DIRECT_TOPIC, 2, 'd', 20),
      produceValues(behindShim.bootstrap, SHIM_TOPIC, 2, 's', 20),
    ]), 30_000)
    burrow = await withDeadline('starting Burrow', startBurrow(zookeeper!, [{ name: 'direct', bootstrap: direct.bootstrap }, { name: 'shim', bootstrap: behindShim.bootstrap }]), 40_000)
  }, { timeout: 200_000 })
  after(async () => {
    const burrowExit = await burrow?.stop()
    await zookeeper?.stop()
    await shim?.close()
    await direct?.stop()
    await behindShim?.stop()
    await killTracked()
    if (burrow !== undefined) assert.equal(burrowExit, 0, 'Burrow shut down cleanly on SIGTERM')
  }, { timeout: 60_000 })

  const entries = (cluster: string, msg: string): BurrowLogEntry[] => burrow!.log().filter((e) => e.name === cluster && e.msg === msg)
  const decodedCommits = (cluster: string, group: string) =>
    entries(cluster, 'consumer offset').filter((e) => e.group === group).map((e) => [e.topic, e.partition, e.offset])

  test('directly against Gregor: the cluster is listed and every offset commit in __consumer_offsets decodes, but ListOffsets v0 is refused, so no topic, group or lag appears', { timeout: 120_000 }, async () => {
    const clusters = await burrow!.get<{ clusters: string[] }>('/v3/kafka')
    assert.deepEqual(clusters.clusters.sort(), ['direct', 'shim'])
    const detail = await burrow!.get<{ module: { servers: string[] } }>('/v3/kafka/direct')
    assert.deepEqual(detail.module.servers, [direct.bootstrap])

    // A kafkajs group (OffsetCommit v5: Gregor writes OffsetCommitValue v3) and a sarama commit
    // with a retention (OffsetCommit v2: OffsetCommitValue v1, with an expire timestamp).
    await consumeAndCommitAll(direct.bootstrap, direct.host, direct.port, 'burrow-direct-group', DIRECT_TOPIC, 20)
    const committed = await runGo<{ errors: object }>(sarama, 'commit', {
      bootstrap: direct.bootstrap, version: '2.1.0', topic: DIRECT_TOPIC, group: 'burrow-direct-sarama', retentionMs: WEEK_MS,
      records: [{ partition: 0, offset: 4 }, { partition: 1, offset: 7 }],
    })
    assert.deepEqual(committed.errors, {})

    // Burrow's own decoder read both kinds of record with the values the groups committed.
    await pollUntil(() => decodedCommits('direct', 'burrow-direct-sarama').length >= 2 && decodedCommits('direct', 'burrow-direct-group').some((c) => c[2] === 10 && c[1] === 1), {
      message: 'Burrow decoded the commits of both groups',
    }).catch((error: Error) => {
      const decoded = entries('direct', 'consumer offset').map((e) => [e.group, e.topic, e.partition, e.offset])
      throw new Error(`${error.message}; decoded: ${JSON.stringify(decoded)}; log: ${JSON.stringify(burrow!.log().filter((e) => e.msg !== 'error in OffsetResponse' && e.msg !== 'dropped'))}`)
    })
    const kafkajsCommits = decodedCommits('direct', 'burrow-direct-group')
    for (const partition of [0, 1]) {
      const last = kafkajsCommits.filter((c) => c[1] === partition).pop()
      assert.deepEqual(last, [DIRECT_TOPIC, partition, 10], `last commit of partition ${partition} as Burrow decoded it`)
    }
    assert.deepEqual(decodedCommits('direct', 'burrow-direct-sarama').sort(), [[DIRECT_TOPIC, 0, 4], [DIRECT_TOPIC, 1, 7]])
    assertOnlyGroupMetadataV3Undecodable('direct')

    // The cluster module's ListOffsets v0 gets UNSUPPORTED_VERSION for every partition ...
    await pollUntil(() => entries('direct', 'error in OffsetResponse').some((e) => e.topic === DIRECT_TOPIC), { message: 'ListOffsets v0 refused for the topic' })
    assert.deepEqual([...new Set(entries('direct', 'error in OffsetResponse').map((e) => e.sarama_error))], [UNSUPPORTED])
    // ... so the storage knows no partition and drops the commits ("no topic").
    const dropped = () => burrow!.log().filter((e) => e.msg === 'dropped' && e.cluster === 'direct' && e.consumer === 'burrow-direct-group')
    await pollUntil(() => dropped().length > 0, { message: 'the storage dropped the group\'s commits' })
    assert.deepEqual([...new Set(dropped().map((e) => e.reason))], ['no topic'])
    assert.deepEqual((await burrow!.get<{ topics: string[] }>('/v3/kafka/direct/topic')).topics, [])
    assert.deepEqual((await burrow!.get<{ consumers: string[] }>('/v3/kafka/direct/consumer')).consumers, [])

    assert.ok(direct.isRunning(), 'the broker survived Burrow')
    assert.equal((await kcatMetadata(direct.bootstrap, DIRECT_TOPIC)).topics[0]?.partitions.length, 2)
  })

  test('through the ListOffsets v0 shim: Burrow lists the topic and both groups, and its lag is produced minus committed', { timeout: 120_000 }, async () => {
    // Burrow keeps commits only for partitions whose end offsets it knows: wait for those first.
    const topicDetail = await pollUntil(async () => {
      const topics = (await burrow!.get<{ topics: string[] }>('/v3/kafka/shim/topic')).topics
      return topics.includes(SHIM_TOPIC) ? burrow!.get<TopicDetail>(`/v3/kafka/shim/topic/${SHIM_TOPIC}`) : null
    }, { timeoutMs: 15_000, message: `Burrow knows ${SHIM_TOPIC}` })
    assert.deepEqual(topicDetail.offsets, [10, 10])
    assert.ok(shim!.translated > 0, 'Burrow did send ListOffsets v0')

    await consumeAndCommitAll(behindShim.bootstrap, '127.0.0.1', brokerPort, 'burrow-shim-group', SHIM_TOPIC, 20)
    await kcatProduce(behindShim.bootstrap, SHIM_TOPIC, ['a', 'b', 'c'], { partition: 0 })
    await kcatProduce(behindShim.bootstrap, SHIM_TOPIC, ['d', 'e', 'f', 'g', 'h'], { partition: 1 })
    const committed = await runGo<{ errors: object }>(sarama, 'commit', {
      bootstrap: behindShim.bootstrap, version: '2.1.0', topic: SHIM_TOPIC, group: 'burrow-shim-sarama', retentionMs: WEEK_MS,
      records: [{ partition: 0, offset: 4 }, { partition: 1, offset: 7 }],
    })
    assert.deepEqual(committed.errors, {})

    // End offsets are now 13 and 15: lag 3 + 5 for the kafkajs group, 9 + 8 for the sarama commits.
    const lagOf = (group: string) => burrow!.get<LagStatus>(`/v3/kafka/shim/consumer/${group}/lag`)
    const summary = (status: LagStatus['status']) => ({
      totallag: status.totallag,
      partitions: status.partitions.map((p) => [p.topic, p.partition, p.end?.offset, p.current_lag]).sort(),
    })
    const expected = {
      'burrow-shim-group': { totallag: 8, partitions: [[SHIM_TOPIC, 0, 10, 3], [SHIM_TOPIC, 1, 10, 5]] },
      'burrow-shim-sarama': { totallag: 17, partitions: [[SHIM_TOPIC, 0, 4, 9], [SHIM_TOPIC, 1, 7, 8]] },
    }
    for (const [group, want] of Object.entries(expected)) {
      await pollUntil(async () => JSON.stringify(summary((await lagOf(group)).status)) === JSON.stringify(want), {
        timeoutMs: 15_000, message: `Burrow's lag for ${group} is ${JSON.stringify(want)}`,
      }).catch(async (error: Error) => {
        const last = await lagOf(group).then((lag) => summary(lag.status), (e: Error) => e.message)
        throw new Error(`${error.message}; last: ${JSON.stringify(last)}`)
      })
    }
    const consumers = (await burrow!.get<{ consumers: string[] }>('/v3/kafka/shim/consumer')).consumers
    assert.deepEqual(consumers.sort(), ['burrow-shim-group', 'burrow-shim-sarama'])
    assert.deepEqual((await burrow!.get<TopicDetail>(`/v3/kafka/shim/topic/${SHIM_TOPIC}`)).offsets, [13, 15])
    assertOnlyGroupMetadataV3Undecodable('shim')
  })

  /** Burrow failed to decode nothing but GroupMetadataValue v3 records (it knows v0-1). */
  function assertOnlyGroupMetadataV3Undecodable(cluster: string): void {
    const failures = entries(cluster, 'failed to decode')
    assert.ok(failures.length > 0, 'the groups wrote group metadata')
    assert.deepEqual(
      [...new Set(failures.map((e) => JSON.stringify([e.message_type, e.reason, e.version])))],
      [JSON.stringify(['metadata', 'value version', 3])],
    )
  }
})
