// A small Kafka-protocol client: bootstrap, cluster metadata, one connection per broker, and the
// data-path calls (Produce, Fetch, ListOffsets) routed to partition leaders. Used by the CLI, the
// tests and inter-broker code; it works against any Kafka-protocol broker.
//
// Retries: a call whose answer says the metadata is stale (NOT_LEADER_OR_FOLLOWER,
// LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, ...) refreshes the metadata and retries, up to
// `retries` times with `retryBackoffMs` between attempts. Reads also retry after a lost connection;
// Produce does not (the batch may have been appended), so it never duplicates on its own.
import { setTimeout as delay } from 'node:timers/promises'
import { ErrorCode, errorName, KafkaError } from '../protocol/errors.js'
import { Fetch, createFetchRequest, type FetchResponsePartitionData } from '../protocol/messages/fetch.js'
import { ListOffsets, createListOffsetsRequest } from '../protocol/messages/list-offsets.js'
import { Metadata, createMetadataRequest, type MetadataResponse } from '../protocol/messages/metadata.js'
import { Produce, createProduceRequest } from '../protocol/messages/produce.js'
import { buildRecordBatch, type RecordInput } from '../records/record-builder.js'
import { Connection, ConnectionError, type ConnectionOptions } from './connection.js'
import { decodeFetchedRecords, type FetchedRecord } from './fetched-records.js'

export interface KafkaClientOptions {
  /** `host:port[,host:port...]` or a list of them. */
  bootstrapServers: string | readonly string[]
  clientId?: string
  connectTimeoutMs?: number
  requestTimeoutMs?: number
  /** Metadata refreshes and retries after a stale-metadata error. */
  retries?: number
  retryBackoffMs?: number
  /** Per-API version caps (apiKey → version), on top of CLIENT_MAX_VERSIONS. */
  maxVersions?: Readonly<Record<number, number>>
}

/**
 * Versions this client caps itself to: Fetch v13+ names topics by id only, which would tie every
 * fetch to a Metadata v10+ topic id lookup; v12 is served by every broker from Kafka 2.7 on.
 */
export const CLIENT_MAX_VERSIONS: Readonly<Record<number, number>> = { [Fetch.apiKey]: 12 }

export interface BrokerInfo {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
}

export interface PartitionInfo {
  readonly partition: number
  readonly errorCode: number
  readonly leader: number
  readonly leaderEpoch: number
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
  readonly offlineReplicas: readonly number[]
}

export interface TopicInfo {
  readonly name: string
  readonly errorCode: number
  readonly topicId: Buffer
  readonly isInternal: boolean
  /** Sorted by partition. */
  readonly partitions: readonly PartitionInfo[]
}

export interface ClusterMetadata {
  readonly clusterId: string | null
  readonly controllerId: number
  readonly brokers: ReadonlyMap<number, BrokerInfo>
  readonly topics: ReadonlyMap<string, TopicInfo>
}

export type Acks = 0 | 1 | -1

export interface ProduceOptions {
  /** 0, 1 or -1 (all); default -1 as Kafka's producer. */
  acks?: Acks
  /** How long the broker may wait for acks=all. */
  timeoutMs?: number
  /** Create the topic through Metadata when it is missing (the broker decides). Default false. */
  allowAutoTopicCreation?: boolean
}

export interface ProduceResult {
  /** -1 when acks=0. */
  readonly baseOffset: bigint
  /** -1 unless the topic uses LogAppendTime. */
  readonly logAppendTimeMs: bigint
  readonly logStartOffset: bigint
}

export interface FetchOptions {
  maxWaitMs?: number
  minBytes?: number
  maxBytes?: number
  partitionMaxBytes?: number
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel?: 0 | 1
}

export interface FetchResult {
  readonly highWatermark: bigint
  readonly lastStableOffset: bigint
  readonly logStartOffset: bigint
  /** Record batches as the broker sent them (possibly empty, possibly ending in a partial batch). */
  readonly records: Buffer
}

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1n
export const EARLIEST_TIMESTAMP = -2n

export interface OffsetAndTimestamp {
  /** -1 when no record has a timestamp at or after the one asked for. */
  readonly offset: bigint
  readonly timestamp: bigint
  readonly leaderEpoch: number
}

const STALE_METADATA_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.NOT_CONTROLLER,
])

export function parseHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address.trim())
  if (match === null) throw new Error(`invalid address '${address}': expected host:port`)
  return { host: match[1] ?? match[2]!, port: Number(match[3]) }
}

export class KafkaClient {
  private readonly bootstrap: { host: string; port: number }[]
  private readonly connectionOptions: Omit<ConnectionOptions, 'host' | 'port'>
  private readonly retries: number
  private readonly retryBackoffMs: number
  private readonly connections = new Map<string, Promise<Connection>>()
  private cached: ClusterMetadata | null = null
  private isClosed = false

  constructor(options: KafkaClientOptions) {
    const servers = typeof options.bootstrapServers === 'string' ? options.bootstrapServers.split(',') : options.bootstrapServers
    this.bootstrap = servers.map((s) => s.trim()).filter((s) => s !== '').map(parseHostPort)
    if (this.bootstrap.length === 0) throw new Error('no bootstrap servers given')
    this.connectionOptions = {
      clientId: options.clientId ?? 'gregor-client',
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      maxVersions: { ...CLIENT_MAX_VERSIONS, ...options.maxVersions },
    }
    this.retries = options.retries ?? 10
    this.retryBackoffMs = options.retryBackoffMs ?? 100
  }

  /** A connection to any reachable broker (a known one first, else the bootstrap list in order). */
  async anyConnection(): Promise<Connection> {
    const addresses = [...(this.cached?.brokers.values() ?? []), ...this.bootstrap]
    let lastError: unknown
    for (const { host, port } of addresses) {
      try {
        return await this.connectionAt(host, port)
      } catch (error) {
        lastError = error
      }
    }
    throw lastError
  }

  /** The connection to broker `nodeId`, opened on first use (metadata refreshed when the broker is unknown). */
  async connectionTo(nodeId: number): Promise<Connection> {
    let broker = this.cached?.brokers.get(nodeId)
    if (broker === undefined) broker = (await this.metadata([])).brokers.get(nodeId)
    if (broker === undefined) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster metadata`)
    return this.connectionAt(broker.host, broker.port)
  }

  /** Fetches metadata for `topics` (null: every topic) and caches the brokers and those topics. */
  async metadata(topics: readonly string[] | null, options: { allowAutoTopicCreation?: boolean } = {}): Promise<ClusterMetadata> {
    const connection = await this.anyConnection()
    const version = connection.versionFor(Metadata)
    const request = createMetadataRequest()
    request.topics = topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ topicId: Buffer.alloc(16), name }))
    // Before v4 the field does not exist and brokers always auto-create (if configured to).
    if (version >= 4) request.allowAutoTopicCreation = options.allowAutoTopicCreation ?? false
    const response = await connection.send(Metadata, request, { version })
    const metadata = toClusterMetadata(response)
    this.remember(metadata)
    return metadata
  }

  /** Cached metadata of `topic`, fetched when absent. Not retried: call inside retrying() to wait for a new topic's leaders. */
  async topicMetadata(topic: string, options: { allowAutoTopicCreation?: boolean } = {}): Promise<TopicInfo> {
    const known = this.cached?.topics.get(topic)
    if (known !== undefined && known.errorCode === ErrorCode.NONE) return known
    const info = (await this.metadata([topic], options)).topics.get(topic)
    if (info === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no metadata for topic ${topic}`)
    if (info.errorCode !== ErrorCode.NONE) throw new KafkaError(info.errorCode, `topic ${topic}: ${errorName(info.errorCode)}`)
    return info
  }

  /** The connection to the leader of topic-partition. */
  async leaderConnection(topic: string, partition: number, options: { allowAutoTopicCreation?: boolean } = {}): Promise<Connection> {
    const info = await this.topicMetadata(topic, options)
    const p = info.partitions.find((x) => x.partition === partition)
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} has no partition ${partition}`)
    if (p.leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition} has no leader`)
    return this.connectionTo(p.leader)
  }

  /** The connection to the controller (CreateTopics, DeleteTopics in ZooKeeper-mode Kafka). */
  async controllerConnection(): Promise<Connection> {
    const metadata = await this.metadata([])
    return metadata.controllerId >= 0 ? this.connectionTo(metadata.controllerId) : this.anyConnection()
  }

  /** Produces one record set (RecordBatch v2 bytes) to topic-partition. Throws KafkaError on a partition error. */
  async produce(topic: string, partition: number, records: Buffer, options: ProduceOptions = {}): Promise<ProduceResult> {
    const acks = options.acks ?? -1
    const request = createProduceRequest()
    request.acks = acks
    request.timeoutMs = options.timeoutMs ?? 30_000
    request.topicData = [{ name: topic, partitionData: [{ index: partition, records }] }]
    return this.retrying(false, async () => {
      const connection = await this.leaderConnection(topic, partition, options)
      if (acks === 0) {
        await connection.sendWithoutResponse(Produce, request)
        return { baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n }
      }
      const response = await connection.send(Produce, request, { timeoutMs: request.timeoutMs + this.requestTimeoutSlackMs() })
      const answer = response.responses.find((t) => t.name === topic)?.partitionResponses.find((p) => p.index === partition)
      if (answer === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `no produce answer for ${topic}-${partition}`)
      this.throwPartitionError(topic, partition, answer.errorCode, answer.errorMessage)
      return { baseOffset: answer.baseOffset, logAppendTimeMs: answer.logAppendTimeMs, logStartOffset: answer.logStartOffset }
    })
  }

  /** Builds an uncompressed RecordBatch v2 from `records` and produces it. */
  async produceRecords(topic: string, partition: number, records: readonly RecordInput[], options: ProduceOptions = {}): Promise<ProduceResult> {
    return this.produce(topic, partition, buildRecordBatch(records), options)
  }

  /**
   * The records of topic-partition from `offset` on, fetching as the caller iterates; runs until
   * the caller stops iterating. Control batches are skipped.
   */
  async *consume(topic: string, partition: number, offset: bigint, options: FetchOptions = {}): AsyncGenerator<FetchedRecord> {
    let position = offset
    for (;;) {
      const result = await this.fetch(topic, partition, position, options)
      const decoded = decodeFetchedRecords(result.records, position)
      position = decoded.nextOffset
      yield* decoded.records
    }
  }

  /** One Fetch of topic-partition from `offset`. Throws KafkaError on a partition error (OFFSET_OUT_OF_RANGE ...). */
  async fetch(topic: string, partition: number, offset: bigint, options: FetchOptions = {}): Promise<FetchResult> {
    const request = createFetchRequest()
    request.replicaId = -1
    request.maxWaitMs = options.maxWaitMs ?? 500
    request.minBytes = options.minBytes ?? 1
    request.maxBytes = options.maxBytes ?? 52_428_800
    request.isolationLevel = options.isolationLevel ?? 0
    request.sessionId = 0
    request.sessionEpoch = -1 // a full fetch without a fetch session (KIP-227)
    return this.retrying(true, async () => {
      const connection = await this.leaderConnection(topic, partition)
      const info = this.cached?.topics.get(topic)
      request.topics = [
        {
          topic,
          topicId: info?.topicId ?? Buffer.alloc(16),
          partitions: [
            {
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: offset,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: options.partitionMaxBytes ?? 1_048_576,
              replicaDirectoryId: Buffer.alloc(16),
            },
          ],
        },
      ]
      const response = await connection.send(Fetch, request, { timeoutMs: request.maxWaitMs + this.requestTimeoutSlackMs() })
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `fetch ${topic}-${partition}: ${errorName(response.errorCode)}`)
      const answer: FetchResponsePartitionData | undefined = response.responses
        .find((t) => t.topic === topic)
        ?.partitions.find((p) => p.partitionIndex === partition)
      if (answer === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `no fetch answer for ${topic}-${partition}`)
      this.throwPartitionError(topic, partition, answer.errorCode, null)
      return {
        highWatermark: answer.highWatermark,
        lastStableOffset: answer.lastStableOffset,
        logStartOffset: answer.logStartOffset,
        records: answer.records ?? Buffer.alloc(0),
      }
    })
  }

  /** ListOffsets for one partition: EARLIEST_TIMESTAMP, LATEST_TIMESTAMP or a timestamp in ms. */
  async listOffsets(topic: string, partition: number, timestamp: bigint, options: { isolationLevel?: 0 | 1 } = {}): Promise<OffsetAndTimestamp> {
    const request = createListOffsetsRequest()
    request.replicaId = -1
    request.isolationLevel = options.isolationLevel ?? 0
    request.topics = [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }]
    return this.retrying(true, async () => {
      const connection = await this.leaderConnection(topic, partition)
      const version = connection.versionFor(ListOffsets)
      const response = await connection.send(ListOffsets, request, { version })
      const answer = response.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)
      if (answer === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `no list-offsets answer for ${topic}-${partition}`)
      this.throwPartitionError(topic, partition, answer.errorCode, null)
      const offset = version === 0 ? (answer.oldStyleOffsets[0] ?? -1n) : answer.offset
      return { offset, timestamp: answer.timestamp, leaderEpoch: answer.leaderEpoch }
    })
  }

  /** Closes every connection (outstanding requests finish first). */
  async close(): Promise<void> {
    this.isClosed = true
    const pending = [...this.connections.values()]
    this.connections.clear()
    await Promise.all(pending.map((p) => p.then((c) => c.close(), () => undefined)))
  }

  /** Runs `attempt`, refreshing metadata and retrying on stale-metadata errors (and, for reads, lost connections). */
  async retrying<T>(isIdempotent: boolean, attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt()
      } catch (error) {
        if (tries >= this.retries || this.isClosed || !this.isRetriable(error, isIdempotent)) throw error
        this.cached = null
        await delay(this.retryBackoffMs)
      }
    }
  }

  private isRetriable(error: unknown, isIdempotent: boolean): boolean {
    if (error instanceof KafkaError) return STALE_METADATA_ERRORS.has(error.code)
    if (error instanceof ConnectionError) return error.code === 'GREGOR_CONNECT_FAILED' || (isIdempotent && error.code === 'GREGOR_CONNECTION_CLOSED')
    return false
  }

  private throwPartitionError(topic: string, partition: number, errorCode: number, message: string | null): void {
    if (errorCode === ErrorCode.NONE) return
    const detail = message === null || message === '' ? errorName(errorCode) : `${errorName(errorCode)}: ${message}`
    throw new KafkaError(errorCode, `${topic}-${partition}: ${detail}`)
  }

  private requestTimeoutSlackMs(): number {
    return this.connectionOptions.requestTimeoutMs ?? 30_000
  }

  private connectionAt(host: string, port: number): Promise<Connection> {
    if (this.isClosed) return Promise.reject(new ConnectionError('GREGOR_CONNECTION_CLOSED', 'the client is closed'))
    const key = `${host}:${port}`
    const existing = this.connections.get(key)
    if (existing !== undefined) {
      return existing.then(
        (c) => (c.isOpen ? c : this.openConnection(key, host, port)),
        () => this.openConnection(key, host, port),
      )
    }
    return this.openConnection(key, host, port)
  }

  private openConnection(key: string, host: string, port: number): Promise<Connection> {
    const opening = Connection.connect({ ...this.connectionOptions, host, port })
    this.connections.set(key, opening)
    opening.catch(() => {
      if (this.connections.get(key) === opening) this.connections.delete(key)
    })
    return opening
  }

  private remember(metadata: ClusterMetadata): void {
    const topics = new Map(this.cached?.topics ?? [])
    for (const [name, info] of metadata.topics) topics.set(name, info)
    this.cached = { ...metadata, topics }
  }
}

function toClusterMetadata(response: MetadataResponse): ClusterMetadata {
  const brokers = new Map<number, BrokerInfo>()
  for (const b of response.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })
  const topics = new Map<string, TopicInfo>()
  for (const t of response.topics) {
    if (t.name === null) continue
    const partitions = t.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
      }))
      .sort((a, b) => a.partition - b.partition)
    topics.set(t.name, { name: t.name, errorCode: t.errorCode, topicId: t.topicId, isInternal: t.isInternal, partitions })
  }
  return { clusterId: response.clusterId, controllerId: response.controllerId, brokers, topics }
}
