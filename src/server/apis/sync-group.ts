// SyncGroup (key 14), v0-5 (v0 advertised for librdkafka < 2.11). A long poll: a follower's answer
// waits for the leader's assignment. v3+ carry group.instance.id; v5+ must name the protocol type
// and name (INCONSISTENT_GROUP_PROTOCOL otherwise, as Kafka) and get them back.
import { ErrorCode } from '../../protocol/errors.js'
import {
  createSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse,
} from '../../protocol/messages/sync-group.js'
import type { ApiHandler } from '../api-handler.js'

export const syncGroup: ApiHandler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: 14,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const response = createSyncGroupResponse()
    if (ctx.apiVersion >= 5 && (request.protocolType === null || request.protocolName === null)) {
      response.errorCode = ErrorCode.INCONSISTENT_GROUP_PROTOCOL
      return response
    }
    const result = await ctx.broker.groupCoordinator.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocolName: request.protocolName,
      assignments: new Map(request.assignments.map((entry) => [entry.memberId, entry.assignment])),
    })
    response.errorCode = result.errorCode
    response.protocolType = result.protocolType
    response.protocolName = result.protocolName
    response.assignment = result.assignment
    return response
  },
  errorResponse(_request, errorCode) {
    const response = createSyncGroupResponse()
    response.errorCode = errorCode
    return response
  },
}
