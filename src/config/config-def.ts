// The vocabulary of a config table, after Kafka's ConfigDef: types, validators, parsing of a
// property's string form into its typed value, and the codes DescribeConfigs puts on the wire.

/** Kafka's ConfigDef.Type, lower-cased. */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password'
export type Importance = 'high' | 'medium' | 'low'
/** Kafka's "Dynamic Update Mode" column of the broker config documentation. */
export type UpdateMode = 'read-only' | 'per-broker' | 'cluster-wide'

export type ConfigValue = number | boolean | string | string[] | null

/** Kafka's DescribeConfigsResponse `ConfigSource` values. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource]

/** Kafka's DescribeConfigsResponse `ConfigType` values (v3+). */
export const ConfigTypeCode: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
}

/** Errors outside the protocol carry stable string codes (STYLE.md). */
export type ConfigErrorCode = 'GREGOR_INVALID_CONFIG' | 'GREGOR_UNKNOWN_CONFIG' | 'GREGOR_CONFIG_FILE'

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    readonly code: ConfigErrorCode,
    /** The property at fault, or null for a whole-file problem. */
    readonly key: string | null,
    message: string,
  ) {
    super(message)
  }
}

export interface Validator {
  /** Returns null when the value is acceptable, otherwise the reason. */
  check(value: ConfigValue): string | null
  /** Human-readable form, as Kafka's "Valid Values" column. */
  readonly description: string
}

export function atLeast(min: number): Validator {
  return {
    description: `[${min},...]`,
    check: (value) => (typeof value === 'number' && value < min ? `Value must be at least ${min}` : null),
  }
}

export function between(min: number, max: number): Validator {
  return {
    description: `[${min},...,${max}]`,
    check: (value) =>
      typeof value === 'number' && (value < min || value > max) ? `Value must be no less than ${min} and no more than ${max}` : null,
  }
}

/** Like Kafka's ValidString.in: case-sensitive; null passes (nullable properties). */
export function oneOf(...allowed: string[]): Validator {
  return {
    description: `[${allowed.join(', ')}]`,
    check: (value) =>
      typeof value === 'string' && !allowed.includes(value) ? `String must be one of: ${allowed.join(', ')}` : null,
  }
}

/** Like Kafka's ValidList.in: every element must be allowed. */
export function listOf(...allowed: string[]): Validator {
  return {
    description: `[${allowed.join(', ')}]`,
    check: (value) => {
      if (!Array.isArray(value)) return null
      const bad = value.find((v) => !allowed.includes(v))
      return bad === undefined ? null : `Invalid value ${bad}; the list must contain only: ${allowed.join(', ')}`
    },
  }
}

/** A value inside [min, max], or one of the listed exceptions (e.g. -1 meaning "codec default"). */
export function betweenOr(min: number, max: number, ...exceptions: number[]): Validator {
  return {
    description: `[${min},...,${max}] or ${exceptions.join(', ')}`,
    check: (value) =>
      typeof value === 'number' && !exceptions.includes(value) && (value < min || value > max)
        ? `Value must be between ${min} and ${max}, or one of ${exceptions.join(', ')}`
        : null,
  }
}

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER)
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER)
const INTEGER = /^[+-]?\d+$/

export const LONG_MAX_STRING = INT64_MAX.toString()

/**
 * Parses `raw` as Kafka's ConfigDef.parseType does (values trimmed; booleans case-insensitive;
 * lists split on commas). `long` values outside ±(2^53-1) clamp to ±Number.MAX_SAFE_INTEGER:
 * every Kafka property defaulting to Long.MAX_VALUE uses it to mean "unbounded", which the clamp
 * keeps. The exact string stays available for DescribeConfigs.
 */
export function parseValue(name: string, type: ConfigType, raw: string): ConfigValue {
  const trimmed = raw.trim()
  const invalid = (why: string) => new ConfigError('GREGOR_INVALID_CONFIG', name, `Invalid value ${raw} for configuration ${name}: ${why}`)
  switch (type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase()
      if (lower === 'true') return true
      if (lower === 'false') return false
      throw invalid('Expected value to be either true or false')
    }
    case 'int':
    case 'short': {
      if (!INTEGER.test(trimmed)) throw invalid(`Not a number of type ${type.toUpperCase()}`)
      const n = Number(trimmed)
      const [min, max] = type === 'int' ? [INT32_MIN, INT32_MAX] : [-32768, 32767]
      if (n < min || n > max) throw invalid(`Not a number of type ${type.toUpperCase()}`)
      return n
    }
    case 'long': {
      if (!INTEGER.test(trimmed)) throw invalid('Not a number of type LONG')
      const n = BigInt(trimmed)
      if (n < INT64_MIN || n > INT64_MAX) throw invalid('Not a number of type LONG')
      if (n > SAFE_MAX) return Number.MAX_SAFE_INTEGER
      if (n < SAFE_MIN) return Number.MIN_SAFE_INTEGER
      return Number(n)
    }
    case 'double': {
      const n = trimmed === '' ? Number.NaN : Number(trimmed)
      if (Number.isNaN(n)) throw invalid('Not a number of type DOUBLE')
      return n
    }
    case 'list':
      return trimmed === '' ? [] : trimmed.split(/\s*,\s*/)
    case 'string':
    case 'class':
    case 'password':
      return trimmed
  }
}

/** Exact decimal string of an integer-typed value; bigint math so Long.MAX_VALUE survives. */
export function scaleIntegerString(value: string, factor: bigint): string {
  return (BigInt(value.trim()) * factor).toString()
}
