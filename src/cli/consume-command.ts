// `gregor consume`: prints records of a topic, like kafka-console-consumer and `kcat -C`, without
// a consumer group. Fields are printed in Kafka's DefaultMessageFormatter order (timestamp,
// partition, offset, headers, key, value), separated by --key-separator (a tab by default).
// Exits after --max-messages records, or when no record arrived for --timeout-ms.
import { EARLIEST_TIMESTAMP, KafkaClient, LATEST_TIMESTAMP } from '../client/kafka-client.js'
import { decodeFetchedRecords, type DecodedFetch, type FetchedRecord } from '../client/fetched-records.js'
import { RecordFormatError } from '../records/varint.js'
import { systemClock } from '../util/clock.js'
import { BOOTSTRAP_OPTION, HELP_OPTION, intOption, parseCommandArgs, requireOption } from './args.js'
import { CliError, usageError } from './cli-error.js'
import { write, type CliIo } from './io.js'

export const CONSUME_USAGE = `Usage: gregor consume --topic <name> [options]

Prints records, one per line. Starts at the end of each partition unless told otherwise.

Options:
  -t, --topic <name>                   Topic
  -p, --partition <n>                  Only this partition (default: all)
      --from-beginning                 Start at the log start offset
  -o, --offset <n|earliest|latest>     Start at this offset (needs --partition for a number)
      --timestamp <ms|ISO-8601>        Start at the first record with this timestamp or later
  -c, --max-messages <n>               Exit after this many records
      --timeout-ms <n>                 Exit when no record arrived for this long
      --print-key                      Print the key (null when absent)
      --print-headers                  Print headers as k:v,k:v (NO_HEADERS when none)
      --print-offset                   Print Offset:<n>
      --print-partition                Print Partition:<n>
      --print-timestamp                Print CreateTime:<ms> or LogAppendTime:<ms>
  -K, --key-separator <sep>            Separator between printed fields (default: tab)
  -b, --bootstrap-server <host:port>   Broker to connect to (default 127.0.0.1:9092)
  -h, --help                           Show this help
`

interface PrintOptions {
  readonly separator: Buffer
  readonly isKeyPrinted: boolean
  readonly isHeadersPrinted: boolean
  readonly isOffsetPrinted: boolean
  readonly isPartitionPrinted: boolean
  readonly isTimestampPrinted: boolean
}

const NEWLINE = Buffer.from('\n')
const NULL_TEXT = Buffer.from('null')

export async function consumeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...BOOTSTRAP_OPTION,
    ...HELP_OPTION,
    topic: { type: 'string', short: 't' },
    partition: { type: 'string', short: 'p' },
    'from-beginning': { type: 'boolean' },
    offset: { type: 'string', short: 'o' },
    timestamp: { type: 'string' },
    'max-messages': { type: 'string', short: 'c' },
    'timeout-ms': { type: 'string' },
    'print-key': { type: 'boolean' },
    'print-headers': { type: 'boolean' },
    'print-offset': { type: 'boolean' },
    'print-partition': { type: 'boolean' },
    'print-timestamp': { type: 'boolean' },
    'key-separator': { type: 'string', short: 'K', default: '\t' },
  })
  if (values.help === true) {
    await write(io.stdout, CONSUME_USAGE)
    return 0
  }
  const topic = requireOption('topic', values.topic)
  const onlyPartition = intOption('partition', values.partition, 0, 2 ** 31 - 1)
  const maxMessages = intOption('max-messages', values['max-messages'], 1)
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 0)
  const starts = [values['from-beginning'] === true, values.offset !== undefined, values.timestamp !== undefined].filter(Boolean).length
  if (starts > 1) throw usageError('give at most one of --from-beginning, --offset and --timestamp')
  const start = parseStart(values['from-beginning'] === true, values.offset, values.timestamp)
  if (start.kind === 'offset' && onlyPartition === undefined) throw usageError('--partition is required when --offset is a number')
  const print: PrintOptions = {
    separator: Buffer.from(values['key-separator'], 'utf8'),
    isKeyPrinted: values['print-key'] === true,
    isHeadersPrinted: values['print-headers'] === true,
    isOffsetPrinted: values['print-offset'] === true,
    isPartitionPrinted: values['print-partition'] === true,
    isTimestampPrinted: values['print-timestamp'] === true,
  }

  const client = new KafkaClient({ bootstrapServers: values['bootstrap-server'], clientId: 'gregor-consumer' })
  try {
    const info = await client.retrying(true, () => client.topicMetadata(topic))
    const partitions = onlyPartition === undefined ? info.partitions.map((p) => p.partition) : [onlyPartition]
    if (onlyPartition !== undefined && !info.partitions.some((p) => p.partition === onlyPartition)) {
      throw new CliError('GREGOR_CLI_FAILED', `topic ${topic} has no partition ${onlyPartition}`)
    }
    const positions = new Map<number, bigint>()
    for (const partition of partitions) positions.set(partition, await startOffset(client, topic, partition, start))

    let printed = 0
    let idleSinceMs = systemClock.monotonicMs()
    const pollWaitMs = partitions.length > 1 ? 100 : 500
    for (;;) {
      for (const partition of partitions) {
        const remainingIdleMs = timeoutMs === undefined ? pollWaitMs : Math.max(0, timeoutMs - (systemClock.monotonicMs() - idleSinceMs))
        const position = positions.get(partition)!
        const result = await client.fetch(topic, partition, position, { maxWaitMs: Math.min(pollWaitMs, remainingIdleMs) })
        const limit = maxMessages === undefined ? Number.POSITIVE_INFINITY : maxMessages - printed
        const { records, nextOffset } = decode(result.records, position, partition, limit)
        positions.set(partition, nextOffset)
        if (records.length > 0) {
          const parts: Buffer[] = []
          for (const record of records) format(record, partition, print, parts)
          printed += records.length
          idleSinceMs = systemClock.monotonicMs()
          await write(io.stdout, Buffer.concat(parts))
          if (maxMessages !== undefined && printed >= maxMessages) return 0
        }
      }
      if (timeoutMs !== undefined && systemClock.monotonicMs() - idleSinceMs >= timeoutMs) return 0
    }
  } finally {
    await client.close()
  }
}

type Start = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'timestamp'; timestampMs: bigint }

function parseStart(isFromBeginning: boolean, offset: string | undefined, timestamp: string | undefined): Start {
  if (isFromBeginning) return { kind: 'earliest' }
  if (offset !== undefined) {
    if (offset === 'earliest' || offset === 'beginning') return { kind: 'earliest' }
    if (offset === 'latest' || offset === 'end') return { kind: 'latest' }
    if (!/^\d+$/.test(offset)) throw usageError(`--offset must be a non-negative number, earliest or latest, not '${offset}'`)
    return { kind: 'offset', offset: BigInt(offset) }
  }
  if (timestamp !== undefined) {
    if (/^\d+$/.test(timestamp)) return { kind: 'timestamp', timestampMs: BigInt(timestamp) }
    const ms = Date.parse(timestamp)
    if (Number.isNaN(ms)) throw usageError(`--timestamp must be milliseconds since the epoch or an ISO-8601 date, not '${timestamp}'`)
    return { kind: 'timestamp', timestampMs: BigInt(ms) }
  }
  return { kind: 'latest' }
}

async function startOffset(client: KafkaClient, topic: string, partition: number, start: Start): Promise<bigint> {
  switch (start.kind) {
    case 'earliest':
      return (await client.listOffsets(topic, partition, EARLIEST_TIMESTAMP)).offset
    case 'latest':
      return (await client.listOffsets(topic, partition, LATEST_TIMESTAMP)).offset
    case 'offset':
      return start.offset
    case 'timestamp': {
      const found = await client.listOffsets(topic, partition, start.timestampMs)
      // No record at or after the timestamp: start at the end, as kcat and the Java consumer do.
      return found.offset >= 0n ? found.offset : (await client.listOffsets(topic, partition, LATEST_TIMESTAMP)).offset
    }
  }
}

function decode(bytes: Buffer, position: bigint, partition: number, limit: number): DecodedFetch {
  try {
    return decodeFetchedRecords(bytes, position, limit)
  } catch (error) {
    if (error instanceof RecordFormatError) throw new CliError('GREGOR_CLI_FAILED', `cannot decode the records of partition ${partition} at offset ${position}: ${error.message}`)
    throw error
  }
}

function format(record: FetchedRecord, partition: number, print: PrintOptions, parts: Buffer[]): void {
  const fields: Buffer[] = []
  if (print.isTimestampPrinted) fields.push(Buffer.from(`${record.timestampType}:${record.timestamp}`))
  if (print.isPartitionPrinted) fields.push(Buffer.from(`Partition:${partition}`))
  if (print.isOffsetPrinted) fields.push(Buffer.from(`Offset:${record.offset}`))
  if (print.isHeadersPrinted) {
    fields.push(
      record.headers.length === 0
        ? Buffer.from('NO_HEADERS')
        : Buffer.from(record.headers.map((h) => `${h.key}:${h.value === null ? 'null' : h.value.toString('utf8')}`).join(',')),
    )
  }
  if (print.isKeyPrinted) fields.push(record.key ?? NULL_TEXT)
  fields.push(record.value ?? NULL_TEXT)
  fields.forEach((field, i) => {
    if (i > 0) parts.push(print.separator)
    parts.push(field)
  })
  parts.push(NEWLINE)
}
