// Which partition of __consumer_offsets holds a group, as Kafka computes it
// (GroupMetadataManager.partitionFor): Utils.abs(groupId.hashCode) % offsets.topic.num.partitions.
// Every client and broker must agree on this mapping, so it reproduces Java's String.hashCode
// (UTF-16 code units, int32 wrap-around) and Kafka's Utils.abs (Integer.MIN_VALUE maps to 0, not
// to itself as Math.abs would in Java).
import assert from 'node:assert/strict'

/** java.lang.String#hashCode: s[0]*31^(n-1) + ... + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(value: string): number {
  let hash = 0
  for (let index = 0; index < value.length; index++) {
    hash = (Math.imul(31, hash) + value.charCodeAt(index)) | 0
  }
  return hash
}

/** org.apache.kafka.common.utils.Utils#abs. */
export function kafkaAbs(value: number): number {
  return value === -2147483648 ? 0 : Math.abs(value)
}

export function partitionForGroup(groupId: string, numPartitions: number): number {
  assert.ok(Number.isInteger(numPartitions) && numPartitions > 0, 'offsets.topic.num.partitions must be positive')
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions
}
