// IncrementalAlterConfigs (key 44), v0-1: SET, DELETE, APPEND and SUBTRACT on single configs of a
// topic (type 2) or broker (type 4; "" is the cluster-wide default), applied in order on top of
// the resource's current dynamic configs. APPEND/SUBTRACT start from the effective value and work
// on list configs only (INVALID_CONFIG otherwise); duplicate keys and null values (other than for
// DELETE) are INVALID_REQUEST. Broker loggers (type 8) are not supported (INVALID_REQUEST).
import { ErrorCode } from '../../protocol/errors.js'
import {
  createIncrementalAlterConfigsResponse, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/incremental-alter-configs.js'
import type { ApiHandler } from '../api-handler.js'
import { alterResource, duplicateResources, isDuplicate } from './config-alteration.js'

export const incrementalAlterConfigs: ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: 44,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    const response = createIncrementalAlterConfigsResponse()
    const duplicates = duplicateResources(request.resources)
    for (const resource of request.resources) {
      if (isDuplicate(duplicates, resource)) {
        response.responses.push({
          errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate resource in the request',
          resourceType: resource.resourceType, resourceName: resource.resourceName,
        })
        continue
      }
      const ops = resource.configs.map((entry) => ({ name: entry.name, op: entry.configOperation, value: entry.value }))
      response.responses.push(await alterResource(ctx, resource, { ops }, request.validateOnly))
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createIncrementalAlterConfigsResponse()
    for (const resource of request.resources) {
      response.responses.push({ errorCode, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName })
    }
    return response
  },
}
