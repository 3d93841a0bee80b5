// Brings up the group coordinator of a broker: makes sure __consumer_offsets exists (Kafka creates
// it on the first FindCoordinator; Gregor at start-up, so a coordinator is there before the first
// client asks), then loads the partitions this broker leads, one after another in the background
// (their groups answer COORDINATOR_LOAD_IN_PROGRESS until loaded; sequential loads bound memory to
// one offsets.load.buffer.size read).
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
import type { ReplicaManager } from '../../cluster/replica-manager.js'
import { GROUP_METADATA_TOPIC } from '../../cluster/topic-names.js'
import type { ServerConfig } from '../../config/server-config.js'
import type { Clock } from '../../util/clock.js'
import { GroupCoordinator, groupCoordinatorConfig } from './group-coordinator.js'
import { ReplicaOffsetsStore } from './replica-offsets-store.js'
import { systemScheduler, type Scheduler } from './scheduler.js'

export async function startGroupCoordinator(
  config: ServerConfig, controller: Controller, replicaManager: ReplicaManager, brokerId: number, clock: Clock, log: Logger,
  scheduler: Scheduler = systemScheduler,
): Promise<GroupCoordinator> {
  let topic = controller.image.topics.get(GROUP_METADATA_TOPIC)
  if (topic === undefined) {
    const liveBrokers = Math.max(1, controller.image.brokers.length)
    topic = await controller.createTopic({
      name: GROUP_METADATA_TOPIC,
      numPartitions: config.offsetsTopicNumPartitions,
      replicationFactor: Math.min(config.offsetsTopicReplicationFactor, liveBrokers),
      assignments: [],
      configs: {
        'cleanup.policy': 'compact',
        'segment.bytes': String(config.offsetsTopicSegmentBytes),
        'compression.type': 'producer',
      },
    })
  }
  const coordinator = new GroupCoordinator({
    config: { ...groupCoordinatorConfig(config), offsetsTopicNumPartitions: topic.partitions.length },
    store: new ReplicaOffsetsStore(replicaManager, config.offsetsLoadBufferSize),
    clock,
    scheduler,
    log: log.child({ component: 'group-coordinator' }),
  })
  coordinator.startup()
  const led = topic.partitions.filter((state) => state.leader === brokerId).map((state) => state.partition)
  // onElection never rejects (a failed load is logged), so the chain needs no handler.
  void led.reduce((previous, partition) => previous.then(() => coordinator.onElection(partition)), Promise.resolve())
  return coordinator
}
