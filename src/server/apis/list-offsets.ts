// ListOffsets (key 2), v1-10 (Kafka 4 removed v0). Special timestamps: -2 earliest (log start
// offset), -1 latest (high watermark, or last stable offset for read_committed), -3 the record
// with the largest timestamp (KIP-734), -4 earliest local (= earliest: no tiered storage), -5
// latest tiered (no tiered storage: offset -1). Otherwise the first offset whose timestamp is at
// or after the one asked, below the high watermark; none gives offset -1 and timestamp -1.
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import {
  createListOffsetsResponse, type ListOffsetsRequest, type ListOffsetsResponse,
} from '../../protocol/messages/list-offsets.js'
import { READ_COMMITTED, checkLeaderEpoch } from '../../cluster/replica-manager.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'

type ResponsePartition = ListOffsetsResponse['topics'][number]['partitions'][number]
type RequestPartition = ListOffsetsRequest['topics'][number]['partitions'][number]

const LATEST_TIMESTAMP = -1
const EARLIEST_TIMESTAMP = -2
const MAX_TIMESTAMP = -3
const EARLIEST_LOCAL_TIMESTAMP = -4
const LATEST_TIERED_TIMESTAMP = -5

export const listOffsets: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  minVersion: 1,
  maxVersion: 10,
  async handle(ctx, request) {
    const response = createListOffsetsResponse()
    const seen = new Set<string>()
    for (const topic of request.topics) {
      const partitions = await Promise.all(topic.partitions.map((partition) => {
        const key = `${topic.name}-${partition.partitionIndex}`
        if (seen.has(key)) return Promise.resolve(answer(partition.partitionIndex, ErrorCode.INVALID_REQUEST))
        seen.add(key)
        return listPartition(ctx, topic.name, partition, request.isolationLevel)
      }))
      response.topics.push({ name: topic.name, partitions })
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createListOffsetsResponse()
    for (const topic of request.topics) {
      response.topics.push({ name: topic.name, partitions: topic.partitions.map((p) => answer(p.partitionIndex, errorCode)) })
    }
    return response
  },
}

async function listPartition(
  ctx: RequestContext, topic: string, request: RequestPartition, isolationLevel: number,
): Promise<ResponsePartition> {
  try {
    const partition = ctx.broker.replicaManager.leaderPartition(topic, request.partitionIndex, -1)
    checkLeaderEpoch(partition, request.currentLeaderEpoch)
    const timestamp = Number(request.timestamp)
    const out = answer(request.partitionIndex, ErrorCode.NONE)
    out.leaderEpoch = partition.leaderEpoch
    switch (timestamp) {
      case EARLIEST_TIMESTAMP:
      case EARLIEST_LOCAL_TIMESTAMP:
        out.offset = BigInt(partition.logStartOffset)
        return out
      case LATEST_TIMESTAMP:
        out.offset = BigInt(isolationLevel === READ_COMMITTED ? partition.lastStableOffset : partition.highWatermark)
        return out
      case LATEST_TIERED_TIMESTAMP:
        return out
      case MAX_TIMESTAMP: {
        const found = await partition.offsetOfMaxTimestamp(partition.highWatermark)
        if (found !== null) {
          out.offset = BigInt(found.offset)
          out.timestamp = BigInt(found.timestamp)
        }
        return out
      }
      default: {
        if (timestamp < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `invalid timestamp ${timestamp}`)
        const found = await partition.offsetForTimestamp(timestamp, partition.highWatermark)
        if (found !== null) {
          out.offset = BigInt(found.offset)
          out.timestamp = BigInt(found.timestamp)
        }
        return out
      }
    }
  } catch (error) {
    return answer(request.partitionIndex, errorCodeOf(error, ctx.log))
  }
}

function answer(partitionIndex: number, errorCode: number): ResponsePartition {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 }
}
