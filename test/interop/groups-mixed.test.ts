// @platformatic/kafka consumer groups, and one group whose members use four client libraries
// (kafkajs, librdkafka via confluent-kafka, kafka-python, @platformatic/kafka) under the same
// protocol name "roundrobin": the partitions split without overlap and every record is consumed
// exactly once, also after a member of each library leaves in turn.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { killTracked } from '../helpers/processes.js'
import {
  FAST_GROUP_OVERRIDES, assertExactlyOnce, createTopic, produceValues, startKafkajsMember, startPlatformaticMember,
  startPythonMember, waitForCount, waitForMembersToAgree, waitForStableSplit, type ConsumedRecord, type GroupMember,
} from './groups-support.js'

const SESSION_TIMEOUT_MS = 3000

describe('consumer groups with @platformatic/kafka and mixed client libraries', { timeout: 120_000 }, () => {
  let broker: BrokerProcess
  const members: GroupMember[] = []

  before(async () => {
    broker = await startBrokerProcess({ overrides: FAST_GROUP_OVERRIDES })
  })
  after(async () => {
    for (const member of members) await member.stop().catch(() => undefined)
    await broker?.stop()
    await killTracked()
  })

  test('two @platformatic/kafka members split the partitions and consume exactly once; the survivor takes over after a leave', async () => {
    const topic = 'platformatic-group'
    const groupId = 'platformatic-group'
    await createTopic(broker.bootstrap, topic, 4)
    const consumed: ConsumedRecord[] = []
    const options = { bootstrap: broker.bootstrap, groupId, topic, sessionTimeoutMs: SESSION_TIMEOUT_MS }
    const a = await startPlatformaticMember('pl-a', options, consumed)
    const b = await startPlatformaticMember('pl-b', options, consumed)
    members.push(a, b)
    const split = await waitForStableSplit(broker.host, broker.port, groupId, 2, 4)
    await waitForMembersToAgree([a, b], split)
    const first = await produceValues(broker.bootstrap, topic, 4, 'first', 40)
    await waitForCount(consumed, first.length)
    assertExactlyOnce(consumed, first)

    await members.pop()!.stop()
    const alone = await waitForStableSplit(broker.host, broker.port, groupId, 1, 4)
    await waitForMembersToAgree([a], alone)
    const second = await produceValues(broker.bootstrap, topic, 4, 'second', 40)
    await waitForCount(consumed, first.length + second.length)
    assertExactlyOnce(consumed, [...first, ...second])
    await members.pop()!.stop()
  })

  test('kafkajs, librdkafka, kafka-python and @platformatic/kafka members share one group', async () => {
    const topic = 'mixed-group'
    const groupId = 'mixed-group'
    const partitions = 8
    await createTopic(broker.bootstrap, topic, partitions)
    const consumed: ConsumedRecord[] = []
    const options = { bootstrap: broker.bootstrap, groupId, topic, sessionTimeoutMs: SESSION_TIMEOUT_MS }
    members.push(await startKafkajsMember('mixed-kafkajs', options, consumed))
    members.push(await startPythonMember('mixed-librdkafka', options, consumed))
    members.push(await startPythonMember('mixed-kafka-python', options, consumed, { library: 'kafka-python' }))
    members.push(await startPlatformaticMember('mixed-platformatic', options, consumed))
    const split = await waitForStableSplit(broker.host, broker.port, groupId, 4, partitions)
    assert.deepEqual(split.members.map((member) => member.clientId).sort(),
      ['mixed-kafka-python', 'mixed-kafkajs', 'mixed-librdkafka', 'mixed-platformatic'])
    assert.ok(split.members.every((member) => member.partitions.length === 2), 'round-robin gives each member two partitions')
    await waitForMembersToAgree(members, split)

    const expected: string[] = []
    expected.push(...await produceValues(broker.bootstrap, topic, partitions, 'all-four', 80))
    await waitForCount(consumed, expected.length)
    assertExactlyOnce(consumed, expected)
    assert.deepEqual(new Set(consumed.map((record) => record.member)).size, 4, 'each library consumed its share')

    // Each library's member leaves in turn; the rest take over its partitions.
    for (let remaining = 3; remaining >= 1; remaining--) {
      await members.shift()!.stop()
      const view = await waitForStableSplit(broker.host, broker.port, groupId, remaining, partitions)
      await waitForMembersToAgree(members, view)
      expected.push(...await produceValues(broker.bootstrap, topic, partitions, `remaining-${remaining}`, 30))
      await waitForCount(consumed, expected.length)
      assertExactlyOnce(consumed, expected)
    }
    await members.shift()!.stop()
  })
})
