// CreateTopics (key 19), v2-7 (Kafka 4 removed v0-1). Per-topic errors as Kafka: invalid name
// INVALID_TOPIC_EXCEPTION, existing TOPIC_ALREADY_EXISTS, bad counts INVALID_PARTITIONS /
// INVALID_REPLICATION_FACTOR, bad configs INVALID_CONFIG, a topic named twice in one request
// INVALID_REQUEST. validate_only checks everything and creates nothing. v5+ answers the
// resulting partition count, replication factor and configs.
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import {
  createCreateTopicsResponse, type CreateTopicsRequest, type CreateTopicsResponse,
} from '../../protocol/messages/create-topics.js'
import { ZERO_UUID } from '../../cluster/metadata-image.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'
import { describeTopicConfigs } from '../../config/topic-config.js'

type ResultTopic = CreateTopicsResponse['topics'][number]
type RequestTopic = CreateTopicsRequest['topics'][number]

export const createTopics: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: 19,
  minVersion: 2,
  maxVersion: 7,
  async handle(ctx, request) {
    const response = createCreateTopicsResponse()
    const counts = new Map<string, number>()
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1)
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) {
        response.topics.push(failed(topic.name, ErrorCode.INVALID_REQUEST, `Create topics request from client contains multiple entries for the following topics: ${topic.name}`))
        continue
      }
      response.topics.push(await createOne(ctx, topic, request.validateOnly))
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createCreateTopicsResponse()
    for (const topic of request.topics) response.topics.push(failed(topic.name, errorCode, null))
    return response
  },
}

async function createOne(ctx: RequestContext, topic: RequestTopic, validateOnly: boolean): Promise<ResultTopic> {
  const config = ctx.broker.config
  const configs: Record<string, string> = {}
  const controller = ctx.broker.controller
  try {
    for (const entry of topic.configs) {
      if (entry.value === null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${entry.name}`)
      configs[entry.name] = entry.value
    }
    // -1 means the broker's default, unless explicit assignments are given (then both must be -1).
    const usesDefaults = topic.assignments.length === 0
    const creation = {
      name: topic.name,
      numPartitions: usesDefaults && topic.numPartitions === -1 ? config.numPartitions : topic.numPartitions,
      replicationFactor: usesDefaults && topic.replicationFactor === -1 ? config.defaultReplicationFactor : topic.replicationFactor,
      assignments: topic.assignments.map((entry) => ({ partitionIndex: entry.partitionIndex, brokerIds: entry.brokerIds })),
      configs,
    }
    controller.validateCreate(creation, ctx.broker.metadata.brokers.length)
    const numPartitions = creation.assignments.length > 0 ? creation.assignments.length : creation.numPartitions
    const replicationFactor = creation.assignments.length > 0 ? creation.assignments[0]!.brokerIds.length : creation.replicationFactor
    let topicId: Buffer = ZERO_UUID
    if (!validateOnly) topicId = (await controller.createTopic(creation)).topicId
    return {
      name: topic.name, topicId, errorCode: ErrorCode.NONE, errorMessage: null, topicConfigErrorCode: ErrorCode.NONE,
      numPartitions, replicationFactor,
      configs: describeTopicConfigs(configs, config).map((entry) => ({
        name: entry.name, value: entry.value, readOnly: entry.isReadOnly, configSource: entry.source, isSensitive: entry.isSensitive,
      })),
    }
  } catch (error) {
    const code = errorCodeOf(error, ctx.log)
    return failed(topic.name, code, error instanceof KafkaError && error.message !== '' ? error.message : null)
  }
}

function failed(name: string, errorCode: number, errorMessage: string | null): ResultTopic {
  return {
    name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1, replicationFactor: -1, configs: null,
  }
}
