// Framing of the server connection against a stub router: whatever way the bytes are split on the
// wire (single bytes, pieces across frame boundaries, large frames read straight into their
// buffers), the router sees exactly the frames sent, in order; pooled Produce frames go back to
// the pool once answered or when the connection closes in the middle of one.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import type { Logger } from 'pino'
import { Connection, type ConnectionLimits } from '../../src/server/connection.js'
import { FramePool } from '../../src/server/frame-pool.js'
import type { BrokerContext } from '../../src/server/broker-context.js'
import type { Outcome, Router } from '../../src/server/router.js'

const silentLog = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger

const limits: ConnectionLimits = {
  socketRequestMaxBytes: 4 * 1024 * 1024,
  inFlightRequestsMax: 1000,
  pendingResponseBytesMax: 16 * 1024 * 1024,
  idleTimeoutMs: 0,
}

/**
 * A router that records each frame (copied) and answers with an 8-byte frame echoing the index;
 * after `delayMs` when set (so pooled frames stay lent a while).
 */
class RecordingRouter {
  readonly frames: Buffer[] = []
  constructor(private readonly delayMs = 0) {}
  dispatch(frame: Buffer): Outcome | Promise<Outcome> {
    this.frames.push(Buffer.from(frame))
    const answer = Buffer.alloc(8)
    answer.writeInt32BE(4, 0)
    answer.writeInt32BE(this.frames.length, 4)
    const outcome: Outcome = { kind: 'respond', frame: [answer] }
    if (this.delayMs === 0) return outcome
    return new Promise((resolve) => setTimeout(() => resolve(outcome), this.delayMs))
  }
}

interface Harness {
  readonly client: net.Socket
  readonly router: RecordingRouter
  readonly pool: FramePool
  readonly closed: Promise<void>
  /** Resolves once `count` answers arrived. */
  answers(count: number): Promise<void>
}

let server: net.Server
const accepted: ((socket: net.Socket) => void)[] = []

before(async () => {
  server = net.createServer((socket) => accepted.shift()!(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
})

after(() => new Promise<void>((resolve) => server.close(() => resolve())))

interface ConnectOptions {
  /** Hide the handle's user-buffer support, so the connection falls back to 'data' events. */
  readonly dataEvents?: boolean
  readonly routerDelayMs?: number
  readonly pool?: FramePool
}

async function connect(options: ConnectOptions = {}): Promise<Harness> {
  const dataEvents = options.dataEvents === true
  const router = new RecordingRouter(options.routerDelayMs)
  const pool = options.pool ?? new FramePool(256 * 1024, 4)
  let markClosed!: () => void
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve
  })
  const serverSide = new Promise<void>((resolve) => {
    accepted.push((socket) => {
      if (dataEvents) Object.assign((socket as unknown as { _handle: object })._handle, { useUserBuffer: undefined })
      new Connection(socket, 1, router as unknown as Router, {} as BrokerContext, limits, silentLog, () => markClosed(), pool)
      resolve()
    })
  })
  const address = server.address() as net.AddressInfo
  const client = net.connect(address.port, '127.0.0.1')
  client.setNoDelay(true)
  await serverSide
  let received = 0
  const waiters: { count: number; resolve: () => void }[] = []
  client.on('data', (chunk: Buffer) => {
    received += chunk.length / 8
    for (const waiter of waiters.splice(0)) {
      if (received >= waiter.count) waiter.resolve()
      else waiters.push(waiter)
    }
  })
  client.on('error', () => {})
  return {
    client, router, pool, closed,
    answers: (count) => new Promise<void>((resolve) => {
      if (received >= count) resolve()
      else waiters.push({ count, resolve })
    }),
  }
}

/** A frame body starting with `apiKey` (int16), filled with a pattern that depends on `seed`. */
function body(apiKey: number, size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size)
  for (let index = 0; index < size; index++) bytes[index] = (index * 31 + seed) & 0xff
  bytes.writeInt16BE(apiKey, 0)
  return bytes
}

function framed(bodies: readonly Buffer[]): Buffer {
  return Buffer.concat(bodies.flatMap((payload) => {
    const size = Buffer.alloc(4)
    size.writeInt32BE(payload.length, 0)
    return [size, payload]
  }))
}

/** Writes `bytes` in pieces of the given sizes (cycled), letting each piece arrive as its own read. */
async function writeInPieces(socket: net.Socket, bytes: Buffer, pieceSizes: readonly number[]): Promise<void> {
  let offset = 0
  for (let index = 0; offset < bytes.length; index++) {
    const piece = bytes.subarray(offset, offset + pieceSizes[index % pieceSizes.length]!)
    offset += piece.length
    await new Promise<void>((resolve, reject) => socket.write(piece, (error) => (error ? reject(error) : resolve())))
    await new Promise((resolve) => setImmediate(resolve))
  }
}

for (const dataEvents of [false, true]) describe(`connection framing${dataEvents ? ' (data events)' : ''}`, () => {
  test('frames split at every byte arrive whole and in order', async () => {
    const harness = await connect({ dataEvents })
    const bodies = [body(3, 40, 1), body(0, 100, 2), body(18, 6, 3), body(0, 2, 4)]
    await writeInPieces(harness.client, framed(bodies), [1])
    await harness.answers(bodies.length)
    assert.deepEqual(harness.router.frames, bodies)
    assert.equal(harness.pool.lentCount, 0)
    harness.client.destroy()
    await harness.closed
  })

  test('large Produce and other frames split across reads arrive whole; pool buffers come back', async () => {
    const harness = await connect({ dataEvents })
    // 200 KB Produce frames go to the pool (and are read into their own tails); 300 KB ones do not
    // fit it; a large non-Produce frame gets a buffer of its own.
    const bodies = [
      body(0, 200_000, 5), body(3, 50, 6), body(0, 300_000, 7), body(1, 150_000, 8),
      body(0, 70_000, 9), body(0, 200_000, 10), body(0, 10, 11),
    ]
    await writeInPieces(harness.client, framed(bodies), [3, 65_536, 100_000, 5, 131_072, 7_000])
    await harness.answers(bodies.length)
    assert.equal(harness.router.frames.length, bodies.length)
    harness.router.frames.forEach((frame, index) => assert.ok(frame.equals(bodies[index]!), `frame ${index} differs`))
    assert.equal(harness.pool.lentCount, 0)
    harness.client.destroy()
    await harness.closed
  })

  test('a connection closed in the middle of a pooled frame gives the buffer back', async () => {
    const harness = await connect({ dataEvents })
    const whole = framed([body(0, 200_000, 12)])
    await writeInPieces(harness.client, whole.subarray(0, 150_000), [65_536])
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(harness.pool.lentCount, 1)
    harness.client.destroy()
    await harness.closed
    assert.equal(harness.pool.lentCount, 0)
    assert.equal(harness.router.frames.length, 0)
  })

  test('Produce frames wait for a pool buffer when all are lent, across connections, and arrive whole', async () => {
    const pool = new FramePool(256 * 1024, 1)
    const first = await connect({ dataEvents, routerDelayMs: 20, pool })
    const second = await connect({ dataEvents, routerDelayMs: 20, pool })
    const firstBodies = [body(0, 100_000, 20), body(3, 30, 21), body(0, 150_000, 22), body(0, 40, 23)]
    const secondBodies = [body(0, 120_000, 24), body(0, 90_000, 25)]
    await Promise.all([
      writeInPieces(first.client, framed(firstBodies), [70_000, 3, 65_536]),
      writeInPieces(second.client, framed(secondBodies), [65_536]),
    ])
    await Promise.all([first.answers(firstBodies.length), second.answers(secondBodies.length)])
    assert.deepEqual(first.router.frames, firstBodies)
    assert.deepEqual(second.router.frames, secondBodies)
    assert.equal(pool.lentCount, 0)
    first.client.destroy()
    second.client.destroy()
    await Promise.all([first.closed, second.closed])
  })

  test('a connection closed while waiting for a pool buffer gives back the buffer it then gets', async () => {
    const pool = new FramePool(256 * 1024, 1)
    const holder = pool.acquire(10)!
    const harness = await connect({ dataEvents, pool })
    await writeInPieces(harness.client, framed([body(0, 1000, 26)]).subarray(0, 500), [65_536])
    await new Promise((resolve) => setTimeout(resolve, 20))
    harness.client.destroy()
    // Paused, the connection learns of the close once it reads again, after the buffer came.
    pool.release(holder)
    await harness.closed
    assert.equal(pool.lentCount, 0)
    assert.equal(harness.router.frames.length, 0)
  })

  test('a Produce frame waits for a pool buffer only a while: frames that never complete do not stall other producers', async () => {
    const pool = new FramePool(256 * 1024, 1)
    // The only buffer goes to a frame whose client stops sending after 100 of its 1004 bytes.
    const stalled = await connect({ dataEvents, pool })
    await writeInPieces(stalled.client, framed([body(0, 1000, 30)]).subarray(0, 100), [65_536])
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(pool.lentCount, 1)
    const other = await connect({ dataEvents, pool })
    const bodies = [body(0, 500, 31), body(0, 600, 32)]
    await writeInPieces(other.client, framed(bodies), [65_536])
    const answered = await Promise.race([
      other.answers(bodies.length).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
    ])
    stalled.client.destroy()
    other.client.destroy()
    // The stalled frame's buffer comes back with its close (and ends any wait of the other).
    await Promise.all([stalled.closed, other.closed])
    assert.ok(answered, 'the other connection\'s Produce frames were dispatched')
    assert.deepEqual(other.router.frames, bodies)
    assert.equal(pool.lentCount, 0)
  })

  test('a frame size below the smallest header or above the limit closes the connection', async () => {
    for (const size of [1, -5, limits.socketRequestMaxBytes + 1]) {
      const harness = await connect({ dataEvents })
      const bytes = Buffer.alloc(8)
      bytes.writeInt32BE(size, 0)
      harness.client.write(bytes)
      await harness.closed
      assert.equal(harness.router.frames.length, 0)
    }
  })
})
