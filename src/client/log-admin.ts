// Log-management administration over a KafkaClient: DescribeConfigs and IncrementalAlterConfigs for
// topics and brokers, CreatePartitions (to the controller) and DeleteRecords (to each partition's
// leader). Per-resource failures come back as values, as in Kafka's admin results.
import { CreatePartitions, createCreatePartitionsRequest } from '../protocol/messages/create-partitions.js'
import { DeleteRecords, createDeleteRecordsRequest } from '../protocol/messages/delete-records.js'
import { DescribeConfigs, createDescribeConfigsRequest } from '../protocol/messages/describe-configs.js'
import { IncrementalAlterConfigs, createIncrementalAlterConfigsRequest } from '../protocol/messages/incremental-alter-configs.js'
import type { KafkaClient } from './kafka-client.js'

export interface ConfigResource {
  /** 2 topic, 4 broker (name "" is the cluster-wide default). */
  readonly type: number
  readonly name: string
}

export interface DescribedConfigEntry {
  readonly name: string
  readonly value: string | null
  /** DescribeConfigs ConfigSource: 1 topic, 2 broker, 3 cluster default, 4 static, 5 default. */
  readonly source: number
  readonly isReadOnly: boolean
  readonly isSensitive: boolean
}

export interface ResourceOutcome<T> {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly value: T
}

/** IncrementalAlterConfigs operations. */
export const ConfigOperationType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

export interface ConfigChange {
  readonly name: string
  readonly op: number
  readonly value: string | null
}

export async function describeConfigs(client: KafkaClient, resource: ConfigResource): Promise<ResourceOutcome<DescribedConfigEntry[]>> {
  const request = createDescribeConfigsRequest()
  request.resources = [{ resourceType: resource.type, resourceName: resource.name, configurationKeys: null }]
  const response = await (await client.anyConnection()).send(DescribeConfigs, request)
  const result = response.results[0]!
  return {
    errorCode: result.errorCode,
    errorMessage: result.errorMessage,
    value: result.configs.map((entry) => ({
      name: entry.name, value: entry.value, source: entry.configSource, isReadOnly: entry.readOnly, isSensitive: entry.isSensitive,
    })),
  }
}

export async function incrementalAlterConfigs(
  client: KafkaClient, resource: ConfigResource, changes: readonly ConfigChange[], validateOnly = false,
): Promise<ResourceOutcome<null>> {
  const request = createIncrementalAlterConfigsRequest()
  request.validateOnly = validateOnly
  request.resources = [{
    resourceType: resource.type, resourceName: resource.name,
    configs: changes.map((change) => ({ name: change.name, configOperation: change.op, value: change.value })),
  }]
  const response = await (await client.anyConnection()).send(IncrementalAlterConfigs, request)
  const result = response.responses[0]!
  return { errorCode: result.errorCode, errorMessage: result.errorMessage, value: null }
}

export async function createPartitions(client: KafkaClient, topic: string, count: number, validateOnly = false): Promise<ResourceOutcome<null>> {
  const request = createCreatePartitionsRequest()
  request.topics = [{ name: topic, count, assignments: null }]
  request.timeoutMs = 30_000
  request.validateOnly = validateOnly
  const response = await (await client.controllerConnection()).send(CreatePartitions, request)
  const result = response.results[0]!
  return { errorCode: result.errorCode, errorMessage: result.errorMessage, value: null }
}

/** Moves the partition's log start offset to `offset` (-1: the high watermark); the value is the new low watermark. */
export async function deleteRecords(client: KafkaClient, topic: string, partition: number, offset: bigint): Promise<ResourceOutcome<bigint>> {
  const request = createDeleteRecordsRequest()
  request.topics = [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }]
  request.timeoutMs = 30_000
  const response = await (await client.leaderConnection(topic, partition)).send(DeleteRecords, request)
  const result = response.topics[0]!.partitions[0]!
  return { errorCode: result.errorCode, errorMessage: null, value: result.lowWatermark }
}
