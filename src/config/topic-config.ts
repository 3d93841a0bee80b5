// Topic-level configuration (Kafka's LogConfig): the topic property names, the broker property
// each falls back to when a topic does not override it, validation for CreateTopics/AlterConfigs,
// and the resolved, typed view the log layer uses. A TopicConfig field is the camelCase of the
// Kafka topic name (`segment.bytes` → `segmentBytes`).
import {
  atLeast,
  between,
  betweenOr,
  ConfigError,
  ConfigSource,
  ConfigTypeCode,
  listOf,
  oneOf,
  scaleIntegerString,
  type ConfigType,
  type ConfigValue,
  type Importance,
  type Validator,
} from './config-def.js'
import {
  brokerValueLayers,
  parseChecked,
  type ConfigSynonym,
  type DescribedConfig,
  type DynamicBrokerConfigs,
  type ServerConfig,
} from './server-config.js'

export interface TopicConfigDef<N extends string = string, T extends ConfigType = ConfigType> {
  readonly name: N
  readonly type: T
  /** Broker properties the default comes from, highest precedence first (Kafka's synonyms). */
  readonly brokerSynonyms: readonly string[]
  /** Used only when there is no broker synonym. */
  readonly default: string | null
  readonly importance: Importance
  readonly doc: string
  readonly validator: Validator | null
}

function topicProp<const N extends string, const T extends ConfigType>(
  name: N,
  type: T,
  brokerSynonyms: readonly string[],
  importance: Importance,
  doc: string,
  validator: Validator | null = null,
  defaultValue: string | null = null,
): TopicConfigDef<N, T> {
  return { name, type, brokerSynonyms, default: defaultValue, importance, doc, validator }
}

export const TOPIC_CONFIGS = [
  topicProp('cleanup.policy', 'list', ['log.cleanup.policy'], 'medium', 'delete and/or compact.', listOf('compact', 'delete')),
  topicProp('compression.type', 'string', ['compression.type'], 'medium', 'Final codec of stored batches.', oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  topicProp('compression.gzip.level', 'int', ['compression.gzip.level'], 'medium', 'gzip level when the broker compresses.', betweenOr(1, 9, -1)),
  topicProp('compression.lz4.level', 'int', ['compression.lz4.level'], 'medium', 'lz4 level when the broker compresses.', between(1, 17)),
  topicProp('compression.zstd.level', 'int', ['compression.zstd.level'], 'medium', 'zstd level when the broker compresses.', between(-131072, 22)),
  topicProp('delete.retention.ms', 'long', ['log.cleaner.delete.retention.ms'], 'medium', 'How long tombstones are kept when compacting.', atLeast(0)),
  topicProp('file.delete.delay.ms', 'long', ['log.segment.delete.delay.ms'], 'medium', 'Delay before a deleted segment file is removed.', atLeast(0)),
  topicProp('flush.messages', 'long', ['log.flush.interval.messages'], 'medium', 'Messages appended before an fsync.', atLeast(1)),
  topicProp('flush.ms', 'long', ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], 'medium', 'Longest time a message stays unflushed.', atLeast(0)),
  topicProp('index.interval.bytes', 'int', ['log.index.interval.bytes'], 'medium', 'Bytes between offset index entries.', atLeast(0)),
  topicProp('max.message.bytes', 'int', ['message.max.bytes'], 'medium', 'Largest record batch accepted.', atLeast(0)),
  topicProp('message.timestamp.type', 'string', ['log.message.timestamp.type'], 'medium', 'CreateTime or LogAppendTime.', oneOf('CreateTime', 'LogAppendTime')),
  topicProp('message.timestamp.before.max.ms', 'long', ['log.message.timestamp.before.max.ms'], 'medium', 'How far in the past a CreateTime timestamp may be.', atLeast(0)),
  topicProp('message.timestamp.after.max.ms', 'long', ['log.message.timestamp.after.max.ms'], 'medium', 'How far in the future a CreateTime timestamp may be.', atLeast(0)),
  topicProp('message.downconversion.enable', 'boolean', ['log.message.downconversion.enable'], 'low', 'Down-convert for old fetch versions.'),
  topicProp('min.insync.replicas', 'int', ['min.insync.replicas'], 'medium', 'In-sync replicas needed to accept acks=all.', atLeast(1)),
  topicProp('preallocate', 'boolean', ['log.preallocate'], 'medium', 'Preallocate segment files.'),
  topicProp('retention.bytes', 'long', ['log.retention.bytes'], 'medium', 'Partition size above which old segments are deleted; -1 is unbounded.'),
  topicProp('retention.ms', 'long', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], 'medium', 'Age after which segments are deleted; -1 keeps them.', atLeast(-1)),
  topicProp('segment.bytes', 'int', ['log.segment.bytes'], 'medium', 'Segment size at which the log rolls.', atLeast(14)),
  topicProp('segment.index.bytes', 'int', ['log.index.size.max.bytes'], 'medium', 'Maximum size of an offset index.', atLeast(4)),
  topicProp('segment.jitter.ms', 'long', ['log.roll.jitter.ms', 'log.roll.jitter.hours'], 'medium', 'Random jitter subtracted from segment.ms.', atLeast(0)),
  topicProp('segment.ms', 'long', ['log.roll.ms', 'log.roll.hours'], 'medium', 'Age at which the active segment rolls.', atLeast(1)),
  topicProp('min.cleanable.dirty.ratio', 'double', ['log.cleaner.min.cleanable.ratio'], 'medium', 'Dirty ratio above which the log is compacted.', between(0, 1)),
  topicProp('min.compaction.lag.ms', 'long', ['log.cleaner.min.compaction.lag.ms'], 'medium', 'Minimum age before a record may be compacted.', atLeast(0)),
  topicProp('max.compaction.lag.ms', 'long', ['log.cleaner.max.compaction.lag.ms'], 'medium', 'Maximum age before a record must become eligible for compaction.', atLeast(1)),
  topicProp('unclean.leader.election.enable', 'boolean', ['unclean.leader.election.enable'], 'medium', 'Allow a replica outside the ISR to become leader.'),
  topicProp('leader.replication.throttled.replicas', 'list', [], 'medium', 'Replicas throttled on the leader side (accepted; informational).', null, ''),
  topicProp('follower.replication.throttled.replicas', 'list', [], 'medium', 'Replicas throttled on the follower side (accepted; informational).', null, ''),
] as const

type TopicConfigs = (typeof TOPIC_CONFIGS)[number]
export type TopicConfigName = TopicConfigs['name']

type CamelCase<S extends string> = S extends `${infer Head}.${infer Rest}` ? `${Head}${Capitalize<CamelCase<Rest>>}` : S
type TypedValue<T extends ConfigType> = T extends 'int' | 'short' | 'long' | 'double'
  ? number
  : T extends 'boolean'
    ? boolean
    : T extends 'list'
      ? string[]
      : string

/** The effective configuration of one topic. Long.MAX_VALUE reads as Number.MAX_SAFE_INTEGER. */
export type TopicConfig = { readonly [D in TopicConfigs as CamelCase<D['name']>]: TypedValue<D['type']> }

function topicDef(name: string): TopicConfigDef | undefined {
  return (TOPIC_CONFIGS as readonly TopicConfigDef[]).find((d) => d.name === name)
}

/** Milliseconds per unit of a broker synonym named in hours or minutes. */
function unitFactor(brokerName: string): bigint {
  if (brokerName.endsWith('.hours')) return 3_600_000n
  if (brokerName.endsWith('.minutes')) return 60_000n
  return 1n
}

interface DefaultValue {
  readonly value: string | null
  readonly source: ConfigSource
}

/** The value a topic inherits when it has no override: the first broker synonym that has one. */
function inheritedValue(def: TopicConfigDef, server: ServerConfig, dynamic?: DynamicBrokerConfigs): DefaultValue {
  for (const brokerName of def.brokerSynonyms) {
    const layer = brokerValueLayers(brokerName, server, dynamic)[0]
    if (layer === undefined || layer.value === null) continue
    let value = layer.value
    const factor = unitFactor(brokerName)
    if (factor !== 1n) value = scaleIntegerString(value, factor)
    // Kafka answers -1 for any negative broker retention (KafkaConfig.logRetentionTimeMillis).
    if (def.name === 'retention.ms' && BigInt(value.trim()) < 0n) value = '-1'
    return { value: value.trim(), source: layer.source }
  }
  return { value: def.default, source: ConfigSource.DEFAULT_CONFIG }
}

/**
 * Checks topic overrides as CreateTopics and AlterConfigs do: every name known, every value valid,
 * min.compaction.lag.ms ≤ max.compaction.lag.ms. Throws ConfigError (GREGOR_UNKNOWN_CONFIG or
 * GREGOR_INVALID_CONFIG), which handlers answer with INVALID_CONFIG.
 */
export function validateTopicConfigs(overrides: Readonly<Record<string, string>>): void {
  const parsed = new Map<string, ConfigValue>()
  for (const [name, value] of Object.entries(overrides)) {
    const def = topicDef(name)
    if (def === undefined) throw new ConfigError('GREGOR_UNKNOWN_CONFIG', name, `Unknown topic config name: ${name}`)
    parsed.set(name, parseChecked(def, value))
  }
  const minLag = parsed.get('min.compaction.lag.ms')
  const maxLag = parsed.get('max.compaction.lag.ms')
  if (typeof minLag === 'number' && typeof maxLag === 'number' && minLag > maxLag) {
    throw new ConfigError(
      'GREGOR_INVALID_CONFIG',
      'min.compaction.lag.ms',
      `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`,
    )
  }
}

/** The effective, typed configuration of a topic: its overrides, else the broker's synonyms. Throws ConfigError. */
export function resolveTopicConfig(
  overrides: Readonly<Record<string, string>>,
  server: ServerConfig,
  dynamic?: DynamicBrokerConfigs,
): TopicConfig {
  validateTopicConfigs(overrides)
  const resolved: Record<string, ConfigValue> = {}
  for (const def of TOPIC_CONFIGS as readonly TopicConfigDef[]) {
    const text = overrides[def.name] ?? inheritedValue(def, server, dynamic).value
    resolved[camelCaseOfTopic(def.name)] = text === null ? null : parseChecked(def, text)
  }
  const config = resolved as unknown as TopicConfig
  if (config.minCompactionLagMs > config.maxCompactionLagMs) {
    throw new ConfigError('GREGOR_INVALID_CONFIG', 'min.compaction.lag.ms', 'min.compaction.lag.ms is greater than max.compaction.lag.ms')
  }
  return config
}

function camelCaseOfTopic(name: string): string {
  return name.replace(/\.([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** Every topic property (or the named ones; unknown names are skipped), as DescribeConfigs answers for a topic. */
export function describeTopicConfigs(
  overrides: Readonly<Record<string, string>>,
  server: ServerConfig,
  options: { names?: readonly string[] | null; dynamic?: DynamicBrokerConfigs } = {},
): DescribedConfig[] {
  const names = options.names ?? TOPIC_CONFIGS.map((d) => d.name)
  const described: DescribedConfig[] = []
  for (const name of names) {
    const def = topicDef(name)
    if (def === undefined) continue
    const override = overrides[name]
    const synonyms: ConfigSynonym[] = []
    if (override !== undefined) synonyms.push({ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG })
    for (const brokerName of def.brokerSynonyms) synonyms.push(...brokerValueLayers(brokerName, server, options.dynamic))
    const inherited = inheritedValue(def, server, options.dynamic)
    described.push({
      name,
      value: override ?? inherited.value,
      source: override !== undefined ? ConfigSource.DYNAMIC_TOPIC_CONFIG : inherited.source,
      isReadOnly: false,
      isSensitive: false,
      configType: ConfigTypeCode[def.type],
      documentation: def.doc,
      synonyms,
    })
  }
  return described
}
