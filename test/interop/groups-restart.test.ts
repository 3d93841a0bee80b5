// Committed offsets are records of __consumer_offsets: they survive a clean restart and a kill -9
// of the broker, and a kafkajs consumer of the group resumes exactly where the group committed.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { pollUntil } from '../helpers/poll.js'
import { killTracked } from '../helpers/processes.js'
import { tmpDir } from '../helpers/tmp-dir.js'
import {
  FAST_GROUP_OVERRIDES, assertExactlyOnce, committedOffsets, createTopic, describeGroup, produceValues, startKafkajsMember,
  waitForCount, type ConsumedRecord,
} from './groups-support.js'

const TOPIC = 'restart-offsets'
const GROUP = 'restart-group'
const PARTITIONS = 3

describe('committed offsets across broker restarts', { timeout: 90_000 }, () => {
  const logDirs = tmpDir('gregor-groups-restart-').path
  let broker: BrokerProcess | undefined

  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  /** Consumes `count` new records with a fresh member of the group, which commits and leaves. */
  async function consumeRound(prefix: string, count: number): Promise<void> {
    const values = await produceValues(broker!.bootstrap, TOPIC, PARTITIONS, prefix, count)
    const consumed: ConsumedRecord[] = []
    const member = await startKafkajsMember(`member-${prefix}`, {
      bootstrap: broker!.bootstrap, groupId: GROUP, topic: TOPIC, sessionTimeoutMs: 3000,
    }, consumed)
    await waitForCount(consumed, count)
    await member.stop()
    assertExactlyOnce(consumed, values)
  }

  /** The offsets once the restarted coordinator has loaded its partition (LOAD_IN_PROGRESS until then). */
  function offsetsAfterLoad(): Promise<number[]> {
    return pollUntil(() => committedOffsets(broker!.host, broker!.port, GROUP, TOPIC, PARTITIONS),
      { timeoutMs: 10_000, message: 'offsets readable after restart' })
  }

  test('offsets committed before a clean restart and before a kill -9 are there afterwards, and consumers resume at them', async () => {
    broker = await startBrokerProcess({ logDirs, overrides: FAST_GROUP_OVERRIDES })
    await createTopic(broker.bootstrap, TOPIC, PARTITIONS)
    await consumeRound('before-restart', 30)
    assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, PARTITIONS), [10, 10, 10])

    assert.equal(await broker.stop(), 0)
    broker = await startBrokerProcess({ logDirs, overrides: FAST_GROUP_OVERRIDES })
    assert.deepEqual(await offsetsAfterLoad(), [10, 10, 10])
    const group = await describeGroup(broker.host, broker.port, GROUP)
    assert.equal(group.state, 'Empty', 'the group is loaded with its last state: every member left')
    await consumeRound('after-restart', 30)
    assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, PARTITIONS), [20, 20, 20])

    await broker.kill9()
    broker = await startBrokerProcess({ logDirs, overrides: FAST_GROUP_OVERRIDES })
    assert.deepEqual(await offsetsAfterLoad(), [20, 20, 20])
    await consumeRound('after-kill', 30)
    assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, PARTITIONS), [30, 30, 30])
  })
})
