// Drives the group coordinator without a broker: hand-moved time (clock + scheduler), an
// in-memory __consumer_offsets, and helpers to run a member through join and sync.
import assert from 'node:assert/strict'
import pino from 'pino'
import {
  GroupCoordinator, type GroupCoordinatorConfig, type JoinGroupParams,
} from '../../../src/coordinators/group/group-coordinator.js'
import type { JoinGroupResult, SyncGroupResult } from '../../../src/coordinators/group/group-metadata.js'
import type { CoordinatorRecord } from '../../../src/coordinators/group/group-records.js'
import type { OffsetsTopicStore } from '../../../src/coordinators/group/offsets-topic-store.js'
import type { ScheduledTask, Scheduler } from '../../../src/coordinators/group/scheduler.js'
import { KafkaError } from '../../../src/protocol/errors.js'
import type { Clock } from '../../../src/util/clock.js'

interface Timer {
  readonly dueMs: number
  readonly sequence: number
  readonly task: () => void
  cancelled: boolean
}

/** A clock and scheduler that move only when advance() is called; due tasks run in time order. */
export class ManualTime implements Clock, Scheduler {
  private nowValue: number
  private sequence = 0
  private timers: Timer[] = []

  constructor(startMs = 1_700_000_000_000) {
    this.nowValue = startMs
  }

  nowMs(): number {
    return this.nowValue
  }

  monotonicMs(): number {
    return this.nowValue
  }

  schedule(delayMs: number, task: () => void): ScheduledTask {
    const timer: Timer = { dueMs: this.nowValue + Math.max(0, delayMs), sequence: this.sequence++, task, cancelled: false }
    this.timers.push(timer)
    return { cancel: () => { timer.cancelled = true } }
  }

  /** Moves time forward by ms, running every task that falls due on the way (including ones they schedule). */
  advance(ms: number): void {
    const target = this.nowValue + ms
    for (;;) {
      this.timers = this.timers.filter((timer) => !timer.cancelled)
      let next: Timer | undefined
      for (const timer of this.timers) {
        if (timer.dueMs > target) continue
        if (next === undefined || timer.dueMs < next.dueMs || (timer.dueMs === next.dueMs && timer.sequence < next.sequence)) next = timer
      }
      if (next === undefined) break
      next.cancelled = true
      this.nowValue = Math.max(this.nowValue, next.dueMs)
      next.task()
    }
    this.nowValue = target
  }

  get pendingTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length
  }
}

export interface StoredRecord extends CoordinatorRecord {
  readonly offset: number
}

/** __consumer_offsets in memory; appends can be made to fail or to wait for release(). */
export class MemoryOffsetsStore implements OffsetsTopicStore {
  readonly logs = new Map<number, StoredRecord[]>()
  failWith: number | null = null
  private held: (() => void)[] | null = null
  appendCount = 0

  append(partition: number, records: readonly CoordinatorRecord[]): Promise<number> {
    this.appendCount++
    if (this.failWith !== null) return Promise.reject(new KafkaError(this.failWith))
    let log = this.logs.get(partition)
    if (log === undefined) this.logs.set(partition, (log = []))
    const baseOffset = log.length
    records.forEach((record, index) => log.push({ ...record, offset: baseOffset + index }))
    if (this.held === null) return Promise.resolve(baseOffset)
    const held = this.held
    return new Promise((resolve) => held.push(() => resolve(baseOffset)))
  }

  async load(partition: number, onRecord: (offset: number, key: Buffer | null, value: Buffer | null) => void): Promise<void> {
    for (const record of this.logs.get(partition) ?? []) onRecord(record.offset, record.key, record.value)
  }

  /** Appends issued from now on complete only when release() is called. */
  hold(): void {
    this.held = []
  }

  release(): void {
    const held = this.held ?? []
    this.held = null
    for (const resolve of held) resolve()
  }

  records(partition: number): StoredRecord[] {
    return this.logs.get(partition) ?? []
  }
}

export const TEST_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 50,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 0,
  groupMaxSize: 1_000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 3600_000,
  offsetsRetentionCheckIntervalMs: 600_000,
}

export interface Harness {
  readonly time: ManualTime
  readonly store: MemoryOffsetsStore
  readonly coordinator: GroupCoordinator
}

/** A started coordinator that owns every partition of an in-memory log. */
export async function startHarness(config: Partial<GroupCoordinatorConfig> = {}, store = new MemoryOffsetsStore(), time = new ManualTime()): Promise<Harness> {
  let next = 0
  const full = { ...TEST_CONFIG, ...config }
  const coordinator = new GroupCoordinator({
    config: full, store, clock: time, scheduler: time, log: pino({ enabled: false }), randomId: () => `id${next++}`,
  })
  coordinator.startup()
  for (let partition = 0; partition < full.offsetsTopicNumPartitions; partition++) await coordinator.onElection(partition)
  return { time, store, coordinator }
}

/** Lets promise callbacks (append completions, resolved long polls) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export const PROTOCOL_TYPE = 'consumer'

export function joinParams(groupId: string, overrides: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId, memberId: '', groupInstanceId: null, requireKnownMemberId: false, clientId: 'client', clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 10_000, protocolType: PROTOCOL_TYPE,
    protocols: [{ name: 'range', metadata: Buffer.from('range-metadata') }], ...overrides,
  }
}

/** A promise plus a synchronous view of whether it settled (long polls must not answer early). */
export class Tracked<T> {
  value: T | undefined
  settled = false

  constructor(readonly promise: Promise<T>) {
    void promise.then((value) => {
      this.value = value
      this.settled = true
    })
  }

  async result(): Promise<T> {
    await settle()
    assert.ok(this.settled, 'the request was answered')
    return this.value!
  }
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  return new Tracked(promise)
}

/** Joins a dynamic member with v3 semantics (no MEMBER_ID_REQUIRED round trip). */
export function join(h: Harness, groupId: string, overrides: Partial<JoinGroupParams> = {}): Tracked<JoinGroupResult> {
  return track(h.coordinator.joinGroup(joinParams(groupId, overrides)))
}

export function sync(h: Harness, groupId: string, joined: JoinGroupResult, assignments: Record<string, string> = {}): Tracked<SyncGroupResult> {
  return track(h.coordinator.syncGroup({
    groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
    assignments: new Map(Object.entries(assignments).map(([memberId, text]) => [memberId, Buffer.from(text)])),
  }))
}
