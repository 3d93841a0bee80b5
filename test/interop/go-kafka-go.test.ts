// segmentio/kafka-go 0.2.1 (Debian golang-github-segmentio-kafka-go-dev, 2019) against a broker
// process. kafka-go 0.2.1 hard-codes Produce v2 and Fetch v2 with message format v1 (write.go), all
// removed in Kafka 4 (KIP-896, KIP-724), and has no ApiVersions negotiation: its data path cannot
// work against a Kafka 4-style broker. Its metadata and offset requests (Metadata v1, ListOffsets
// v1) still can. These tests pin that down: what works works, and the data path fails with a
// clean error while the broker keeps serving and stores nothing (docs/interop.md).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { kcatConsume, kcatProduce } from '../helpers/kcat.js'
import { killTracked } from '../helpers/processes.js'
import { buildGoProgram, runGo } from './go/go-programs.js'

const UNSUPPORTED = '[35] Unsupported Version: the version of API is not supported'

describe('kafka-go 0.2.1 interop', { timeout: 240_000 }, () => {
  let broker: BrokerProcess
  let kafkago: string
  const topic = 'kafka-go'

  before(async () => {
    ;[kafkago, broker] = await Promise.all([
      buildGoProgram('kafkago'),
      startBrokerProcess({ overrides: { 'num.partitions': '2' } }),
    ])
    await kcatProduce(broker.bootstrap, topic, ['a:1', 'b:2', 'c:3'], { partition: 0, keyDelimiter: ':' })
  })
  after(async () => {
    await broker?.stop()
    await killTracked()
  })

  test('Metadata v1 (partitions) and ListOffsets v1 (first and last offset) work', async () => {
    assert.deepEqual(await runGo(kafkago, 'partitions', { bootstrap: broker.bootstrap, topic }), { partitions: [0, 1] })
    assert.deepEqual(await runGo(kafkago, 'offsets', { bootstrap: broker.bootstrap, topic, partition: 0 }), { first: 0, last: 3 })
    assert.deepEqual(await runGo(kafkago, 'offsets', { bootstrap: broker.bootstrap, topic, partition: 1 }), { first: 0, last: 0 })
  })

  test('Writer (Produce v2) fails with UNSUPPORTED_VERSION; nothing is stored and the broker keeps serving', async () => {
    const result = await runGo<{ error?: string }>(kafkago, 'write', {
      bootstrap: broker.bootstrap, topic, partition: 0, records: [{ key: 'x', value: 'never stored' }],
    })
    assert.equal(result.error, UNSUPPORTED)
    assert.ok(broker.isRunning())
    assert.deepEqual(await runGo(kafkago, 'offsets', { bootstrap: broker.bootstrap, topic, partition: 0 }), { first: 0, last: 3 })
    assert.deepEqual((await kcatConsume(broker.bootstrap, topic, { partition: 0 })).map((r) => r.value), ['1', '2', '3'])
  })

  test('Fetch v2 fails with UNSUPPORTED_VERSION in the partition, through a Conn and through a Reader', async () => {
    assert.deepEqual(await runGo(kafkago, 'read', { bootstrap: broker.bootstrap, topic, partition: 0 }), { error: UNSUPPORTED })
    // The Reader surfaces it from ReadMessage instead of retrying forever.
    const reader = await runGo<{ error?: string; records?: unknown[] }>(kafkago, 'reader', {
      bootstrap: broker.bootstrap, topic, partition: 0, timeoutMs: 5000, records: [{ key: 'a', value: '1' }],
    })
    assert.equal(reader.error, UNSUPPORTED)
    assert.deepEqual(reader.records, [])
    assert.ok(broker.isRunning())
    assert.equal((await kcatConsume(broker.bootstrap, topic, { partition: 0 })).length, 3)
  })
})
