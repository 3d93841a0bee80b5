// kcat (librdkafka 2.0.2) against a broker process: metadata, keyed produce with headers, exact
// read-back, offsets by time, auto-creation, and out-of-range offsets handled by the reset policy.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { checkDelivery, type ProducedRecord } from '../helpers/delivery.js'
import { KCAT, kcatConsume, kcatMetadata, kcatProduce } from '../helpers/kcat.js'
import { pollUntil } from '../helpers/poll.js'
import { killTracked, runOk } from '../helpers/processes.js'

const NUM_PARTITIONS = 3

describe('kcat interop', { timeout: 120_000 }, () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'num.partitions': String(NUM_PARTITIONS) } })
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test('-L lists this broker with its advertised address', async () => {
    const metadata = await kcatMetadata(broker.bootstrap)
    assert.deepEqual(metadata.brokers, [{ id: broker.brokerId, name: broker.bootstrap }])
    assert.equal(metadata.controllerid, broker.brokerId)
  })

  test('producing to an unknown topic auto-creates it with num.partitions partitions', async () => {
    const topic = 'kcat-auto-created'
    await kcatProduce(broker.bootstrap, topic, ['first'], { partition: 0 })
    const metadata = await kcatMetadata(broker.bootstrap, topic)
    const described = metadata.topics.find((t) => t.topic === topic)
    assert.ok(described, `topic ${topic} missing from -L output: ${JSON.stringify(metadata)}`)
    assert.equal(described.error, undefined)
    assert.deepEqual(described.partitions.map((p) => p.partition).sort(), [0, 1, 2])
    for (const partition of described.partitions) {
      assert.equal(partition.leader, broker.brokerId)
      assert.deepEqual(partition.replicas, [{ id: broker.brokerId }])
      assert.deepEqual(partition.isrs, [{ id: broker.brokerId }])
    }
    const all = await kcatMetadata(broker.bootstrap)
    assert.ok(all.topics.some((t) => t.topic === topic), 'auto-created topic missing from the full listing')
  })

  test('keys (-K:) and headers (-H) round-trip exactly, per partition, with -f and -J', async () => {
    const topic = 'kcat-keys-headers'
    const headers: [string, string][] = [
      ['trace', 'abc'],
      ['tenant', 't1'],
    ]
    const produced: ProducedRecord[] = []
    for (let partition = 0; partition < NUM_PARTITIONS; partition++) {
      const lines: string[] = []
      for (let i = 0; i < 40; i++) {
        lines.push(`key-${partition}-${i}:value-${partition}-${i}`)
        produced.push({ partition, key: `key-${partition}-${i}`, value: `value-${partition}-${i}`, headers, offset: i })
      }
      await kcatProduce(broker.bootstrap, topic, lines, { partition, keyDelimiter: ':', headers })
    }

    const consumed = await kcatConsume(broker.bootstrap, topic)
    checkDelivery(produced, consumed)

    const { stdout } = await runOk(KCAT, ['-b', broker.bootstrap, '-C', '-t', topic, '-p', '1', '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%h|%o\n'])
    const expected = produced
      .filter((r) => r.partition === 1)
      .map((r) => `${r.key}|${r.value}|trace=abc,tenant=t1|${r.offset}`)
    assert.deepEqual(stdout.trimEnd().split('\n'), expected)
  })

  test('-o s@<ms> starts at the first record whose timestamp is at or after <ms>', async () => {
    const topic = 'kcat-offsets-by-time'
    await kcatProduce(broker.bootstrap, topic, ['early-0', 'early-1', 'early-2'], { partition: 0 })
    // The early records were timestamped before kcat exited; the late ones after `boundary`.
    const boundary = Date.now() + 1
    await pollUntil(() => Date.now() > boundary, { message: 'clock past the boundary' })
    await kcatProduce(broker.bootstrap, topic, ['late-3', 'late-4'], { partition: 0 })

    const fromBoundary = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: `s@${boundary}` })
    assert.deepEqual(
      fromBoundary.map((r) => [r.offset, r.value]),
      [
        [3, 'late-3'],
        [4, 'late-4'],
      ],
    )
    for (const record of fromBoundary) assert.ok(record.timestamp! >= boundary, `offset ${record.offset} has timestamp ${record.timestamp} < ${boundary}`)

    const fromStart = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: 's@0' })
    assert.deepEqual(fromStart.map((r) => r.offset), [0, 1, 2, 3, 4])
    for (const record of fromStart.slice(0, 3)) assert.ok(record.timestamp! < boundary)
  })

  test('an out-of-range start offset is reset by auto.offset.reset', async () => {
    const topic = 'kcat-out-of-range'
    const values = ['r0', 'r1', 'r2', 'r3', 'r4']
    await kcatProduce(broker.bootstrap, topic, values, { partition: 0 })

    const earliest = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '1000', props: { 'auto.offset.reset': 'earliest' } })
    assert.deepEqual(
      earliest.map((r) => [r.offset, r.value]),
      values.map((v, i) => [i, v]),
    )

    const latest = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '1000', props: { 'auto.offset.reset': 'latest' } })
    assert.deepEqual(latest, [])

    // After a reset to latest, new records are read from the log end offset.
    await kcatProduce(broker.bootstrap, topic, ['r5'], { partition: 0 })
    const tail = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '-1' })
    assert.deepEqual(tail.map((r) => [r.offset, r.value]), [[5, 'r5']])
  })
})
