// Owns the partitions this broker hosts and the two purgatories of the data path. Handlers call
// it to append and read; it never touches the network. Mirrors Kafka's ReplicaManager: appends
// complete parked fetches on the same partition, and fetches that found fewer than min bytes
// wait in the fetch purgatory until data arrives or max wait passes.
import type { Logger } from 'pino'
import { ErrorCode, KafkaError, errorCodeOf } from '../protocol/errors.js'
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, readBatchSize } from '../records/batch-header.js'
import type { LogManager } from '../storage/log-manager.js'
import type { LogConfig } from '../storage/log-config.js'
import { Purgatory, type DelayedOperation } from '../util/purgatory.js'
import type { Clock } from '../util/clock.js'
import type { PartitionState } from './metadata-image.js'
import { Partition, partitionKey } from './partition.js'

export interface FetchPartitionRequest {
  readonly topic: string
  readonly partition: number
  readonly fetchOffset: number
  readonly partitionMaxBytes: number
  readonly currentLeaderEpoch: number
}

export interface FetchPartitionResult {
  readonly topic: string
  readonly partition: number
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  records: Buffer | null
}

export interface FetchParameters {
  readonly maxWaitMs: number
  readonly minBytes: number
  readonly maxBytes: number
  readonly isolationLevel: number
  /** Where records are read into (a lease of the broker's fetch buffer pool); default new Buffers. */
  readonly allocate?: (size: number) => Buffer
}

export const READ_UNCOMMITTED = 0
export const READ_COMMITTED = 1

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>()
  readonly fetchPurgatory: Purgatory

  constructor(
    private readonly logManager: LogManager,
    readonly localBrokerId: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    maxParkedFetches: number,
    /** WAVE_READ_BYTES_MIN; tests lower it to drive the wave planning through more waves. */
    private readonly waveReadBytesMin = WAVE_READ_BYTES_MIN,
  ) {
    this.fetchPurgatory = new Purgatory('fetch', maxParkedFetches)
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, partition))
  }

  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values()
  }

  /** Opens (or creates) the partition's log and makes this broker its leader. */
  async makeLeader(topic: string, topicId: Buffer, state: PartitionState, logConfig: LogConfig): Promise<Partition> {
    const existing = this.getPartition(topic, state.partition)
    if (existing !== undefined) return existing
    const partitionLog = this.logManager.getLog(topic, state.partition)
      ?? await this.logManager.createLog(topic, state.partition, logConfig)
    const partition = new Partition(topic, state.partition, topicId, partitionLog, state, this.localBrokerId, logConfig)
    this.partitions.set(partition.key, partition)
    return partition
  }

  async deletePartition(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition)
    this.partitions.delete(key)
    // Parked fetches on a deleted partition answer at once; their re-read reports the error.
    this.fetchPurgatory.checkAndComplete(key)
    await this.logManager.deleteLog(topic, partition)
  }

  async appendAsLeader(topic: string, partitionIndex: number, records: Buffer) {
    const partition = this.leaderPartition(topic, partitionIndex, -1)
    const result = await partition.appendAsLeader(records, this.clock.nowMs())
    this.fetchPurgatory.checkAndComplete(partition.key)
    return { partition, result }
  }

  /** The partition if this broker leads it at a compatible epoch; throws the Kafka error otherwise. */
  leaderPartition(topic: string, partitionIndex: number, currentLeaderEpoch: number): Partition {
    const partition = this.getPartition(topic, partitionIndex)
    if (partition === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    if (!partition.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    checkLeaderEpoch(partition, currentLeaderEpoch)
    return partition
  }

  /**
   * Reads every requested partition once; when fewer than minBytes came back and the caller may
   * wait, parks until enough data is visible or maxWaitMs passes, then reads again.
   */
  fetch(requests: readonly FetchPartitionRequest[], parameters: FetchParameters): Promise<FetchPartitionResult[]> {
    return this.readAll(requests, parameters).then((first) => {
      const bytes = totalBytes(first)
      const hasError = first.some((result) => result.errorCode !== ErrorCode.NONE)
      if (parameters.maxWaitMs <= 0 || bytes >= parameters.minBytes || hasError || requests.length === 0) return first
      return new Promise<FetchPartitionResult[]>((resolve, reject) => {
        const watched = requests
          .map((request) => this.getPartition(request.topic, request.partition))
          .filter((partition): partition is Partition => partition !== undefined)
        const baseline = watched.map((partition) => partition.visibleBytesTotal)
        const keys = requests.map((request) => partitionKey(request.topic, request.partition))
        const operation: DelayedOperation = {
          canComplete: () => {
            let visible = bytes
            for (let index = 0; index < watched.length; index++) {
              const partition = watched[index]!
              if (this.partitions.get(partition.key) !== partition) return true
              visible += partition.visibleBytesTotal - baseline[index]!
            }
            return visible >= parameters.minBytes && visible > bytes
          },
          complete: (expired) => {
            if (expired && bytes === 0 && !watched.some((partition, index) => partition.visibleBytesTotal !== baseline[index])) {
              resolve(first)
              return
            }
            this.readAll(requests, parameters).then(resolve, reject)
          },
        }
        this.fetchPurgatory.tryCompleteElseWatch(operation, keys, parameters.maxWaitMs)
      })
    })
  }

  /**
   * Reads every partition once, in parallel where the response budget allows, with Kafka's byte
   * rules (ReplicaManager.readFromLog): in request order, each partition gets at most
   * min(partitionMaxBytes, bytes left of maxBytes), and only the first non-empty partition may
   * exceed that with its first batch (KIP-74). Reads are issued in waves of consecutive partitions
   * whose limits together fit in the bytes left (or in WAVE_READ_BYTES_MIN once little is left, so
   * that the small remainders of many partitions are read at once rather than one by one);
   * partitions answered without reading (errors, nothing new) cost a wave nothing. Each wave's
   * results are then cut, in order, to whole batches within what that rule allows — the same bytes
   * a sequential read returns (the longest run of whole batches within a limit is a prefix of the
   * run within a larger one).
   */
  private async readAll(requests: readonly FetchPartitionRequest[], parameters: FetchParameters): Promise<FetchPartitionResult[]> {
    const results: FetchPartitionResult[] = []
    let bytesLeft = parameters.maxBytes
    let next = 0
    while (next < requests.length) {
      const waveStart = next
      const isFirstData = bytesLeft === parameters.maxBytes
      const readBytesMax = Math.max(bytesLeft, this.waveReadBytesMin)
      const reads: Promise<void>[] = []
      let planned = 0
      for (; next < requests.length && reads.length < WAVE_READS_MAX; next++) {
        const request = requests[next]!
        const limit = Math.min(request.partitionMaxBytes, bytesLeft)
        if (reads.length > 0 && planned + limit > readBytesMax) break
        const result: FetchPartitionResult = {
          topic: request.topic, partition: request.partition, errorCode: ErrorCode.NONE,
          highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null,
        }
        results.push(result)
        const partition = this.partitionToRead(request, parameters, limit, isFirstData, result)
        if (partition === null) continue
        planned += limit
        reads.push(this.readInto(result, partition, request.fetchOffset, limit, isFirstData, parameters))
      }
      if (reads.length > 0) await Promise.all(reads)
      for (let index = waveStart; index < next; index++) {
        const result = results[index]!
        const records = result.records
        if (records === null || records.length === 0) continue
        // The first non-empty partition keeps what it read (minOneMessage); later ones fit the budget.
        if (bytesLeft !== parameters.maxBytes) {
          result.records = wholeBatchesWithin(records, Math.min(requests[index]!.partitionMaxBytes, bytesLeft))
        }
        bytesLeft = Math.max(0, bytesLeft - result.records!.length)
      }
    }
    return results
  }

  /**
   * The partition to read for `request`, or null when `result` is answered without reading: an
   * error, nothing below the high watermark (or last stable offset), or no room for a batch.
   */
  private partitionToRead(
    request: FetchPartitionRequest, parameters: FetchParameters, limit: number, minOneMessage: boolean, result: FetchPartitionResult,
  ): Partition | null {
    let partition: Partition
    try {
      partition = this.leaderPartition(request.topic, request.partition, request.currentLeaderEpoch)
    } catch (error) {
      result.errorCode = errorCodeOf(error, this.log)
      return null
    }
    result.highWatermark = partition.highWatermark
    result.lastStableOffset = partition.lastStableOffset
    result.logStartOffset = partition.logStartOffset
    if (request.fetchOffset < partition.logStartOffset || request.fetchOffset > partition.logEndOffset) {
      result.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE
      return null
    }
    if (request.fetchOffset >= readableEnd(result, parameters) || (limit < BATCH_HEADER_SIZE && !minOneMessage)) {
      result.records = EMPTY
      return null
    }
    return partition
  }

  private async readInto(
    result: FetchPartitionResult, partition: Partition, fetchOffset: number, limit: number, minOneMessage: boolean, parameters: FetchParameters,
  ): Promise<void> {
    try {
      const read = await partition.read(fetchOffset, limit, minOneMessage, readableEnd(result, parameters), parameters.allocate)
      result.records = read.records
    } catch (error) {
      result.errorCode = errorCodeOf(error, this.log)
    }
  }

  shutdown(): void {
    this.fetchPurgatory.expireAll()
  }
}

const EMPTY = Buffer.alloc(0)
/** Reads one fetch has in flight at once: bounds its I/O queue (a fetch may name thousands of partitions). */
const WAVE_READS_MAX = 64
/**
 * Bytes a wave may read once the response has less than this left: each of those reads can only
 * return a small remainder, and reading them one by one cost a loop turn each (~100 sequential
 * reads per 16 MiB response of 128 partitions, a third of its latency).
 */
const WAVE_READ_BYTES_MIN = 1024 * 1024

/** The offset a fetch reads up to: the last stable offset under read_committed, else the high watermark. */
function readableEnd(result: FetchPartitionResult, parameters: FetchParameters): number {
  return parameters.isolationLevel === READ_COMMITTED ? result.lastStableOffset : result.highWatermark
}

/** The longest run of whole batches at the start of `records` (whole batches) within `limit` bytes. */
function wholeBatchesWithin(records: Buffer, limit: number): Buffer {
  if (records.length <= limit) return records
  let end = 0
  while (end + LOG_OVERHEAD <= records.length) {
    const size = readBatchSize(records, end)
    if (end + size > limit) break
    end += size
  }
  return records.subarray(0, end)
}

function totalBytes(results: readonly FetchPartitionResult[]): number {
  let bytes = 0
  for (const result of results) bytes += result.records?.length ?? 0
  return bytes
}

/** Kafka's leader-epoch fencing for fetch and list-offsets: older epochs are fenced, newer unknown. */
export function checkLeaderEpoch(partition: Partition, currentLeaderEpoch: number): void {
  if (currentLeaderEpoch === -1) return
  if (currentLeaderEpoch < partition.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH)
  if (currentLeaderEpoch > partition.leaderEpoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH)
}
