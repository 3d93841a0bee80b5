// Metadata (key 3), v0-12. v0 asks for all topics with an empty list, v1+ with null. Unknown
// topics are auto-created when auto.create.topics.enable is on and (v4+) the client allows it;
// unlike Kafka, the answer already carries the new topic's leaders (creation is synchronous on
// a single broker), so clients need no retry. v10+ may name topics by id.
import { ZERO_UUID, type TopicImage } from '../../cluster/metadata-image.js'
import { GROUP_METADATA_TOPIC, isInternalTopic, topicNameProblem } from '../../cluster/topic-names.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  createMetadataResponse, type MetadataRequest, type MetadataResponse,
} from '../../protocol/messages/metadata.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'

type ResponseTopic = MetadataResponse['topics'][number]

// Without an authorizer every operation is allowed: the bit sets Kafka reports for ALLOW-all.
const TOPIC_OPERATIONS_ALL = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0)
const CLUSTER_OPERATIONS_ALL = [5, 7, 8, 9, 10, 11, 12, 13, 14].reduce((bits, op) => bits | (1 << op), 0)
const OPERATIONS_NOT_REQUESTED = -2147483648

export const metadata: ApiHandler<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, request) {
    const image = ctx.broker.metadata
    const response = createMetadataResponse()
    response.brokers = image.brokers.map((broker) => ({ nodeId: broker.brokerId, host: broker.host, port: broker.port, rack: broker.rack }))
    response.clusterId = image.clusterId
    response.controllerId = image.controllerId
    response.clusterAuthorizedOperations = request.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS_ALL : OPERATIONS_NOT_REQUESTED
    const includeTopicOperations = request.includeTopicAuthorizedOperations

    const allTopics = request.topics === null || (ctx.apiVersion === 0 && request.topics.length === 0)
    if (allTopics) {
      for (const topic of image.topics.values()) response.topics.push(describeTopic(topic, includeTopicOperations))
      return response
    }
    if (ctx.apiVersion < 12 && request.topics!.some((topic) => topic.name === null)) {
      // Only v12+ may name topics by id alone (KIP-516); Kafka rejects a null name before that.
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Topic name can not be null for version ${ctx.apiVersion}`)
    }
    const mayAutoCreate = ctx.broker.config.autoCreateTopicsEnable && (ctx.apiVersion < 4 || request.allowAutoTopicCreation)
    const seen = new Set<string>()
    for (const requested of request.topics!) {
      let name = requested.name
      const byId = name === null || (name === '' && ctx.apiVersion >= 10 && !requested.topicId.equals(ZERO_UUID))
      if (byId) {
        const found = image.topicNameById(requested.topicId)
        if (found === undefined) {
          // Names are non-nullable in responses before v12.
          response.topics.push(errorTopic(ctx.apiVersion >= 12 ? null : '', requested.topicId, ErrorCode.UNKNOWN_TOPIC_ID))
          continue
        }
        name = found
      }
      if (name === null) continue
      if (seen.has(name)) continue
      seen.add(name)
      const existing = image.topics.get(name)
      if (existing !== undefined) {
        response.topics.push(describeTopic(existing, includeTopicOperations))
        continue
      }
      response.topics.push(await unknownTopic(ctx, name, mayAutoCreate, includeTopicOperations))
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createMetadataResponse()
    for (const topic of request.topics ?? []) response.topics.push(errorTopic(topic.name ?? '', topic.topicId, errorCode))
    return response
  },
}

async function unknownTopic(ctx: RequestContext, name: string, mayAutoCreate: boolean, includeOperations: boolean): Promise<ResponseTopic> {
  const problem = topicNameProblem(name)
  if (problem !== null) return errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION)
  if (mayAutoCreate && name === GROUP_METADATA_TOPIC) {
    // As Kafka, auto-creation makes __consumer_offsets the way the group coordinator does (its
    // partition count and configs); tools such as Burrow read it before any group was looked up.
    await ctx.broker.offsetsTopic.awaitAvailable()
    const created = ctx.broker.metadata.topics.get(name)
    return created === undefined ? errorTopic(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE) : describeTopic(created, includeOperations)
  }
  if (!mayAutoCreate || isInternalTopic(name)) return errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const config = ctx.broker.config
  try {
    const topic = await ctx.broker.controller.createTopic({
      name, numPartitions: config.numPartitions, replicationFactor: config.defaultReplicationFactor, assignments: [], configs: {},
    })
    return describeTopic(topic, includeOperations)
  } catch (error) {
    // A concurrent request may have created it first.
    const created = ctx.broker.metadata.topics.get(name)
    if (created !== undefined) return describeTopic(created, includeOperations)
    if (error instanceof KafkaError) return errorTopic(name, ZERO_UUID, error.code)
    ctx.log.error({ err: error, topic: name }, 'auto-creating topic failed')
    return errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_SERVER_ERROR)
  }
}

function describeTopic(topic: TopicImage, includeOperations: boolean): ResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.isInternal,
    partitions: topic.partitions.map((state) => ({
      errorCode: state.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: state.partition,
      leaderId: state.leader,
      leaderEpoch: state.leaderEpoch,
      replicaNodes: [...state.replicas],
      isrNodes: [...state.isr],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: includeOperations ? TOPIC_OPERATIONS_ALL : OPERATIONS_NOT_REQUESTED,
  }
}

function errorTopic(name: string | null, topicId: Buffer, errorCode: number): ResponseTopic {
  return {
    errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
  }
}
