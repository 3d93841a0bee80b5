// DescribeCluster (key 60), v0-1. Only the broker endpoint type is served (KIP-919's controller
// endpoints belong to KRaft controllers): asking for controllers gets UNSUPPORTED_ENDPOINT_TYPE.
import { ErrorCode } from '../../protocol/errors.js'
import {
  createDescribeClusterResponse, type DescribeClusterRequest, type DescribeClusterResponse,
} from '../../protocol/messages/describe-cluster.js'
import type { ApiHandler } from '../api-handler.js'

const BROKER_ENDPOINT_TYPE = 1

export const describeCluster: ApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: 60,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    if (request.endpointType !== BROKER_ENDPOINT_TYPE) {
      const response = this.errorResponse(request, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, ctx.apiVersion)
      response.errorMessage = 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
      return response
    }
    const metadata = ctx.broker.metadata
    const response = createDescribeClusterResponse()
    response.clusterId = metadata.clusterId
    response.controllerId = metadata.controllerId
    response.endpointType = BROKER_ENDPOINT_TYPE
    response.brokers = metadata.brokers.map((broker) => ({
      brokerId: broker.brokerId, host: broker.host, port: broker.port, rack: broker.rack,
    }))
    return response
  },
  errorResponse(request, errorCode) {
    const response = createDescribeClusterResponse()
    response.errorCode = errorCode
    response.endpointType = request.endpointType
    return response
  },
}
