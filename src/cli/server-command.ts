// `gregor server start`: runs a broker in this process until SIGTERM or SIGINT, then closes it
// cleanly and exits 0. Once it accepts connections it prints one line on stdout,
// `Gregor broker <id> listening on <host>:<port>` (docs/seams.md); logs go to stderr.
//
// Node's libuv thread pool (fs, zlib, crypto) is sized when the process starts, so set
// UV_THREADPOOL_SIZE in the environment of `gregor` (e.g. UV_THREADPOOL_SIZE=16), not here.
import type { Broker } from '../index.js'
import { keyValues, parseCommandArgs, HELP_OPTION } from './args.js'
import { CliError, usageError } from './cli-error.js'
import { write, type CliIo } from './io.js'

export const SERVER_USAGE = `Usage: gregor server start [config/server.properties] [--config <path>] [--override <key=value>]...

Starts a broker. Properties use Kafka's names (see config/server.properties).
Precedence, lowest first: defaults < the properties file < GREGOR_<NAME> environment
variables (GREGOR_LOG_DIRS ...) < --override. Size libuv's thread pool (file system,
compression) with UV_THREADPOOL_SIZE in the environment, e.g. UV_THREADPOOL_SIZE=16.

Options:
  --config <path>          Java properties file (also accepted as the first argument)
  --override <key=value>   Set a property; repeatable
  -h, --help               Show this help
`

export async function serverCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await write(io.stdout, SERVER_USAGE)
    return sub === undefined ? 2 : 0
  }
  if (sub !== 'start') throw usageError(`unknown server command '${sub}'\n\n${SERVER_USAGE}`)
  const { values, positionals } = parseCommandArgs(
    rest,
    { config: { type: 'string' }, override: { type: 'string', multiple: true }, ...HELP_OPTION },
    true,
  )
  if (values.help === true) {
    await write(io.stdout, SERVER_USAGE)
    return 0
  }
  if (positionals.length > 1) throw usageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`)
  if (positionals.length === 1 && values.config !== undefined) throw usageError('give the config file either as an argument or with --config, not both')
  const configFile = values.config ?? positionals[0]
  const config = Object.fromEntries(keyValues('override', values.override))

  // Loaded here so the client commands do not load the broker.
  const { startBroker } = await import('../index.js')
  // Signal handlers go in before start-up, so a SIGTERM that arrives while the broker starts (or
  // right after the listening line) still shuts it down cleanly instead of killing the process.
  let stopSignal: NodeJS.Signals | null = null
  let onStopSignal: ((signal: NodeJS.Signals) => void) | null = null
  const stop = (signal: NodeJS.Signals) => {
    if (stopSignal !== null) return
    stopSignal = signal
    onStopSignal?.(signal)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)

  let broker: Broker
  try {
    broker = await startBroker({ ...(configFile === undefined ? {} : { configFile }), config })
  } catch (error) {
    process.off('SIGTERM', stop)
    process.off('SIGINT', stop)
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('GREGOR_')) throw new CliError('GREGOR_CLI_FAILED', `cannot start the broker: ${(error as Error).message}`)
    throw error
  }
  await write(io.stdout, `Gregor broker ${broker.brokerId} listening on ${broker.host}:${broker.port}\n`)

  return new Promise<number>((resolve) => {
    const shutDown = (signal: NodeJS.Signals) => {
      void io.stderr.write(`gregor: ${signal} received, shutting down\n`)
      broker.close().then(
        () => resolve(0),
        (error: unknown) => {
          void io.stderr.write(`gregor: shutdown failed: ${(error as Error).stack ?? String(error)}\n`)
          resolve(1)
        },
      )
    }
    if (stopSignal !== null) shutDown(stopSignal)
    else onStopSignal = shutDown
  })
}
