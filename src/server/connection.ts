// One client connection: framing, request limits, ordering and backpressure.
// - The 4-byte length is checked against socket.request.max.bytes before anything is buffered.
// - Requests are dispatched as they arrive (pipelining); responses leave strictly in request
//   order, whatever order handlers finish in.
// - Reading pauses while too many requests are in flight or too many response bytes wait for
//   the socket, and resumes when they drain: a slow client gets backpressure, not memory.
// - Malformed input closes this connection with a log line; it never throws out of here.
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { BrokerContext } from './broker-context.js'
import type { FramePool } from './frame-pool.js'
import type { Outcome, Router } from './router.js'

export interface ConnectionLimits {
  readonly socketRequestMaxBytes: number
  /** Requests dispatched but not yet answered on this connection before reading pauses. */
  readonly inFlightRequestsMax: number
  /** Response bytes queued in the socket before reading pauses. */
  readonly pendingResponseBytesMax: number
  readonly idleTimeoutMs: number
}

class Slot {
  outcome: Outcome | null = null
  constructor(
    /** The pooled buffer holding the request frame, given back once the outcome is known. */
    readonly pooledFrame: Buffer | null,
  ) {}
}

export class Connection {
  private readonly chunks: Buffer[] = []
  private bufferedBytes = 0
  /** Requests not yet answered, oldest first (at most inFlightRequestsMax, plus one frame's worth). */
  private readonly slots: Slot[] = []
  private closed = false
  private paused = false
  readonly clientHost: string

  constructor(
    private readonly socket: Socket,
    readonly connectionId: number,
    private readonly router: Router,
    private readonly broker: BrokerContext,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly onClose: (connection: Connection) => void,
    private readonly framePool: FramePool | null = null,
  ) {
    this.clientHost = socket.remoteAddress ?? 'unknown'
    socket.setNoDelay(true)
    if (limits.idleTimeoutMs > 0) socket.setTimeout(limits.idleTimeoutMs, () => this.close('idle timeout'))
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => this.maybeResume())
    socket.on('error', (error) => this.log.debug({ err: error, connectionId }, 'socket error'))
    socket.on('close', () => {
      this.closed = true
      // Responses settled but never flushed release what they hold; later ones do so in settle().
      for (const slot of this.slots.splice(0)) slot.outcome?.release?.()
      this.onClose(this)
    })
  }

  close(reason: string): void {
    if (this.closed) return
    this.closed = true
    this.log.info({ connectionId: this.connectionId, client: this.clientHost, reason }, 'closing connection')
    this.socket.destroy()
  }

  /** Ends the connection after queued responses are written (broker shutdown). */
  end(): void {
    if (this.closed) return
    this.closed = true
    this.socket.end()
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.chunks.push(chunk)
    this.bufferedBytes += chunk.length
    while (!this.closed && this.bufferedBytes >= 4) {
      const size = this.peekFrameSize()
      if (size < 0 || size > this.limits.socketRequestMaxBytes) {
        this.close(`request size ${size} is outside 0..socket.request.max.bytes (${this.limits.socketRequestMaxBytes})`)
        return
      }
      if (this.bufferedBytes < 4 + size) break
      let pooledFrame: Buffer | null = null
      if (this.chunks[0]!.length < 4 + size && this.framePool !== null && this.isProduceFrame()) {
        pooledFrame = this.framePool.acquire(size)
      }
      let frame: Buffer
      if (pooledFrame === null) {
        frame = this.take(4 + size).subarray(4)
      } else {
        this.skip(4)
        frame = this.take(size, pooledFrame)
      }
      this.dispatch(frame, pooledFrame)
    }
    this.maybePause()
  }

  private dispatch(frame: Buffer, pooledFrame: Buffer | null): void {
    const slot = new Slot(pooledFrame)
    this.slots.push(slot)
    const outcome = this.router.dispatch(frame, this, this.broker)
    if (outcome instanceof Promise) {
      outcome.then((settled) => this.settle(slot, settled), (error: unknown) => {
        this.log.error({ err: error }, 'request failed outside the router')
        this.settle(slot, { kind: 'close', reason: 'internal error' })
      })
    } else {
      this.settle(slot, outcome)
    }
  }

  private settle(slot: Slot, outcome: Outcome): void {
    slot.outcome = outcome
    // The produce is done with its frame: records were written (or refused) before it settled.
    if (slot.pooledFrame !== null) this.framePool!.release(slot.pooledFrame)
    // A closed connection never writes it: whatever the response holds is free now.
    if (this.closed) outcome.release?.()
    else this.flush()
  }

  private flush(): void {
    // Answered slots leave the queue at once, so nothing keeps an old response alive for the GC.
    while (this.slots.length > 0 && !this.closed) {
      const outcome = this.slots[0]!.outcome
      if (outcome === null) break
      this.slots.shift()
      if (outcome.kind === 'respond') {
        this.write(outcome.frame, outcome.release)
      } else {
        if (outcome.kind === 'close') {
          if (outcome.frame !== undefined) this.write(outcome.frame)
          this.close(outcome.reason)
        }
        outcome.release?.()
      }
    }
    this.maybeResume()
  }

  /** `written` runs once the socket is done with the frame (written, or failed and destroyed). */
  private write(frame: Buffer[], written?: () => void): void {
    const last = frame.length - 1
    if (last === 0) {
      this.socket.write(frame[0]!, written)
      return
    }
    this.socket.cork()
    for (let index = 0; index < last; index++) this.socket.write(frame[index]!)
    this.socket.write(frame[last]!, written)
    this.socket.uncork()
  }

  private get inFlight(): number {
    return this.slots.length
  }

  private maybePause(): void {
    if (this.paused || this.closed) return
    if (this.inFlight >= this.limits.inFlightRequestsMax || this.socket.writableLength > this.limits.pendingResponseBytesMax) {
      this.paused = true
      this.socket.pause()
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return
    if (this.inFlight < this.limits.inFlightRequestsMax && this.socket.writableLength <= this.limits.pendingResponseBytesMax) {
      this.paused = false
      this.socket.resume()
    }
  }

  private peekFrameSize(): number {
    const first = this.chunks[0]!
    if (first.length >= 4) return first.readInt32BE(0)
    const head = this.take(4)
    this.chunks.unshift(head)
    this.bufferedBytes += 4
    return head.readInt32BE(0)
  }

  /** Whether the buffered frame is a Produce request: its int16 API key follows the 4-byte size. */
  private isProduceFrame(): boolean {
    return this.peekByte(4) === 0 && this.peekByte(5) === 0
  }

  /** Buffered byte `index` (counted from the front), or -1 when fewer bytes are buffered. */
  private peekByte(index: number): number {
    for (const chunk of this.chunks) {
      if (index < chunk.length) return chunk[index]!
      index -= chunk.length
    }
    return -1
  }

  /** Drops byteCount buffered bytes. */
  private skip(byteCount: number): void {
    let left = byteCount
    while (left > 0) {
      const chunk = this.chunks[0]!
      if (chunk.length <= left) {
        left -= chunk.length
        this.chunks.shift()
      } else {
        this.chunks[0] = chunk.subarray(left)
        left = 0
      }
    }
    this.bufferedBytes -= byteCount
  }

  /**
   * Removes byteCount bytes from the front; zero-copy when they sit in one chunk (and no `target`
   * is given), else copied into `target` (a pool buffer) or a new buffer.
   */
  private take(byteCount: number, target: Buffer | null = null): Buffer {
    const first = this.chunks[0]!
    if (target === null && first.length >= byteCount) {
      this.bufferedBytes -= byteCount
      if (first.length === byteCount) this.chunks.shift()
      else this.chunks[0] = first.subarray(byteCount)
      return first.subarray(0, byteCount)
    }
    const out = target === null ? Buffer.allocUnsafe(byteCount) : target.subarray(0, byteCount)
    let copied = 0
    while (copied < byteCount) {
      const chunk = this.chunks[0]!
      const wanted = byteCount - copied
      if (chunk.length <= wanted) {
        chunk.copy(out, copied)
        copied += chunk.length
        this.chunks.shift()
      } else {
        chunk.copy(out, copied, 0, wanted)
        this.chunks[0] = chunk.subarray(wanted)
        copied += wanted
      }
    }
    this.bufferedBytes -= byteCount
    return out
  }
}
