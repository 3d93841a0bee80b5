// A Gregor broker in its own process (`node bin/gregor.js server start`), for tests that need real
// process behaviour: kill -9, restart on the same log dirs, signals, stdout/stderr contracts.
import { once } from 'node:events'
import { GREGOR_BIN } from './paths.js'
import { CapturedText, exitOf, signalChild, spawnTracked } from './processes.js'
import { tmpDir } from './tmp-dir.js'

export interface BrokerProcessOptions {
  /** Extra `--override name=value` properties (Kafka names). */
  overrides?: Record<string, string>
  /** Log directories; a fresh temporary directory when absent. */
  logDirs?: string | string[]
  /** How long to wait for the "listening" line. */
  startTimeoutMs?: number
  env?: NodeJS.ProcessEnv
}

export interface BrokerProcess {
  readonly pid: number
  readonly brokerId: number
  readonly host: string
  readonly port: number
  /** `host:port`, for clients' bootstrap servers. */
  readonly bootstrap: string
  readonly logDirs: string[]
  /** Exit code, or null when the process was ended by a signal. */
  readonly exited: Promise<number | null>
  /** What the broker printed so far (pino JSON logs on stderr). */
  stdout(): string
  stderr(): string
  isRunning(): boolean
  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`). Resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
  /** kill -9 by PID and wait for the exit. */
  kill9(): Promise<void>
}

/** The line a broker prints on stdout once it accepts connections (docs/seams.md). */
const LISTENING = /Gregor broker (-?\d+) listening on (\S+):(\d+)/

export async function startBrokerProcess(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const logDirs =
    options.logDirs === undefined
      ? [tmpDir('gregor-logs-').path]
      : Array.isArray(options.logDirs)
        ? options.logDirs
        : [options.logDirs]
  const overrides: Record<string, string> = {
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': logDirs.join(','),
    ...options.overrides,
  }
  const args = [GREGOR_BIN, 'server', 'start']
  for (const [name, value] of Object.entries(overrides)) args.push('--override', `${name}=${value}`)

  const child = spawnTracked(process.execPath, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout = new CapturedText()
  const stderr = new CapturedText()
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.append(chunk))
  const exitStatus = exitOf(child)
  const exited = exitStatus.then((status) => status.code)

  const listening = new Promise<RegExpExecArray>((resolve) => {
    let pendingLine = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout.append(chunk)
      pendingLine += chunk
      const lines = pendingLine.split('\n')
      pendingLine = lines.pop()!
      for (const line of lines) {
        const match = LISTENING.exec(line)
        if (match) resolve(match)
      }
    })
  })
  const spawnError = once(child, 'error').then(([error]) => {
    throw error as Error
  })
  const startTimeoutMs = options.startTimeoutMs ?? 30_000
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), startTimeoutMs)
  })
  const outcome = await Promise.race([listening, exitStatus, timeout, spawnError]).finally(() => clearTimeout(timer))
  if (!Array.isArray(outcome)) {
    signalChild(child, 'SIGKILL')
    await exitStatus
    const why =
      outcome === 'timeout'
        ? `did not print "Gregor broker <id> listening on <host>:<port>" within ${startTimeoutMs} ms`
        : `exited with ${outcome.code ?? outcome.signal} before listening`
    throw new Error(`broker process ${why}\nargs: ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`)
  }
  const [, id, host, port] = outcome
  const pid = child.pid!

  const broker: BrokerProcess = {
    pid,
    brokerId: Number(id),
    host: host!,
    port: Number(port),
    bootstrap: `${host}:${port}`,
    logDirs,
    exited,
    stdout: () => stdout.toString(),
    stderr: () => stderr.toString(),
    isRunning: () => child.exitCode === null && child.signalCode === null,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000) {
      signalChild(child, signal)
      let killTimer: NodeJS.Timeout | undefined
      const forced = new Promise<void>((resolve) => {
        killTimer = setTimeout(() => {
          signalChild(child, 'SIGKILL')
          resolve()
        }, timeoutMs)
      })
      await Promise.race([exitStatus, forced])
      clearTimeout(killTimer)
      const status = await exitStatus
      if (status.signal === 'SIGKILL' && signal !== 'SIGKILL') {
        throw new Error(`broker ${pid} did not exit within ${timeoutMs} ms of ${signal}; killed\nstderr: ${stderr}`)
      }
      return status.code
    },
    async kill9() {
      signalChild(child, 'SIGKILL')
      await exitStatus
    },
  }
  return broker
}
