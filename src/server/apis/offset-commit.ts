// OffsetCommit (key 8), v2-9: Kafka 4's floor (v0 stored offsets in ZooKeeper, v1 carried per-
// partition timestamps); 2-9 still overlaps librdkafka < 2.11's 1-2 probe. Partitions of unknown
// topics get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the group coordinator, which answers once
// the commit is in __consumer_offsets. v2-4 may set a retention time (-1: offsets.retention.minutes);
// v7+ carry group.instance.id; v9's generationIdOrMemberEpoch is the generation for classic groups.
import type { MetadataImage } from '../../cluster/metadata-image.js'
import type { OffsetCommitEntry } from '../../coordinators/group/group-coordinator.js'
import { ErrorCode } from '../../protocol/errors.js'
import {
  createOffsetCommitResponse, type OffsetCommitRequest, type OffsetCommitResponse,
} from '../../protocol/messages/offset-commit.js'
import type { ApiHandler } from '../api-handler.js'

export const offsetCommit: ApiHandler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: 8,
  minVersion: 2,
  maxVersion: 9,
  async handle(ctx, request) {
    const response = createOffsetCommitResponse()
    const accepted: OffsetCommitEntry[] = []
    const acceptedSlots: { errorCode: number }[] = []
    for (const topic of request.topics) {
      const partitions = topic.partitions.map((partition) => {
        const slot = { partitionIndex: partition.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION as number }
        if (partitionExists(ctx.broker.metadata, topic.name, partition.partitionIndex)) {
          accepted.push({
            topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset,
            leaderEpoch: partition.committedLeaderEpoch, metadata: partition.committedMetadata,
          })
          acceptedSlots.push(slot)
        }
        return slot
      })
      response.topics.push({ name: topic.name, partitions })
    }
    if (accepted.length === 0) return response
    const errors = await ctx.broker.groupCoordinator.commitOffsets({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      generationId: request.generationIdOrMemberEpoch,
      retentionTimeMs: ctx.apiVersion <= 4 ? Number(request.retentionTimeMs) : -1,
      offsets: accepted,
    })
    errors.forEach((errorCode, index) => { acceptedSlots[index]!.errorCode = errorCode })
    return response
  },
  errorResponse(request, errorCode) {
    const response = createOffsetCommitResponse()
    response.topics = request.topics.map((topic) => ({
      name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })),
    }))
    return response
  },
}

export function partitionExists(metadata: MetadataImage, topic: string, partition: number): boolean {
  const image = metadata.topics.get(topic)
  return image !== undefined && partition >= 0 && partition < image.partitions.length
}
