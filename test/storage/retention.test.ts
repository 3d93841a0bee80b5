import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { ErrorCode } from '../../src/protocol/errors.js'
import { logConfigFrom, type LogConfigValues } from '../../src/storage/log-config.js'
import { PartitionLog } from '../../src/storage/log.js'
import { deleteOldSegments, deleteRecordsBefore } from '../../src/storage/retention.js'
import { pollUntil } from '../helpers/poll.js'
import { tmpDir, type TmpDir } from '../helpers/tmp-dir.js'
import { appendOk, clientBatch, manualClock, offsetsOf, T0 } from './helpers.js'

const dirs: TmpDir[] = []
after(async () => {
  for (const dir of dirs) await dir.cleanup()
})

const HOUR = 3_600_000

/** A log whose segments roll every ~3 batches of 10 records. */
async function openLog(values: LogConfigValues, clock = manualClock()) {
  const dir = tmpDir()
  dirs.push(dir)
  const logDir = path.join(dir.path, 'topic-0')
  const config = logConfigFrom({ segmentBytes: 1200, fileDeleteDelayMs: 0, retentionMs: -1, ...values })
  const log = await PartitionLog.open(logDir, config, { nowMs: clock.nowMs, hadCleanShutdown: true })
  return { log, logDir, clock }
}

async function fill(log: PartitionLog, batches: number, timestampOf: (index: number) => number): Promise<void> {
  for (let index = 0; index < batches; index++) await appendOk(log, clientBatch(10, `b${index}`, timestampOf(index), 20))
}

test('retention.ms deletes the oldest whole segments whose largest timestamp expired, never the active one', async () => {
  const clock = manualClock(T0 + 10 * HOUR)
  const { log } = await openLog({ retentionMs: HOUR }, clock)
  await fill(log, 12, (index) => (index < 6 ? T0 : T0 + 10 * HOUR))
  const bases = log.segmentBaseOffsets
  assert.ok(bases.length >= 4, `segments ${bases}`)
  const deleted = await deleteOldSegments(log, clock.now, log.logEndOffset)
  assert.ok(deleted >= 1)
  // Every batch of the first 60 offsets is old; the first remaining segment starts at or before 60.
  assert.ok(log.logStartOffset <= 60 && log.logStartOffset > 0, `log start ${log.logStartOffset}`)
  assert.equal(log.logStartOffset, log.segmentBaseOffsets[0])
  assert.equal((await log.read(0, 1 << 20)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  const read = await log.read(log.logStartOffset, 1 << 20)
  assert.equal(offsetsOf(read.records)[0], log.logStartOffset)

  // Everything expired: all but the active segment go.
  clock.now += 100 * HOUR
  await deleteOldSegments(log, clock.now, log.logEndOffset)
  assert.equal(log.segmentBaseOffsets.length, 1)
  assert.equal(log.logEndOffset, 120)
  await log.close()
})

test('retention.bytes deletes oldest segments while the log exceeds the limit by at least their size', async () => {
  const { log } = await openLog({ retentionBytes: 2500 })
  await fill(log, 12, () => T0)
  const sizeBefore = log.size
  await deleteOldSegments(log, T0, log.logEndOffset)
  assert.ok(log.size <= 2500 + 1200, `size ${log.size}`)
  assert.ok(log.size < sizeBefore)
  assert.ok(log.segmentBaseOffsets.length >= 2, 'the segments just under the limit stay')
  await log.close()
})

test('deleted segments are renamed .deleted and removed after file.delete.delay.ms', async () => {
  const { log, logDir } = await openLog({ retentionBytes: 0, fileDeleteDelayMs: 50 })
  await fill(log, 9, () => T0)
  await deleteOldSegments(log, T0, log.logEndOffset)
  const names = await readdir(logDir)
  assert.ok(names.some((name) => name.endsWith('.log.deleted')), `files ${names}`)
  await pollUntil(async () => !(await readdir(logDir)).some((name) => name.endsWith('.deleted')), { message: '.deleted files removed' })
  await log.close()
})

test('leftover .deleted and .cleaned files are removed when the log opens', async () => {
  const { log, logDir } = await openLog({})
  await fill(log, 2, () => T0)
  await log.close()
  await writeFile(path.join(logDir, '00000000000000000000.log.deleted'), 'x')
  await writeFile(path.join(logDir, '00000000000000000007.log.cleaned'), 'x')
  const reopened = await PartitionLog.open(logDir, log.logConfig, { hadCleanShutdown: true })
  assert.deepEqual((await readdir(logDir)).filter((name) => name.includes('.deleted') || name.includes('.cleaned')), [])
  assert.equal(reopened.logEndOffset, 20)
  await reopened.close()
})

test('DeleteRecords moves the log start offset and deletes the segments wholly below it', async () => {
  const { log } = await openLog({})
  await fill(log, 12, () => T0)
  const segmentsBefore = log.segmentBaseOffsets.length
  const lowWatermark = await deleteRecordsBefore(log, 45, log.logEndOffset)
  assert.equal(lowWatermark, 45)
  assert.equal(log.logStartOffset, 45)
  assert.ok(log.segmentBaseOffsets.length < segmentsBefore)
  assert.ok(log.segmentBaseOffsets[0]! <= 45)
  assert.equal((await log.read(44, 1 << 20)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  const read = await log.read(45, 1 << 20)
  assert.ok(offsetsOf(read.records).includes(45))
  // Never backwards.
  assert.equal(await deleteRecordsBefore(log, 10, log.logEndOffset), 45)
  await log.close()
})

test('cleanup.policy=compact keeps expired segments (only the log start offset deletes them)', async () => {
  const clock = manualClock(T0 + 100 * HOUR)
  const { log } = await openLog({ retentionMs: HOUR, cleanupPolicy: ['compact'] }, clock)
  await fill(log, 9, () => T0)
  const segments = log.segmentBaseOffsets.length
  assert.equal(await deleteOldSegments(log, clock.now, log.logEndOffset), 0)
  assert.equal(log.segmentBaseOffsets.length, segments)
  await log.close()
})
