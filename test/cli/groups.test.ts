// `gregor groups` end to end, as processes against a broker process: list (with a state filter),
// describe (offsets, log end offsets, lag, members with client ids, hosts and assignments),
// reset-offsets (dry run by default, refused while the group has members, each target kind) and delete.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { GREGOR_BIN } from '../helpers/paths.js'
import { killTracked, run, type RunResult } from '../helpers/processes.js'
import {
  FAST_GROUP_OVERRIDES, committedOffsets, createTopic, produceValues, startKafkajsMember, waitForCount, waitForStableSplit,
  type ConsumedRecord,
} from '../interop/groups-support.js'

const TOPIC = 'cli-groups'
const GROUP = 'cli-group'
let broker: BrokerProcess

before(async () => {
  broker = await startBrokerProcess({ overrides: FAST_GROUP_OVERRIDES })
  await createTopic(broker.bootstrap, TOPIC, 2)
})

after(async () => {
  if (broker?.isRunning()) await broker.stop()
  await killTracked()
})

function groups(args: readonly string[]): Promise<RunResult> {
  return run(process.execPath, [GREGOR_BIN, 'groups', ...args, '--bootstrap-server', broker.bootstrap], { timeoutMs: 30_000 })
}

async function groupsOk(args: readonly string[]): Promise<string> {
  const result = await groups(args)
  assert.equal(result.code, 0, `gregor groups ${args.join(' ')} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result.stdout
}

/** Rows of the first table whose header starts with the given column names, as arrays of cells. */
function tableRows(stdout: string, header: string): string[][] {
  const lines = stdout.split('\n')
  const columns = header.split(' ')
  const start = lines.findIndex((line) => columns.every((column, index) => line.split(/\s+/)[index] === column))
  assert.ok(start >= 0, `no table starting with ${header} in:\n${stdout}`)
  const rows = []
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break
    rows.push(line.trim().split(/\s+/))
  }
  return rows
}

test('list, describe, reset-offsets and delete a consumer group', { timeout: 90_000 }, async () => {
  await produceValues(broker.bootstrap, TOPIC, 2, 'cli', 10)
  const consumed: ConsumedRecord[] = []
  const member = await startKafkajsMember('cli-member', { bootstrap: broker.bootstrap, groupId: GROUP, topic: TOPIC, sessionTimeoutMs: 3000 }, consumed)
  try {
    await waitForStableSplit(broker.host, broker.port, GROUP, 1, 2)
    await waitForCount(consumed, 10)

    assert.ok((await groupsOk(['list'])).split('\n').includes(GROUP))
    assert.deepEqual(tableRows(await groupsOk(['list', '--state', 'stable']), 'GROUP STATE'), [[GROUP, 'Stable']])
    assert.deepEqual(tableRows(await groupsOk(['list', '--state', 'Empty']), 'GROUP STATE'), [])

    const active = await groupsOk(['describe', GROUP])
    assert.match(active, /Consumer group 'cli-group' is Stable with 1 member \(protocol roundrobin\)\./)
    const offsets = tableRows(active, 'GROUP TOPIC')
    assert.deepEqual(offsets.map((row) => row.slice(0, 6)), [[GROUP, TOPIC, '0', '5', '5', '0'], [GROUP, TOPIC, '1', '5', '5', '0']])
    assert.ok(offsets.every((row) => row[7] === '/127.0.0.1' && row[8] === 'cli-member'))
    const members = tableRows(active, 'GROUP CONSUMER-ID')
    assert.equal(members.length, 1)
    assert.deepEqual(members[0]!.slice(2), ['-', '/127.0.0.1', 'cli-member', '2', `${TOPIC}(0,1)`])

    const refused = await groups(['reset-offsets', '--group', GROUP, '--all-topics', '--to-earliest', '--execute'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /can only be reset if the group 'cli-group' is inactive, but the current state is Stable/)
  } finally {
    await member.stop()
  }

  // Dry run: prints the plan, changes nothing.
  const dryRun = await groupsOk(['reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest'])
  assert.deepEqual(tableRows(dryRun, 'GROUP TOPIC PARTITION NEW-OFFSET'), [[GROUP, TOPIC, '0', '0'], [GROUP, TOPIC, '1', '0']])
  assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, 2), [5, 5])

  await groupsOk(['reset-offsets', '--group', GROUP, '--topic', `${TOPIC}:1`, '--to-offset', '2', '--execute'])
  assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, 2), [5, 2])
  await groupsOk(['reset-offsets', '--group', GROUP, '--all-topics', '--shift-by', '-1', '--execute'])
  assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, 2), [4, 1])
  await groupsOk(['reset-offsets', '--group', GROUP, '--all-topics', '--to-offset', '99', '--execute'])
  assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, 2), [5, 5], 'targets past the log end stop at it')
  await groupsOk(['reset-offsets', '--group', GROUP, '--all-topics', '--to-datetime', '2000-01-01T00:00:00.000Z', '--execute'])
  assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, 2), [0, 0], 'every record is newer than 2000')
  await groupsOk(['reset-offsets', '--group', GROUP, '--all-topics', '--to-latest', '--execute'])
  assert.deepEqual(await committedOffsets(broker.host, broker.port, GROUP, TOPIC, 2), [5, 5])

  const inactive = await groupsOk(['describe', '--group', GROUP])
  assert.match(inactive, /Consumer group 'cli-group' has no active members\./)

  const usage = await groups(['reset-offsets', '--group', GROUP, '--all-topics'])
  assert.equal(usage.code, 2)

  assert.match(await groupsOk(['delete', '--group', GROUP]), /Deletion of requested consumer groups \('cli-group'\) was successful\./)
  const again = await groups(['delete', '--group', GROUP])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /Group 'cli-group' could not be deleted due to: GROUP_ID_NOT_FOUND/)
  const missing = await groups(['describe', GROUP])
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /Consumer group 'cli-group' does not exist\./)
})
