// Brings up the group coordinator of a broker and the __consumer_offsets topic it lives in.
//
// As Kafka, the topic is created on demand by the first FindCoordinator for a group. Kafka answers
// that lookup COORDINATOR_NOT_AVAILABLE and clients retry; Gregor's lookup waits for the creation
// and answers with the coordinator (COORDINATOR_NOT_AVAILABLE only if creating failed). Creating it at start-up instead
// would cost every broker start ~50 ms for 50 partitions that a broker without groups never uses.
// A topic already on disk at start-up is loaded in the background: its partitions, one after
// another (sequential loads bound memory to one offsets.load.buffer.size read), and requests for
// the groups of a partition not loaded yet get COORDINATOR_LOAD_IN_PROGRESS.
//
// The topic: offsets.topic.num.partitions partitions, cleanup.policy=compact,
// segment.bytes=offsets.topic.segment.bytes, compression.type=producer, as Kafka creates it.
// Replication factor: min(offsets.topic.replication.factor, live brokers). Kafka refuses to create
// the topic while fewer brokers than the configured factor are alive; that would leave a single
// broker (default factor 3) without a coordinator, so Gregor settles for what is available.
// Once the topic exists its partition count is what placement uses, whatever the config says
// later (Kafka reads it back the same way), so groups never move when the setting changes.
import type { Logger } from 'pino'
import type { Controller } from '../../cluster/controller.js'
import type { TopicImage } from '../../cluster/metadata-image.js'
import type { ReplicaManager } from '../../cluster/replica-manager.js'
import { GROUP_METADATA_TOPIC } from '../../cluster/topic-names.js'
import type { ServerConfig } from '../../config/server-config.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Clock } from '../../util/clock.js'
import { GroupCoordinator, groupCoordinatorConfig } from './group-coordinator.js'
import { ReplicaOffsetsStore } from './replica-offsets-store.js'
import { systemScheduler, type Scheduler } from './scheduler.js'

export interface GroupCoordinatorStartup {
  readonly groupCoordinator: GroupCoordinator
  readonly offsetsTopic: OffsetsTopic
}

export function startGroupCoordinator(
  config: ServerConfig, controller: Controller, replicaManager: ReplicaManager, brokerId: number, clock: Clock, log: Logger,
  scheduler: Scheduler = systemScheduler,
): GroupCoordinatorStartup {
  const groupCoordinator = new GroupCoordinator({
    config: groupCoordinatorConfig(config),
    store: new ReplicaOffsetsStore(replicaManager, config.offsetsLoadBufferSize),
    clock,
    scheduler,
    log: log.child({ component: 'group-coordinator' }),
  })
  groupCoordinator.startup()
  const offsetsTopic = new OffsetsTopic(config, controller, groupCoordinator, brokerId, log)
  const existing = controller.image.topics.get(GROUP_METADATA_TOPIC)
  // loadPartitions never rejects (a failed load is logged), so the chain needs no handler.
  if (existing !== undefined) void offsetsTopic.adopt(existing)
  return { groupCoordinator, offsetsTopic }
}

/** __consumer_offsets as the group coordinator sees it: absent, being created, or there. */
export class OffsetsTopic {
  private available = false
  /** Creation in flight (at most one); null when none is. */
  private creating: Promise<void> | null = null
  private closed = false

  constructor(
    private readonly config: ServerConfig,
    private readonly controller: Controller,
    private readonly coordinator: GroupCoordinator,
    private readonly brokerId: number,
    private readonly log: Logger,
  ) {}

  /**
   * Whether clients may be sent to the coordinators: once the topic exists and, for a topic created
   * here, this broker's partitions of it are loaded. A missing topic is created first, and this
   * waits for it (tens of ms), so the first group lookup on a fresh broker gets its coordinator
   * instead of a retry: librdkafka backs off a whole second after COORDINATOR_NOT_AVAILABLE.
   */
  async awaitAvailable(): Promise<boolean> {
    if (this.available || this.closed) return this.available
    this.creating ??= this.create().finally(() => {
      this.creating = null
    })
    await this.creating
    return this.available
  }

  /** Waits for a creation in flight; afterwards nothing creates the topic. */
  async close(): Promise<void> {
    this.closed = true
    await this.creating
  }

  /** Takes the topic as it is: placement by its partition count, this broker's partitions loaded. */
  adopt(topic: TopicImage): Promise<void> {
    this.coordinator.usePartitionCount(topic.partitions.length)
    this.available = true
    return this.loadPartitions(topic)
  }

  private async create(): Promise<void> {
    try {
      let topic = this.controller.image.topics.get(GROUP_METADATA_TOPIC)
      if (topic === undefined) {
        const liveBrokers = Math.max(1, this.controller.image.brokers.length)
        topic = await this.controller.createTopic({
          name: GROUP_METADATA_TOPIC,
          numPartitions: this.config.offsetsTopicNumPartitions,
          replicationFactor: Math.min(this.config.offsetsTopicReplicationFactor, liveBrokers),
          assignments: [],
          configs: {
            'cleanup.policy': 'compact',
            'segment.bytes': String(this.config.offsetsTopicSegmentBytes),
            'compression.type': 'producer',
          },
        }).catch((error: unknown) => {
          // Created meanwhile through CreateTopics: use that one.
          const created = this.controller.image.topics.get(GROUP_METADATA_TOPIC)
          if (error instanceof KafkaError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS && created !== undefined) return created
          throw error
        })
      }
      if (this.closed) return
      this.coordinator.usePartitionCount(topic.partitions.length)
      await this.loadPartitions(topic)
      this.available = true
    } catch (error) {
      // The next FindCoordinator tries again.
      this.log.error({ err: error }, `creating ${GROUP_METADATA_TOPIC} failed`)
    }
  }

  private async loadPartitions(topic: TopicImage): Promise<void> {
    const led = topic.partitions.filter((state) => state.leader === this.brokerId).map((state) => state.partition)
    for (const partition of led) await this.coordinator.onElection(partition)
  }
}
