// The registry of API handlers: the one list the router dispatches on and ApiVersions advertises.
import type { ApiHandler } from './api-handler.js'
import { apiVersions } from './apis/api-versions.js'
import { createTopics } from './apis/create-topics.js'
import { deleteTopics } from './apis/delete-topics.js'
import { describeCluster } from './apis/describe-cluster.js'
import { describeConfigs } from './apis/describe-configs.js'
import { fetch } from './apis/fetch.js'
import { listOffsets } from './apis/list-offsets.js'
import { metadata } from './apis/metadata.js'
import { produce } from './apis/produce.js'

export const HANDLERS: readonly ApiHandler<any, any>[] = [
  produce, fetch, listOffsets, metadata, apiVersions, createTopics, deleteTopics, describeConfigs, describeCluster,
]
