// The streams a command uses, injectable so commands can run inside a test process.
import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'

export interface CliIo {
  readonly stdin: Readable
  readonly stdout: Writable
  readonly stderr: Writable
}

// Getters: process.stdin builds its stream on first access (~1 ms), which `server start` never needs.
export const processIo: CliIo = {
  get stdin() { return process.stdin },
  get stdout() { return process.stdout },
  get stderr() { return process.stderr },
}

/** Writes with backpressure: waits for 'drain' when the stream's buffer is full. */
export async function write(stream: Writable, text: string | Buffer): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain')
}
