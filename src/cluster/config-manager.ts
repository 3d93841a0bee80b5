// Dynamic configuration, in Kafka's ZooKeeper layout (ConfigAdminManager, DynamicBrokerConfig):
//   /config/topics/<topic>      {"version":1,"config":{...}}  topic overrides (the controller writes them)
//   /config/brokers/<id>        {"version":1,"config":{...}}  dynamic configs of one broker
//   /config/brokers/<default>   {"version":1,"config":{...}}  cluster-wide dynamic defaults
// Precedence, highest first: topic override > per-broker dynamic > cluster default dynamic >
// static (server.properties) > Kafka's default. This module holds the two dynamic broker layers,
// resolves a topic's effective LogConfig through all layers, and turns AlterConfigs /
// IncrementalAlterConfigs operations into a validated new set of configs for one resource.
//
// Errors, as Kafka: unknown topic configs and invalid values are INVALID_CONFIG; a broker config
// that cannot change at runtime (updateMode read-only), a per-broker config set at the cluster
// default, another broker's id, duplicate keys and null values are INVALID_REQUEST; APPEND and
// SUBTRACT on a non-list config are INVALID_CONFIG.
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import {
  brokerConfigDef, brokerValueString, ConfigError, parseBrokerConfigValue,
  type ConfigType, type DynamicBrokerConfigs, type ServerConfig,
} from '../config/server-config.js'
import { resolveTopicConfig, TOPIC_CONFIGS, validateTopicConfigs, type TopicConfig } from '../config/topic-config.js'
import { logConfigFrom, type LogConfig } from '../storage/log-config.js'
import { jsonData, parseJson, type CoordinationStore } from './coordination/store.js'

export const DEFAULT_BROKER_ENTITY = '<default>'

/** IncrementalAlterConfigs' ConfigOperation values. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

export interface ConfigOperation {
  readonly name: string
  readonly op: number
  readonly value: string | null
}

interface ConfigNode {
  version: 1
  config: Record<string, string>
}

export class ConfigManager {
  private perBroker: Record<string, string>
  private clusterDefault: Record<string, string>
  private readonly listeners: (() => void)[] = []
  /** One broker config change at a time: read-modify-write of the store node. */
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly store: CoordinationStore,
    readonly serverConfig: ServerConfig,
    readonly brokerId: number,
    perBroker: Record<string, string>,
    clusterDefault: Record<string, string>,
  ) {
    this.perBroker = perBroker
    this.clusterDefault = clusterDefault
  }

  static async load(store: CoordinationStore, serverConfig: ServerConfig, brokerId: number): Promise<ConfigManager> {
    const read = async (entity: string) => parseJson<ConfigNode>(await store.get(`/config/brokers/${entity}`))?.config ?? {}
    return new ConfigManager(store, serverConfig, brokerId, await read(String(brokerId)), await read(DEFAULT_BROKER_ENTITY))
  }

  /** The dynamic broker layers, for DescribeConfigs and topic resolution. */
  get dynamic(): DynamicBrokerConfigs {
    return { perBroker: this.perBroker, clusterDefault: this.clusterDefault }
  }

  /** A topic's effective config through every layer. Throws ConfigError. */
  topicConfigFor(overrides: Readonly<Record<string, string>>): TopicConfig {
    return resolveTopicConfig(overrides, this.serverConfig, this.dynamic)
  }

  logConfigFor(overrides: Readonly<Record<string, string>>): LogConfig {
    return logConfigFrom(this.topicConfigFor(overrides))
  }

  /** Called after the dynamic broker configs changed (the controller re-applies topic log configs). */
  onBrokerConfigsChanged(listener: () => void): void {
    this.listeners.push(listener)
  }

  /** The store entity of a broker resource name: '' is the cluster default; only this broker's id otherwise. */
  brokerEntity(resourceName: string): string {
    if (resourceName === '') return DEFAULT_BROKER_ENTITY
    if (resourceName !== String(this.brokerId)) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST,
        `Unexpected broker id, expected ${this.brokerId} or empty string, but received ${resourceName}`)
    }
    return resourceName
  }

  brokerConfigsOf(entity: string): Record<string, string> {
    return { ...(entity === DEFAULT_BROKER_ENTITY ? this.clusterDefault : this.perBroker) }
  }

  /** Checks a whole new set of dynamic configs for a broker entity; throws KafkaError. */
  validateBrokerConfigs(entity: string, configs: Readonly<Record<string, string>>): void {
    const readOnly: string[] = []
    const perBrokerOnly: string[] = []
    for (const [name, value] of Object.entries(configs)) {
      const def = brokerConfigDef(name)
      if (def === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown broker config name: ${name}`)
      if (def.updateMode === 'read-only') readOnly.push(name)
      else if (def.updateMode === 'per-broker' && entity === DEFAULT_BROKER_ENTITY) perBrokerOnly.push(name)
      else asInvalidConfig(() => parseBrokerConfigValue(name, value))
    }
    if (readOnly.length > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${readOnly.join(', ')})`)
    if (perBrokerOnly.length > 0) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST,
        `Cannot update these configs at default cluster level, broker id must be specified: Set(${perBrokerOnly.join(', ')})`)
    }
    // Cross-config rules (e.g. the compaction lags) are checked on the resulting topic defaults.
    const dynamic = entity === DEFAULT_BROKER_ENTITY ? { perBroker: this.perBroker, clusterDefault: configs } : { perBroker: configs, clusterDefault: this.clusterDefault }
    asInvalidConfig(() => resolveTopicConfig({}, this.serverConfig, dynamic))
  }

  /** Validates, persists and applies a new set of dynamic configs for a broker entity. */
  setBrokerConfigs(entity: string, configs: Record<string, string>): Promise<void> {
    const run = this.queue.then(async () => {
      this.validateBrokerConfigs(entity, configs)
      const path = `/config/brokers/${entity}`
      const node = jsonData({ version: 1, config: configs } satisfies ConfigNode)
      if ((await this.store.get(path)) === null) await this.store.create(path, node)
      else await this.store.set(path, node, -1)
      if (entity === DEFAULT_BROKER_ENTITY) this.clusterDefault = { ...configs }
      else this.perBroker = { ...configs }
      for (const listener of this.listeners) listener()
    })
    this.queue = run.catch(() => undefined)
    return run
  }

  /** The effective value of a broker config (dynamic layers included), for APPEND / SUBTRACT. */
  brokerValue(name: string): string | null {
    return brokerValueString(name, this.serverConfig, this.dynamic)
  }
}

/** Checks topic overrides; throws KafkaError(INVALID_CONFIG). */
export function validateTopicOverrides(configs: Readonly<Record<string, string>>): void {
  asInvalidConfig(() => validateTopicConfigs(configs))
}

function asInvalidConfig<T>(check: () => T): T {
  try {
    return check()
  } catch (error) {
    if (error instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, error.message)
    throw error
  }
}

/** The config type of a topic config name, or undefined when unknown. */
export function topicConfigType(name: string): ConfigType | undefined {
  return (TOPIC_CONFIGS as readonly { name: string; type: ConfigType }[]).find((def) => def.name === name)?.type
}

export function brokerConfigType(name: string): ConfigType | undefined {
  return brokerConfigDef(name)?.type
}

/**
 * IncrementalAlterConfigs on one resource: the new set of dynamic configs after applying `ops`
 * to `current` in order (ConfigAdminManager / ConfigurationControlManager). APPEND and SUBTRACT
 * start from the effective value (the default when not set) and apply to list configs only.
 */
export function applyIncrementalOps(
  current: Readonly<Record<string, string>>,
  ops: readonly ConfigOperation[],
  typeOf: (name: string) => ConfigType | undefined,
  effectiveValueOf: (name: string) => string | null,
): Record<string, string> {
  const names = new Set<string>()
  for (const op of ops) {
    if (names.has(op.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${op.name}`)
    names.add(op.name)
    if (op.op !== AlterConfigOp.DELETE && op.value === null) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${op.name}`)
    }
  }
  const next: Record<string, string> = { ...current }
  for (const op of ops) {
    switch (op.op) {
      case AlterConfigOp.SET:
        next[op.name] = op.value!
        break
      case AlterConfigOp.DELETE:
        delete next[op.name]
        break
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        const type = typeOf(op.name)
        if (type === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown config name: ${op.name}`)
        if (type !== 'list') {
          const verb = op.op === AlterConfigOp.APPEND ? 'append' : 'subtract'
          throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${op.name}`)
        }
        const base = splitList(next[op.name] ?? effectiveValueOf(op.name) ?? '')
        const values = splitList(op.value!)
        const result = op.op === AlterConfigOp.APPEND
          ? [...base, ...values.filter((value) => !base.includes(value))]
          : base.filter((value) => !values.includes(value))
        next[op.name] = result.join(',')
        break
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op.op} for ${op.name}`)
    }
  }
  return next
}

function splitList(text: string): string[] {
  return text.split(',').map((value) => value.trim()).filter((value) => value !== '')
}
