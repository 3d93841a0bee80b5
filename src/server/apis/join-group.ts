// JoinGroup (key 11), v0-9 (v0 advertised for librdkafka < 2.11, which needs JoinGroup ∋ 0; Kafka
// 4.0.1 restored v0-1 for the same reason, KAFKA-19444). The answer is a long poll: it completes
// when the group's join phase does (group-coordinator.ts). v0 has no rebalance timeout: the session
// timeout serves as both. v4+ dynamic members get MEMBER_ID_REQUIRED first (KIP-394); v5+ carry
// group.instance.id (KIP-345); v9 reports skipAssignment (KIP-814).
import {
  createJoinGroupResponse, type JoinGroupRequest, type JoinGroupResponse,
} from '../../protocol/messages/join-group.js'
import type { JoinGroupResult } from '../../coordinators/group/group-metadata.js'
import type { ApiHandler } from '../api-handler.js'

export const joinGroup: ApiHandler<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: 11,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request) {
    const result = await ctx.broker.groupCoordinator.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      requireKnownMemberId: ctx.apiVersion >= 4,
      clientId: ctx.clientId ?? '',
      clientHost: kafkaClientHost(ctx.clientHost),
      rebalanceTimeoutMs: ctx.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
    })
    return toResponse(result, ctx.apiVersion)
  },
  errorResponse(_request, errorCode, apiVersion) {
    return toResponse({
      errorCode, memberId: '', generationId: -1, protocolType: null, protocolName: null, leaderId: '', skipAssignment: false, members: [],
    }, apiVersion)
  },
}

function toResponse(result: JoinGroupResult, apiVersion: number): JoinGroupResponse {
  const response = createJoinGroupResponse()
  response.errorCode = result.errorCode
  response.generationId = result.generationId
  response.protocolType = result.protocolType
  // ProtocolName is nullable only from v7; before, "no protocol" is the empty string.
  response.protocolName = apiVersion < 7 ? result.protocolName ?? '' : result.protocolName
  response.leader = result.leaderId
  response.skipAssignment = result.skipAssignment
  response.memberId = result.memberId
  response.members = result.members.map((member) => ({
    memberId: member.memberId, groupInstanceId: member.groupInstanceId, metadata: member.metadata,
  }))
  return response
}

/** The client address as Kafka prints it (InetAddress#toString: "/127.0.0.1"). */
function kafkaClientHost(remoteAddress: string): string {
  return `/${remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress}`
}
