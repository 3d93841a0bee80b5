// `gregor configs`, `gregor topics alter` and `gregor records delete` as processes against a broker.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startInProcessBroker, type InProcessBroker } from '../helpers/broker-in-process.js'
import { kcatProduce } from '../helpers/kcat.js'
import { GREGOR_BIN } from '../helpers/paths.js'
import { killTracked, run, type RunResult } from '../helpers/processes.js'

let broker: InProcessBroker

before(async () => {
  broker = await startInProcessBroker()
})
after(async () => {
  await broker?.close()
  await killTracked()
})

function gregor(args: readonly string[]): Promise<RunResult> {
  return run(process.execPath, [GREGOR_BIN, ...args, '--bootstrap-server', broker.bootstrap], { timeoutMs: 30_000 })
}

async function gregorOk(args: readonly string[]): Promise<string> {
  const result = await gregor(args)
  assert.equal(result.code, 0, `gregor ${args.join(' ')} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result.stdout
}

/** NAME → [VALUE, SOURCE] of a `configs describe` table. */
function table(stdout: string): Map<string, [string, string]> {
  const rows = stdout.trim().split('\n').slice(1).map((line) => line.trim().split(/\s{2,}/))
  return new Map(rows.map((row) => [row[0]!, [row[1]!, row[2]!]]))
}

test('configs alter and describe a topic (SET with a bracketed list, DELETE)', async () => {
  await gregorOk(['topics', 'create', '--topic', 'cli-configs'])
  const altered = await gregorOk(['configs', 'alter', '--topic', 'cli-configs', '--add-config', 'retention.ms=3600000,cleanup.policy=[compact,delete]'])
  assert.equal(altered, 'Completed updating config for topic cli-configs.\n')
  let described = table(await gregorOk(['configs', 'describe', '--topic', 'cli-configs']))
  assert.deepEqual(described.get('retention.ms'), ['3600000', 'DYNAMIC_TOPIC_CONFIG'])
  assert.deepEqual(described.get('cleanup.policy'), ['compact,delete', 'DYNAMIC_TOPIC_CONFIG'])
  await gregorOk(['configs', 'alter', '--topic', 'cli-configs', '--delete-config', 'retention.ms'])
  described = table(await gregorOk(['configs', 'describe', '--topic', 'cli-configs']))
  assert.equal(described.has('retention.ms'), false)
  const all = table(await gregorOk(['configs', 'describe', '--topic', 'cli-configs', '--all']))
  assert.deepEqual(all.get('retention.ms'), ['604800000', 'DEFAULT_CONFIG'])
})

test('configs alter a broker and the cluster defaults; read-only broker configs are refused', async () => {
  await gregorOk(['configs', 'alter', '--broker', String(broker.brokerId), '--add-config', 'log.retention.bytes=1000000'])
  assert.deepEqual(table(await gregorOk(['configs', 'describe', '--broker', String(broker.brokerId)])).get('log.retention.bytes'), ['1000000', 'DYNAMIC_BROKER_CONFIG'])
  await gregorOk(['configs', 'alter', '--broker-defaults', '--add-config', 'log.cleaner.delete.retention.ms=1000'])
  assert.deepEqual(table(await gregorOk(['configs', 'describe', '--broker-defaults'])).get('log.cleaner.delete.retention.ms'), ['1000', 'DYNAMIC_DEFAULT_BROKER_CONFIG'])
  const refused = await gregor(['configs', 'alter', '--broker', String(broker.brokerId), '--add-config', 'num.partitions=3'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /INVALID_REQUEST: Cannot update these configs dynamically/)
  const usage = await gregor(['configs', 'describe'])
  assert.equal(usage.code, 2)
})

test('topics alter grows a topic; a smaller count fails with INVALID_PARTITIONS', async () => {
  await gregorOk(['topics', 'create', '--topic', 'cli-partitions', '--partitions', '1'])
  assert.equal(await gregorOk(['topics', 'alter', '--topic', 'cli-partitions', '--partitions', '3']), 'Topic cli-partitions now has 3 partitions.\n')
  assert.match(await gregorOk(['topics', 'describe', '--topic', 'cli-partitions']), /PartitionCount: 3\t/)
  const shrink = await gregor(['topics', 'alter', '--topic', 'cli-partitions', '--partitions', '2'])
  assert.equal(shrink.code, 1)
  assert.match(shrink.stderr, /INVALID_PARTITIONS/)
})

test('records delete moves the low watermark; beyond the high watermark is OFFSET_OUT_OF_RANGE', async () => {
  await gregorOk(['topics', 'create', '--topic', 'cli-records'])
  await kcatProduce(broker.bootstrap, 'cli-records', Array.from({ length: 10 }, (_, i) => `v${i}`), { partition: 0 })
  const deleted = await gregorOk(['records', 'delete', '--topic', 'cli-records', '--partition', '0', '--before-offset', '4'])
  assert.equal(deleted, 'Records delete operation completed:\npartition: cli-records-0\tlow_watermark: 4\n')
  const beyond = await gregor(['records', 'delete', '--topic', 'cli-records', '--partition', '0', '--before-offset', '11'])
  assert.equal(beyond.code, 1)
  assert.match(beyond.stderr, /OFFSET_OUT_OF_RANGE/)
  assert.match(await gregorOk(['records', 'delete', '--topic', 'cli-records', '--partition', '0', '--before-offset=-1']), /low_watermark: 10/)
})
