// ListGroups (key 16), v0-5. v4+ filter by state and v5+ by type, both case-insensitively (as
// Kafka 4); every group here is a classic-protocol group. While a __consumer_offsets partition is
// still loading the answer is partial and carries COORDINATOR_LOAD_IN_PROGRESS, as in Kafka.
import { CLASSIC_GROUP_TYPE } from '../../coordinators/group/group-coordinator.js'
import {
  createListGroupsResponse, type ListGroupsRequest, type ListGroupsResponse,
} from '../../protocol/messages/list-groups.js'
import type { ApiHandler } from '../api-handler.js'

export const listGroups: ApiHandler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const result = ctx.broker.groupCoordinator.listGroups(
      ctx.apiVersion >= 4 ? request.statesFilter : [], ctx.apiVersion >= 5 ? request.typesFilter : [])
    const response = createListGroupsResponse()
    response.errorCode = result.errorCode
    response.groups = result.groups.map((group) => ({
      groupId: group.groupId, protocolType: group.protocolType, groupState: group.state, groupType: CLASSIC_GROUP_TYPE,
    }))
    return response
  },
  errorResponse(_request, errorCode) {
    const response = createListGroupsResponse()
    response.errorCode = errorCode
    return response
  },
}
