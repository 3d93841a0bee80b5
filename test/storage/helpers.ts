// Shared helpers for the storage tests: a manual clock, batch builders, and assertions on results.
import assert from 'node:assert/strict'
import { ErrorCode } from '../../src/protocol/errors.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { readAllRecords } from '../../src/records/record-reader.js'
import type { AppendOptions, AppendResult, PartitionLog } from '../../src/storage/log.js'

export const T0 = 1_700_000_000_000

export interface ManualClock {
  now: number
  readonly nowMs: () => number
}

export function manualClock(start = T0): ManualClock {
  const clock: ManualClock = { now: start, nowMs: () => clock.now }
  return clock
}

/** A client batch of `count` records with values `${prefix}-${i}`, all stamped `timestamp`. */
export function clientBatch(count: number, prefix = 'v', timestamp = T0, valueBytes = 0): Buffer {
  return buildRecordBatch(
    Array.from({ length: count }, (_, index) => ({
      key: `k${index}`,
      value: valueBytes > 0 ? Buffer.alloc(valueBytes, index % 251) : `${prefix}-${index}`,
      timestamp,
    })),
  )
}

export async function appendOk(log: PartitionLog, records: Buffer, options: Partial<AppendOptions> = {}): Promise<AppendResult> {
  const result = await log.appendAsLeader(records, { leaderEpoch: 0, ...options })
  assert.equal(result.errorCode, ErrorCode.NONE, `append failed: ${result.errorMessage}`)
  return result
}

/** Offsets of every record in the whole batches of `records`. */
export function offsetsOf(records: Buffer): number[] {
  return readAllRecords(records).map((record) => record.offset)
}

export function valuesOf(records: Buffer): string[] {
  return readAllRecords(records).map((record) => record.value?.toString() ?? 'null')
}
