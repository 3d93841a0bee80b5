// kcat (librdkafka 2.0.2) as a black-box client: metadata, produce and consume through its CLI.
import type { ConsumedRecord, Headers } from './delivery.js'
import { runOk, type RunResult } from './processes.js'

export const KCAT = 'kcat'

export interface KcatMetadata {
  controllerid?: number
  brokers: { id: number; name: string }[]
  topics: {
    topic: string
    error?: string
    partitions: { partition: number; leader: number; error?: string; replicas: { id: number }[]; isrs: { id: number }[] }[]
  }[]
}

/** `kcat -L -J`: cluster metadata as kcat reports it. */
export async function kcatMetadata(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const args = ['-b', bootstrap, '-L', '-J', ...(topic === undefined ? [] : ['-t', topic])]
  const { stdout } = await runOk(KCAT, args)
  return JSON.parse(stdout) as KcatMetadata
}

export interface KcatProduceOptions {
  partition?: number
  /** Messages are `key<delimiter>value` lines (`-K<delimiter>`). */
  keyDelimiter?: string
  /** Headers added to every message (`-H name=value`). */
  headers?: Headers
  /** librdkafka properties (`-X name=value`). */
  props?: Record<string, string>
  timeoutMs?: number
}

/** `kcat -P`: one message per line of `lines`; resolves when kcat has flushed and exited 0. */
export async function kcatProduce(bootstrap: string, topic: string, lines: readonly string[], options: KcatProduceOptions = {}): Promise<RunResult> {
  const args = ['-b', bootstrap, '-P', '-t', topic]
  if (options.partition !== undefined) args.push('-p', String(options.partition))
  if (options.keyDelimiter !== undefined) args.push(`-K${options.keyDelimiter}`)
  for (const [name, value] of options.headers ?? []) args.push('-H', `${name}=${value}`)
  for (const [name, value] of Object.entries(options.props ?? {})) args.push('-X', `${name}=${value}`)
  const input = lines.length === 0 ? '' : lines.join('\n') + '\n'
  return runOk(KCAT, args, { input, timeoutMs: options.timeoutMs ?? 30_000 })
}

export interface KcatConsumeOptions {
  partition?: number
  /** kcat `-o` argument: `beginning`, `end`, an absolute offset, `s@<ms>` ... (default beginning). */
  offset?: string
  /** Stop after this many messages (`-c`). */
  count?: number
  props?: Record<string, string>
  timeoutMs?: number
}

interface KcatJsonMessage {
  topic: string
  partition: number
  offset: number
  ts?: number
  key: string | null
  payload: string | null
  headers?: string[]
}

export interface KcatRecord extends ConsumedRecord {
  timestamp: number | undefined
}

/** `kcat -C -J -e`: reads until end of every selected partition; records in the order kcat printed them. */
export async function kcatConsume(bootstrap: string, topic: string, options: KcatConsumeOptions = {}): Promise<KcatRecord[]> {
  const args = ['-b', bootstrap, '-C', '-J', '-e', '-q', '-t', topic, '-o', options.offset ?? 'beginning']
  if (options.partition !== undefined) args.push('-p', String(options.partition))
  if (options.count !== undefined) args.push('-c', String(options.count))
  for (const [name, value] of Object.entries(options.props ?? {})) args.push('-X', `${name}=${value}`)
  const { stdout } = await runOk(KCAT, args, { timeoutMs: options.timeoutMs ?? 30_000 })
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const message = JSON.parse(line) as KcatJsonMessage
      const flat = message.headers ?? []
      const headers: Headers = []
      for (let i = 0; i + 1 < flat.length; i += 2) headers.push([flat[i]!, flat[i + 1]!])
      return {
        partition: message.partition,
        offset: message.offset,
        key: message.key,
        value: message.payload,
        headers,
        timestamp: message.ts,
      }
    })
}
