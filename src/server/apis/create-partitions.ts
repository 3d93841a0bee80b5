// CreatePartitions (key 37), v0-3: grows a topic's partition count (kafka-topics --alter
// --partitions). Per topic, as Kafka: an unknown topic is UNKNOWN_TOPIC_OR_PARTITION, a count not
// above the current one INVALID_PARTITIONS, bad manual assignments INVALID_REPLICA_ASSIGNMENT, a
// topic named twice INVALID_REQUEST; validate_only checks everything and changes nothing.
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import {
  createCreatePartitionsResponse, type CreatePartitionsRequest, type CreatePartitionsResponse,
} from '../../protocol/messages/create-partitions.js'
import type { ApiHandler } from '../api-handler.js'

export const createPartitions: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const response = createCreatePartitionsResponse()
    const counts = new Map<string, number>()
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1)
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) {
        response.results.push({ name: topic.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' })
        continue
      }
      try {
        const assignments = topic.assignments?.map((assignment) => assignment.brokerIds) ?? null
        await ctx.broker.controller.createPartitions(topic.name, topic.count, assignments, request.validateOnly)
        response.results.push({ name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null })
      } catch (error) {
        response.results.push({
          name: topic.name, errorCode: errorCodeOf(error, ctx.log), errorMessage: error instanceof KafkaError ? error.message : null,
        })
      }
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createCreatePartitionsResponse()
    for (const topic of request.topics) response.results.push({ name: topic.name, errorCode, errorMessage: null })
    return response
  },
}
