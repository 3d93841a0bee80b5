// Argument parsing on node:util parseArgs, with the conversions the commands share. Every
// failure is a usage error naming the option.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { usageError } from './cli-error.js'

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>

type ParsedArgs<O extends OptionSpecs> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>>

export function parseCommandArgs<const O extends OptionSpecs>(args: readonly string[], options: O, allowPositionals = false): ParsedArgs<O> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true as const })
  } catch (error) {
    throw usageError((error as Error).message)
  }
}

export function intOption(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined
  if (!/^-?\d+$/.test(value.trim())) throw usageError(`--${name} must be an integer, not '${value}'`)
  const n = Number(value)
  if (n < min || n > max) throw usageError(`--${name} must be between ${min} and ${max}, not ${value}`)
  return n
}

/** `key=value` pairs (repeatable options); a value may contain '='. */
export function keyValues(name: string, values: readonly string[] | undefined): [string, string][] {
  return (values ?? []).map((entry) => {
    const eq = entry.indexOf('=')
    if (eq <= 0) throw usageError(`--${name} expects key=value, not '${entry}'`)
    return [entry.slice(0, eq), entry.slice(eq + 1)]
  })
}

export function requireOption<T>(name: string, value: T | undefined): T {
  if (value === undefined) throw usageError(`--${name} is required`)
  return value
}

export const BOOTSTRAP_OPTION = {
  'bootstrap-server': { type: 'string', short: 'b', default: '127.0.0.1:9092' },
} as const

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const
