// OffsetFetch (key 9), v1-9 (Kafka 4's floor; librdkafka < 2.11 probes OffsetFetch ∋ 1). Null
// topics (v2+) mean every partition the group has offsets for; v7+ require_stable answers
// UNSTABLE_OFFSET_COMMIT for partitions with a commit still being written; v8+ ask for several
// groups at once. Group-level errors are per partition in v1, top-level in v2-7, per group in v8+.
// Unknown topics are not an error: they have no committed offset (-1), as in Kafka.
import type { FetchedOffset, TopicPartition } from '../../coordinators/group/group-coordinator.js'
import { ErrorCode } from '../../protocol/errors.js'
import {
  createOffsetFetchResponse, type OffsetFetchRequest, type OffsetFetchResponse,
} from '../../protocol/messages/offset-fetch.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'

type RequestTopics = { name: string; partitionIndexes: number[] }[] | null
type ResponseTopic = OffsetFetchResponse['topics'][number]

export const offsetFetch: ApiHandler<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: 9,
  minVersion: 1,
  maxVersion: 9,
  handle(ctx, request) {
    const response = createOffsetFetchResponse()
    const requireStable = ctx.apiVersion >= 7 && request.requireStable
    if (ctx.apiVersion >= 8) {
      response.groups = request.groups.map((group) => {
        const result = fetchGroup(ctx, group.groupId, group.topics, requireStable)
        return { groupId: group.groupId, errorCode: result.errorCode, topics: result.topics }
      })
      return response
    }
    const result = fetchGroup(ctx, request.groupId, request.topics, requireStable)
    if (result.errorCode === ErrorCode.NONE) {
      response.topics = result.topics
    } else if (ctx.apiVersion < 2) {
      response.topics = errorTopics(request.topics, result.errorCode)
    } else {
      response.errorCode = result.errorCode
    }
    return response
  },
  errorResponse(request, errorCode, apiVersion) {
    const response = createOffsetFetchResponse()
    if (apiVersion >= 8) {
      response.groups = request.groups.map((group) => ({ groupId: group.groupId, errorCode, topics: [] }))
    } else if (apiVersion < 2) {
      response.topics = errorTopics(request.topics, errorCode)
    } else {
      response.errorCode = errorCode
    }
    return response
  },
}

function fetchGroup(ctx: RequestContext, groupId: string, topics: RequestTopics, requireStable: boolean): { errorCode: number; topics: ResponseTopic[] } {
  const partitions: TopicPartition[] | null = topics === null
    ? null
    : topics.flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name, partition })))
  const result = ctx.broker.groupCoordinator.fetchOffsets(groupId, partitions, requireStable)
  return { errorCode: result.errorCode, topics: result.errorCode === ErrorCode.NONE ? byTopic(result.offsets) : [] }
}

function byTopic(offsets: readonly FetchedOffset[]): ResponseTopic[] {
  const topics = new Map<string, ResponseTopic>()
  for (const fetched of offsets) {
    let topic = topics.get(fetched.topic)
    if (topic === undefined) topics.set(fetched.topic, (topic = { name: fetched.topic, partitions: [] }))
    topic.partitions.push({
      partitionIndex: fetched.partition, committedOffset: fetched.offset, committedLeaderEpoch: fetched.leaderEpoch,
      metadata: fetched.metadata, errorCode: fetched.errorCode,
    })
  }
  return [...topics.values()]
}

function errorTopics(topics: RequestTopics, errorCode: number): ResponseTopic[] {
  return (topics ?? []).map((topic) => ({
    name: topic.name,
    partitions: topic.partitionIndexes.map((partitionIndex) => ({
      partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode,
    })),
  }))
}
