// DescribeGroups (key 15), v0-5. A group this coordinator does not know is reported as state
// "Dead" without error (v0-5 semantics; Kafka 4's v6 would say GROUP_ID_NOT_FOUND). Member
// metadata and assignments are only reported for Stable groups, as Kafka does. v3+ authorized
// operations: without an authorizer everything a group allows (READ, DELETE, DESCRIBE).
import { ErrorCode } from '../../protocol/errors.js'
import {
  createDescribeGroupsResponse, type DescribeGroupsRequest, type DescribeGroupsResponse,
} from '../../protocol/messages/describe-groups.js'
import type { ApiHandler } from '../api-handler.js'

const GROUP_OPERATIONS_ALL = [3, 6, 8].reduce((bits, operation) => bits | (1 << operation), 0)
const OPERATIONS_NOT_REQUESTED = -2147483648

type DescribedGroup = DescribeGroupsResponse['groups'][number]

export const describeGroups: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const response = createDescribeGroupsResponse()
    const operations = request.includeAuthorizedOperations ? GROUP_OPERATIONS_ALL : OPERATIONS_NOT_REQUESTED
    response.groups = request.groups.map((groupId): DescribedGroup => {
      const summary = ctx.broker.groupCoordinator.describeGroup(groupId)
      return {
        errorCode: summary.errorCode,
        groupId,
        groupState: summary.state,
        protocolType: summary.protocolType,
        protocolData: summary.protocolData,
        members: summary.members.map((member) => ({
          memberId: member.memberId, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost,
          memberMetadata: member.metadata, memberAssignment: member.assignment,
        })),
        authorizedOperations: summary.errorCode === ErrorCode.NONE ? operations : OPERATIONS_NOT_REQUESTED,
      }
    })
    return response
  },
  errorResponse(request, errorCode) {
    const response = createDescribeGroupsResponse()
    response.groups = request.groups.map((groupId) => ({
      errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED,
    }))
    return response
  },
}
