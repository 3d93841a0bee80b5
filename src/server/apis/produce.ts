// Produce (key 0). Advertised from v0 but v0-2 are answered UNSUPPORTED_VERSION, as Kafka 4
// does (older librdkafka only enables compression when Produce v0 is advertised; KAFKA-18659).
// Served v3-11. Record batches stay opaque: the log validates headers and CRCs and stamps offsets.
// acks=0 gets no response; if any partition failed, the connection is closed instead (as Kafka),
// which is the only way such a client learns of the failure.
// Idempotent producers (KIP-98): batches with a producer id are checked by the log's producer state
// (storage/producer-state.ts); the answers pass through unchanged: a retry of a stored batch gets
// NONE with its original offsets (never DUPLICATE_SEQUENCE_NUMBER), a gap OUT_OF_ORDER_SEQUENCE_NUMBER,
// a fenced epoch INVALID_PRODUCER_EPOCH, as Kafka 4.
// Deviation: transactional produce is not supported yet (no transaction coordinator).
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import {
  createProduceResponse, type ProduceRequest, type ProduceResponse,
} from '../../protocol/messages/produce.js'
import { CloseConnectionError, type ApiHandler, type RequestContext } from '../api-handler.js'

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number]

export const produce: ApiHandler<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  advertisedMinVersion: 0,
  minVersion: 3,
  maxVersion: 11,
  async handle(ctx, request) {
    const response = createProduceResponse()
    const validAcks = request.acks === -1 || request.acks === 0 || request.acks === 1
    const pending: Promise<void>[] = []
    let failed = false
    for (const topicData of request.topicData) {
      const topicResponse = { name: topicData.name, partitionResponses: [] as PartitionResponse[] }
      response.responses.push(topicResponse)
      for (const partitionData of topicData.partitionData) {
        const partitionResponse = emptyPartitionResponse(partitionData.index)
        topicResponse.partitionResponses.push(partitionResponse)
        if (!validAcks) {
          partitionResponse.errorCode = ErrorCode.INVALID_REQUIRED_ACKS
          failed = true
          continue
        }
        pending.push(appendPartition(ctx, topicData.name, partitionData.index, partitionData.records, partitionResponse)
          .then((ok) => { if (!ok) failed = true }))
      }
    }
    await Promise.all(pending)
    if (request.acks === 0) {
      if (failed) throw new CloseConnectionError('acks=0 produce failed; closing the connection as Kafka does')
      return null
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createProduceResponse()
    for (const topicData of request.topicData) {
      response.responses.push({
        name: topicData.name,
        partitionResponses: topicData.partitionData.map((partitionData) => {
          const partitionResponse = emptyPartitionResponse(partitionData.index)
          partitionResponse.errorCode = errorCode
          return partitionResponse
        }),
      })
    }
    return response
  },
}

async function appendPartition(
  ctx: RequestContext, topic: string, partitionIndex: number, records: Buffer | null, out: PartitionResponse,
): Promise<boolean> {
  try {
    if (records === null || records.length === 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE)
    const { partition, result } = await ctx.broker.replicaManager.appendAsLeader(topic, partitionIndex, records)
    out.baseOffset = BigInt(result.baseOffset)
    out.logAppendTimeMs = BigInt(result.logAppendTimeMs)
    out.logStartOffset = BigInt(partition.logStartOffset)
    return true
  } catch (error) {
    out.errorCode = errorCodeOf(error, ctx.log)
    if (error instanceof KafkaError && error.message !== '' && error.message !== String(error.code)) out.errorMessage = error.message
    return false
  }
}

function emptyPartitionResponse(index: number): PartitionResponse {
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: null,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  }
}
