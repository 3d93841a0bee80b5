// The shared delivery checker: compares what a producer sent with what a consumer read back,
// partition by partition. Every interop and crash test funnels its results through here so that
// "no gaps, no duplicates, same order, contiguous offsets" means the same thing everywhere.
import assert from 'node:assert/strict'

export type Headers = [string, string][]

export interface ProducedRecord {
  partition: number
  key: string | null
  value: string | null
  headers?: Headers
  /** The offset the broker acknowledged, when the client reports it. */
  offset?: number
}

export interface ConsumedRecord {
  partition: number
  offset: number
  key: string | null
  value: string | null
  headers?: Headers
}

function byPartition<T extends { partition: number }>(records: readonly T[]): Map<number, T[]> {
  const map = new Map<number, T[]>()
  for (const record of records) {
    let list = map.get(record.partition)
    if (list === undefined) map.set(record.partition, (list = []))
    list.push(record)
  }
  return map
}

function describe(record: { key: string | null; value: string | null; headers?: Headers }): string {
  return JSON.stringify({ key: record.key, value: record.value, headers: record.headers ?? [] })
}

/** Asserts that the offsets of `consumed` (one partition, in read order) are start, start+1, ... */
export function assertContiguous(partition: number, consumed: readonly { offset: number }[], start: number): void {
  consumed.forEach((record, index) => {
    if (record.offset !== start + index) {
      const previous = index === 0 ? 'none' : String(consumed[index - 1]!.offset)
      const kind =
        record.offset === start + index - 1 || (index > 0 && record.offset <= consumed[index - 1]!.offset)
          ? 'duplicate or reordered offset'
          : 'gap'
      assert.fail(
        `partition ${partition}: ${kind} at index ${index}: expected offset ${start + index}, got ${record.offset} (previous ${previous})`,
      )
    }
  })
}

export interface CheckDeliveryOptions {
  /** First offset expected per partition (default: the first acknowledged offset, else 0). */
  firstOffsets?: ReadonlyMap<number, number>
  /** Compare headers too (default true). */
  headers?: boolean
}

/**
 * Asserts exactly-once, in-order delivery per partition: the consumer read exactly the produced
 * records (same key, value, headers, in produce order), at contiguous offsets, each at the offset the
 * broker acknowledged when that is known. Records of partitions nobody produced to are an error.
 */
export function checkDelivery(
  produced: readonly ProducedRecord[],
  consumed: readonly ConsumedRecord[],
  options: CheckDeliveryOptions = {},
): void {
  const compareHeaders = options.headers ?? true
  const producedBy = byPartition(produced)
  const consumedBy = byPartition(consumed)
  for (const partition of consumedBy.keys()) {
    assert.ok(producedBy.has(partition), `partition ${partition}: consumed ${consumedBy.get(partition)!.length} records, produced none`)
  }
  for (const [partition, sent] of producedBy) {
    const read = consumedBy.get(partition) ?? []
    const start = options.firstOffsets?.get(partition) ?? sent[0]!.offset ?? 0
    assertContiguous(partition, read, start)
    const common = Math.min(sent.length, read.length)
    for (let i = 0; i < common; i++) {
      const expected = sent[i]!
      const actual = read[i]!
      if (expected.offset !== undefined) {
        assert.equal(actual.offset, expected.offset, `partition ${partition}: record ${i} acknowledged at offset ${expected.offset}, read at ${actual.offset}`)
      }
      const want = compareHeaders ? describe(expected) : describe({ ...expected, headers: [] })
      const got = compareHeaders ? describe(actual) : describe({ ...actual, headers: [] })
      assert.equal(got, want, `partition ${partition}: record ${i} (offset ${actual.offset}) differs`)
    }
    assert.equal(
      read.length,
      sent.length,
      `partition ${partition}: produced ${sent.length} records, consumed ${read.length}` +
        (read.length < sent.length ? ` (missing from offset ${start + read.length})` : ' (extra records at the end)'),
    )
  }
}

export interface AckedRecord {
  partition: number
  offset: number
  value: string
}

/**
 * The crash invariant: each partition's log (as read back from its start) is contiguous, and
 * every acknowledged record is present at the offset it was acknowledged with.
 * Unacknowledged records may or may not be present; that is allowed.
 */
export function checkAckedPrefix(
  acked: readonly AckedRecord[],
  consumed: readonly ConsumedRecord[],
  logStartOffset = 0,
): void {
  const consumedBy = byPartition(consumed)
  for (const [partition, read] of consumedBy) assertContiguous(partition, read, logStartOffset)
  for (const record of acked) {
    const read = consumedBy.get(record.partition) ?? []
    const at = read[record.offset - logStartOffset]
    assert.ok(
      at !== undefined,
      `partition ${record.partition}: acknowledged offset ${record.offset} (value ${record.value}) lost; log ends at ${logStartOffset + read.length}`,
    )
    assert.equal(at.value, record.value, `partition ${record.partition}: offset ${record.offset} holds ${at.value}, acknowledged ${record.value}`)
  }
}
