// Produce (key 0). Advertised from v0 but v0-2 are answered UNSUPPORTED_VERSION, as Kafka 4
// does (older librdkafka only enables compression when Produce v0 is advertised; KAFKA-18659).
// Served v3-11. Record batches stay opaque: the log validates headers and CRCs and stamps offsets.
// acks=0 gets no response; if any partition failed, the connection is closed instead (as Kafka),
// which is the only way such a client learns of the failure.
// Idempotent producers (KIP-98): batches with a producer id are checked by the log's producer state
// (storage/producer-state.ts); the answers pass through unchanged: a retry of a stored batch gets
// NONE with its original offsets (never DUPLICATE_SEQUENCE_NUMBER), a gap OUT_OF_ORDER_SEQUENCE_NUMBER,
// a fenced epoch INVALID_PRODUCER_EPOCH, as Kafka 4.
// Records refused by validation are named in record_errors (batch index and reason; v8+), as Kafka.
// Deviation: transactional produce is not supported yet (no transaction coordinator).
import { AppendRejectedError } from '../../cluster/partition.js'
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
  handle(ctx, request) {
    const response = createProduceResponse()
    const validAcks = request.acks === -1 || request.acks === 0 || request.acks === 1
    const replicaManager = ctx.broker.replicaManager
    // One promise per partition: this runs per partition of every request (128 partitions: ~10^5
    // appends per GB), so no async wrapper per partition.
    const pending: Promise<void>[] = []
    let failed = false
    for (const topicData of request.topicData) {
      const partitionResponses: PartitionResponse[] = []
      response.responses.push({ name: topicData.name, partitionResponses })
      for (const partitionData of topicData.partitionData) {
        const out = emptyPartitionResponse(partitionData.index)
        partitionResponses.push(out)
        const records = partitionData.records
        if (!validAcks) {
          out.errorCode = ErrorCode.INVALID_REQUIRED_ACKS
          failed = true
          continue
        }
        if (records === null || records.length === 0) {
          setError(ctx, out, new KafkaError(ErrorCode.CORRUPT_MESSAGE))
          failed = true
          continue
        }
        pending.push(replicaManager.appendAsLeader(topicData.name, partitionData.index, records).then(
          ({ partition, result }) => {
            out.baseOffset = BigInt(result.baseOffset)
            out.logAppendTimeMs = BigInt(result.logAppendTimeMs)
            out.logStartOffset = BigInt(partition.logStartOffset)
          },
          (error: unknown) => {
            failed = true
            setError(ctx, out, error)
          },
        ))
      }
    }
    const finish = (): ProduceResponse | null => {
      if (request.acks !== 0) return response
      if (failed) throw new CloseConnectionError('acks=0 produce failed; closing the connection as Kafka does')
      return null
    }
    return pending.length === 0 ? finish() : Promise.all(pending).then(finish)
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

function setError(ctx: RequestContext, out: PartitionResponse, error: unknown): void {
  out.errorCode = errorCodeOf(error, ctx.log)
  if (error instanceof KafkaError && error.message !== '' && error.message !== String(error.code)) out.errorMessage = error.message
  if (error instanceof AppendRejectedError) {
    out.recordErrors = error.recordErrors.map((recordError) => ({ batchIndex: recordError.batchIndex, batchIndexErrorMessage: recordError.message }))
  }
}

/** The default leader (none given): shared, the encoder only reads it. */
const NO_CURRENT_LEADER = Object.freeze({ leaderId: -1, leaderEpoch: -1 })

function emptyPartitionResponse(index: number): PartitionResponse {
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: null,
    currentLeader: NO_CURRENT_LEADER,
  }
}
