// OffsetDelete (key 47), v0 (KIP-496). Deletes a group's committed offsets for partitions it does
// not consume: an active consumer group refuses topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC).
// Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; group-level errors (GROUP_ID_NOT_FOUND,
// NON_EMPTY_GROUP for non-consumer protocols, coordinator errors) are top-level.
import type { TopicPartition } from '../../coordinators/group/group-coordinator.js'
import { ErrorCode } from '../../protocol/errors.js'
import {
  createOffsetDeleteResponse, type OffsetDeleteRequest, type OffsetDeleteResponse,
} from '../../protocol/messages/offset-delete.js'
import type { ApiHandler } from '../api-handler.js'
import { partitionExists } from './offset-commit.js'

export const offsetDelete: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: 47,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const response = createOffsetDeleteResponse()
    const known: TopicPartition[] = []
    const knownSlots: { errorCode: number }[] = []
    for (const topic of request.topics) {
      const partitions = topic.partitions.map((partition) => {
        const slot = { partitionIndex: partition.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION as number }
        if (partitionExists(ctx.broker.metadata, topic.name, partition.partitionIndex)) {
          known.push({ topic: topic.name, partition: partition.partitionIndex })
          knownSlots.push(slot)
        }
        return slot
      })
      response.topics.push({ name: topic.name, partitions })
    }
    const result = await ctx.broker.groupCoordinator.deleteOffsets(request.groupId, known)
    if (result.errorCode !== ErrorCode.NONE) {
      response.errorCode = result.errorCode
      response.topics = []
      return response
    }
    result.partitionErrors.forEach((errorCode, index) => { knownSlots[index]!.errorCode = errorCode })
    return response
  },
  errorResponse(_request, errorCode) {
    const response = createOffsetDeleteResponse()
    response.errorCode = errorCode
    return response
  },
}
