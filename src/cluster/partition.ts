// One partition replica on this broker: its log plus the replication state Kafka keeps per
// partition (leader epoch, ISR, high watermark). The high watermark is the offset below which
// every ISR member has the data; only records below it are served to consumers. With this
// broker as the only ISR member it moves with the log end offset after each append.
import assert from 'node:assert/strict'
import type { RecordError } from '../records/validate.js'
import type { PartitionLog, AppendResult, ReadResult } from '../storage/log.js'
import type { LogConfig } from '../storage/log-config.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { PartitionState } from './metadata-image.js'

export class Partition {
  /** `<topic>-<partition>`, the purgatory key; built once (every append and fetch uses it). */
  readonly key: string
  highWatermark: number
  /** Bytes that became visible below the high watermark since start; drives parked fetches. */
  visibleBytesTotal = 0

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly topicId: Buffer,
    readonly log: PartitionLog,
    readonly state: PartitionState,
    readonly localBrokerId: number,
    readonly logConfig: LogConfig,
  ) {
    this.key = partitionKey(topic, partition)
    this.highWatermark = this.computeHighWatermark()
  }

  get isLeader(): boolean {
    return this.state.leader === this.localBrokerId
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch
  }

  get logStartOffset(): number {
    return this.log.logStartOffset
  }

  get logEndOffset(): number {
    return this.log.logEndOffset
  }

  /** Without transactions the last stable offset is the high watermark. */
  get lastStableOffset(): number {
    return this.highWatermark
  }

  async appendAsLeader(records: Buffer, nowMs: number): Promise<AppendResult> {
    const result = await this.log.appendAsLeader(records, { leaderEpoch: this.state.leaderEpoch, nowMs })
    if (result.errorCode !== ErrorCode.NONE) throw new AppendRejectedError(result.errorCode, result.errorMessage, result.recordErrors)
    this.advanceHighWatermark(records.length)
    return result
  }

  async read(
    fetchOffset: number, maxBytes: number, minOneMessage: boolean, maxOffset: number, allocate?: (size: number) => Buffer,
  ): Promise<ReadResult> {
    const result = await this.log.read(fetchOffset, maxBytes, { maxOffset, minOneMessage, allocate })
    if (result.errorCode !== ErrorCode.NONE) throw new KafkaError(result.errorCode)
    return result
  }

  /** ListOffsets by time, only among offsets below maxOffset (the high watermark). */
  async offsetForTimestamp(timestampMs: number, maxOffset: number): Promise<{ offset: number; timestamp: number } | null> {
    const found = await this.log.offsetForTimestamp(timestampMs)
    return found !== null && found.offset < maxOffset ? found : null
  }

  async offsetOfMaxTimestamp(maxOffset: number): Promise<{ offset: number; timestamp: number } | null> {
    const found = await this.log.maxTimestampAndOffset()
    return found !== null && found.offset < maxOffset ? found : null
  }

  private advanceHighWatermark(appendedBytes: number): void {
    const next = this.computeHighWatermark()
    assert.ok(next >= this.highWatermark, 'high watermark never moves backwards')
    if (next > this.highWatermark) {
      this.highWatermark = next
      this.visibleBytesTotal += appendedBytes
    }
  }

  /** The minimum log end offset over the ISR; this broker is the only replica it can see. */
  private computeHighWatermark(): number {
    return this.log.logEndOffset
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/** A refused append, with Kafka's per-record reasons (ProduceResponse record_errors, v8+). */
export class AppendRejectedError extends KafkaError {
  constructor(code: number, message: string | null, readonly recordErrors: readonly RecordError[]) {
    super(code, message ?? undefined)
  }
}
