// DeleteRecords (key 21), v0-2: moves a partition's log start offset forward (kafka-delete-records).
// Per partition, as Kafka: offset -1 means the high watermark; an offset below 0 or above the high
// watermark is OFFSET_OUT_OF_RANGE; a topic whose cleanup.policy lacks `delete` is
// POLICY_VIOLATION; the answer is the new low watermark. Segments wholly below it are deleted at
// once (storage/retention.ts) and the log-start-offset checkpoint is rewritten. With a single
// replica there is nothing to wait for, so timeoutMs is not used.
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import {
  createDeleteRecordsResponse, type DeleteRecordsRequest, type DeleteRecordsResponse,
} from '../../protocol/messages/delete-records.js'
import { deleteRecordsBefore } from '../../storage/retention.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number]

/** DeleteRecordsRequest.HIGH_WATERMARK */
const HIGH_WATERMARK = -1n

export const deleteRecords: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: 21,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const response = createDeleteRecordsResponse()
    for (const topic of request.topics) {
      const partitions: PartitionResult[] = []
      for (const partition of topic.partitions) partitions.push(await deleteOne(ctx, topic.name, partition.partitionIndex, partition.offset))
      response.topics.push({ name: topic.name, partitions })
    }
    await ctx.broker.logManager.checkpointLogStartOffsets()
    return response
  },
  errorResponse(request, errorCode) {
    const response = createDeleteRecordsResponse()
    for (const topic of request.topics) {
      response.topics.push({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, lowWatermark: -1n, errorCode })),
      })
    }
    return response
  },
}

async function deleteOne(ctx: RequestContext, topic: string, partitionIndex: number, requested: bigint): Promise<PartitionResult> {
  try {
    const partition = ctx.broker.replicaManager.leaderPartition(topic, partitionIndex, -1)
    const highWatermark = partition.highWatermark
    const offset = requested === HIGH_WATERMARK ? highWatermark : requested
    if (offset < 0 || offset > highWatermark) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot increment the log start offset to ${offset} of partition ${topic}-${partitionIndex} since it is larger than the high watermark ${highWatermark}`)
    }
    if (!partition.log.logConfig.cleanupPolicy.includes('delete')) {
      throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Records of partition ${topic}-${partitionIndex} can not be deleted due to the configured policy`)
    }
    const lowWatermark = await deleteRecordsBefore(partition.log, Number(offset), highWatermark)
    return { partitionIndex, lowWatermark: BigInt(lowWatermark), errorCode: ErrorCode.NONE }
  } catch (error) {
    return { partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(error, ctx.log) }
  }
}
