// Incremental fetch sessions (KIP-227). A client that opens a session (epoch 0) gets a session id;
// later fetches with epoch n>0 carry only changed partitions and receive only partitions whose
// data, high watermark, last stable offset or log start offset changed, or that have an error.
// The cache holds max.incremental.fetch.session.cache.slots sessions; when full, the least
// recently used session is evicted (the client then gets FETCH_SESSION_ID_NOT_FOUND and starts over).
import { ErrorCode, KafkaError } from '../protocol/errors.js'

export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1

export interface SessionPartition {
  readonly topic: string
  readonly topicId: Buffer
  readonly partition: number
  fetchOffset: number
  partitionMaxBytes: number
  currentLeaderEpoch: number
  /** What the client last saw, to decide whether the partition belongs in the next response. */
  lastHighWatermark: number
  lastLastStableOffset: number
  lastLogStartOffset: number
}

export class FetchSession {
  /** Partitions in the order the client added them; keys are `${topic}\u0000${partition}`. */
  readonly partitions = new Map<string, SessionPartition>()
  constructor(readonly id: number, public epoch: number, public lastUsedMs: number) {}
}

export function sessionPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export class FetchSessionCache {
  /** Map order is recency order: a used session is re-inserted at the end. */
  private readonly sessions = new Map<number, FetchSession>()
  private nextId = 1

  constructor(private readonly slots: number) {}

  get size(): number {
    return this.sessions.size
  }

  /** A new session, or null when sessions are disabled (0 slots). */
  create(nowMs: number): FetchSession | null {
    if (this.slots <= 0) return null
    if (this.sessions.size >= this.slots) {
      const oldest = this.sessions.keys().next().value
      if (oldest !== undefined) this.sessions.delete(oldest)
    }
    let id = this.nextId
    while (id === 0 || this.sessions.has(id)) id = (id + 1) & 0x7fffffff
    this.nextId = (id + 1) & 0x7fffffff
    const session = new FetchSession(id, 1, nowMs)
    this.sessions.set(id, session)
    return session
  }

  /** The session for an incremental fetch; throws Kafka's errors for unknown ids and stale epochs. */
  acquire(id: number, epoch: number, nowMs: number): FetchSession {
    const session = this.sessions.get(id)
    if (session === undefined) throw new KafkaError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    if (session.epoch !== epoch) throw new KafkaError(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    this.sessions.delete(id)
    this.sessions.set(id, session)
    session.lastUsedMs = nowMs
    return session
  }

  remove(id: number): void {
    this.sessions.delete(id)
  }
}
