// An independent RecordBatch v2 encoder for tests (uncompressed), written from the format spec so
// that broker-side parsing is checked against a second implementation. Also walks batches in a
// segment file for the crash tests.
import { crc32c } from '../../src/records/crc32c.js'
import { Writer } from '../../src/protocol/writer.js'

export interface TestRecord {
  key: Buffer | null
  value: Buffer | null
  headers?: [string, Buffer | null][]
  timestamp?: number
}

const HEADER_SIZE = 61
const CRC_START = 21

/** A v2 batch with baseOffset 0, no producer id, CreateTime, CRC-32C filled in. */
export function encodeBatch(records: readonly TestRecord[], baseTimestamp = Date.now()): Buffer {
  const body = new Writer()
  let maxTimestamp = baseTimestamp
  records.forEach((record, offsetDelta) => {
    const timestamp = record.timestamp ?? baseTimestamp
    maxTimestamp = Math.max(maxTimestamp, timestamp)
    const r = new Writer()
    r.int8(0) // attributes
    r.varlong(BigInt(timestamp - baseTimestamp))
    r.varint(offsetDelta)
    writeVarintBytes(r, record.key)
    writeVarintBytes(r, record.value)
    const headers = record.headers ?? []
    r.varint(headers.length)
    for (const [name, value] of headers) {
      writeVarintBytes(r, Buffer.from(name))
      writeVarintBytes(r, value)
    }
    const encoded = r.toBuffer()
    body.varint(encoded.length)
    body.raw(encoded)
  })
  const recordsBytes = body.toBuffer()
  const batch = Buffer.alloc(HEADER_SIZE + recordsBytes.length)
  batch.writeBigInt64BE(0n, 0) // baseOffset
  batch.writeInt32BE(batch.length - 12, 8) // batchLength
  batch.writeInt32BE(-1, 12) // partitionLeaderEpoch
  batch.writeInt8(2, 16) // magic
  batch.writeInt16BE(0, 21) // attributes: no compression, CreateTime
  batch.writeInt32BE(records.length - 1, 23) // lastOffsetDelta
  batch.writeBigInt64BE(BigInt(baseTimestamp), 27)
  batch.writeBigInt64BE(BigInt(maxTimestamp), 35)
  batch.writeBigInt64BE(-1n, 43) // producerId
  batch.writeInt16BE(-1, 51) // producerEpoch
  batch.writeInt32BE(-1, 53) // baseSequence
  batch.writeInt32BE(records.length, 57)
  recordsBytes.copy(batch, HEADER_SIZE)
  batch.writeUInt32BE(crc32c(batch.subarray(CRC_START)), 17)
  return batch
}

function writeVarintBytes(w: Writer, value: Buffer | null): void {
  if (value === null) {
    w.varint(-1)
    return
  }
  w.varint(value.length)
  w.raw(value)
}

/** Recomputes the CRC of a batch at `position` after the test edited it. */
export function refreshCrc(buffer: Buffer, position = 0): void {
  const end = position + 12 + buffer.readInt32BE(position + 8)
  buffer.writeUInt32BE(crc32c(buffer.subarray(position + CRC_START, end)), position + 17)
}

export interface BatchPosition {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
}

/**
 * Walks the batches of a segment file's bytes. Stops at the first incomplete or invalid batch and
 * reports how many bytes were whole batches.
 */
export function walkBatches(bytes: Buffer): { batches: BatchPosition[]; validBytes: number } {
  const batches: BatchPosition[] = []
  let position = 0
  while (bytes.length - position >= HEADER_SIZE) {
    const size = bytes.readInt32BE(position + 8) + 12
    if (size < HEADER_SIZE || position + size > bytes.length || bytes.readInt8(position + 16) !== 2) break
    if (crc32c(bytes.subarray(position + CRC_START, position + size)) !== bytes.readUInt32BE(position + 17)) break
    const baseOffset = Number(bytes.readBigInt64BE(position))
    batches.push({ position, size, baseOffset, lastOffset: baseOffset + bytes.readInt32BE(position + 23) })
    position += size
  }
  return { batches, validBytes: position }
}
