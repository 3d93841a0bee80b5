// The registry of API handlers: the one list the router dispatches on and ApiVersions advertises.
// HANDLER_SPECS names the codec of each served API; the router takes them from here rather than
// from messages/index.ts so that a broker loads only the served codecs, not all 88 (start-up time).
import type { ApiSpec } from '../protocol/api-spec.js'
import { AlterConfigs } from '../protocol/messages/alter-configs.js'
import { ApiVersions } from '../protocol/messages/api-versions.js'
import { CreatePartitions } from '../protocol/messages/create-partitions.js'
import { CreateTopics } from '../protocol/messages/create-topics.js'
import { DeleteGroups } from '../protocol/messages/delete-groups.js'
import { DeleteRecords } from '../protocol/messages/delete-records.js'
import { DeleteTopics } from '../protocol/messages/delete-topics.js'
import { DescribeCluster } from '../protocol/messages/describe-cluster.js'
import { DescribeConfigs } from '../protocol/messages/describe-configs.js'
import { DescribeGroups } from '../protocol/messages/describe-groups.js'
import { DescribeLogDirs } from '../protocol/messages/describe-log-dirs.js'
import { Fetch } from '../protocol/messages/fetch.js'
import { FindCoordinator } from '../protocol/messages/find-coordinator.js'
import { Heartbeat } from '../protocol/messages/heartbeat.js'
import { IncrementalAlterConfigs } from '../protocol/messages/incremental-alter-configs.js'
import { InitProducerId } from '../protocol/messages/init-producer-id.js'
import { JoinGroup } from '../protocol/messages/join-group.js'
import { LeaveGroup } from '../protocol/messages/leave-group.js'
import { ListGroups } from '../protocol/messages/list-groups.js'
import { ListOffsets } from '../protocol/messages/list-offsets.js'
import { Metadata } from '../protocol/messages/metadata.js'
import { OffsetCommit } from '../protocol/messages/offset-commit.js'
import { OffsetDelete } from '../protocol/messages/offset-delete.js'
import { OffsetFetch } from '../protocol/messages/offset-fetch.js'
import { Produce } from '../protocol/messages/produce.js'
import { SyncGroup } from '../protocol/messages/sync-group.js'
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
import { initProducerId } from './apis/init-producer-id.js'
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
  // Idempotent producers (storage/producer-state.ts).
  initProducerId,
]

/** The codec of every API in HANDLERS (the router checks that each handler has one). */
export const HANDLER_SPECS: readonly ApiSpec[] = [
  Produce, Fetch, ListOffsets, Metadata, ApiVersions, CreateTopics, DeleteTopics, DescribeConfigs, DescribeCluster,
  FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups,
  DeleteGroups, OffsetDelete,
  AlterConfigs, IncrementalAlterConfigs, CreatePartitions, DeleteRecords, DescribeLogDirs,
  InitProducerId,
]
