// A bounded pool of slabs that fetch reads are carved from. A consumer at full speed reads ~1 MiB
// per partition per fetch; a fresh Buffer for each read is external memory that V8 answers with a
// full mark-compact every few dozen reads (measured: most of the broker's CPU beyond the copies in
// a 1 KiB consume), and freed slabs leave RSS at several hundred MiB. Here reads share a few slabs
// that are reused once every response holding a piece of them has been written to its socket.
//
// A Lease collects the pieces handed out for one response; release() (exactly once, after the
// bytes left through the socket or the response was dropped) gives them back. A slab returns to
// the free list when the last lease holding a piece of it is released. Pieces larger than a slab,
// and pieces asked for while every slab is in use, are ordinary Buffers: the pool never blocks and
// never grows beyond slabsMax × slabBytes.
import assert from 'node:assert/strict'

class Slab {
  /** Bytes carved so far. */
  used = 0
  /** Leases holding at least one piece of this slab. */
  holders = 0
  constructor(readonly buffer: Buffer) {}
}

export class BufferPool {
  private readonly free: Slab[] = []
  private current: Slab | null = null
  private created = 0

  constructor(
    readonly slabBytes: number,
    readonly slabsMax: number,
  ) {
    assert.ok(slabBytes > 0 && slabsMax >= 0, 'buffer pool sizes')
  }

  lease(): Lease {
    return new Lease(this)
  }

  /** Slabs lent out or partly carved (for tests and metrics). */
  get slabsInUse(): number {
    return this.created - this.free.length
  }

  /** @internal `size` bytes of the current slab (or a fresh one) for the lease holding `held`; null when none is left. */
  carve(size: number, held: Slab[]): Buffer | null {
    if (size > this.slabBytes) return null
    let slab = this.current
    if (slab === null || this.slabBytes - slab.used < size) {
      // A full current slab still has holders (a slab without any is reset), so it is not recycled here.
      slab = this.free.pop() ?? null
      if (slab === null) {
        if (this.created >= this.slabsMax) {
          this.current = null
          return null
        }
        this.created++
        slab = new Slab(Buffer.allocUnsafe(this.slabBytes))
      }
      this.current = slab
    }
    if (!held.includes(slab)) {
      slab.holders++
      held.push(slab)
    }
    const piece = slab.buffer.subarray(slab.used, slab.used + size)
    slab.used += size
    return piece
  }

  /** @internal */
  releaseSlab(slab: Slab): void {
    assert.ok(slab.holders > 0, 'slab released more often than held')
    slab.holders--
    if (slab.holders > 0) return
    slab.used = 0
    if (slab !== this.current) this.free.push(slab)
  }
}

export class Lease {
  private readonly held: Slab[] = []
  private isReleased = false

  constructor(private readonly pool: BufferPool) {}

  /** `size` bytes for this lease's response, uninitialised (the caller overwrites them). */
  readonly allocate = (size: number): Buffer => {
    assert.ok(!this.isReleased, 'allocation from a released lease')
    return this.pool.carve(size, this.held) ?? Buffer.allocUnsafe(size)
  }

  /** Gives every piece back; the caller holds no view of them any more. Idempotent. */
  release(): void {
    if (this.isReleased) return
    this.isReleased = true
    for (const slab of this.held) this.pool.releaseSlab(slab)
    this.held.length = 0
  }
}
