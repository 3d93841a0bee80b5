// Topic administration over a KafkaClient: CreateTopics and DeleteTopics (sent to the controller,
// retried on NOT_CONTROLLER), listing and describing topics (Metadata + DescribeConfigs).
// Per-topic failures are returned as values, as Kafka's admin results carry them per topic.
import { ErrorCode, errorName, KafkaError } from '../protocol/errors.js'
import { CreateTopics, createCreateTopicsRequest } from '../protocol/messages/create-topics.js'
import { DeleteTopics, createDeleteTopicsRequest } from '../protocol/messages/delete-topics.js'
import { DescribeConfigs, createDescribeConfigsRequest } from '../protocol/messages/describe-configs.js'
import type { KafkaClient, PartitionInfo } from './kafka-client.js'

/** DescribeConfigs resource types (Kafka's ConfigResource.Type). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const

export interface NewTopic {
  name: string
  /** -1 (default) lets the broker use num.partitions. */
  numPartitions?: number
  /** -1 (default) lets the broker use default.replication.factor. */
  replicationFactor?: number
  configs?: Readonly<Record<string, string>>
}

export interface TopicResult {
  readonly name: string
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface ConfigEntry {
  readonly name: string
  readonly value: string | null
  readonly isReadOnly: boolean
  readonly isDefault: boolean
  readonly isSensitive: boolean
  /** DescribeConfigs ConfigSource (1 topic override, 4 static broker config, 5 default ...). */
  readonly source: number
}

export interface TopicDescription {
  readonly name: string
  readonly topicId: Buffer
  readonly isInternal: boolean
  readonly partitions: readonly PartitionInfo[]
  /** Every topic config the broker reports (empty when DescribeConfigs is unsupported). */
  readonly configs: readonly ConfigEntry[]
}

export interface AdminOptions {
  /** How long the controller may take (CreateTopics/DeleteTopics timeoutMs). */
  timeoutMs?: number
}

export class Admin {
  constructor(private readonly client: KafkaClient) {}

  async createTopics(topics: readonly NewTopic[], options: AdminOptions & { validateOnly?: boolean } = {}): Promise<TopicResult[]> {
    const request = createCreateTopicsRequest()
    request.timeoutMs = options.timeoutMs ?? 30_000
    request.validateOnly = options.validateOnly ?? false
    request.topics = topics.map((t) => ({
      name: t.name,
      numPartitions: t.numPartitions ?? -1,
      replicationFactor: t.replicationFactor ?? -1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    }))
    return this.client.retrying(false, async () => {
      const response = await (await this.client.controllerConnection()).send(CreateTopics, request, { timeoutMs: request.timeoutMs + 30_000 })
      throwIfNotController(response.topics)
      return response.topics.map((t) => ({ name: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage }))
    })
  }

  async deleteTopics(names: readonly string[], options: AdminOptions = {}): Promise<TopicResult[]> {
    const request = createDeleteTopicsRequest()
    request.timeoutMs = options.timeoutMs ?? 30_000
    return this.client.retrying(false, async () => {
      const connection = await this.client.controllerConnection()
      const version = connection.versionFor(DeleteTopics)
      // v6 names topics in `topics` (name or id); earlier versions in `topicNames`.
      request.topics = version >= 6 ? names.map((name) => ({ name, topicId: Buffer.alloc(16) })) : []
      request.topicNames = version >= 6 ? [] : [...names]
      const response = await connection.send(DeleteTopics, request, { version, timeoutMs: request.timeoutMs + 30_000 })
      throwIfNotController(response.responses)
      return response.responses.map((t) => ({ name: t.name ?? '', errorCode: t.errorCode, errorMessage: t.errorMessage }))
    })
  }

  /** Topic names, sorted; internal topics (__consumer_offsets ...) only when asked for. */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const metadata = await this.client.metadata(null)
    return [...metadata.topics.values()]
      .filter((t) => t.errorCode === ErrorCode.NONE && (options.includeInternal === true || !t.isInternal))
      .map((t) => t.name)
      .sort()
  }

  /** Partitions, replicas and configs of `names` (null: every topic). Throws KafkaError for a missing topic. */
  async describeTopics(names: readonly string[] | null): Promise<TopicDescription[]> {
    const metadata = await this.client.metadata(names)
    const wanted = names ?? [...metadata.topics.keys()].sort()
    const infos = wanted.map((name) => {
      const info = metadata.topics.get(name)
      if (info === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`)
      if (info.errorCode !== ErrorCode.NONE) throw new KafkaError(info.errorCode, `topic ${name}: ${errorName(info.errorCode)}`)
      return info
    })
    const configs = await this.describeTopicConfigs(infos.map((i) => i.name))
    return infos.map((info) => ({
      name: info.name,
      topicId: info.topicId,
      isInternal: info.isInternal,
      partitions: info.partitions,
      configs: configs.get(info.name) ?? [],
    }))
  }

  /** DescribeConfigs for topics; an empty map when the broker does not support the API. */
  async describeTopicConfigs(names: readonly string[]): Promise<Map<string, ConfigEntry[]>> {
    const result = new Map<string, ConfigEntry[]>()
    if (names.length === 0) return result
    const connection = await this.client.anyConnection()
    if (connection.brokerVersionRange(DescribeConfigs.apiKey) === undefined) return result
    const request = createDescribeConfigsRequest()
    request.resources = names.map((name) => ({ resourceType: ConfigResourceType.TOPIC, resourceName: name, configurationKeys: null }))
    const response = await connection.send(DescribeConfigs, request)
    for (const r of response.results) {
      if (r.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(r.errorCode, `describe configs of ${r.resourceName}: ${r.errorMessage ?? errorName(r.errorCode)}`)
      }
      result.set(
        r.resourceName,
        r.configs.map((c) => ({
          name: c.name,
          value: c.value,
          isReadOnly: c.readOnly,
          // v0 has isDefault; v1+ has configSource, where 5 is DEFAULT_CONFIG.
          isDefault: c.isDefault || c.configSource === 5,
          isSensitive: c.isSensitive,
          source: c.configSource,
        })),
      )
    }
    return result
  }
}

function throwIfNotController(results: readonly { errorCode: number }[]): void {
  // Retried by KafkaClient.retrying after a metadata refresh finds the new controller.
  if (results.some((r) => r.errorCode === ErrorCode.NOT_CONTROLLER)) throw new KafkaError(ErrorCode.NOT_CONTROLLER)
}
