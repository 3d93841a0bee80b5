// Turns the record bytes of a Fetch answer into records: whole batches only (a fetch may end in a
// partial batch), control batches (transaction markers) skipped, records before the fetch offset
// dropped (a fetch starts at the batch holding that offset). Allocates per record: for the CLI,
// tests and tools, never a broker path.
import { readIsControl, readLastOffset, readTimestampType, type TimestampType } from '../records/batch-header.js'
import { BatchIterator } from '../records/batch-iterator.js'
import { readBatchRecords, type DecodedRecord } from '../records/record-reader.js'
import { RecordFormatError } from '../records/varint.js'

export interface FetchedRecord extends DecodedRecord {
  readonly timestampType: TimestampType
}

export interface DecodedFetch {
  readonly records: FetchedRecord[]
  /** Where the next fetch starts: after the last record returned, or after the last whole batch. */
  readonly nextOffset: bigint
}

/** Throws RecordFormatError for a malformed or compressed batch, or when not even one whole batch arrived. */
export function decodeFetchedRecords(bytes: Buffer, fromOffset: bigint, limit = Number.POSITIVE_INFINITY): DecodedFetch {
  const batches = new BatchIterator(bytes)
  const records: FetchedRecord[] = []
  let nextOffset = fromOffset
  while (records.length < limit && batches.next()) {
    const at = batches.position
    if (!readIsControl(bytes, at)) {
      const timestampType = readTimestampType(bytes, at)
      for (const record of readBatchRecords(bytes, at)) {
        if (BigInt(record.offset) < fromOffset) continue
        if (records.length >= limit) return { records, nextOffset: BigInt(record.offset) }
        records.push({ ...record, timestampType })
      }
    }
    nextOffset = BigInt(readLastOffset(bytes, at)) + 1n
  }
  if (nextOffset === fromOffset && records.length === 0 && batches.stop === 'partial') {
    // Brokers return the first batch whole even when it exceeds the fetch size (KIP-74).
    throw new RecordFormatError(`the fetch at offset ${fromOffset} returned only part of a batch`)
  }
  return { records, nextOffset }
}
