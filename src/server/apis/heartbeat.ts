// Heartbeat (key 12), v0-4 (v0 advertised for librdkafka < 2.11). Keeps a member's session alive;
// REBALANCE_IN_PROGRESS tells it to rejoin. v3+ carry group.instance.id.
import {
  createHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse,
} from '../../protocol/messages/heartbeat.js'
import type { ApiHandler } from '../api-handler.js'

export const heartbeat: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: 12,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    const response = createHeartbeatResponse()
    response.errorCode = ctx.broker.groupCoordinator.heartbeat({
      groupId: request.groupId, generationId: request.generationId, memberId: request.memberId, groupInstanceId: request.groupInstanceId,
    })
    return response
  },
  errorResponse(_request, errorCode) {
    const response = createHeartbeatResponse()
    response.errorCode = errorCode
    return response
  },
}
