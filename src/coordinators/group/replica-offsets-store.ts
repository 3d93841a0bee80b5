// __consumer_offsets through the replica manager: coordinator records become one uncompressed
// RecordBatch v2 per append (CreateTime = the commit time, no producer id, as Kafka writes them),
// appended as leader; loading walks the partition from its log start offset to its high watermark
// in reads of offsets.load.buffer.size bytes. Appends to one partition keep their issue order
// (PartitionLog queues them), so completions arrive in log order.
import { readIsControl, readIsTransactional, readLastOffset } from '../../records/batch-header.js'
import { BatchIterator } from '../../records/batch-iterator.js'
import { decompressBatch } from '../../records/compression/compressed-batch.js'
import { buildRecordBatch } from '../../records/record-builder.js'
import { readBatchRecords } from '../../records/record-reader.js'
import type { ReplicaManager } from '../../cluster/replica-manager.js'
import { GROUP_METADATA_TOPIC } from '../../cluster/topic-names.js'
import type { CoordinatorRecord } from './group-records.js'
import type { OffsetsTopicStore } from './offsets-topic-store.js'

export class ReplicaOffsetsStore implements OffsetsTopicStore {
  constructor(
    private readonly replicaManager: ReplicaManager,
    private readonly loadBufferBytes: number,
    private readonly topic: string = GROUP_METADATA_TOPIC,
  ) {}

  async append(partition: number, records: readonly CoordinatorRecord[], timestampMs: number): Promise<number> {
    const batch = buildRecordBatch(records.map((record) => ({ key: record.key, value: record.value })), { timestampMs })
    const { result } = await this.replicaManager.appendAsLeader(this.topic, partition, batch)
    return result.baseOffset
  }

  async load(partition: number, onRecord: (offset: number, key: Buffer | null, value: Buffer | null) => void): Promise<void> {
    const leader = this.replicaManager.leaderPartition(this.topic, partition, -1)
    const endOffset = leader.highWatermark
    let offset = leader.logStartOffset
    while (offset < endOffset) {
      const read = await leader.read(offset, this.loadBufferBytes, true, endOffset)
      const batches = new BatchIterator(read.records)
      const startOffset = offset
      while (batches.next()) {
        const position = batches.position
        const lastOffset = readLastOffset(read.records, position)
        // A read starts at the batch holding `offset`; batches already replayed are skipped.
        if (lastOffset < offset) continue
        offset = lastOffset + 1
        // Control and transactional batches come from transactional offset commits (TxnOffsetCommit),
        // which this coordinator does not take, so there is nothing of ours in them.
        if (readIsControl(read.records, position) || readIsTransactional(read.records, position)) continue
        const batch = await decompressBatch(read.records.subarray(position, position + batches.size))
        for (const record of readBatchRecords(batch)) onRecord(record.offset, record.key, record.value)
      }
      if (offset === startOffset) break // nothing whole to read: a gap below the high watermark
    }
  }
}
