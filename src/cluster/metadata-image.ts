// The broker's view of cluster metadata: brokers, topics, partition assignments and leadership.
// It is a cache of the coordination store (Kafka's znode layout), rebuilt at start-up and updated
// by the controller after every successful conditional write, so it never runs ahead of the store.
import { randomBytes } from 'node:crypto'

export interface BrokerEndpoint {
  readonly brokerId: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
}

export interface PartitionState {
  readonly partition: number
  readonly replicas: readonly number[]
  leader: number
  leaderEpoch: number
  isr: number[]
  /** The version of the partition's state node, for conditional updates. */
  stateVersion: number
}

export interface TopicImage {
  readonly name: string
  readonly topicId: Buffer
  readonly isInternal: boolean
  readonly partitions: PartitionState[]
  /** Topic-level overrides (Kafka's /config/topics/<topic>), by Kafka config name. */
  configs: Record<string, string>
}

export class MetadataImage {
  readonly topics = new Map<string, TopicImage>()
  private readonly topicNamesById = new Map<string, string>()
  brokers: BrokerEndpoint[] = []
  controllerId = -1

  constructor(readonly clusterId: string) {}

  putTopic(topic: TopicImage): void {
    this.topics.set(topic.name, topic)
    this.topicNamesById.set(topic.topicId.toString('hex'), topic.name)
  }

  removeTopic(name: string): void {
    const topic = this.topics.get(name)
    if (topic === undefined) return
    this.topics.delete(name)
    this.topicNamesById.delete(topic.topicId.toString('hex'))
  }

  topicNameById(topicId: Buffer): string | undefined {
    return this.topicNamesById.get(topicId.toString('hex'))
  }

  broker(brokerId: number): BrokerEndpoint | undefined {
    return this.brokers.find((broker) => broker.brokerId === brokerId)
  }
}

export const ZERO_UUID: Buffer = Buffer.alloc(16)

/** A random topic id that is never the zero uuid nor the reserved "one" uuid (as in Kafka's Uuid.randomUuid). */
export function newTopicId(): Buffer {
  for (;;) {
    const id = randomBytes(16)
    const isZero = id.equals(ZERO_UUID)
    const isOne = id.subarray(0, 15).equals(ZERO_UUID.subarray(0, 15)) && id[15] === 1
    if (!isZero && !isOne) return id
  }
}

/** Kafka prints uuids as URL-safe base64 without padding (22 characters). */
export function uuidToString(id: Buffer): string {
  return id.toString('base64url')
}

export function uuidFromString(text: string): Buffer {
  const id = Buffer.from(text, 'base64url')
  if (id.length !== 16) throw new Error(`not a uuid: ${text}`)
  return id
}

export function newClusterId(): string {
  return uuidToString(newTopicId())
}
