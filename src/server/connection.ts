// One client connection: framing, request limits, ordering and backpressure.
// - The 4-byte length is checked against socket.request.max.bytes before anything is buffered.
// - Requests are dispatched as they arrive (pipelining); responses leave strictly in request
//   order, whatever order handlers finish in.
// - Reading pauses while too many requests are in flight or too many response bytes wait for
//   the socket, and resumes when they drain: a slow client gets backpressure, not memory.
// - Malformed input closes this connection with a log line; it never throws out of here.
// - Reads land in one shared read buffer, or straight in the unfilled tail of a large frame
//   (socket-reads.ts): no Buffer per socket read. Each frame gets a buffer of its own once its
//   size and API key are known; a Produce frame takes one from the frame pool, and while all are
//   lent its connection stops reading until one comes back (no allocation per produce frame), or
//   for at most FRAME_BUFFER_WAIT_MS.
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { BrokerContext } from './broker-context.js'
import type { FramePool, FrameWaiter } from './frame-pool.js'
import type { Outcome, Router } from './router.js'
import { readIntoChosenBuffers } from './socket-reads.js'

export interface ConnectionLimits {
  readonly socketRequestMaxBytes: number
  /** Requests dispatched but not yet answered on this connection before reading pauses. */
  readonly inFlightRequestsMax: number
  /** Response bytes queued in the socket before reading pauses. */
  readonly pendingResponseBytesMax: number
  readonly idleTimeoutMs: number
}

/** Bytes of a frame read before its buffer is chosen: the int32 size and the int16 API key. */
const FRAME_HEAD_BYTES = 6
const SIZE_BYTES = 4
const PRODUCE_KEY = 0
/**
 * How long a Produce frame waits for a pool buffer before it gets one of its own. Buffers of
 * dispatched produces come back as the log writes (milliseconds); one lent to a frame whose client
 * stopped sending comes back only when that connection closes, and a few such frames would
 * otherwise stall every producer of the broker.
 */
const FRAME_BUFFER_WAIT_MS = 100

/**
 * Where socket reads land unless a frame's tail is at least this large. Shared by every connection:
 * each read is consumed (copied into its frames) before the callback returns, and no two reads
 * run at once on the event loop.
 */
const READ_BUFFER_BYTES = 64 * 1024
let sharedReadBuffer: Buffer | null = null

class Slot {
  outcome: Outcome | null = null
  constructor(
    /** The pooled buffer holding the request frame, given back once the outcome is known. */
    readonly pooledFrame: Buffer | null,
  ) {}
}

export class Connection {
  /** The first bytes of the next frame, until its size and API key are known. */
  private readonly head = Buffer.alloc(FRAME_HEAD_BYTES)
  private headBytes = 0
  /** The frame being assembled (its body, after the size), the pool buffer it sits in, bytes filled. */
  private frame: Buffer | null = null
  private framePooled: Buffer | null = null
  private frameFilled = 0
  /** Whether the buffer handed to the socket for the next read is the frame's unfilled tail. */
  private readingIntoFrame = false
  private readonly readBuffer: Buffer
  /** Set while a Produce frame waits for a pool buffer (reading paused); bytes read past its head wait in `stash`. */
  private frameWaiter: FrameWaiter | null = null
  private frameWaitTimer: NodeJS.Timeout | null = null
  private stash: Buffer | null = null
  private stashLength = 0
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
    this.readBuffer = sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES)
    socket.setNoDelay(true)
    if (limits.idleTimeoutMs > 0) socket.setTimeout(limits.idleTimeoutMs, () => this.close('idle timeout'))
    const chosen = readIntoChosenBuffers(socket, () => this.nextReadBuffer(), (byteCount) => this.onRead(byteCount))
    if (!chosen) socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => this.maybeResume())
    socket.on('error', (error) => this.log.debug({ err: error, connectionId }, 'socket error'))
    socket.on('close', () => {
      this.closed = true
      // Responses settled but never flushed release what they hold; later ones do so in settle().
      for (const slot of this.slots.splice(0)) slot.outcome?.release?.()
      this.releasePartialFrame()
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

  /** Where the socket's next read lands: the frame's tail when a whole read buffer fits in it. */
  private nextReadBuffer(): Buffer {
    const frame = this.frame
    this.readingIntoFrame = frame !== null && frame.length - this.frameFilled >= this.readBuffer.length
    return this.readingIntoFrame ? frame!.subarray(this.frameFilled) : this.readBuffer
  }

  private onRead(byteCount: number): void {
    if (this.closed) return
    if (this.readingIntoFrame) {
      this.frameFilled += byteCount
      if (this.frameFilled === this.frame!.length) this.finishFrame()
    } else {
      this.consume(this.readBuffer, 0, byteCount)
    }
    this.maybePause()
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.consume(chunk, 0, chunk.length)
    this.maybePause()
  }

  /** Copies `source[offset, end)` into the frames it continues and starts, dispatching each completed one. */
  private consume(source: Buffer, offset: number, end: number): void {
    while (offset < end && !this.closed) {
      if (this.frame === null) {
        const copied = Math.min(FRAME_HEAD_BYTES - this.headBytes, end - offset)
        source.copy(this.head, this.headBytes, offset, offset + copied)
        this.headBytes += copied
        offset += copied
        if (this.headBytes >= SIZE_BYTES && !this.checkFrameSize()) return
        if (this.headBytes < FRAME_HEAD_BYTES) return
        if (!this.startFrame()) {
          this.waitForFrameBuffer(source, offset, end)
          return
        }
      }
      const frame = this.frame!
      const copied = Math.min(frame.length - this.frameFilled, end - offset)
      source.copy(frame, this.frameFilled, offset, offset + copied)
      this.frameFilled += copied
      offset += copied
      if (this.frameFilled === frame.length) this.finishFrame()
    }
  }

  /** Closes the connection when the frame size in `head` is out of bounds. */
  private checkFrameSize(): boolean {
    const size = this.head.readInt32BE(0)
    if (size < FRAME_HEAD_BYTES - SIZE_BYTES || size > this.limits.socketRequestMaxBytes) {
      this.close(`request size ${size} is outside ${FRAME_HEAD_BYTES - SIZE_BYTES}..socket.request.max.bytes (${this.limits.socketRequestMaxBytes})`)
      return false
    }
    return true
  }

  /** Gives the frame in `head` its buffer; false when it must wait for a pool buffer. */
  private startFrame(): boolean {
    const size = this.head.readInt32BE(0)
    const isPooled = this.framePool !== null && this.head.readInt16BE(SIZE_BYTES) === PRODUCE_KEY && this.framePool.fits(size)
    const pooled = isPooled ? this.framePool!.acquire(size) : null
    if (isPooled && pooled === null) return false
    this.beginFrame(size, pooled)
    return true
  }

  private beginFrame(size: number, pooled: Buffer | null): void {
    this.framePooled = pooled
    this.frame = pooled === null ? Buffer.allocUnsafe(size) : pooled.subarray(0, size)
    this.frameFilled = this.head.copy(this.frame, 0, SIZE_BYTES, FRAME_HEAD_BYTES)
  }

  /**
   * Pauses reading until the pool lends a buffer for the frame in `head`; the rest of this read,
   * `source[offset, end)`, is kept in `stash` (the read buffer is reused by the next read).
   */
  private waitForFrameBuffer(source: Buffer, offset: number, end: number): void {
    const left = end - offset
    if (this.stash === null || this.stash.length < left) this.stash = Buffer.allocUnsafe(Math.max(left, this.readBuffer.length))
    // May move bytes within the stash itself (when its own replay waits again): copy is a memmove.
    this.stashLength = source.copy(this.stash, 0, offset, end)
    this.paused = true
    this.socket.pause()
    const waiter: FrameWaiter = (buffer) => {
      this.clearFrameWaitTimer()
      // Not from inside the releasing connection's settle(): the frames this unblocks dispatch later.
      queueMicrotask(() => this.onFrameBuffer(buffer))
    }
    this.frameWaiter = waiter
    this.framePool!.whenReleased(waiter)
    this.frameWaitTimer = setTimeout(() => {
      this.frameWaitTimer = null
      this.framePool!.cancel(waiter)
      this.onFrameBuffer(null)
    }, FRAME_BUFFER_WAIT_MS)
  }

  /** Continues the frame in `head` in `buffer` from the pool, or in a buffer of its own (null). */
  private onFrameBuffer(buffer: Buffer | null): void {
    this.frameWaiter = null
    if (this.closed) {
      if (buffer !== null) this.framePool!.release(buffer)
      return
    }
    this.beginFrame(this.head.readInt32BE(0), buffer)
    const stashed = this.stashLength
    this.stashLength = 0
    this.consume(this.stash!, 0, stashed)
    this.maybeResume()
  }

  private finishFrame(): void {
    const frame = this.frame!
    const pooled = this.framePooled
    this.frame = null
    this.framePooled = null
    this.frameFilled = 0
    this.headBytes = 0
    this.readingIntoFrame = false
    this.dispatch(frame, pooled)
  }

  /** A frame cut off by the close: nothing refers to its pool buffer. */
  private releasePartialFrame(): void {
    this.clearFrameWaitTimer()
    if (this.frameWaiter !== null) this.framePool!.cancel(this.frameWaiter)
    if (this.framePooled !== null) this.framePool!.release(this.framePooled)
    this.frame = null
    this.framePooled = null
  }

  private clearFrameWaitTimer(): void {
    if (this.frameWaitTimer === null) return
    clearTimeout(this.frameWaitTimer)
    this.frameWaitTimer = null
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
    if (!this.paused || this.closed || this.frameWaiter !== null) return
    if (this.inFlight < this.limits.inFlightRequestsMax && this.socket.writableLength <= this.limits.pendingResponseBytesMax) {
      this.paused = false
      this.socket.resume()
    }
  }
}
