// `gregor produce`: one record per stdin line, like kafka-console-producer and `kcat -P`.
// Lines that arrive together are sent together: each stdin chunk is cut into lines, grouped per
// partition into batches of at most BATCH_BYTES_MAX, and produced before the next chunk is read
// (so stdin gets backpressure and an interactive line is sent at once). Nothing is printed on
// success; the first failure is printed on stderr and the exit status is 1.
import { KafkaClient, type Acks } from '../client/kafka-client.js'
import { partitionForKey } from '../client/partitioner.js'
import { buildRecordBatch, type RecordInput } from '../records/record-builder.js'
import { BOOTSTRAP_OPTION, HELP_OPTION, intOption, keyValues, parseCommandArgs, requireOption } from './args.js'
import { CliError, usageError } from './cli-error.js'
import { write, type CliIo } from './io.js'

export const PRODUCE_USAGE = `Usage: gregor produce --topic <name> [options] < lines

Produces one record per line of stdin.

Options:
  -t, --topic <name>                   Topic (created if the broker auto-creates topics)
  -p, --partition <n>                  Partition; default: murmur2 of the key as Kafka's
                                       partitioner, round robin per batch for records without a key
  -K, --key-separator <sep>            Lines are <key><sep><value>; a line without <sep> is an error
  -H, --header <key=value>             Header added to every record; repeatable
      --acks <0|1|all>                 Acknowledgement level (default all)
      --timeout-ms <n>                 How long the broker may wait for acks (default 30000)
  -b, --bootstrap-server <host:port>   Broker to connect to (default 127.0.0.1:9092)
  -h, --help                           Show this help
`

/** Bytes of record payload per produce request and partition; below message.max.bytes (1048588). */
const BATCH_BYTES_MAX = 512 * 1024
/** Records per batch: bounds the batch builder's per-record arrays. */
const BATCH_RECORDS_MAX = 10_000
/** Longest line kept while waiting for its end; beyond it the producer fails instead of buffering. */
const LINE_BYTES_MAX = 100 * 1024 * 1024
const NEWLINE = 0x0a

export async function produceCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...BOOTSTRAP_OPTION,
    ...HELP_OPTION,
    topic: { type: 'string', short: 't' },
    partition: { type: 'string', short: 'p' },
    'key-separator': { type: 'string', short: 'K' },
    header: { type: 'string', short: 'H', multiple: true },
    acks: { type: 'string', default: 'all' },
    'timeout-ms': { type: 'string' },
  })
  if (values.help === true) {
    await write(io.stdout, PRODUCE_USAGE)
    return 0
  }
  const topic = requireOption('topic', values.topic)
  const fixedPartition = intOption('partition', values.partition, 0, 2 ** 31 - 1)
  const acks = parseAcks(values.acks)
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 0, 2 ** 31 - 1) ?? 30_000
  const separator = values['key-separator'] === undefined ? null : Buffer.from(values['key-separator'], 'utf8')
  if (separator !== null && separator.length === 0) throw usageError('--key-separator must not be empty')
  const headers = keyValues('header', values.header).map(([key, value]) => ({ key, value }))

  const client = new KafkaClient({ bootstrapServers: values['bootstrap-server'], clientId: 'gregor-producer' })
  try {
    const info = await client.retrying(true, () => client.topicMetadata(topic, { allowAutoTopicCreation: true }))
    const numPartitions = info.partitions.length
    if (fixedPartition !== undefined && fixedPartition >= numPartitions) {
      throw new CliError('GREGOR_CLI_FAILED', `topic ${topic} has ${numPartitions} partition(s); there is no partition ${fixedPartition}`)
    }
    let roundRobin = 0
    let lineNumber = 0
    let pendingLine: Buffer[] = []
    let pendingBytes = 0

    const flush = async (lines: Buffer[]): Promise<void> => {
      const byPartition = new Map<number, RecordInput[]>()
      const unkeyedPartition = fixedPartition ?? roundRobin++ % numPartitions
      for (const line of lines) {
        lineNumber++
        const record = toRecord(line, separator, headers, lineNumber)
        const partition = fixedPartition ?? (record.key instanceof Buffer ? partitionForKey(record.key, numPartitions) : unkeyedPartition)
        let list = byPartition.get(partition)
        if (list === undefined) byPartition.set(partition, (list = []))
        list.push(record)
      }
      await Promise.all([...byPartition].map(([partition, records]) => produceRecords(client, topic, partition, records, acks, timeoutMs)))
    }

    for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
      const lines: Buffer[] = []
      let start = 0
      for (let nl = bytes.indexOf(NEWLINE); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
        const piece = bytes.subarray(start, nl)
        lines.push(stripCarriageReturn(pendingLine.length === 0 ? piece : Buffer.concat([...pendingLine, piece])))
        pendingLine = []
        pendingBytes = 0
        start = nl + 1
      }
      if (start < bytes.length) {
        pendingLine.push(bytes.subarray(start))
        pendingBytes += bytes.length - start
        if (pendingBytes > LINE_BYTES_MAX) throw new CliError('GREGOR_CLI_FAILED', `line ${lineNumber + lines.length + 1} is longer than ${LINE_BYTES_MAX} bytes`)
      }
      if (lines.length > 0) await flush(lines)
    }
    if (pendingLine.length > 0) await flush([stripCarriageReturn(Buffer.concat(pendingLine))])
    return 0
  } finally {
    await client.close()
  }
}

function parseAcks(value: string): Acks {
  switch (value) {
    case '0':
      return 0
    case '1':
      return 1
    case 'all':
    case '-1':
      return -1
    default:
      throw usageError(`--acks must be 0, 1 or all, not '${value}'`)
  }
}

function stripCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line
}

function toRecord(line: Buffer, separator: Buffer | null, headers: RecordInput['headers'], lineNumber: number): RecordInput {
  if (separator === null) return { key: null, value: line, headers }
  const at = line.indexOf(separator)
  if (at === -1) throw new CliError('GREGOR_CLI_FAILED', `no key separator found on line ${lineNumber}: ${line.toString('utf8')}`)
  return { key: line.subarray(0, at), value: line.subarray(at + separator.length), headers }
}

async function produceRecords(client: KafkaClient, topic: string, partition: number, records: RecordInput[], acks: Acks, timeoutMs: number): Promise<void> {
  let batch: RecordInput[] = []
  let batchBytes = 0
  for (const record of records) {
    const size = recordSize(record)
    if (batch.length > 0 && (batchBytes + size > BATCH_BYTES_MAX || batch.length >= BATCH_RECORDS_MAX)) {
      await client.produce(topic, partition, buildRecordBatch(batch), { acks, timeoutMs })
      batch = []
      batchBytes = 0
    }
    batch.push(record)
    batchBytes += size
  }
  if (batch.length > 0) await client.produce(topic, partition, buildRecordBatch(batch), { acks, timeoutMs })
}

function recordSize(record: RecordInput): number {
  let size = 20 + byteLength(record.key) + byteLength(record.value)
  for (const h of record.headers ?? []) size += h.key.length + byteLength(h.value)
  return size
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length
}
