// The `gregor` command: dispatches to subcommands and turns failures into an exit status
// (0 success, 1 failed operation, 2 usage error) and one line on stderr.
import { ConfigError } from '../config/config-def.js'
import { KafkaError } from '../protocol/errors.js'
import { CliError } from './cli-error.js'
import { processIo, write, type CliIo } from './io.js'

export const MAIN_USAGE = `Usage: gregor <command> [options]

Commands:
  server start    Run a broker (Kafka-named properties, config/server.properties)
  topics          Create, list, describe and delete topics
  produce         Produce stdin lines as records
  consume         Print records of a topic
  groups          List, describe, reset offsets of and delete consumer groups
  configs         Describe and alter topic and broker configs
  records         Delete records below an offset

Run 'gregor <command> --help' for the options of a command. The client commands work
against any Kafka-protocol broker.
`

type Command = (args: readonly string[], io: CliIo) => Promise<number>

// Commands load on demand: `server start` never loads the client, and the client commands never
// load the broker, which keeps start-up short.
const COMMANDS: Record<string, () => Promise<Command>> = {
  server: async () => (await import('./server-command.js')).serverCommand,
  topics: async () => (await import('./topics-command.js')).topicsCommand,
  produce: async () => (await import('./produce-command.js')).produceCommand,
  consume: async () => (await import('./consume-command.js')).consumeCommand,
  groups: async () => (await import('./groups.js')).groupsCommand,
  configs: async () => (await import('./configs-command.js')).configsCommand,
  records: async () => (await import('./partitions-command.js')).recordsCommand,
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined) {
    await write(io.stderr, MAIN_USAGE)
    return 2
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    await write(io.stdout, MAIN_USAGE)
    return 0
  }
  const load = COMMANDS[command]
  if (load === undefined) {
    await write(io.stderr, `gregor: unknown command '${command}'\n\n${MAIN_USAGE}`)
    return 2
  }
  try {
    const run = await load()
    return await run(rest, io)
  } catch (error) {
    await write(io.stderr, `gregor ${command}: ${describeError(error)}\n`)
    return error instanceof CliError ? error.exitCode : 1
  }
}

function describeError(error: unknown): string {
  // ConnectionError is matched by name so this module need not load the client.
  if (error instanceof CliError || error instanceof ConfigError || (error instanceof Error && error.name === 'ConnectionError')) {
    return error.message
  }
  if (error instanceof KafkaError) return error.message
  return (error as Error).stack ?? String(error)
}

/** Entry point of bin/gregor.js. */
export async function run(argv: readonly string[]): Promise<void> {
  // `gregor consume | head` closes stdout early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
  const status = await main(argv)
  process.exitCode = status
  // Commands close their connections; a broker that is shut down leaves no handles behind, but
  // exit explicitly so a stray timer in a dependency cannot keep the CLI alive.
  process.exit(status)
}
