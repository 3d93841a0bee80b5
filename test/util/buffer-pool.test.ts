import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BufferPool } from '../../src/util/buffer-pool.js'
import { FramePool } from '../../src/server/frame-pool.js'

test('leases carve pieces from shared slabs, and a slab is reused once every lease holding it is released', () => {
  // Slabs of 16 KiB: Node hands out smaller Buffers from a shared 8 KiB pool of its own.
  const pool = new BufferPool(16384, 2)
  const a = pool.lease()
  const b = pool.lease()
  const a1 = a.allocate(6400)
  const b1 = b.allocate(6400)
  assert.equal(a1.buffer, b1.buffer, 'both pieces come from the first slab')
  assert.equal(a1.byteOffset + 6400, b1.byteOffset, 'pieces do not overlap')
  const b2 = b.allocate(6400)
  assert.notEqual(b2.buffer, a1.buffer, 'a full slab makes way for a second one')
  assert.equal(pool.slabsInUse, 2)
  a.release()
  assert.equal(pool.slabsInUse, 2, 'the first slab is still held by b')
  b.release()
  assert.equal(pool.slabsInUse, 1, 'the first slab is free again; the current one stays')
  const c = pool.lease()
  const c1 = c.allocate(16000)
  assert.equal(c1.length, 16000)
  assert.ok(c1.buffer === a1.buffer || c1.buffer === b2.buffer, 'a released slab is reused')
  c.release()
})

test('pieces larger than a slab, or beyond slabsMax, are ordinary buffers', () => {
  const pool = new BufferPool(16384, 1)
  const lease = pool.lease()
  const big = lease.allocate(20000)
  assert.equal(big.length, 20000)
  assert.equal(pool.slabsInUse, 0)
  const first = lease.allocate(10000)
  const overflow = lease.allocate(10000)
  assert.notEqual(overflow.buffer, first.buffer, 'no second slab past slabsMax')
  assert.equal(pool.slabsInUse, 1)
  lease.release()
  lease.release()
  assert.equal(pool.slabsInUse, 0, 'released twice is released once')
  assert.throws(() => lease.allocate(1), /released lease/)
})

test('the frame pool lends at most buffersMax buffers of bufferBytes and takes them back', () => {
  const pool = new FramePool(100, 2)
  assert.equal(pool.acquire(101), null, 'a larger frame is not pooled')
  const a = pool.acquire(50)!
  const b = pool.acquire(100)!
  assert.equal(pool.acquire(10), null, 'all lent out')
  assert.equal(pool.lentCount, 2)
  pool.release(a)
  assert.equal(pool.acquire(10), a)
  pool.release(a)
  pool.release(b)
  assert.equal(pool.lentCount, 0)
  assert.throws(() => pool.release(a), /released twice/)
})

test('the frame pool hands a released buffer to the first waiter; a cancelled waiter gets none', () => {
  const pool = new FramePool(100, 1)
  const lent = pool.acquire(10)!
  const received: string[] = []
  const cancelled = () => received.push('cancelled')
  pool.whenReleased(cancelled)
  pool.whenReleased((buffer) => received.push(buffer === lent ? 'second' : 'other'))
  pool.cancel(cancelled)
  pool.release(lent)
  assert.deepEqual(received, ['second'])
  assert.equal(pool.lentCount, 1, 'still lent, to the waiter')
  pool.release(lent)
  assert.equal(pool.lentCount, 0)
  assert.throws(() => pool.whenReleased(() => {}), /buffers are free/)
})
