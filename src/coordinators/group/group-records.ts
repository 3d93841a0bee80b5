// The records of __consumer_offsets, byte-compatible with Kafka's (GroupMetadataManager /
// CoordinatorRecordHelpers). Key and value each start with an int16 schema version:
//   key version 0 or 1 → OffsetCommitKey {group, topic, partition}   (Kafka writes 1)
//   key version 2      → GroupMetadataKey {group}
//   key version ≥ 3    → KIP-848/share-group records: not ours, skipped when loading
//   value null         → tombstone (offset deleted, group deleted)
// OffsetCommitValue is written at v3 (v1 when the commit asked for an explicit retention, which
// only v1 can carry), GroupMetadataValue at v3, exactly as Kafka ≥ 2.3 does; every version the
// schemas define (0-4) is read.
import {
  decodeGroupMetadataKey, encodeGroupMetadataKey,
} from '../../protocol/internal/group-metadata-key.js'
import {
  decodeGroupMetadataValue, encodeGroupMetadataValue, GroupMetadataValueSpec, type GroupMetadataValue,
} from '../../protocol/internal/group-metadata-value.js'
import { decodeOffsetCommitKey, encodeOffsetCommitKey } from '../../protocol/internal/offset-commit-key.js'
import {
  decodeOffsetCommitValue, encodeOffsetCommitValue, OffsetCommitValueSpec, type OffsetCommitValue,
} from '../../protocol/internal/offset-commit-value.js'
import { CorruptFrameError, Reader } from '../../protocol/reader.js'
import { Writer } from '../../protocol/writer.js'

export const OFFSET_COMMIT_KEY_VERSION = 1
export const GROUP_METADATA_KEY_VERSION = 2
export const OFFSET_COMMIT_VALUE_VERSION = 3
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1
export const GROUP_METADATA_VALUE_VERSION = 3

/** One record for __consumer_offsets: value null is a tombstone. */
export interface CoordinatorRecord {
  readonly key: Buffer
  readonly value: Buffer | null
}

export type ParsedCoordinatorRecord =
  | { readonly kind: 'offset'; readonly group: string; readonly topic: string; readonly partition: number; readonly value: OffsetCommitValue | null }
  | { readonly kind: 'group'; readonly group: string; readonly value: GroupMetadataValue | null }
  | { readonly kind: 'other'; readonly keyVersion: number }

export function offsetCommitRecord(group: string, topic: string, partition: number, value: OffsetCommitValue): CoordinatorRecord {
  return { key: offsetCommitKey(group, topic, partition), value: offsetCommitValue(value) }
}

export function offsetTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  return { key: offsetCommitKey(group, topic, partition), value: null }
}

export function groupMetadataRecord(group: string, value: GroupMetadataValue): CoordinatorRecord {
  return { key: groupMetadataKey(group), value: groupMetadataValue(value) }
}

export function groupTombstone(group: string): CoordinatorRecord {
  return { key: groupMetadataKey(group), value: null }
}

function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64)
  w.int16(OFFSET_COMMIT_KEY_VERSION)
  encodeOffsetCommitKey(w, { group, topic, partition }, OFFSET_COMMIT_KEY_VERSION)
  return w.toBuffer()
}

function groupMetadataKey(group: string): Buffer {
  const w = new Writer(32)
  w.int16(GROUP_METADATA_KEY_VERSION)
  encodeGroupMetadataKey(w, { group }, GROUP_METADATA_KEY_VERSION)
  return w.toBuffer()
}

function offsetCommitValue(value: OffsetCommitValue): Buffer {
  const version = value.expireTimestamp === -1n ? OFFSET_COMMIT_VALUE_VERSION : OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY
  const w = new Writer(64)
  w.int16(version)
  encodeOffsetCommitValue(w, value, version)
  return w.toBuffer()
}

function groupMetadataValue(value: GroupMetadataValue): Buffer {
  const w = new Writer(256)
  w.int16(GROUP_METADATA_VALUE_VERSION)
  encodeGroupMetadataValue(w, value, GROUP_METADATA_VALUE_VERSION)
  return w.toBuffer()
}

/** Decodes one record of __consumer_offsets; throws CorruptFrameError on malformed bytes. */
export function parseCoordinatorRecord(key: Buffer | null, value: Buffer | null): ParsedCoordinatorRecord {
  if (key === null) throw new CorruptFrameError('__consumer_offsets record without a key')
  const keyReader = new Reader(key)
  const keyVersion = keyReader.int16()
  if (keyVersion === 0 || keyVersion === 1) {
    const parsed = decodeOffsetCommitKey(keyReader, keyVersion)
    return { kind: 'offset', ...parsed, value: value === null ? null : readVersioned(value, OffsetCommitValueSpec, decodeOffsetCommitValue) }
  }
  if (keyVersion === GROUP_METADATA_KEY_VERSION) {
    const parsed = decodeGroupMetadataKey(keyReader, keyVersion)
    return { kind: 'group', group: parsed.group, value: value === null ? null : readVersioned(value, GroupMetadataValueSpec, decodeGroupMetadataValue) }
  }
  return { kind: 'other', keyVersion }
}

function readVersioned<T>(
  bytes: Buffer, spec: { readonly name: string; readonly minVersion: number; readonly maxVersion: number },
  decode: (r: Reader, version: number) => T,
): T {
  const reader = new Reader(bytes)
  const version = reader.int16()
  if (version < spec.minVersion || version > spec.maxVersion) {
    throw new CorruptFrameError(`${spec.name} version ${version} is unknown`)
  }
  return decode(reader, version)
}
