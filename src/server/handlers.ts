// The registry of API handlers: the one list the router dispatches on and ApiVersions advertises.
import type { ApiHandler } from './api-handler.js'
import { alterConfigs } from './apis/alter-configs.js'
import { apiVersions } from './apis/api-versions.js'
import { createPartitions } from './apis/create-partitions.js'
import { createTopics } from './apis/create-topics.js'
import { deleteRecords } from './apis/delete-records.js'
import { deleteGroups } from './apis/delete-groups.js'
import { deleteTopics } from './apis/delete-topics.js'
import { describeCluster } from './apis/describe-cluster.js'
import { describeConfigs } from './apis/describe-configs.js'
import { describeLogDirs } from './apis/describe-log-dirs.js'
import { describeGroups } from './apis/describe-groups.js'
import { fetch } from './apis/fetch.js'
import { incrementalAlterConfigs } from './apis/incremental-alter-configs.js'
import { findCoordinator } from './apis/find-coordinator.js'
import { heartbeat } from './apis/heartbeat.js'
import { joinGroup } from './apis/join-group.js'
import { leaveGroup } from './apis/leave-group.js'
import { listGroups } from './apis/list-groups.js'
import { listOffsets } from './apis/list-offsets.js'
import { metadata } from './apis/metadata.js'
import { offsetCommit } from './apis/offset-commit.js'
import { offsetDelete } from './apis/offset-delete.js'
import { offsetFetch } from './apis/offset-fetch.js'
import { produce } from './apis/produce.js'
import { syncGroup } from './apis/sync-group.js'

export const HANDLERS: readonly ApiHandler<any, any>[] = [
  produce, fetch, listOffsets, metadata, apiVersions, createTopics, deleteTopics, describeConfigs, describeCluster,
  // Group coordinator APIs (coordinators/group).
  findCoordinator, joinGroup, syncGroup, heartbeat, leaveGroup, offsetCommit, offsetFetch, describeGroups, listGroups,
  deleteGroups, offsetDelete,
  // Log management (docs/log-management.md).
  alterConfigs, incrementalAlterConfigs, createPartitions, deleteRecords, describeLogDirs,
]
