// What AlterConfigs (key 33) and IncrementalAlterConfigs (key 44) share: one resource's new set of
// dynamic configs is computed by the handler, then validated, persisted and applied by the
// controller (topics) or the config manager (brokers). Both answer per resource; nothing is
// thrown past this module for a bad resource.
import { ErrorCode, KafkaError, errorCodeOf } from '../../protocol/errors.js'
import { describeTopicConfigs } from '../../config/topic-config.js'
import {
  applyIncrementalOps, brokerConfigType, topicConfigType, type ConfigOperation,
} from '../../cluster/config-manager.js'
import type { RequestContext } from '../api-handler.js'
import { RESOURCE_BROKER, RESOURCE_BROKER_LOGGER, RESOURCE_TOPIC } from './describe-configs.js'

export interface ResourceResult {
  errorCode: number
  errorMessage: string | null
  resourceType: number
  resourceName: string
}

/** A resource named twice in one request is INVALID_REQUEST for every occurrence (as Kafka). */
export function duplicateResources(resources: readonly { resourceType: number; resourceName: string }[]): Set<string> {
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const resource of resources) {
    const key = `${resource.resourceType}:${resource.resourceName}`
    if (seen.has(key)) duplicates.add(key)
    seen.add(key)
  }
  return duplicates
}

export function isDuplicate(duplicates: Set<string>, resource: { resourceType: number; resourceName: string }): boolean {
  return duplicates.has(`${resource.resourceType}:${resource.resourceName}`)
}

/**
 * Applies one resource's change. `replace` is legacy AlterConfigs (the given configs become the
 * whole set); `ops` is IncrementalAlterConfigs.
 */
export async function alterResource(
  ctx: RequestContext,
  resource: { resourceType: number; resourceName: string },
  change: { replace: Record<string, string> } | { ops: readonly ConfigOperation[] },
  validateOnly: boolean,
): Promise<ResourceResult> {
  const result: ResourceResult = {
    errorCode: ErrorCode.NONE, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName,
  }
  try {
    switch (resource.resourceType) {
      case RESOURCE_TOPIC:
        await alterTopic(ctx, resource.resourceName, change, validateOnly)
        break
      case RESOURCE_BROKER:
        await alterBroker(ctx, resource.resourceName, change, validateOnly)
        break
      case RESOURCE_BROKER_LOGGER:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Broker logger levels cannot be altered on this broker')
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resource.resourceType}`)
    }
  } catch (error) {
    result.errorCode = errorCodeOf(error, ctx.log)
    result.errorMessage = error instanceof KafkaError ? error.message : null
  }
  return result
}

async function alterTopic(
  ctx: RequestContext,
  name: string,
  change: { replace: Record<string, string> } | { ops: readonly ConfigOperation[] },
  validateOnly: boolean,
): Promise<void> {
  const topic = ctx.broker.metadata.topics.get(name)
  if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`)
  const { config, configManager } = ctx.broker
  const configs = 'replace' in change
    ? change.replace
    : applyIncrementalOps(topic.configs, change.ops, topicConfigType, (configName) =>
      describeTopicConfigs(topic.configs, config, { names: [configName], dynamic: configManager.dynamic })[0]?.value ?? null)
  await ctx.broker.controller.alterTopicConfigs(name, configs, validateOnly)
}

async function alterBroker(
  ctx: RequestContext,
  name: string,
  change: { replace: Record<string, string> } | { ops: readonly ConfigOperation[] },
  validateOnly: boolean,
): Promise<void> {
  const manager = ctx.broker.configManager
  const entity = manager.brokerEntity(name)
  const configs = 'replace' in change
    ? change.replace
    : applyIncrementalOps(manager.brokerConfigsOf(entity), change.ops, brokerConfigType, (configName) => manager.brokerValue(configName))
  if (validateOnly) manager.validateBrokerConfigs(entity, configs)
  else await manager.setBrokerConfigs(entity, configs)
}
