// The streams a command uses, injectable so commands can run inside a test process.
import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'

export interface CliIo {
  readonly stdin: Readable
  readonly stdout: Writable
  readonly stderr: Writable
}

export const processIo: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }

/** Writes with backpressure: waits for 'drain' when the stream's buffer is full. */
export async function write(stream: Writable, text: string | Buffer): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain')
}
