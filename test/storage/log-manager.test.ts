import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { ErrorCode } from '../../src/protocol/errors.js'
import { defaultLogConfig, logConfigFrom } from '../../src/storage/log-config.js'
import { CLEAN_SHUTDOWN_FILE, LogManager } from '../../src/storage/log-manager.js'
import { pollUntil } from '../helpers/poll.js'
import { tmpDir, type TmpDir } from '../helpers/tmp-dir.js'
import { appendOk, clientBatch, manualClock, offsetsOf } from './helpers.js'

const dirs: TmpDir[] = []
after(async () => {
  for (const dir of dirs) await dir.cleanup()
})

function logDirs(count: number): string[] {
  const dir = tmpDir()
  dirs.push(dir)
  return Array.from({ length: count }, (_, index) => path.join(dir.path, `data${index}`))
}

const clock = manualClock()

function openManager(dirsList: string[], extra: Partial<Parameters<typeof LogManager.open>[0]> = {}): Promise<LogManager> {
  return LogManager.open({ logDirs: dirsList, defaultConfig: defaultLogConfig, nowMs: clock.nowMs, startScheduler: false, ...extra })
}

test('logs are created in the least-loaded directory and found again after a clean restart', async () => {
  const dirsList = logDirs(2)
  const manager = await openManager(dirsList)
  assert.deepEqual([...manager.cleanShutdownDirs], [])
  const a = await manager.createLog('orders', 0)
  const b = await manager.createLog('orders', 1)
  const c = await manager.createLog('orders', 2)
  assert.equal(await manager.createLog('orders', 0), a, 'createLog returns the existing log')
  assert.notEqual(manager.logDirFor('orders', 0), manager.logDirFor('orders', 1))
  assert.equal(manager.logDirFor('orders', 0), manager.logDirFor('orders', 2))
  await appendOk(a, clientBatch(3, 'a'))
  await appendOk(b, clientBatch(2, 'b'))
  await appendOk(c, clientBatch(1, 'c'))
  await manager.shutdown()
  for (const dir of dirsList) {
    await stat(path.join(dir, CLEAN_SHUTDOWN_FILE))
    const checkpoint = await readFile(path.join(dir, 'recovery-point-offset-checkpoint'), 'utf8')
    assert.match(checkpoint, /^0\n\d+\n/)
  }
  assert.match(await readFile(path.join(manager.logDirFor('orders', 0)!, 'recovery-point-offset-checkpoint'), 'utf8'), /orders 0 3\n/)

  const reopened = await openManager(dirsList)
  assert.deepEqual([...reopened.cleanShutdownDirs].sort(), dirsList.map((dir) => path.resolve(dir)).sort())
  for (const dir of dirsList) await assert.rejects(stat(path.join(dir, CLEAN_SHUTDOWN_FILE)), 'the marker is removed after start-up')
  const log = reopened.getLog('orders', 0)!
  assert.equal(log.openStats.recoveredSegments, 0)
  assert.deepEqual(offsetsOf((await log.read(0, 1 << 20)).records), [0, 1, 2])
  assert.equal(reopened.getLog('orders', 1)!.logEndOffset, 2)
  await reopened.shutdown()
})

test('after a crash every log recovers from its checkpointed recovery point', async () => {
  const [dir] = logDirs(1)
  const manager = await openManager([dir!])
  const log = await manager.createLog('events', 0, logConfigFrom({ segmentBytes: clientBatch(1).length * 2 }))
  for (let index = 0; index < 6; index++) await appendOk(log, clientBatch(1))
  assert.equal(log.recoveryPoint, 4, 'rolls flush the finished segments')
  await manager.checkpointRecoveryPoints()
  // Simulate a crash: no shutdown, a torn tail on the active segment.
  await log.abandon()
  const active = path.join(log.dir, '00000000000000000004.log')
  await truncate(active, (await stat(active)).size - 5)
  const recovered = await openManager([dir!], { configForTopic: () => logConfigFrom({ segmentBytes: clientBatch(1).length * 2 }) })
  assert.deepEqual([...recovered.cleanShutdownDirs], [])
  const events = recovered.getLog('events', 0)!
  assert.equal(events.openStats.recoveredSegments, 1)
  assert.equal(events.logEndOffset, 5)
  await recovered.shutdown()
})

test('deleteLog renames the directory to -delete and removes it in the background', async () => {
  const [dir] = logDirs(1)
  const manager = await openManager([dir!])
  const log = await manager.createLog('gone', 3)
  await appendOk(log, clientBatch(1))
  await manager.deleteLog('gone', 3)
  assert.equal(manager.getLog('gone', 3), undefined)
  assert.equal((await log.appendAsLeader(clientBatch(1), { leaderEpoch: 0 })).errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  await pollUntil(async () => (await readdir(dir!)).every((name) => !name.startsWith('gone-3')), { timeoutMs: 5000 })
  await manager.shutdown()
})

test('leftover -delete directories are removed at start-up; other entries are ignored', async () => {
  const [dir] = logDirs(1)
  await mkdir(path.join(dir!, 'old-0.0123456789abcdef0123456789abcdef-delete'), { recursive: true })
  await writeFile(path.join(dir!, 'old-0.0123456789abcdef0123456789abcdef-delete', '00000000000000000000.log'), 'x')
  await mkdir(path.join(dir!, 'not a partition'), { recursive: true })
  const manager = await openManager([dir!])
  await pollUntil(async () => !(await readdir(dir!)).some((name) => name.endsWith('-delete')), { timeoutMs: 5000 })
  assert.equal([...manager.allLogs()].length, 0)
  await manager.shutdown()
})

test('flushDirtyLogs flushes the logs whose flush.ms has passed', async () => {
  const [dir] = logDirs(1)
  const manager = await openManager([dir!], { defaultConfig: logConfigFrom({ flushMs: 1000 }) })
  const log = await manager.createLog('t', 0)
  await appendOk(log, clientBatch(2))
  await manager.flushDirtyLogs()
  assert.equal(log.recoveryPoint, 0)
  clock.now += 1000
  await manager.flushDirtyLogs()
  assert.equal(log.recoveryPoint, 2)
  await manager.shutdown()
})

test('an unreadable checkpoint costs a full recovery, not the start-up', async () => {
  const [dir] = logDirs(1)
  const manager = await openManager([dir!])
  await appendOk(await manager.createLog('t', 0), clientBatch(2))
  await manager.shutdown()
  await writeFile(path.join(dir!, 'recovery-point-offset-checkpoint'), 'garbage')
  await unlink(path.join(dir!, CLEAN_SHUTDOWN_FILE))
  const reopened = await openManager([dir!])
  assert.equal(reopened.getLog('t', 0)!.openStats.recoveredSegments, 1)
  assert.equal(reopened.getLog('t', 0)!.logEndOffset, 2)
  await reopened.shutdown()
})
