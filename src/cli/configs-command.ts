// `gregor configs describe | alter`, after kafka-configs.sh: --topic <name>, --broker <id> or
// --broker-defaults (the cluster-wide dynamic defaults); alter takes --add-config k=v,k2=v2 and
// --delete-config k,k2 and sends IncrementalAlterConfigs (SET and DELETE), as kafka-configs does.
// describe lists the dynamic configs; --all lists every config with its source.
import { KafkaClient } from '../client/kafka-client.js'
import { ConfigOperationType, describeConfigs, incrementalAlterConfigs, type ConfigChange, type ConfigResource } from '../client/log-admin.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import { BOOTSTRAP_OPTION, HELP_OPTION, parseCommandArgs } from './args.js'
import { CliError, usageError } from './cli-error.js'
import { write, type CliIo } from './io.js'
import { formatTable } from './table.js'

export const CONFIGS_USAGE = `Usage: gregor configs <command> (--topic <name> | --broker <id> | --broker-defaults) [options]

Commands:
  describe [--all]                                   Dynamic configs (--all: every config and its source)
  alter [--add-config <k=v,...>] [--delete-config <k,...>]

Options:
  -b, --bootstrap-server <host:port>   Broker to connect to (default 127.0.0.1:9092)
  -h, --help                           Show this help

Values containing commas are written in square brackets: --add-config cleanup.policy=[compact,delete]
`

const OPTIONS = {
  ...BOOTSTRAP_OPTION,
  ...HELP_OPTION,
  topic: { type: 'string', short: 't' },
  broker: { type: 'string' },
  'broker-defaults': { type: 'boolean' },
  all: { type: 'boolean' },
  'add-config': { type: 'string', multiple: true },
  'delete-config': { type: 'string', multiple: true },
} as const

const SOURCE_NAMES: Record<number, string> = {
  1: 'DYNAMIC_TOPIC_CONFIG', 2: 'DYNAMIC_BROKER_CONFIG', 3: 'DYNAMIC_DEFAULT_BROKER_CONFIG', 4: 'STATIC_BROKER_CONFIG', 5: 'DEFAULT_CONFIG',
}

export async function configsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await write(sub === undefined ? io.stderr : io.stdout, CONFIGS_USAGE)
    return sub === undefined ? 2 : 0
  }
  const { values } = parseCommandArgs(rest, OPTIONS)
  if (values.help === true) {
    await write(io.stdout, CONFIGS_USAGE)
    return 0
  }
  const resource = resourceOf(values.topic, values.broker, values['broker-defaults'] === true)
  const client = new KafkaClient({ bootstrapServers: values['bootstrap-server'], clientId: 'gregor-configs' })
  try {
    switch (sub) {
      case 'describe': {
        const outcome = await describeConfigs(client, resource)
        check(outcome, resource)
        const shown = values.all === true ? outcome.value : outcome.value.filter((entry) => entry.source >= 1 && entry.source <= 3)
        const rows = shown.map((entry) => [entry.name, entry.isSensitive ? '[hidden]' : (entry.value ?? ''), SOURCE_NAMES[entry.source] ?? String(entry.source), entry.isReadOnly ? 'yes' : 'no'])
        await write(io.stdout, formatTable(['NAME', 'VALUE', 'SOURCE', 'READ-ONLY'], rows))
        return 0
      }
      case 'alter': {
        const changes: ConfigChange[] = [
          ...parseAddConfig(values['add-config'] ?? []).map(([name, value]) => ({ name, op: ConfigOperationType.SET, value })),
          ...(values['delete-config'] ?? []).flatMap((list) => list.split(',')).map((name) => name.trim()).filter((name) => name !== '')
            .map((name) => ({ name, op: ConfigOperationType.DELETE, value: null })),
        ]
        if (changes.length === 0) throw usageError('alter needs --add-config or --delete-config')
        check(await incrementalAlterConfigs(client, resource, changes), resource)
        await write(io.stdout, `Completed updating config for ${describeResource(resource)}.\n`)
        return 0
      }
      default:
        throw usageError(`unknown configs command '${sub}'`)
    }
  } finally {
    await client.close()
  }
}

function resourceOf(topic: string | undefined, broker: string | undefined, isBrokerDefaults: boolean): ConfigResource {
  const chosen = [topic !== undefined, broker !== undefined, isBrokerDefaults].filter(Boolean).length
  if (chosen !== 1) throw usageError('exactly one of --topic, --broker and --broker-defaults is required')
  if (topic !== undefined) return { type: 2, name: topic }
  if (broker !== undefined) {
    if (!/^\d+$/.test(broker)) throw usageError(`--broker must be a broker id, not '${broker}'`)
    return { type: 4, name: broker }
  }
  return { type: 4, name: '' }
}

function describeResource(resource: ConfigResource): string {
  if (resource.type === 2) return `topic ${resource.name}`
  return resource.name === '' ? 'default brokers' : `broker ${resource.name}`
}

function check(outcome: { errorCode: number; errorMessage: string | null }, resource: ConfigResource): void {
  if (outcome.errorCode === ErrorCode.NONE) return
  throw new CliError('GREGOR_CLI_FAILED', `${describeResource(resource)}: ${errorName(outcome.errorCode)}${outcome.errorMessage === null ? '' : `: ${outcome.errorMessage}`}`)
}

/** `k=v,k2=v2`, where a value with commas is bracketed (`k=[a,b]`), as kafka-configs parses it. */
export function parseAddConfig(entries: readonly string[]): [string, string][] {
  const pairs: [string, string][] = []
  for (const entry of entries) {
    let position = 0
    while (position < entry.length) {
      const eq = entry.indexOf('=', position)
      if (eq <= position) throw usageError(`--add-config expects key=value pairs, not '${entry}'`)
      const name = entry.slice(position, eq).trim()
      let value: string
      if (entry[eq + 1] === '[') {
        const close = entry.indexOf(']', eq)
        if (close < 0) throw usageError(`unclosed [ in --add-config '${entry}'`)
        value = entry.slice(eq + 2, close)
        position = close + 1
      } else {
        const comma = entry.indexOf(',', eq)
        value = entry.slice(eq + 1, comma < 0 ? entry.length : comma)
        position = comma < 0 ? entry.length : comma
      }
      if (entry[position] === ',') position++
      pairs.push([name, value.trim()])
    }
  }
  return pairs
}
