// DescribeConfigs (key 32), v1-4 (Kafka 4 removed v0). Topics (type 2) and brokers (type 4):
// every config with its value, source, read-only and sensitive flags, synonyms when asked
// (v1+) and documentation (v3+). Dynamic broker configs (cluster/config-manager.ts) are layered in
// with their sources. A broker resource named "" describes the cluster-wide dynamic defaults that
// are set; another broker's id is INVALID_REQUEST, as Kafka. Broker loggers (type 8) answer an
// empty list (no per-logger levels here).
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import {
  createDescribeConfigsResponse, type DescribeConfigsRequest, type DescribeConfigsResponse,
} from '../../protocol/messages/describe-configs.js'
import { ConfigSource, describeBrokerConfigs, type DescribedConfig } from '../../config/server-config.js'
import { describeTopicConfigs } from '../../config/topic-config.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'

type Result = DescribeConfigsResponse['results'][number]
type Resource = DescribeConfigsRequest['resources'][number]

export const RESOURCE_TOPIC = 2
export const RESOURCE_BROKER = 4
export const RESOURCE_BROKER_LOGGER = 8

export const describeConfigs: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: 32,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, request) {
    const response = createDescribeConfigsResponse()
    for (const resource of request.resources) {
      response.results.push(describeResource(ctx, resource, request.includeSynonyms, request.includeDocumentation))
    }
    return response
  },
  errorResponse(request, errorCode) {
    const response = createDescribeConfigsResponse()
    for (const resource of request.resources) response.results.push(failed(resource, errorCode, null))
    return response
  },
}

function describeResource(ctx: RequestContext, resource: Resource, includeSynonyms: boolean, includeDocumentation: boolean): Result {
  try {
    const described = describe(ctx, resource)
    return {
      errorCode: ErrorCode.NONE, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName,
      configs: described.map((entry) => ({
        name: entry.name, value: entry.value, readOnly: entry.isReadOnly, isDefault: entry.source === 5,
        configSource: entry.source, isSensitive: entry.isSensitive,
        synonyms: includeSynonyms ? entry.synonyms.map((synonym) => ({ name: synonym.name, value: synonym.value, source: synonym.source })) : [],
        configType: entry.configType,
        documentation: includeDocumentation ? entry.documentation : null,
      })),
    }
  } catch (error) {
    return failed(resource, errorCodeOf(error, ctx.log), error instanceof KafkaError ? error.message : null)
  }
}

function describe(ctx: RequestContext, resource: Resource): DescribedConfig[] {
  const names = resource.configurationKeys
  switch (resource.resourceType) {
    case RESOURCE_TOPIC: {
      const topic = ctx.broker.metadata.topics.get(resource.resourceName)
      if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resource.resourceName} does not exist`)
      return describeTopicConfigs(topic.configs, ctx.broker.config, { names, dynamic: ctx.broker.configManager.dynamic })
    }
    case RESOURCE_BROKER: {
      const dynamic = ctx.broker.configManager.dynamic
      // The cluster-wide default resource lists only what is set there (as Kafka).
      if (resource.resourceName === '') {
        const defaults = describeBrokerConfigs(ctx.broker.config, { names: names ?? Object.keys(dynamic.clusterDefault ?? {}), dynamic: { clusterDefault: dynamic.clusterDefault } })
        return defaults.filter((entry) => entry.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
      }
      if (String(ctx.broker.brokerId) !== resource.resourceName) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST,
          `Unexpected broker id, expected ${ctx.broker.brokerId} or empty string, but received ${resource.resourceName}`)
      }
      return describeBrokerConfigs(ctx.broker.config, { names, dynamic })
    }
    case RESOURCE_BROKER_LOGGER:
      return []
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resource.resourceType}`)
  }
}

function failed(resource: Resource, errorCode: number, errorMessage: string | null): Result {
  return { errorCode, errorMessage, resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [] }
}
