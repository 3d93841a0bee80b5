// Clean shutdown: SIGTERM makes the broker flush, write the clean-shutdown marker and exit 0; the
// next start trusts the logs (skips recovery), removes the marker, and serves the same records.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { startInProcessBroker } from '../helpers/broker-in-process.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { kcatConsume, kcatProduce, type KcatRecord } from '../helpers/kcat.js'
import { killTracked } from '../helpers/processes.js'
import { tmpDir } from '../helpers/tmp-dir.js'

/** Kafka's clean-shutdown marker, one per log directory (LogManager.CleanShutdownFileName). */
const MARKER = '.kafka_cleanshutdown'

after(killTracked)

test('SIGTERM exits 0 and leaves the clean-shutdown marker; the restart removes it and serves the same records', { timeout: 60_000 }, async (t) => {
  const logDirs = [tmpDir('gregor-clean-a-').path, tmpDir('gregor-clean-b-').path]
  const first = await startBrokerProcess({ logDirs, overrides: { 'num.partitions': '4' } })
  for (const dir of logDirs) assert.ok(!existsSync(path.join(dir, MARKER)), `no marker in ${dir} while running`)
  const lines = Array.from({ length: 25 }, (_, i) => `k${i}:v${i}`)
  for (let partition = 0; partition < 4; partition++) {
    await kcatProduce(first.bootstrap, 'clean-shutdown', lines, { partition, keyDelimiter: ':' })
  }
  // kcat interleaves partitions as fetches return: compare in (partition, offset) order.
  const byPosition = (records: KcatRecord[]) => [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  const before = byPosition(await kcatConsume(first.bootstrap, 'clean-shutdown'))
  assert.equal(before.length, 100)

  assert.equal(await first.stop('SIGTERM'), 0, `exit code after SIGTERM; stderr: ${first.stderr().slice(-2000)}`)
  for (const dir of logDirs) assert.ok(existsSync(path.join(dir, MARKER)), `clean-shutdown marker in ${dir}`)

  const second = await startBrokerProcess({ logDirs })
  t.after(() => second.stop())
  for (const dir of logDirs) assert.ok(!existsSync(path.join(dir, MARKER)), `marker in ${dir} removed at start-up`)
  assert.doesNotMatch(second.stderr(), /truncated invalid bytes/, 'a clean log needs no truncation')
  assert.deepEqual(byPosition(await kcatConsume(second.bootstrap, 'clean-shutdown')), before)
  assert.equal(await second.stop('SIGINT'), 0, 'SIGINT is a clean shutdown too')
  for (const dir of logDirs) assert.ok(existsSync(path.join(dir, MARKER)), `clean-shutdown marker in ${dir} after SIGINT`)
})

test('after a clean close the next start skips recovery; without the marker it recovers', { timeout: 60_000 }, async (t) => {
  const logDir = tmpDir('gregor-clean-inproc-').path
  const fresh = await startInProcessBroker({ logDirs: logDir })
  t.after(() => fresh.close())
  await kcatProduce(fresh.bootstrap, 'clean-inproc', ['a', 'b', 'c'], { partition: 0 })
  await fresh.close()

  const clean = await startInProcessBroker({ logDirs: logDir })
  t.after(() => clean.close())
  assert.equal(clean.recoveredUncleanShutdown, false, 'clean restart skips recovery')
  assert.deepEqual(
    (await kcatConsume(clean.bootstrap, 'clean-inproc')).map((r) => [r.offset, r.value]),
    [[0, 'a'], [1, 'b'], [2, 'c']],
  )
  await clean.close()

  // What a crash leaves behind: the same files without the marker.
  await rm(path.join(logDir, MARKER))
  const unclean = await startInProcessBroker({ logDirs: logDir })
  t.after(() => unclean.close())
  assert.equal(unclean.recoveredUncleanShutdown, true, 'start without the marker recovers')
  assert.deepEqual(
    (await kcatConsume(unclean.bootstrap, 'clean-inproc')).map((r) => [r.offset, r.value]),
    [[0, 'a'], [1, 'b'], [2, 'c']],
  )
  await unclean.close()
})
