// DeleteTopics (key 20), v1-6 (Kafka 4 removed v0). v6 names topics by name or id. Unknown
// topics get UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id); delete.topic.enable=false gets
// TOPIC_DELETION_DISABLED; internal topics cannot be deleted (INVALID_REQUEST... Kafka answers
// TOPIC_AUTHORIZATION_FAILED only under an authorizer, so we answer INVALID_TOPIC_EXCEPTION).
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import {
  createDeleteTopicsResponse, type DeleteTopicsRequest, type DeleteTopicsResponse,
} from '../../protocol/messages/delete-topics.js'
import { ZERO_UUID } from '../../cluster/metadata-image.js'
import { isInternalTopic } from '../../cluster/topic-names.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'

type Result = DeleteTopicsResponse['responses'][number]

export const deleteTopics: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: 20,
  minVersion: 1,
  maxVersion: 6,
  async handle(ctx, request) {
    const response = createDeleteTopicsResponse()
    const targets = ctx.apiVersion >= 6
      ? request.topics.map((topic) => ({ name: topic.name, topicId: topic.topicId }))
      : request.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }))
    for (const target of targets) response.responses.push(await deleteOne(ctx, target.name, target.topicId))
    return response
  },
  errorResponse(request, errorCode) {
    const response = createDeleteTopicsResponse()
    for (const name of request.topicNames) response.responses.push(result(name, ZERO_UUID, errorCode, null))
    for (const topic of request.topics) response.responses.push(result(topic.name, topic.topicId, errorCode, null))
    return response
  },
}

async function deleteOne(ctx: RequestContext, requestedName: string | null, topicId: Buffer): Promise<Result> {
  const image = ctx.broker.metadata
  const byId = requestedName === null || requestedName === ''
  const name = byId ? image.topicNameById(topicId) : requestedName
  if (name === undefined || name === null) return result(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID, null)
  const topic = image.topics.get(name)
  if (topic === undefined) return result(name, topicId, byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null)
  if (!ctx.broker.config.deleteTopicEnable) {
    return result(name, topic.topicId, ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.')
  }
  if (isInternalTopic(name)) {
    return result(name, topic.topicId, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot delete internal topic ${name}`)
  }
  try {
    await ctx.broker.controller.deleteTopic(name)
    await ctx.broker.groupCoordinator.onTopicDeleted(name)
    return result(name, topic.topicId, ErrorCode.NONE, null)
  } catch (error) {
    return result(name, topic.topicId, errorCodeOf(error, ctx.log), error instanceof KafkaError ? error.message : null)
  }
}

function result(name: string | null, topicId: Buffer, errorCode: number, errorMessage: string | null): Result {
  return { name, topicId, errorCode, errorMessage }
}
