// Byte-level torn tails in the active segment: garbage after the last batch, and a last batch cut
// in half. On restart the broker serves the log up to the last whole batch, the torn bytes are
// gone from the file, and new records are appended right after it.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendFile, readdir, readFile, rm, truncate } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { kcatConsume, kcatProduce } from '../helpers/kcat.js'
import { killTracked } from '../helpers/processes.js'
import { walkBatches, type BatchPosition } from '../helpers/record-batch.js'
import { tmpDir } from '../helpers/tmp-dir.js'

after(killTracked)

const RUNS = 5
const PER_RUN = 10

/** The active (highest base offset) segment of partition 0: `<20-digit base offset>.log`. */
async function activeSegment(logDir: string, topic: string): Promise<string> {
  const dir = path.join(logDir, `${topic}-0`)
  const segments = (await readdir(dir)).filter((name) => /^\d{20}\.log$/.test(name)).sort()
  assert.ok(segments.length > 0, `no segment files in ${dir}`)
  return path.join(dir, segments.at(-1)!)
}

async function produceRuns(broker: BrokerProcess, topic: string): Promise<string[]> {
  const values: string[] = []
  // One kcat run per batch, so the segment holds several batches.
  for (let run = 0; run < RUNS; run++) {
    const lines = Array.from({ length: PER_RUN }, (_, i) => `${topic}-${run * PER_RUN + i}`)
    await kcatProduce(broker.bootstrap, topic, lines, { partition: 0 })
    values.push(...lines)
  }
  return values
}

async function assertServesExactly(broker: BrokerProcess, topic: string, values: readonly string[]): Promise<void> {
  const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
  assert.deepEqual(
    consumed.map((r) => [r.offset, r.value]),
    values.map((v, i) => [i, v]),
    `${topic}: records served after recovery`,
  )
}

test('a torn tail is truncated to the last whole batch on restart and appends continue after it', { timeout: 120_000 }, async (t) => {
  const logDir = tmpDir('gregor-torn-').path
  const topics = { garbage: 'torn-garbage', truncated: 'torn-truncated' }
  const first = await startBrokerProcess({ logDirs: logDir })
  const values = {
    garbage: await produceRuns(first, topics.garbage),
    truncated: await produceRuns(first, topics.truncated),
  }
  assert.equal(await first.stop(), 0, 'clean shutdown exit code')

  // Before tearing: the segments are whole batches covering every offset.
  const segments = {
    garbage: await activeSegment(logDir, topics.garbage),
    truncated: await activeSegment(logDir, topics.truncated),
  }
  const before: Record<'garbage' | 'truncated', BatchPosition[]> = { garbage: [], truncated: [] }
  for (const kind of ['garbage', 'truncated'] as const) {
    const bytes = await readFile(segments[kind])
    const walked = walkBatches(bytes)
    assert.equal(walked.validBytes, bytes.length, `${segments[kind]} holds only whole batches`)
    assert.equal(walked.batches.at(-1)!.lastOffset, RUNS * PER_RUN - 1)
    before[kind] = walked.batches
  }

  // Garbage that starts like a batch header (next base offset, plausible length) then random bytes.
  const garbage = randomBytes(200)
  garbage.writeBigInt64BE(BigInt(RUNS * PER_RUN), 0)
  garbage.writeInt32BE(150, 8)
  garbage.writeInt8(2, 16)
  await appendFile(segments.garbage, garbage)
  // Cut the last batch of the other topic in half.
  const last = before.truncated.at(-1)!
  await truncate(segments.truncated, last.position + Math.floor(last.size / 2))
  const expectedEnd = { garbage: RUNS * PER_RUN, truncated: last.baseOffset }

  // A torn tail is what a crash leaves behind, and a crash leaves no clean-shutdown marker (with
  // the marker present Kafka trusts the log and skips recovery).
  await rm(path.join(logDir, '.kafka_cleanshutdown'), { force: true })

  const second = await startBrokerProcess({ logDirs: logDir })
  t.after(() => second.stop())
  // Recovery says what it cut (storage/log.ts logs this at warn, the process's default level).
  const truncations = second
    .stderr()
    .split('\n')
    .filter((line) => line.includes('truncated invalid bytes at the end of a segment'))
  for (const kind of ['garbage', 'truncated'] as const) {
    assert.ok(
      truncations.some((line) => line.includes(`${topics[kind]}-0`)),
      `no truncation logged for ${topics[kind]}-0; stderr: ${second.stderr().slice(0, 3000)}`,
    )
  }
  await assertServesExactly(second, topics.garbage, values.garbage.slice(0, expectedEnd.garbage))
  await assertServesExactly(second, topics.truncated, values.truncated.slice(0, expectedEnd.truncated))

  for (const kind of ['garbage', 'truncated'] as const) {
    await kcatProduce(second.bootstrap, topics[kind], ['appended-after-recovery'], { partition: 0 })
    const tail = await kcatConsume(second.bootstrap, topics[kind], { partition: 0, offset: String(expectedEnd[kind]) })
    assert.deepEqual(
      tail.map((r) => [r.offset, r.value]),
      [[expectedEnd[kind], 'appended-after-recovery']],
      `${kind}: first append after recovery`,
    )
  }
  assert.equal(await second.stop(), 0)

  // The torn bytes are gone: every segment is whole batches again, contiguous, ending with the new record.
  for (const kind of ['garbage', 'truncated'] as const) {
    const dir = path.join(logDir, `${topics[kind]}-0`)
    const batches: BatchPosition[] = []
    for (const name of (await readdir(dir)).filter((n) => /^\d{20}\.log$/.test(n)).sort()) {
      const bytes = await readFile(path.join(dir, name))
      const walked = walkBatches(bytes)
      assert.equal(walked.validBytes, bytes.length, `${kind}: ${name} ends with a whole batch`)
      batches.push(...walked.batches)
    }
    batches.forEach((batch, i) => {
      assert.equal(batch.baseOffset, i === 0 ? 0 : batches[i - 1]!.lastOffset + 1, `${kind}: batch ${i} contiguous`)
    })
    assert.equal(batches.at(-1)!.lastOffset, expectedEnd[kind], `${kind}: last offset on disk`)
  }
})
