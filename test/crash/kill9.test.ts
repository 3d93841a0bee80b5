// kill -9 of a broker process under continuous acks=1 load (librdkafka producer): after a restart on
// the same log directory every acknowledged record is readable at its acknowledged offset, and each
// partition's log is a gap-free prefix of what the producer sent to it.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { after, test } from 'node:test'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { checkAckedPrefix, type AckedRecord } from '../helpers/delivery.js'
import { kcatConsume, kcatProduce } from '../helpers/kcat.js'
import { PYTHON, pyScript } from '../helpers/paths.js'
import { pollUntil } from '../helpers/poll.js'
import { exitOf, killTracked, signalChild, spawnTracked } from '../helpers/processes.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const PARTITIONS = [0, 1, 2]
const ACKED_BEFORE_KILL = 20_000

after(killTracked)

test('kill -9 under acks=1 load loses no acknowledged record; restart recovers a contiguous prefix', { timeout: 120_000 }, async (t) => {
  const logDir = tmpDir('gregor-crash-').path
  const topic = 'crash-kill9'
  const first = await startBrokerProcess({ logDirs: logDir, overrides: { 'num.partitions': String(PARTITIONS.length) } })

  const producer = spawnTracked(PYTHON, [pyScript('confluent_client.py'), 'produce_forever'])
  producer.stdin!.end(JSON.stringify({ bootstrap: first.bootstrap, topic, partitions: PARTITIONS }))
  const acked: AckedRecord[] = []
  let pending = ''
  let producerStderr = ''
  producer.stderr!.setEncoding('utf8').on('data', (chunk: string) => (producerStderr += chunk.slice(0, 10_000)))
  producer.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const [partition, offset, value] = line.split(' ')
      acked.push({ partition: Number(partition), offset: Number(offset), value: value! })
    }
  })
  const producerClosed = new Promise<void>((resolve) => producer.once('close', () => resolve()))

  await pollUntil(() => acked.length >= ACKED_BEFORE_KILL, {
    timeoutMs: 60_000,
    message: `${ACKED_BEFORE_KILL} acknowledged records (producer stderr: ${producerStderr})`,
  })
  await first.kill9()
  // Acknowledgements already in the pipe were sent by the broker before it died: keep them.
  signalChild(producer, 'SIGKILL')
  await exitOf(producer)
  await producerClosed
  assert.ok(!existsSync(path.join(logDir, '.kafka_cleanshutdown')), 'a killed broker must not leave a clean-shutdown marker')

  const second = await startBrokerProcess({ logDirs: logDir })
  t.after(() => second.stop())
  const consumed = await kcatConsume(second.bootstrap, topic, { timeoutMs: 60_000 })
  checkAckedPrefix(acked, consumed)
  t.diagnostic(`acknowledged before kill -9: ${acked.length}; records after recovery: ${consumed.length}`)

  // Prefix of the send order: partition p received v<p>, v<p+3>, ... in that order, nothing else.
  for (const partition of PARTITIONS) {
    const values = consumed.filter((r) => r.partition === partition).map((r) => r.value)
    values.forEach((value, index) => {
      assert.equal(value, `v${partition + index * PARTITIONS.length}`, `partition ${partition} offset ${index}`)
    })
  }

  // The recovered log accepts appends right after its end.
  const ends = new Map(PARTITIONS.map((p) => [p, consumed.filter((r) => r.partition === p).length]))
  await kcatProduce(second.bootstrap, topic, ['after-restart'], { partition: 0 })
  const tail = await kcatConsume(second.bootstrap, topic, { partition: 0, offset: String(ends.get(0)) })
  assert.deepEqual(
    tail.map((r) => [r.offset, r.value]),
    [[ends.get(0), 'after-restart']],
  )
  assert.equal(await second.stop(), 0)
})
