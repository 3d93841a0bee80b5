// FindCoordinator (key 10), v0-6 (v0 must stay advertised: librdkafka < 2.11 only enables its
// group consumer when FindCoordinator ∋ 0). v4+ batches keys (KIP-699). A group's coordinator is
// the leader of partition abs(hash(groupId)) % offsets.topic.num.partitions of __consumer_offsets.
// As in Kafka, the first group lookup creates __consumer_offsets. Kafka answers it
// COORDINATOR_NOT_AVAILABLE; here it waits for the creation (tens of ms) and names the coordinator.
// Deviation: there is no transaction coordinator yet, so transactional ids get COORDINATOR_NOT_AVAILABLE.
import { GROUP_METADATA_TOPIC } from '../../cluster/topic-names.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  createFindCoordinatorResponse, type FindCoordinatorRequest, type FindCoordinatorResponse,
} from '../../protocol/messages/find-coordinator.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'

const GROUP_KEY_TYPE = 0
const TRANSACTION_KEY_TYPE = 1

interface Coordinator {
  errorCode: number
  errorMessage: string | null
  nodeId: number
  host: string
  port: number
}

export const findCoordinator: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request) {
    if (request.keyType !== GROUP_KEY_TYPE && request.keyType !== TRANSACTION_KEY_TYPE) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${request.keyType}`)
    }
    const offsetsTopicAvailable = request.keyType === GROUP_KEY_TYPE && await ctx.broker.offsetsTopic.awaitAvailable()
    const response = createFindCoordinatorResponse()
    if (ctx.apiVersion >= 4) {
      response.coordinators = request.coordinatorKeys.map((key) => ({ key, ...lookup(ctx, offsetsTopicAvailable, key) }))
    } else {
      Object.assign(response, lookup(ctx, offsetsTopicAvailable, request.key))
    }
    return response
  },
  errorResponse(request, errorCode, apiVersion) {
    const response = createFindCoordinatorResponse()
    const failed = notFound(errorCode)
    if (apiVersion >= 4) response.coordinators = request.coordinatorKeys.map((key) => ({ key, ...failed }))
    else Object.assign(response, failed)
    return response
  },
}

/** A group's coordinator; transactional ids (no transaction coordinator yet) find none. */
function lookup(ctx: RequestContext, offsetsTopicAvailable: boolean, key: string): Coordinator {
  if (!offsetsTopicAvailable) return notFound(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  const partition = ctx.broker.groupCoordinator.partitionFor(key)
  const state = ctx.broker.metadata.topics.get(GROUP_METADATA_TOPIC)?.partitions[partition]
  const broker = state === undefined || state.leader === -1 ? undefined : ctx.broker.metadata.broker(state.leader)
  if (broker === undefined) return notFound(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  // Kafka reports the name of Errors.NONE as the message of a successful lookup.
  return { errorCode: ErrorCode.NONE, errorMessage: 'NONE', nodeId: broker.brokerId, host: broker.host, port: broker.port }
}

function notFound(errorCode: number): Coordinator {
  return { errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 }
}
