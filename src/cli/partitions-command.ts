// `gregor topics alter --topic <name> --partitions <n>` (kafka-topics --alter: CreatePartitions)
// and `gregor records delete --topic <name> --partition <p> --before-offset <n>`
// (kafka-delete-records: DeleteRecords; -1 deletes up to the high watermark).
import { KafkaClient } from '../client/kafka-client.js'
import { createPartitions, deleteRecords } from '../client/log-admin.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import { BOOTSTRAP_OPTION, HELP_OPTION, intOption, parseCommandArgs, requireOption } from './args.js'
import { CliError, usageError } from './cli-error.js'
import { write, type CliIo } from './io.js'

export const TOPICS_ALTER_USAGE = `Usage: gregor topics alter --topic <name> --partitions <n> [-b <host:port>]

Increases the number of partitions of a topic (it can never decrease).
`

export const RECORDS_USAGE = `Usage: gregor records delete --topic <name> --partition <p> --before-offset <n> [-b <host:port>]

Deletes the records of a partition below an offset by moving its log start offset
(-1: up to the high watermark).
`

const ALTER_OPTIONS = {
  ...BOOTSTRAP_OPTION, ...HELP_OPTION, topic: { type: 'string', short: 't' }, partitions: { type: 'string' },
} as const

const DELETE_OPTIONS = {
  ...BOOTSTRAP_OPTION, ...HELP_OPTION, topic: { type: 'string', short: 't' }, partition: { type: 'string', short: 'p' }, 'before-offset': { type: 'string' },
} as const

export async function topicsAlterCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, ALTER_OPTIONS)
  if (values.help === true) {
    await write(io.stdout, TOPICS_ALTER_USAGE)
    return 0
  }
  const topic = requireOption('topic', values.topic)
  const count = requireOption('partitions', intOption('partitions', values.partitions, 1, 2 ** 31 - 1))
  const client = new KafkaClient({ bootstrapServers: values['bootstrap-server'], clientId: 'gregor-topics' })
  try {
    const outcome = await createPartitions(client, topic, count)
    if (outcome.errorCode !== ErrorCode.NONE) {
      throw new CliError('GREGOR_CLI_FAILED', `topic ${topic}: ${errorName(outcome.errorCode)}${outcome.errorMessage === null ? '' : `: ${outcome.errorMessage}`}`)
    }
    await write(io.stdout, `Topic ${topic} now has ${count} partitions.\n`)
    return 0
  } finally {
    await client.close()
  }
}

export async function recordsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await write(sub === undefined ? io.stderr : io.stdout, RECORDS_USAGE)
    return sub === undefined ? 2 : 0
  }
  if (sub !== 'delete') throw usageError(`unknown records command '${sub}'`)
  const { values } = parseCommandArgs(rest, DELETE_OPTIONS)
  if (values.help === true) {
    await write(io.stdout, RECORDS_USAGE)
    return 0
  }
  const topic = requireOption('topic', values.topic)
  const partition = requireOption('partition', intOption('partition', values.partition, 0, 2 ** 31 - 1))
  const offset = requireOption('before-offset', intOption('before-offset', values['before-offset'], -1))
  const client = new KafkaClient({ bootstrapServers: values['bootstrap-server'], clientId: 'gregor-records' })
  try {
    const outcome = await deleteRecords(client, topic, partition, BigInt(offset))
    if (outcome.errorCode !== ErrorCode.NONE) throw new CliError('GREGOR_CLI_FAILED', `partition ${topic}-${partition}: ${errorName(outcome.errorCode)}`)
    await write(io.stdout, `Records delete operation completed:\npartition: ${topic}-${partition}\tlow_watermark: ${outcome.value}\n`)
    return 0
  } finally {
    await client.close()
  }
}
