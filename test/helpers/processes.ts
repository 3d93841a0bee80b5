// Child processes started by tests: spawned, tracked by PID, and killed by PID when the test file
// ends (after() hooks call killTracked(); the 'exit' handler is the backstop for crashed tests).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

const tracked = new Map<number, ChildProcess>()

process.on('exit', () => {
  for (const pid of tracked.keys()) killPid(pid, 'SIGKILL')
})

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** Spawns a process that is killed by PID at the latest when the test process exits. */
export function spawnTracked(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options })
  if (child.pid === undefined) {
    // spawn failures (ENOENT) surface as an 'error' event; the caller listens for it.
    return child
  }
  const pid = child.pid
  tracked.set(pid, child)
  child.once('exit', () => tracked.delete(pid))
  return child
}

/** SIGKILLs every tracked process that is still running and waits for each to exit. */
export async function killTracked(): Promise<void> {
  const waits: Promise<void>[] = []
  for (const [pid, child] of tracked) {
    waits.push(exitOf(child).then(() => undefined))
    killPid(pid, 'SIGKILL')
  }
  await Promise.all(waits)
}

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Resolves when the child has exited (immediately if it already has). */
export function exitOf(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
    child.once('error', () => resolve({ code: null, signal: null }))
  })
}

/** Sends `signal` to the child by PID if it is still running. */
export function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  killPid(child.pid, signal)
}

/** Keeps the first and last `limit` characters of a stream: bounded memory, start-up lines kept. */
export class CapturedText {
  private head = ''
  private tail = ''
  private dropped = false

  constructor(private readonly limit = 256 * 1024) {}

  append(chunk: string): void {
    if (this.head.length < this.limit) {
      const room = this.limit - this.head.length
      this.head += chunk.slice(0, room)
      chunk = chunk.slice(room)
      if (chunk.length === 0) return
    }
    this.tail += chunk
    if (this.tail.length > 2 * this.limit) {
      this.tail = this.tail.slice(-this.limit)
      this.dropped = true
    }
  }

  toString(): string {
    return this.dropped ? `${this.head}\n[...]\n${this.tail.slice(-this.limit)}` : this.head + this.tail
  }
}

export interface RunOptions {
  input?: string | Buffer
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface RunResult extends ExitStatus {
  stdout: string
  stderr: string
}

/**
 * Runs a command to completion, feeding `input` on stdin. On timeout the process is SIGKILLed by
 * PID and the promise rejects with what it printed so far.
 */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { input, timeoutMs = 30_000, env, cwd } = options
  const child = spawnTracked(cmd, args, { env: env ?? process.env, cwd })
  const stdout = new CapturedText(4 * 1024 * 1024)
  const stderr = new CapturedText()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => stdout.append(chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.append(chunk))
  child.stdin!.on('error', () => {}) // the child may exit without reading its input
  child.stdin!.end(input ?? '')
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject))
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const closed = new Promise<ExitStatus>((resolve) => {
    // 'close' (not 'exit') so that all output has been read.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }))
  })
  try {
    const outcome = await Promise.race([closed, timedOut, spawnError])
    if (outcome === 'timeout') {
      signalChild(child, 'SIGKILL')
      await exitOf(child)
      throw new Error(
        `${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
      )
    }
    return { ...outcome, stdout: stdout.toString(), stderr: stderr.toString() }
  } finally {
    clearTimeout(timer)
  }
}

/** run() that rejects unless the command exits with status 0. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited with ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    )
  }
  return result
}
