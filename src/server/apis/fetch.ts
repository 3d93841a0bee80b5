// Fetch (key 1), v4-17 (Kafka 4 removed v0-3). Long polls wait in the fetch purgatory for
// min_bytes or max_wait_ms. Byte limits: the response stops at min(max_bytes, fetch.max.bytes,
// gregor.fetch.response.max.bytes), each partition at partition_max_bytes, except that the first batch of the
// first non-empty partition is always returned whole (KIP-74). v7+ fetch sessions (KIP-227):
// epoch -1 is a sessionless full fetch, epoch 0 opens a session, n>0 is incremental and the
// response then only carries partitions with news; partitions that returned records move to the
// end of the session's order. v13+ names topics by id.
// Deviations: follower fetches (replica_id >= 0) are served like consumer fetches until replication
// lands; a response carries at most gregor.fetch.response.max.bytes (16 MiB) of records even when
// max_bytes allows more, and when that bound limits the response, half of it meets min_bytes.
import { ErrorCode } from '../../protocol/errors.js'
import {
  createFetchResponse, createFetchResponsePartitionData, type FetchRequest, type FetchResponse,
} from '../../protocol/messages/fetch.js'
import { ZERO_UUID } from '../../cluster/metadata-image.js'
import type { FetchPartitionRequest, FetchPartitionResult } from '../../cluster/replica-manager.js'
import type { ApiHandler, RequestContext } from '../api-handler.js'
import {
  FINAL_EPOCH, INITIAL_EPOCH, sessionPartitionKey, type FetchSession, type SessionPartition,
} from '../fetch-session-cache.js'

type ResponseTopic = FetchResponse['responses'][number]
type ResponsePartition = ResponseTopic['partitions'][number]

const TOPIC_IDS_FROM = 13
const SESSIONS_FROM = 7

interface Wanted extends SessionPartition {
  /** Set when the topic (or topic id) is unknown: answered without reading. */
  errorCode: number
}

export const fetch: ApiHandler<FetchRequest, FetchResponse> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, request) {
    const broker = ctx.broker
    const usesTopicIds = ctx.apiVersion >= TOPIC_IDS_FROM
    const requested = resolvePartitions(ctx, request, usesTopicIds)

    let session: FetchSession | null = null
    let incremental = false
    let wanted: Wanted[] = requested
    if (ctx.apiVersion >= SESSIONS_FROM) {
      const nowMs = broker.clock.monotonicMs()
      if (request.sessionId !== 0 && (request.sessionEpoch === FINAL_EPOCH || request.sessionEpoch === INITIAL_EPOCH)) {
        broker.fetchSessions.remove(request.sessionId)
      }
      if (request.sessionEpoch === INITIAL_EPOCH) {
        session = broker.fetchSessions.create(nowMs)
        if (session !== null) for (const partition of requested) session.partitions.set(keyOf(partition), partition)
      } else if (request.sessionEpoch > 0) {
        session = broker.fetchSessions.acquire(request.sessionId, request.sessionEpoch, nowMs)
        incremental = true
        wanted = applyIncrementalChanges(ctx, session, request, requested, usesTopicIds)
      }
    }

    const reads: FetchPartitionRequest[] = []
    const readIndexes: number[] = []
    wanted.forEach((partition, index) => {
      if (partition.errorCode !== ErrorCode.NONE) return
      readIndexes.push(index)
      reads.push({
        topic: partition.topic, partition: partition.partition, fetchOffset: partition.fetchOffset,
        partitionMaxBytes: partition.partitionMaxBytes, currentLeaderEpoch: partition.currentLeaderEpoch,
      })
    })
    const kafkaMaxBytes = Math.min(request.maxBytes, broker.config.fetchMaxBytes)
    // gregor.fetch.response.max.bytes (16 MiB) sits below fetch.max.bytes (clients ask for 50 MiB):
    // librdkafka receives a response into one allocation, which above glibc's mmap threshold lands
    // in fresh pages every time (50 MB responses: twice the page faults, 5-15% slower consumers).
    // The protocol lets a broker answer less than max_bytes; the client simply fetches again.
    const maxBytes = Math.min(kafkaMaxBytes, broker.config.gregorFetchResponseMaxBytes)
    // Kafka meets min_bytes with backlog beyond what one response carries. When Gregor's own bound
    // is what limits the response, a backlog filling half of it counts as enough, or a large
    // min_bytes would wait max_wait_ms with data at hand (whole batches rarely fill the bound).
    const minBytes = maxBytes < kafkaMaxBytes ? Math.min(request.minBytes, Math.floor(maxBytes / 2)) : request.minBytes
    // Records are read into pooled slabs, given back once the response has left through the socket.
    const lease = broker.fetchBuffers.lease()
    ctx.afterResponse(() => lease.release())
    const results = await broker.replicaManager.fetch(reads, {
      maxWaitMs: request.maxWaitMs, minBytes, maxBytes, isolationLevel: request.isolationLevel,
      allocate: lease.allocate,
    })
    const resultsByIndex = new Array<FetchPartitionResult | undefined>(wanted.length)
    readIndexes.forEach((wantedIndex, resultIndex) => (resultsByIndex[wantedIndex] = results[resultIndex]))

    const response = createFetchResponse()
    response.sessionId = session?.id ?? 0
    if (session !== null && incremental) session.epoch = nextEpoch(session.epoch)
    let topic: ResponseTopic | null = null
    const rotated = incremental ? session : null
    wanted.forEach((partition, index) => {
      const result = resultsByIndex[index]
      const out = toResponsePartition(partition, result, request.isolationLevel)
      if (incremental && !hasNews(partition, out)) return
      if (result !== undefined) {
        partition.lastHighWatermark = result.highWatermark
        partition.lastLastStableOffset = result.lastStableOffset
        partition.lastLogStartOffset = result.logStartOffset
      }
      if (topic === null || topic.topic !== partition.topic || !topic.topicId.equals(partition.topicId)) {
        topic = { topic: partition.topic, topicId: partition.topicId, partitions: [] }
        response.responses.push(topic)
      }
      topic.partitions.push(out)
      // KIP-227 fairness, as Kafka's IncrementalFetchContext: a partition that returned records
      // moves to the end of the session, so the next responses (cut at the byte limits) serve the
      // others first.
      if (rotated !== null && out.records !== null && out.records.length > 0) {
        const key = keyOf(partition)
        rotated.partitions.delete(key)
        rotated.partitions.set(key, partition)
      }
    })
    return response
  },
  // As Kafka's FetchRequest.getErrorResponse: below v13 every requested partition carries the
  // error too, since v0-6 responses have no top-level error code and would look like "no data".
  errorResponse(request, errorCode, apiVersion) {
    const response = createFetchResponse()
    response.errorCode = errorCode
    if (apiVersion >= TOPIC_IDS_FROM) return response
    for (const topic of request.topics) {
      response.responses.push({
        topic: topic.topic, topicId: topic.topicId,
        partitions: topic.partitions.map((p) => ({ ...createFetchResponsePartitionData(), partitionIndex: p.partition, errorCode, highWatermark: -1n, abortedTransactions: null, records: EMPTY_RECORDS })),
      })
    }
    return response
  },
}

function resolvePartitions(ctx: RequestContext, request: FetchRequest, usesTopicIds: boolean): Wanted[] {
  const image = ctx.broker.metadata
  const out: Wanted[] = []
  for (const topic of request.topics) {
    let name = topic.topic
    let topicId = topic.topicId
    let errorCode: number = ErrorCode.NONE
    if (usesTopicIds) {
      const known = image.topicNameById(topic.topicId)
      if (known === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_ID
      name = known ?? ''
    } else {
      const known = image.topics.get(name)
      topicId = known?.topicId ?? ZERO_UUID
      if (known === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    }
    for (const partition of topic.partitions) {
      out.push({
        topic: name, topicId, partition: partition.partition, fetchOffset: Number(partition.fetchOffset),
        partitionMaxBytes: partition.partitionMaxBytes, currentLeaderEpoch: partition.currentLeaderEpoch,
        lastHighWatermark: -1, lastLastStableOffset: -1, lastLogStartOffset: -1, errorCode,
      })
    }
  }
  return out
}

/** Applies an incremental request to its session; returns every partition of the session to answer. */
function applyIncrementalChanges(
  ctx: RequestContext, session: FetchSession, request: FetchRequest, requested: Wanted[], usesTopicIds: boolean,
): Wanted[] {
  for (const forgotten of request.forgottenTopicsData) {
    const name = usesTopicIds ? ctx.broker.metadata.topicNameById(forgotten.topicId) ?? '' : forgotten.topic
    for (const partition of forgotten.partitions) session.partitions.delete(sessionPartitionKey(name, partition))
  }
  for (const partition of requested) {
    const existing = session.partitions.get(keyOf(partition)) as Wanted | undefined
    if (existing === undefined) {
      session.partitions.set(keyOf(partition), partition)
      continue
    }
    existing.fetchOffset = partition.fetchOffset
    existing.partitionMaxBytes = partition.partitionMaxBytes
    existing.currentLeaderEpoch = partition.currentLeaderEpoch
  }
  const all: Wanted[] = []
  for (const partition of session.partitions.values()) {
    const entry = partition as Wanted
    // Resolved against the current metadata on every request: a topic deleted since the session
    // started answers an error, and one created since is served.
    const isKnown = ctx.broker.metadata.topics.has(entry.topic)
    entry.errorCode = isKnown ? ErrorCode.NONE : usesTopicIds ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    all.push(entry)
  }
  return all
}

function toResponsePartition(partition: Wanted, result: FetchPartitionResult | undefined, isolationLevel: number): ResponsePartition {
  return {
    partitionIndex: partition.partition,
    errorCode: result?.errorCode ?? partition.errorCode,
    highWatermark: BigInt(result?.highWatermark ?? -1),
    lastStableOffset: BigInt(result?.lastStableOffset ?? -1),
    logStartOffset: BigInt(result?.logStartOffset ?? -1),
    divergingEpoch: NO_DIVERGING_EPOCH,
    currentLeader: NO_CURRENT_LEADER,
    snapshotId: NO_SNAPSHOT_ID,
    abortedTransactions: isolationLevel === 0 ? null : [],
    preferredReadReplica: -1,
    records: result?.records ?? EMPTY_RECORDS,
  }
}

function hasNews(partition: Wanted, out: ResponsePartition): boolean {
  if (out.errorCode !== ErrorCode.NONE) return true
  if (out.records !== null && out.records.length > 0) return true
  return Number(out.highWatermark) !== partition.lastHighWatermark ||
    Number(out.lastStableOffset) !== partition.lastLastStableOffset ||
    Number(out.logStartOffset) !== partition.lastLogStartOffset
}

function keyOf(partition: SessionPartition): string {
  return sessionPartitionKey(partition.topic, partition.partition)
}

/** Session epochs wrap from int32 max back to 1, never to 0 or -1. */
function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1
}

const EMPTY_RECORDS = Buffer.alloc(0)
// The tagged fields' defaults (not sent), shared by every partition of every response.
const NO_DIVERGING_EPOCH = Object.freeze({ epoch: -1, endOffset: -1n })
const NO_CURRENT_LEADER = Object.freeze({ leaderId: -1, leaderEpoch: -1 })
const NO_SNAPSHOT_ID = Object.freeze({ endOffset: -1n, epoch: -1 })
