// DeleteGroups (key 42), v0-2. Only groups without members go (NON_EMPTY_GROUP otherwise); their
// metadata and committed offsets get tombstones in __consumer_offsets.
import {
  createDeleteGroupsResponse, type DeleteGroupsRequest, type DeleteGroupsResponse,
} from '../../protocol/messages/delete-groups.js'
import type { ApiHandler } from '../api-handler.js'

export const deleteGroups: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const response = createDeleteGroupsResponse()
    response.results = await ctx.broker.groupCoordinator.deleteGroups(request.groupsNames)
    return response
  },
  errorResponse(request, errorCode) {
    const response = createDeleteGroupsResponse()
    response.results = request.groupsNames.map((groupId) => ({ groupId, errorCode }))
    return response
  },
}
