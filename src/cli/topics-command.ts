// `gregor topics create | list | describe | delete`, after kafka-topics.sh: the same options and
// messages where Kafka has them, a table for describe.
import { Admin, type TopicDescription } from '../client/admin.js'
import { KafkaClient } from '../client/kafka-client.js'
import { ErrorCode, errorName, KafkaError } from '../protocol/errors.js'
import { BOOTSTRAP_OPTION, HELP_OPTION, intOption, keyValues, parseCommandArgs, requireOption } from './args.js'
import { CliError, usageError } from './cli-error.js'
import { write, type CliIo } from './io.js'
import { topicsAlterCommand } from './partitions-command.js'
import { formatTable } from './table.js'

export const TOPICS_USAGE = `Usage: gregor topics <command> [options]

Commands:
  create --topic <name> [--partitions <n>] [--replication-factor <n>] [--config <key=value>]... [--if-not-exists]
  list [--exclude-internal]
  describe [--topic <name>]... [--exclude-internal]
  delete --topic <name>... [--if-exists]
  alter --topic <name> --partitions <n>

Options:
  -b, --bootstrap-server <host:port>   Broker to connect to (default 127.0.0.1:9092)
  -h, --help                           Show this help

Without --partitions or --replication-factor the broker's num.partitions and
default.replication.factor apply.
`

const OPTIONS = {
  ...BOOTSTRAP_OPTION,
  ...HELP_OPTION,
  topic: { type: 'string', short: 't', multiple: true },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  config: { type: 'string', multiple: true },
  'if-not-exists': { type: 'boolean' },
  'if-exists': { type: 'boolean' },
  'exclude-internal': { type: 'boolean' },
} as const

export async function topicsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await write(sub === undefined ? io.stderr : io.stdout, TOPICS_USAGE)
    return sub === undefined ? 2 : 0
  }
  if (sub === 'alter') return topicsAlterCommand(rest, io)
  const { values } = parseCommandArgs(rest, OPTIONS)
  if (values.help === true) {
    await write(io.stdout, TOPICS_USAGE)
    return 0
  }
  const client = new KafkaClient({ bootstrapServers: values['bootstrap-server'], clientId: 'gregor-topics' })
  const admin = new Admin(client)
  try {
    switch (sub) {
      case 'create': {
        const name = single('topic', values.topic)
        const numPartitions = intOption('partitions', values.partitions, 1, 2 ** 31 - 1)
        const replicationFactor = intOption('replication-factor', values['replication-factor'], 1, 32767)
        const configs = Object.fromEntries(keyValues('config', values.config))
        const [result] = await admin.createTopics([{ name, numPartitions: numPartitions ?? -1, replicationFactor: replicationFactor ?? -1, configs }])
        if (result === undefined) throw new CliError('GREGOR_CLI_FAILED', `no answer for topic ${name}`)
        if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && values['if-not-exists'] === true) return 0
        checkTopicResult(result)
        await write(io.stdout, `Created topic ${name}.\n`)
        return 0
      }
      case 'list': {
        const names = await admin.listTopics({ includeInternal: values['exclude-internal'] !== true })
        await write(io.stdout, names.map((n) => `${n}\n`).join(''))
        return 0
      }
      case 'describe': {
        const descriptions = await describe(admin, values.topic ?? null, values['exclude-internal'] === true)
        await write(io.stdout, descriptions.map(formatDescription).join('\n'))
        return 0
      }
      case 'delete': {
        const names = requireOption('topic', values.topic)
        const results = await admin.deleteTopics(names)
        for (const result of results) {
          if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && values['if-exists'] === true) continue
          checkTopicResult(result)
        }
        return 0
      }
      default:
        throw usageError(`unknown topics command '${sub}'\n\n${TOPICS_USAGE}`)
    }
  } finally {
    await client.close()
  }
}

function single(name: string, values: readonly string[] | undefined): string {
  const list = requireOption(name, values)
  if (list.length !== 1) throw usageError(`--${name} takes one value here`)
  return list[0]!
}

function checkTopicResult(result: { name: string; errorCode: number; errorMessage: string | null }): void {
  if (result.errorCode === ErrorCode.NONE) return
  const detail = result.errorMessage === null || result.errorMessage === '' ? '' : `: ${result.errorMessage}`
  throw new CliError('GREGOR_CLI_FAILED', `topic '${result.name}': ${errorName(result.errorCode)}${detail}`)
}

async function describe(admin: Admin, names: readonly string[] | null, excludeInternal: boolean): Promise<TopicDescription[]> {
  try {
    const all = await admin.describeTopics(names)
    return excludeInternal ? all.filter((d) => !d.isInternal) : all
  } catch (error) {
    if (error instanceof KafkaError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new CliError('GREGOR_CLI_FAILED', error.message)
    throw error
  }
}

/** Kafka prints topic ids as URL-safe base64 without padding. */
export function formatTopicId(topicId: Buffer): string {
  return topicId.toString('base64url')
}

function formatDescription(d: TopicDescription): string {
  const replicationFactor = d.partitions[0]?.replicas.length ?? 0
  // As kafka-topics --describe: only the configs the topic overrides (or the broker sets).
  const configs = d.configs
    .filter((c) => !c.isDefault && c.value !== null)
    .map((c) => `${c.name}=${c.value}`)
    .join(',')
  const summary = [
    `Topic: ${d.name}`,
    `TopicId: ${formatTopicId(d.topicId)}`,
    `PartitionCount: ${d.partitions.length}`,
    `ReplicationFactor: ${replicationFactor}`,
    `Configs: ${configs}`,
  ].join('\t')
  const rows = d.partitions.map((p) => [
    String(p.partition),
    p.leader < 0 ? 'none' : String(p.leader),
    p.replicas.join(','),
    p.isr.join(','),
    p.offlineReplicas.join(','),
    p.errorCode === ErrorCode.NONE ? '' : errorName(p.errorCode),
  ])
  return `${summary}\n${formatTable(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'OFFLINE', 'ERROR'], rows)}`
}
