// Temporary directories that are removed when the test file's process exits, or earlier by cleanup().
import { mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface TmpDir {
  readonly path: string
  cleanup(): Promise<void>
}

const pending = new Set<string>()

process.on('exit', () => {
  // Synchronous because 'exit' handlers cannot await; test code only.
  for (const dir of pending) rmSync(dir, { recursive: true, force: true })
})

export function tmpDir(prefix = 'gregor-test-'): TmpDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  pending.add(dir)
  return {
    path: dir,
    async cleanup() {
      pending.delete(dir)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
