// ApiVersions (key 18), v0-4. Advertises exactly the router's registry. An unknown (too new)
// version is answered by the router in v0 form (KIP-511). v3+ requests must carry a valid client
// software name and version, else INVALID_REQUEST, as Kafka.
import { ErrorCode } from '../../protocol/errors.js'
import {
  createApiVersionsResponse, type ApiVersionsRequest, type ApiVersionsResponse,
} from '../../protocol/messages/api-versions.js'
import type { ApiHandler } from '../api-handler.js'

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export const apiVersions: ApiHandler<ApiVersionsRequest, ApiVersionsResponse> = {
  apiKey: 18,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    if (ctx.apiVersion >= 3 &&
      (!SOFTWARE_PATTERN.test(request.clientSoftwareName) || !SOFTWARE_PATTERN.test(request.clientSoftwareVersion))) {
      return this.errorResponse(request, ErrorCode.INVALID_REQUEST, ctx.apiVersion)
    }
    const response = createApiVersionsResponse()
    response.apiKeys = ctx.broker.advertisedApis.map((api) => ({
      apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion,
    }))
    return response
  },
  errorResponse(_request, errorCode) {
    const response = createApiVersionsResponse()
    response.errorCode = errorCode
    return response
  },
}
