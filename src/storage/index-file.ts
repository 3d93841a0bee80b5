// The storage shared by the offset index and the time index: fixed-size big-endian entries sorted
// by key, held in memory and mirrored to a file that holds exactly the entries (no preallocation,
// so a cleanly closed index is always trimmed). Entries reach the file in `persist()`, which the
// log calls after the matching log bytes are written; a crash can leave the file shorter, longer
// or torn, which is why recovery rebuilds the indexes of unflushed segments (indexes carry no CRC).
import assert from 'node:assert/strict'
import { open, readFile, type FileHandle } from 'node:fs/promises'

export class IndexFile {
  /** Entries in memory. */
  entryCount = 0
  private entries: Buffer
  /** Entries of `entries` known to be in the file, as a prefix. */
  private persistedCount = 0
  private fileNeedsTruncate = false
  private handle: FileHandle | null = null

  constructor(
    readonly path: string,
    readonly entrySize: number,
    readonly maxEntries: number,
  ) {
    this.entries = Buffer.allocUnsafe(entrySize * Math.min(maxEntries, 64))
  }

  get isFull(): boolean {
    return this.entryCount >= this.maxEntries
  }

  /** Entry `index`'s byte position in the in-memory buffer (for typed readers). */
  entryPosition(index: number): number {
    assert.ok(index >= 0 && index < this.entryCount, 'index entry out of range')
    return index * this.entrySize
  }

  get buffer(): Buffer {
    return this.entries
  }

  /** Returns the position at which the caller writes the new entry. */
  appendSlot(): number {
    assert.ok(!this.isFull, 'index is full')
    const needed = (this.entryCount + 1) * this.entrySize
    if (needed > this.entries.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.entries.length * 2, this.maxEntries * this.entrySize))
      this.entries.copy(grown, 0, 0, this.entryCount * this.entrySize)
      this.entries = grown
    }
    return this.entryCount++ * this.entrySize
  }

  /** Keeps the first `count` entries. */
  truncateToEntries(count: number): void {
    assert.ok(count >= 0 && count <= this.entryCount, 'truncate beyond the index')
    this.entryCount = count
    if (this.persistedCount > count) {
      this.persistedCount = count
      this.fileNeedsTruncate = true
    }
  }

  /**
   * Reads the file into memory. Returns false when its size is not a whole number of entries or
   * above the limit (a torn or foreign file): the caller rebuilds the index.
   */
  async load(): Promise<boolean> {
    let bytes: Buffer
    try {
      bytes = await readFile(this.path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
    if (bytes.length % this.entrySize !== 0 || bytes.length > this.maxEntries * this.entrySize) return false
    this.entries = bytes.length >= this.entrySize ? bytes : Buffer.allocUnsafe(this.entrySize * 64)
    this.entryCount = bytes.length / this.entrySize
    this.persistedCount = this.entryCount
    this.fileNeedsTruncate = false
    return true
  }

  /** Forgets every entry; the file is emptied on the next persist(). */
  reset(): void {
    this.entryCount = 0
    this.persistedCount = 0
    this.fileNeedsTruncate = true
  }

  /** Writes entries not yet in the file (and trims it after a truncation). */
  async persist(): Promise<void> {
    if (!this.fileNeedsTruncate && this.persistedCount === this.entryCount) return
    const handle = await this.openHandle()
    if (this.fileNeedsTruncate) {
      await handle.truncate(this.persistedCount * this.entrySize)
      this.fileNeedsTruncate = false
    }
    const from = this.persistedCount * this.entrySize
    const to = this.entryCount * this.entrySize
    let written = 0
    while (from + written < to) {
      const { bytesWritten } = await handle.write(this.entries, from + written, to - from - written, from + written)
      written += bytesWritten
    }
    this.persistedCount = this.entryCount
  }

  async sync(): Promise<void> {
    await this.persist()
    if (this.handle !== null) await this.handle.sync()
  }

  /** Persists, then releases the file handle (entries stay in memory). */
  async close(): Promise<void> {
    await this.persist()
    if (this.handle !== null) {
      const handle = this.handle
      this.handle = null
      await handle.close()
    }
  }

  /** Closes the handle without writing (the directory is being deleted or the log went offline). */
  async abandon(): Promise<void> {
    if (this.handle !== null) {
      const handle = this.handle
      this.handle = null
      await handle.close()
    }
  }

  private async openHandle(): Promise<FileHandle> {
    if (this.handle === null) {
      // Positional writes need 'r+' ('a' ignores positions on Linux); 'w+' only when it is missing.
      try {
        this.handle = await open(this.path, 'r+')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        this.handle = await open(this.path, 'w+')
      }
    }
    return this.handle
  }
}
