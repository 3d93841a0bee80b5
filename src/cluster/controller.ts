// The controller of a single-broker cluster: it owns topic creation and deletion and the
// partition state nodes, using Kafka's znode layout in the coordination store:
//   /cluster/id                                   {"version":"1","id":...}
//   /config/topics/<topic>                        {"version":1,"config":{...}}
//   /brokers/topics/<topic>                       {"version":3,"topic_id":...,"partitions":{"0":[0]},...}
//   /brokers/topics/<topic>/partitions/<p>/state  {"controller_epoch":..,"leader":..,"leader_epoch":..,"isr":[..],"version":1}
//   /controller_epoch                             the epoch that fences a stale controller
// The metadata image is updated only after the store accepted a write.
import assert from 'node:assert/strict'
import type { Logger } from 'pino'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { ConfigError } from '../config/config-def.js'
import type { LogConfig } from '../storage/log-config.js'
import { jsonData, parseJson, type CoordinationStore } from './coordination/store.js'
import {
  MetadataImage, newClusterId, newTopicId, uuidFromString, uuidToString,
  type PartitionState, type TopicImage,
} from './metadata-image.js'
import type { ReplicaManager } from './replica-manager.js'
import { isInternalTopic, topicNameProblem, unifyCollisionChars } from './topic-names.js'

interface TopicAssignmentNode {
  version: number
  topic_id: string
  partitions: Record<string, number[]>
  adding_replicas?: Record<string, number[]>
  removing_replicas?: Record<string, number[]>
}

interface PartitionStateNode {
  controller_epoch: number
  leader: number
  version: 1
  leader_epoch: number
  isr: number[]
}

interface TopicConfigNode {
  version: 1
  config: Record<string, string>
}

export interface CreateTopicRequest {
  readonly name: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: readonly number[] }>
  readonly configs: Record<string, string>
}

export interface TopicConfigPolicy {
  /** Throws KafkaError(INVALID_CONFIG) with a message naming the bad config. */
  validate(configs: Record<string, string>): void
  logConfigFor(configs: Record<string, string>): LogConfig
}

export class Controller {
  private controllerEpoch = 0
  /** Serialises metadata changes: one create/delete at a time, as Kafka's controller event queue. */
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly store: CoordinationStore,
    readonly image: MetadataImage,
    private readonly replicaManager: ReplicaManager,
    private readonly policy: TopicConfigPolicy,
    private readonly brokerId: number,
    private readonly log: Logger,
  ) {}

  /** Loads (or initialises) the cluster id and every topic, and takes leadership of all partitions. */
  static async start(
    store: CoordinationStore, replicaManager: ReplicaManager, policy: TopicConfigPolicy,
    brokerId: number, log: Logger,
  ): Promise<Controller> {
    let clusterNode = parseJson<{ id: string }>(await store.get('/cluster/id'))
    if (clusterNode === null) {
      clusterNode = { id: newClusterId() }
      await store.create('/cluster/id', jsonData({ version: '1', id: clusterNode.id }))
    }
    const controller = new Controller(store, new MetadataImage(clusterNode.id), replicaManager, policy, brokerId, log)
    await controller.bumpControllerEpoch()
    controller.image.controllerId = brokerId
    for (const name of await store.children('/brokers/topics')) {
      await controller.loadTopic(name)
    }
    return controller
  }

  /** Every topic's config overrides, read before the logs open (their configs come from here). */
  static async readTopicConfigs(store: CoordinationStore): Promise<Map<string, Record<string, string>>> {
    const configs = new Map<string, Record<string, string>>()
    for (const name of await store.children('/config/topics')) {
      configs.set(name, parseJson<TopicConfigNode>(await store.get(`/config/topics/${name}`))?.config ?? {})
    }
    return configs
  }

  get clusterId(): string {
    return this.image.clusterId
  }

  /** Validates a creation without side effects; throws KafkaError with Kafka's code and message. */
  validateCreate(request: CreateTopicRequest, liveBrokers: number): void {
    const problem = topicNameProblem(request.name)
    if (problem !== null) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem)
    if (this.image.topics.has(request.name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${request.name}' already exists.`)
    }
    const unified = unifyCollisionChars(request.name)
    for (const existing of this.image.topics.keys()) {
      if (unifyCollisionChars(existing) === unified) {
        throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${request.name}' collides with existing topic: ${existing}`)
      }
    }
    if (request.assignments.length > 0) {
      if (request.numPartitions !== -1 || request.replicationFactor !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.')
      }
      request.assignments.forEach((assignment, index) => {
        if (assignment.partitionIndex !== index) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence')
        }
        for (const brokerId of assignment.brokerIds) {
          if (this.image.broker(brokerId) === undefined) {
            throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${brokerId} in replica assignment`)
          }
        }
      })
    } else {
      if (request.numPartitions <= 0) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.')
      }
      if (request.replicationFactor <= 0) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.')
      }
      if (request.replicationFactor > liveBrokers) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR,
          `Replication factor: ${request.replicationFactor} larger than available brokers: ${liveBrokers}.`)
      }
    }
    this.policy.validate(request.configs)
  }

  /** Creates the topic (already validated by the caller through validateCreate). */
  createTopic(request: CreateTopicRequest): Promise<TopicImage> {
    return this.serialise(async () => {
      this.validateCreate(request, this.image.brokers.length || 1)
      const assignment: Record<string, number[]> = {}
      if (request.assignments.length > 0) {
        for (const entry of request.assignments) assignment[String(entry.partitionIndex)] = [...entry.brokerIds]
      } else {
        for (let partition = 0; partition < request.numPartitions; partition++) assignment[String(partition)] = [this.brokerId]
      }
      const topicId = newTopicId()
      // One atomic write for the whole topic: a crash never leaves a topic without partition states.
      const nodes = [
        { path: `/config/topics/${request.name}`, data: jsonData({ version: 1, config: request.configs } satisfies TopicConfigNode) },
        {
          path: `/brokers/topics/${request.name}`,
          data: jsonData({
            version: 3, topic_id: uuidToString(topicId), partitions: assignment, adding_replicas: {}, removing_replicas: {},
          } satisfies TopicAssignmentNode),
        },
      ]
      for (const [partition, replicas] of Object.entries(assignment)) {
        nodes.push({
          path: `/brokers/topics/${request.name}/partitions/${partition}/state`,
          data: jsonData({
            controller_epoch: this.controllerEpoch, leader: replicas[0] ?? -1, version: 1, leader_epoch: 0, isr: replicas,
          } satisfies PartitionStateNode),
        })
      }
      await this.store.createAll(nodes)
      this.log.info({ topic: request.name, partitions: Object.keys(assignment).length }, 'created topic')
      return this.loadTopic(request.name)
    })
  }

  deleteTopic(name: string): Promise<void> {
    return this.serialise(async () => {
      const topic = this.image.topics.get(name)
      if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      // Out of the image first so no new request reaches the partitions, then the data, then the nodes.
      this.image.removeTopic(name)
      for (const state of topic.partitions) await this.replicaManager.deletePartition(name, state.partition)
      await this.store.deleteRecursive(`/brokers/topics/${name}`)
      const configPath = `/config/topics/${name}`
      if (await this.store.get(configPath) !== null) await this.store.deleteRecursive(configPath)
      this.log.info({ topic: name }, 'deleted topic')
    })
  }

  logConfigFor(topic: TopicImage): LogConfig {
    return this.policy.logConfigFor(topic.configs)
  }

  // --- Log management: topic configs and partition counts (docs/log-management.md) -------------

  /**
   * Replaces a topic's overrides (AlterConfigs / IncrementalAlterConfigs already computed the new
   * set), persists them in /config/topics/<topic> and applies them to the topic's open logs.
   */
  alterTopicConfigs(name: string, configs: Record<string, string>, validateOnly: boolean): Promise<void> {
    return this.serialise(async () => {
      const topic = this.image.topics.get(name)
      if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`)
      this.policy.validate(configs)
      // Resolving through the broker layers also checks cross-config rules (compaction lags).
      try {
        this.policy.logConfigFor(configs)
      } catch (error) {
        if (error instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, error.message)
        throw error
      }
      if (validateOnly) return
      const configPath = `/config/topics/${name}`
      const node = jsonData({ version: 1, config: configs } satisfies TopicConfigNode)
      if ((await this.store.get(configPath)) === null) await this.store.create(configPath, node)
      else await this.store.set(configPath, node, -1)
      topic.configs = { ...configs }
      this.applyLogConfig(topic)
      this.log.info({ topic: name, configs }, 'altered topic configs')
    })
  }

  /** Re-resolves the log config of every hosted partition (after a dynamic broker config change). */
  reapplyLogConfigs(): void {
    for (const topic of this.image.topics.values()) {
      try {
        this.applyLogConfig(topic)
      } catch (error) {
        // A topic override that conflicts with the new broker defaults keeps its previous config.
        this.log.warn({ err: error, topic: topic.name }, 'topic configs conflict with the broker configs; not applied')
      }
    }
  }

  private applyLogConfig(topic: TopicImage): void {
    const logConfig = this.policy.logConfigFor(topic.configs)
    for (const state of topic.partitions) this.replicaManager.getPartition(topic.name, state.partition)?.log.updateConfig(logConfig)
  }

  /**
   * CreatePartitions: grows a topic to `count` partitions (never shrinks), with the replicas of
   * `assignments` (one entry per new partition) or this broker. Errors as Kafka's controller.
   */
  createPartitions(name: string, count: number, assignments: readonly (readonly number[])[] | null, validateOnly: boolean): Promise<void> {
    return this.serialise(async () => {
      const topic = this.image.topics.get(name)
      if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`)
      const current = topic.partitions.length
      if (count < current) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`)
      }
      if (count === current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`)
      const replicationFactor = topic.partitions[0]?.replicas.length ?? 1
      const added: number[][] = []
      for (let index = 0; index < count - current; index++) added.push([...(assignments?.[index] ?? [this.brokerId])])
      if (assignments !== null) {
        if (assignments.length !== count - current) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Attempted to add ${count - current} additional partition(s), but only ${assignments.length} assignment(s) were specified.`)
        }
        for (const replicas of added) {
          if (replicas.length !== replicationFactor) {
            throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
              `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`)
          }
          if (new Set(replicas).size !== replicas.length) {
            throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker more than once.')
          }
          const unknown = replicas.find((brokerId) => this.image.broker(brokerId) === undefined)
          if (unknown !== undefined) {
            throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`)
          }
        }
      }
      if (validateOnly) return
      const assignmentPath = `/brokers/topics/${name}`
      const stored = await this.store.get(assignmentPath)
      const node = parseJson<TopicAssignmentNode>(stored)
      assert.ok(stored !== null && node !== null, `topic node exists for ${name}`)
      added.forEach((replicas, index) => {
        node.partitions[String(current + index)] = replicas
      })
      await this.store.set(assignmentPath, jsonData(node), stored.version)
      for (let index = 0; index < added.length; index++) {
        const replicas = added[index]!
        await this.store.create(`${assignmentPath}/partitions/${current + index}/state`, jsonData({
          controller_epoch: this.controllerEpoch, leader: replicas[0] ?? -1, version: 1, leader_epoch: 0, isr: replicas,
        } satisfies PartitionStateNode))
      }
      await this.loadTopic(name)
      this.log.info({ topic: name, from: current, to: count }, 'created partitions')
    })
  }

  private async loadTopic(name: string): Promise<TopicImage> {
    const assignment = parseJson<TopicAssignmentNode>(await this.store.get(`/brokers/topics/${name}`))
    assert.ok(assignment !== null, `topic node exists for ${name}`)
    const configs = parseJson<TopicConfigNode>(await this.store.get(`/config/topics/${name}`))?.config ?? {}
    const partitions: PartitionState[] = []
    const indexes = Object.keys(assignment.partitions).map(Number).sort((a, b) => a - b)
    for (const partition of indexes) {
      const statePath = `/brokers/topics/${name}/partitions/${partition}/state`
      const stored = await this.store.get(statePath)
      const state = parseJson<PartitionStateNode>(stored)
      assert.ok(stored !== null && state !== null, `state node exists for ${name}-${partition}`)
      partitions.push({
        partition, replicas: assignment.partitions[String(partition)]!, leader: state.leader,
        leaderEpoch: state.leader_epoch, isr: state.isr, stateVersion: stored.version,
      })
    }
    const topic: TopicImage = {
      name, topicId: uuidFromString(assignment.topic_id), isInternal: isInternalTopic(name), partitions, configs,
    }
    const logConfig = this.policy.logConfigFor(configs)
    const led = partitions.filter((state) => state.leader === this.brokerId)
    await Promise.all(led.map((state) => this.replicaManager.makeLeader(name, topic.topicId, state, logConfig)))
    this.image.putTopic(topic)
    return topic
  }

  private async bumpControllerEpoch(): Promise<void> {
    const stored = await this.store.get('/controller_epoch')
    if (stored === null) {
      this.controllerEpoch = 1
      await this.store.create('/controller_epoch', Buffer.from('1'))
      return
    }
    this.controllerEpoch = Number(stored.data.toString('utf8')) + 1
    await this.store.set('/controller_epoch', Buffer.from(String(this.controllerEpoch)), stored.version)
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => undefined)
    return run
  }
}
