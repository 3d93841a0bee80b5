// What handlers may reach: the broker's state owners. Handlers never touch files, sockets or
// timers directly.
import type { Logger } from 'pino'
import type { ConfigManager } from '../cluster/config-manager.js'
import type { Controller } from '../cluster/controller.js'
import type { MetadataImage } from '../cluster/metadata-image.js'
import type { ReplicaManager } from '../cluster/replica-manager.js'
import type { ServerConfig } from '../config/server-config.js'
import type { GroupCoordinator } from '../coordinators/group/group-coordinator.js'
import type { OffsetsTopic } from '../coordinators/group/startup.js'
import type { ProducerIdManager } from '../coordinators/producer-id-manager.js'
import type { LogManager } from '../storage/log-manager.js'
import type { BufferPool } from '../util/buffer-pool.js'
import type { Clock } from '../util/clock.js'
import type { FetchSessionCache } from './fetch-session-cache.js'
import type { AdvertisedApi } from './router.js'

export interface BrokerContext {
  readonly brokerId: number
  readonly config: ServerConfig
  readonly clock: Clock
  readonly controller: Controller
  readonly metadata: MetadataImage
  readonly replicaManager: ReplicaManager
  readonly fetchSessions: FetchSessionCache
  /** Dynamic broker configs and effective topic configs (AlterConfigs, DescribeConfigs). */
  readonly configManager: ConfigManager
  /** Log directories and partition logs (DescribeLogDirs, DeleteRecords checkpoints). */
  readonly logManager: LogManager
  /** Consumer groups and committed offsets (coordinators/group). */
  readonly groupCoordinator: GroupCoordinator
  /** __consumer_offsets, created on the first FindCoordinator for a group (coordinators/group/startup.ts). */
  readonly offsetsTopic: OffsetsTopic
  /** Producer ids for InitProducerId (coordinators/producer-id-manager.ts). */
  readonly producerIdManager: ProducerIdManager
  /** Slabs that fetch reads are carved from, reused once the response is written (util/buffer-pool.ts). */
  readonly fetchBuffers: BufferPool
  /** The router's registry, for ApiVersions. */
  advertisedApis: readonly AdvertisedApi[]
  readonly log: Logger
}
