// What the group coordinator needs from __consumer_offsets: append a batch of its records as the
// partition leader, and read a partition back from its start. The coordinator is written against
// this interface only, so its state machine runs in tests on an in-memory log; the broker plugs
// in the replica-manager implementation (replica-offsets-store.ts).
import type { CoordinatorRecord } from './group-records.js'

export interface OffsetsTopicStore {
  /**
   * Appends the records as one batch to the partition, as its leader, and resolves with the log
   * offset of the first record once the batch is committed (acks=all). Appends to one partition
   * complete in the order they were issued. Rejects with a KafkaError (NOT_LEADER_OR_FOLLOWER,
   * MESSAGE_TOO_LARGE, KAFKA_STORAGE_ERROR, ...) when the append fails.
   */
  append(partition: number, records: readonly CoordinatorRecord[], timestampMs: number): Promise<number>
  /**
   * Reads the partition from its log start offset to its high watermark and calls onRecord for
   * every data record in offset order (control and transactional batches are skipped).
   */
  load(partition: number, onRecord: (offset: number, key: Buffer | null, value: Buffer | null) => void): Promise<void>
}
