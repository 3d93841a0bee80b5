// AlterConfigs (key 33), v0-2: the legacy, non-incremental form. Each resource's given configs
// replace its whole set of dynamic configs (unlisted ones are removed), as Kafka. Topics (type 2)
// and brokers (type 4; "" is the cluster-wide default). A null value is INVALID_REQUEST; see
// config-alteration.ts and cluster/config-manager.ts for validation and persistence.
import { ErrorCode } from '../../protocol/errors.js'
import {
  createAlterConfigsResponse, type AlterConfigsRequest, type AlterConfigsResponse,
} from '../../protocol/messages/alter-configs.js'
import type { ApiHandler } from '../api-handler.js'
import { alterResource, duplicateResources, isDuplicate } from './config-alteration.js'

export const alterConfigs: ApiHandler<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const response = createAlterConfigsResponse()
    const duplicates = duplicateResources(request.resources)
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
      if (isDuplicate(duplicates, resource)) {
        response.responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate resource in the request' })
        continue
      }
      const nullValue = resource.configs.find((entry) => entry.value === null)
      if (nullValue !== undefined) {
        response.responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${nullValue.name}` })
        continue
      }
      const replace: Record<string, string> = {}
      for (const entry of resource.configs) replace[entry.name] = entry.value!
      response.responses.push(await alterResource(ctx, resource, { replace }, request.validateOnly))
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createAlterConfigsResponse()
    for (const resource of request.resources) {
      response.responses.push({ errorCode, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName })
    }
    return response
  },
}
