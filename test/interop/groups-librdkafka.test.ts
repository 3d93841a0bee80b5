// librdkafka 2.0.2 (confluent-kafka) consumer groups against a broker process: members in their
// own processes split the partitions and consume exactly once while committing; a member killed
// with SIGKILL is expired after its session timeout and its partitions move; a static member
// (group.instance.id) restarted within its session timeout rejoins without a rebalance.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { pollUntil } from '../helpers/poll.js'
import { killTracked } from '../helpers/processes.js'
import {
  FAST_GROUP_OVERRIDES, assertExactlyOnce, committedOffsets, createTopic, describeGroup, produceValues, startPythonMember, waitForCount,
  waitForMembersToAgree, waitForStableSplit, type ConsumedRecord,
} from './groups-support.js'

const PARTITIONS = 4
const SESSION_TIMEOUT_MS = 3000

describe('librdkafka consumer group', { timeout: 120_000 }, () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await startBrokerProcess({ overrides: FAST_GROUP_OVERRIDES })
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test('two members split the partitions; a killed member is removed within its session timeout and its partitions move', async () => {
    const topic = 'rdkafka-group'
    const groupId = 'rdkafka-group'
    await createTopic(broker.bootstrap, topic, PARTITIONS)
    const consumed: ConsumedRecord[] = []
    const options = { bootstrap: broker.bootstrap, groupId, topic, sessionTimeoutMs: SESSION_TIMEOUT_MS }
    const a = await startPythonMember('py-a', options, consumed)
    const b = await startPythonMember('py-b', options, consumed)
    const split = await waitForStableSplit(broker.host, broker.port, groupId, 2, PARTITIONS)
    await waitForMembersToAgree([a, b], split)

    const first = await produceValues(broker.bootstrap, topic, PARTITIONS, 'first', 40)
    await waitForCount(consumed, first.length)
    assertExactlyOnce(consumed, first)

    // A record is printed before its batch is committed: wait until b's commits cover everything
    // it read, then kill -9 leaves its session to expire at the coordinator.
    await pollUntil(async () => (await committedOffsets(broker.host, broker.port, groupId, topic, PARTITIONS)).every((offset) => offset === 10),
      { message: 'every partition committed at 10' })
    const killedPartitions = b.partitions()
    assert.equal(killedPartitions.length, 2)
    const killedAt = Date.now()
    await b.kill9()
    const afterKill = await waitForStableSplit(broker.host, broker.port, groupId, 1, PARTITIONS, SESSION_TIMEOUT_MS + 10_000)
    const elapsedMs = Date.now() - killedAt
    assert.ok(elapsedMs >= SESSION_TIMEOUT_MS - 500, `rebalanced after ${elapsedMs} ms: not before the session timeout`)
    assert.ok(elapsedMs < SESSION_TIMEOUT_MS + 8000, `rebalanced after ${elapsedMs} ms: within the session timeout (plus a rejoin)`)
    assert.deepEqual(afterKill.members[0]!.partitions, [0, 1, 2, 3])
    await waitForMembersToAgree([a], afterKill)

    const second = await produceValues(broker.bootstrap, topic, PARTITIONS, 'second', 40)
    await waitForCount(consumed, first.length + second.length)
    assertExactlyOnce(consumed, [...first, ...second])
    assert.ok(consumed.slice(first.length).every((record) => record.member === 'py-a'))
    await a.stop()
  })

  test('cooperative-sticky members rebalance incrementally: a joining member takes partitions without the others giving up the rest', async () => {
    const topic = 'rdkafka-cooperative'
    const groupId = 'rdkafka-cooperative'
    await createTopic(broker.bootstrap, topic, PARTITIONS)
    const consumed: ConsumedRecord[] = []
    const options = { bootstrap: broker.bootstrap, groupId, topic, sessionTimeoutMs: SESSION_TIMEOUT_MS }
    const strategy = { strategy: 'cooperative-sticky' }
    const a = await startPythonMember('py-coop-a', options, consumed, strategy)
    await waitForMembersToAgree([a], await waitForStableSplit(broker.host, broker.port, groupId, 1, PARTITIONS))
    const first = await produceValues(broker.bootstrap, topic, PARTITIONS, 'first', 40)
    await waitForCount(consumed, first.length)
    const b = await startPythonMember('py-coop-b', options, consumed, strategy)
    const split = await waitForStableSplit(broker.host, broker.port, groupId, 2, PARTITIONS)
    await waitForMembersToAgree([a, b], split)
    const revokedFromA = a.rebalances.filter((event) => event.event === 'revoked').flatMap((event) => event.partitions)
    assert.deepEqual(revokedFromA.sort(), b.partitions(), 'a gave up exactly the partitions b took, and nothing else')
    const second = await produceValues(broker.bootstrap, topic, PARTITIONS, 'second', 40)
    await waitForCount(consumed, first.length + second.length)
    assertExactlyOnce(consumed, [...first, ...second])
    await Promise.all([a.stop(), b.stop()])
  })

  test('a static member restarted within its session timeout takes its partitions back without a rebalance', async () => {
    const topic = 'rdkafka-static'
    const groupId = 'rdkafka-static'
    await createTopic(broker.bootstrap, topic, PARTITIONS)
    const consumed: ConsumedRecord[] = []
    const options = { bootstrap: broker.bootstrap, groupId, topic, sessionTimeoutMs: 10_000 }
    const staticMember = await startPythonMember('py-static', options, consumed, { groupInstanceId: 'instance-1' })
    const dynamic = await startPythonMember('py-dynamic', options, consumed)
    const split = await waitForStableSplit(broker.host, broker.port, groupId, 2, PARTITIONS)
    await waitForMembersToAgree([staticMember, dynamic], split)
    const staticPartitions = staticMember.partitions()
    const before = split.members.find((member) => member.groupInstanceId === 'instance-1')!
    const dynamicRebalances = dynamic.rebalances.length

    // A static member's close sends no LeaveGroup: the coordinator keeps its slot for its session.
    await staticMember.stop()
    assert.equal((await describeGroup(broker.host, broker.port, groupId)).state, 'Stable')
    const restarted = await startPythonMember('py-static', options, consumed, { groupInstanceId: 'instance-1' })
    await pollUntil(() => restarted.partitions().length > 0, { timeoutMs: 15_000, message: 'the restarted static member is assigned' })
    assert.deepEqual(restarted.partitions(), staticPartitions, 'the same partitions as before the restart')
    const now = await describeGroup(broker.host, broker.port, groupId)
    assert.equal(now.state, 'Stable')
    const replaced = now.members.find((member) => member.groupInstanceId === 'instance-1')!
    assert.notEqual(replaced.memberId, before.memberId, 'the restarted instance has a new member id')
    assert.deepEqual(replaced.partitions, before.partitions)
    assert.equal(dynamic.rebalances.length, dynamicRebalances, 'the other member saw no rebalance')

    const values = await produceValues(broker.bootstrap, topic, PARTITIONS, 'static', 40)
    await waitForCount(consumed, values.length)
    assertExactlyOnce(consumed, values)
    assert.equal(dynamic.rebalances.length, dynamicRebalances, 'still no rebalance')
    await Promise.all([restarted.stop(), dynamic.stop()])
  })
})
