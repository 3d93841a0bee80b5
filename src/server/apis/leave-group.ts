// LeaveGroup (key 13), v0-5 (v0 advertised for librdkafka < 2.11). v0-2 name one member and report
// its error at the top level; v3+ leave in batches with per-member errors, and may name static
// members by group.instance.id alone (KIP-345 administrative removal).
import { ErrorCode } from '../../protocol/errors.js'
import {
  createLeaveGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse,
} from '../../protocol/messages/leave-group.js'
import type { ApiHandler } from '../api-handler.js'

export const leaveGroup: ApiHandler<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: 13,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const leaving = ctx.apiVersion >= 3
      ? request.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId }))
      : [{ memberId: request.memberId, groupInstanceId: null }]
    const result = ctx.broker.groupCoordinator.leaveGroup(request.groupId, leaving)
    const response = createLeaveGroupResponse()
    if (ctx.apiVersion >= 3) {
      response.errorCode = result.errorCode
      response.members = result.members
    } else {
      response.errorCode = result.errorCode !== ErrorCode.NONE
        ? result.errorCode
        : result.members.find((member) => member.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE
    }
    return response
  },
  errorResponse(_request, errorCode) {
    const response = createLeaveGroupResponse()
    response.errorCode = errorCode
    return response
  },
}
