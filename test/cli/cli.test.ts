// The `gregor` CLI end to end: a broker process started with `gregor server start`, and the
// topics/produce/consume commands run as processes against it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { GREGOR_BIN } from '../helpers/paths.js'
import { pollUntil } from '../helpers/poll.js'
import { killTracked, run, type RunResult } from '../helpers/processes.js'

let broker: BrokerProcess

before(async () => {
  broker = await startBrokerProcess()
})

after(async () => {
  if (broker?.isRunning()) await broker.stop()
  await killTracked()
})

function gregor(args: readonly string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [GREGOR_BIN, ...args], { input, timeoutMs: 30_000 })
}

async function gregorOk(args: readonly string[], input?: string): Promise<RunResult> {
  const result = await gregor(args, input)
  assert.equal(result.code, 0, `gregor ${args.join(' ')} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result
}

const b = () => ['--bootstrap-server', broker.bootstrap]

interface Printed {
  timestamp: number
  partition: number
  offset: number
  headers: string
  key: string
  value: string
}

/** Consumes with every field printed (tab-separated, Kafka's DefaultMessageFormatter order). */
async function consumeAll(topic: string, extra: readonly string[]): Promise<Printed[]> {
  const { stdout } = await gregorOk([
    'consume', ...b(), '--topic', topic, ...extra,
    '--print-timestamp', '--print-partition', '--print-offset', '--print-headers', '--print-key',
  ])
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [timestamp, partition, offset, headers, key, value] = line.split('\t')
      assert.match(timestamp!, /^CreateTime:\d+$/)
      return {
        timestamp: Number(timestamp!.slice('CreateTime:'.length)),
        partition: Number(partition!.replace('Partition:', '')),
        offset: Number(offset!.replace('Offset:', '')),
        headers: headers!,
        key: key!,
        value: value!,
      }
    })
}

test('gregor --help lists the commands; unknown commands and missing options are usage errors (exit 2)', async () => {
  const help = await gregorOk(['--help'])
  for (const command of ['server start', 'topics', 'produce', 'consume']) assert.match(help.stdout, new RegExp(command))
  const topicsHelp = await gregorOk(['topics', '--help'])
  assert.match(topicsHelp.stdout, /create --topic/)
  const unknown = await gregor(['bogus'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown command 'bogus'/)
  const missing = await gregor(['produce', ...b()])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /--topic is required/)
  const badOption = await gregor(['consume', '--topic', 't', '--no-such-option'])
  assert.equal(badOption.code, 2)
})

test('topics create, list, describe and delete', async () => {
  const created = await gregorOk(['topics', 'create', ...b(), '--topic', 'cli-topics', '--partitions', '3', '--config', 'retention.ms=3600000'])
  assert.equal(created.stdout, 'Created topic cli-topics.\n')

  const again = await gregor(['topics', 'create', ...b(), '--topic', 'cli-topics'])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /TOPIC_ALREADY_EXISTS/)
  await gregorOk(['topics', 'create', ...b(), '--topic', 'cli-topics', '--if-not-exists'])

  const badConfig = await gregor(['topics', 'create', ...b(), '--topic', 'cli-bad', '--config', 'segment.bytes=1'])
  assert.equal(badConfig.code, 1)
  assert.match(badConfig.stderr, /INVALID_CONFIG/)

  const listed = await gregorOk(['topics', 'list', ...b()])
  assert.ok(listed.stdout.split('\n').includes('cli-topics'), listed.stdout)
  assert.ok(!listed.stdout.split('\n').includes('cli-bad'))

  const described = await gregorOk(['topics', 'describe', ...b(), '--topic', 'cli-topics'])
  const [summary, header, ...rows] = described.stdout.trimEnd().split('\n')
  assert.match(summary!, /^Topic: cli-topics\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: .*retention\.ms=3600000/)
  assert.match(header!, /^PARTITION\s+LEADER\s+REPLICAS\s+ISR/)
  assert.deepEqual(rows.map((r) => r.split(/\s+/).slice(0, 4)), [0, 1, 2].map((p) => [String(p), String(broker.brokerId), String(broker.brokerId), String(broker.brokerId)]))

  await gregorOk(['topics', 'delete', ...b(), '--topic', 'cli-topics'])
  await pollUntil(async () => !(await gregorOk(['topics', 'list', ...b()])).stdout.split('\n').includes('cli-topics'), { message: 'cli-topics gone from the list' })
  const missing = await gregor(['topics', 'describe', ...b(), '--topic', 'cli-topics'])
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /UNKNOWN_TOPIC_OR_PARTITION|does not exist/)
  await gregorOk(['topics', 'delete', ...b(), '--topic', 'cli-topics', '--if-exists'])
})

test('produce lines with keys and headers, consume them back from the beginning exactly', async () => {
  await gregorOk(['topics', 'create', ...b(), '--topic', 'cli-keys', '--partitions', '3'])
  const lines = Array.from({ length: 30 }, (_, i) => `key-${i % 5}|value ${i} with | bars`)
  await gregorOk(['produce', ...b(), '--topic', 'cli-keys', '--key-separator', '|', '--header', 'source=cli', '--header', 'n=1'], lines.join('\n') + '\n')

  const records = await consumeAll('cli-keys', ['--from-beginning', '--max-messages', '30', '--timeout-ms', '10000'])
  assert.equal(records.length, 30)
  for (const r of records) assert.equal(r.headers, 'source:cli,n:1')
  // Same key → same partition (murmur2, as Kafka's partitioner); per partition, offsets 0.. in produce order.
  const partitionOfKey = new Map<string, number>()
  for (const r of records) {
    const seen = partitionOfKey.get(r.key)
    if (seen !== undefined) assert.equal(r.partition, seen, `key ${r.key} in two partitions`)
    partitionOfKey.set(r.key, r.partition)
  }
  for (const partition of [0, 1, 2]) {
    const got = records.filter((r) => r.partition === partition)
    const expected = lines.filter((line) => partitionOfKey.get(line.split('|')[0]!) === partition)
    assert.deepEqual(got.map((r) => r.offset), expected.map((_, i) => i))
    assert.deepEqual(got.map((r) => `${r.key}|${r.value}`), expected)
  }
})

test('consume from an offset and from a timestamp (ms and ISO-8601) starts exactly there', async () => {
  await gregorOk(['topics', 'create', ...b(), '--topic', 'cli-seek', '--partitions', '1'])
  await gregorOk(['produce', ...b(), '--topic', 'cli-seek'], 'a0\na1\na2\n')
  const first = await consumeAll('cli-seek', ['--from-beginning', '-c', '3', '--timeout-ms', '10000'])
  const boundary = Math.max(...first.map((r) => r.timestamp)) + 1
  await pollUntil(() => Date.now() > boundary, { message: 'the clock passes the first batch' })
  await gregorOk(['produce', ...b(), '--topic', 'cli-seek', '--acks', '1'], 'b3\nb4\n')

  const fromOffset = await consumeAll('cli-seek', ['--partition', '0', '--offset', '2', '-c', '3', '--timeout-ms', '10000'])
  assert.deepEqual(fromOffset.map((r) => [r.offset, r.value]), [[2, 'a2'], [3, 'b3'], [4, 'b4']])

  const fromTimestamp = await consumeAll('cli-seek', ['--timestamp', String(boundary), '-c', '2', '--timeout-ms', '10000'])
  assert.deepEqual(fromTimestamp.map((r) => [r.offset, r.value]), [[3, 'b3'], [4, 'b4']])
  const fromIso = await consumeAll('cli-seek', ['--timestamp', new Date(boundary).toISOString(), '-c', '2', '--timeout-ms', '10000'])
  assert.deepEqual(fromIso.map((r) => r.offset), [3, 4])

  // A timestamp after every record starts at the end: nothing until the idle timeout.
  const none = await gregorOk(['consume', ...b(), '--topic', 'cli-seek', '--timestamp', String(Date.now() + 3_600_000), '--timeout-ms', '300'])
  assert.equal(none.stdout, '')
})

test('plain output is the value only; --max-messages stops exactly; a missing key separator fails', async () => {
  await gregorOk(['produce', ...b(), '--topic', 'cli-plain', '--partition', '0', '--acks', '0'], 'x\r\ny\n\nz')
  const out = await gregorOk(['consume', ...b(), '--topic', 'cli-plain', '--from-beginning', '--max-messages', '3', '--timeout-ms', '10000'])
  assert.equal(out.stdout, 'x\ny\n\n', 'CRLF stripped, the empty line is an empty record, exactly 3 printed')

  const noSeparator = await gregor(['produce', ...b(), '--topic', 'cli-plain', '--key-separator', ':'], 'k:v\nnot-keyed\n')
  assert.equal(noSeparator.code, 1)
  assert.match(noSeparator.stderr, /no key separator found on line 2/)
})

test('server start rejects an invalid property with its name and exit status 1', async () => {
  const result = await gregor(['server', 'start', '--override', 'num.partitions=0', '--override', 'listeners=PLAINTEXT://127.0.0.1:0'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /num\.partitions/)
})

test('server start closes the broker and exits 0 on SIGTERM', async () => {
  const other = await startBrokerProcess()
  assert.match(other.stdout(), new RegExp(`^Gregor broker ${other.brokerId} listening on 127\\.0\\.0\\.1:${other.port}\\n`))
  assert.equal(await other.stop('SIGTERM'), 0)
})
