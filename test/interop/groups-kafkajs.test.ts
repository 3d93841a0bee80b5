// kafkajs 2.2.4 consumer groups against a broker process: three members split a 6-partition topic
// without overlap and consume every record exactly once while committing; a member that leaves
// hands its partitions to the others; a consumer started later resumes at the committed offsets.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { killTracked } from '../helpers/processes.js'
import {
  FAST_GROUP_OVERRIDES, assertExactlyOnce, createTopic, produceValues, startKafkajsMember, waitForCount,
  waitForMembersToAgree, waitForStableSplit, type ConsumedRecord, type GroupMember,
} from './groups-support.js'

const PARTITIONS = 6
const SESSION_TIMEOUT_MS = 3000

describe('kafkajs consumer group', { timeout: 90_000 }, () => {
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

  test('three members split the partitions, consume exactly once, survive a leave, and a later consumer resumes at the commits', async () => {
    const topic = 'kafkajs-group'
    const groupId = 'kafkajs-group'
    await createTopic(broker.bootstrap, topic, PARTITIONS)
    const consumed: ConsumedRecord[] = []
    const options = { bootstrap: broker.bootstrap, groupId, topic, sessionTimeoutMs: SESSION_TIMEOUT_MS }
    for (const name of ['js-a', 'js-b', 'js-c']) members.push(await startKafkajsMember(name, options, consumed))
    const split = await waitForStableSplit(broker.host, broker.port, groupId, 3, PARTITIONS)
    assert.deepEqual(split.members.map((member) => member.partitions.length), [2, 2, 2])
    await waitForMembersToAgree(members, split)

    const first = await produceValues(broker.bootstrap, topic, PARTITIONS, 'first', 60)
    await waitForCount(consumed, first.length)
    assertExactlyOnce(consumed, first)
    for (const record of consumed) {
      const owner = split.members.find((member) => member.partitions.includes(record.partition))!
      assert.equal(owner.clientId, record.member, `partition ${record.partition} was read by its owner only`)
    }

    // js-c leaves (LeaveGroup on disconnect): its two partitions move to the others.
    const leaving = members.pop()!
    const leftPartitions = leaving.partitions()
    await leaving.stop()
    const afterLeave = await waitForStableSplit(broker.host, broker.port, groupId, 2, PARTITIONS)
    await waitForMembersToAgree(members, afterLeave)
    for (const partition of leftPartitions) {
      assert.ok(afterLeave.members.some((member) => member.partitions.includes(partition)), `partition ${partition} moved`)
    }
    const second = await produceValues(broker.bootstrap, topic, PARTITIONS, 'second', 60)
    await waitForCount(consumed, first.length + second.length)
    assertExactlyOnce(consumed, [...first, ...second])

    // Everyone leaves; records produced meanwhile are read by a new member from the committed offsets.
    while (members.length > 0) await members.pop()!.stop()
    const third = await produceValues(broker.bootstrap, topic, PARTITIONS, 'third', 30)
    const resumed: ConsumedRecord[] = []
    members.push(await startKafkajsMember('js-d', options, resumed))
    await waitForCount(resumed, third.length)
    assertExactlyOnce(resumed, third)
  })
})
