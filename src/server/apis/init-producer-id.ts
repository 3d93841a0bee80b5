// InitProducerId (key 22), v0-5 (v0 must stay advertised: librdkafka < 2.11.1 enables idempotence
// only when InitProducerId ∋ 0). Answers as KafkaApis.handleInitProducerIdRequest and
// TransactionCoordinator.handleInitProducerId:
//  - a producer id given without an epoch, or an epoch without an id (v3+): INVALID_REQUEST;
//  - transactional_id null (an idempotent producer): a new producer id from the producer-id
//    manager with epoch 0. Kafka ignores a v3+ producer id/epoch here (KIP-360): an idempotent
//    producer bumps its epoch locally, and one that asks the broker gets a fresh id;
//  - an empty transactional_id: INVALID_REQUEST; a timeout outside (0, transaction.max.timeout.ms]:
//    INVALID_TRANSACTION_TIMEOUT;
//  - any other transactional_id: NOT_COORDINATOR, what a broker that is not the transactional id's
//    coordinator answers. Deviation: there is no transaction coordinator yet (FindCoordinator
//    answers COORDINATOR_NOT_AVAILABLE for key type 1), so transactional producers cannot start.
// Errors carry producer id -1 and epoch -1 (initTransactionError).
import { ErrorCode } from '../../protocol/errors.js'
import {
  createInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse,
} from '../../protocol/messages/init-producer-id.js'
import type { ApiHandler } from '../api-handler.js'

const NO_PRODUCER_ID = -1n
const NO_PRODUCER_EPOCH = -1

export const initProducerId: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const hasProducerId = request.producerId !== NO_PRODUCER_ID
    const hasProducerEpoch = request.producerEpoch !== NO_PRODUCER_EPOCH
    if (hasProducerId !== hasProducerEpoch) return failed(ErrorCode.INVALID_REQUEST)
    if (request.transactionalId === null) {
      const response = createInitProducerIdResponse()
      response.producerId = BigInt(await ctx.broker.producerIdManager.generateProducerId())
      response.producerEpoch = 0
      return response
    }
    if (request.transactionalId === '') return failed(ErrorCode.INVALID_REQUEST)
    const timeoutMs = request.transactionTimeoutMs
    if (timeoutMs <= 0 || timeoutMs > ctx.broker.config.transactionMaxTimeoutMs) return failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    return failed(ErrorCode.NOT_COORDINATOR)
  },
  errorResponse(_request, errorCode) {
    return failed(errorCode)
  },
}

function failed(errorCode: number): InitProducerIdResponse {
  const response = createInitProducerIdResponse()
  response.errorCode = errorCode
  response.producerId = NO_PRODUCER_ID
  response.producerEpoch = NO_PRODUCER_EPOCH
  return response
}
