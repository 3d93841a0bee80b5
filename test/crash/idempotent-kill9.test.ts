// kill -9 of the broker in the middle of an idempotent producer's run (confluent-kafka,
// enable.idempotence=True, acks=all): the broker restarts on the same port and log directory,
// rebuilds the producer state from its last snapshot and the batch headers after it, and the
// producer carries on with its retries. Every record ends up stored exactly once, in send order
// per partition, at the offset the producer was told.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { freePort } from '../helpers/ports.js'
import { assertContiguous } from '../helpers/delivery.js'
import { kcatConsume } from '../helpers/kcat.js'
import { PYTHON, pyScript } from '../helpers/paths.js'
import { pollUntil } from '../helpers/poll.js'
import { exitOf, killTracked, spawnTracked } from '../helpers/processes.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const PARTITIONS = [0, 1]
const RECORDS = 30_000
const ACKED_BEFORE_KILL = 8_000

after(killTracked)

test('kill -9 during an idempotent producer run: after the restart it continues and nothing is stored twice', { timeout: 90_000 }, async (t) => {
  const logDir = tmpDir('gregor-idem-crash-').path
  const topic = 'idempotent-kill9'
  // Small segments: rolls (and so producer snapshots) happen during the run.
  const overrides = { 'num.partitions': String(PARTITIONS.length), 'log.segment.bytes': '65536' }
  // The restart reuses the port; one from the ephemeral range could meanwhile go to an outgoing connection.
  const port = await freePort()
  const first = await startBrokerProcess({ logDirs: logDir, overrides: { ...overrides, listeners: `PLAINTEXT://127.0.0.1:${port}` } })

  const producer = spawnTracked(PYTHON, [pyScript('idempotent_client.py'), 'produce_forever'])
  producer.stdin!.end(JSON.stringify({ bootstrap: first.bootstrap, topic, partitions: PARTITIONS, count: RECORDS, message_timeout_ms: 60_000, batch_num_messages: 50, linger_ms: 1 }))
  const acked = new Map<string, { partition: number; offset: number }>()
  const errors: string[] = []
  let flushed = false
  let pending = ''
  let producerStderr = ''
  producer.stderr!.setEncoding('utf8').on('data', (chunk: string) => (producerStderr += chunk.slice(0, 10_000)))
  producer.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      if (line === 'flushed') flushed = true
      else if (line.startsWith('error ')) errors.push(line)
      else {
        const [partition, offset, value] = line.split(' ')
        assert.ok(!acked.has(value!), `${value} acknowledged twice`)
        acked.set(value!, { partition: Number(partition), offset: Number(offset) })
      }
    }
  })
  const producerExit = exitOf(producer)

  await pollUntil(() => acked.size >= ACKED_BEFORE_KILL, { timeoutMs: 45_000, message: `${ACKED_BEFORE_KILL} acknowledged records (producer stderr: ${producerStderr})` })
  await first.kill9()
  const ackedAtKill = acked.size
  const second = await startBrokerProcess({ logDirs: logDir, overrides: { ...overrides, listeners: `PLAINTEXT://127.0.0.1:${port}` } })
  t.after(() => second.stop())

  await pollUntil(() => flushed, { timeoutMs: 60_000, message: `the producer to deliver everything (acked ${acked.size}, errors ${errors.slice(0, 3)}, stderr ${producerStderr})` })
  assert.equal((await producerExit).code, 0)
  assert.deepEqual(errors, [], 'no record failed')
  assert.equal(acked.size, RECORDS)
  t.diagnostic(`acknowledged before kill -9: ${ackedAtKill} of ${RECORDS}`)

  const consumed = await kcatConsume(second.bootstrap, topic, { timeoutMs: 60_000 })
  assert.equal(consumed.length, RECORDS, 'every record stored exactly once')
  for (const partition of PARTITIONS) {
    const stored = consumed.filter((record) => record.partition === partition)
    assertContiguous(partition, stored, 0)
    stored.forEach((record, index) => {
      assert.equal(record.value, `v${partition + index * PARTITIONS.length}`, `partition ${partition} offset ${index}: send order, no duplicate`)
      assert.deepEqual(acked.get(record.value!), { partition, offset: record.offset }, `${record.value} at its acknowledged offset`)
    })
  }
  assert.equal(await second.stop(), 0)
})
