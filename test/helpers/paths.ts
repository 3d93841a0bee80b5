// Locations tests need at run time. Tests run from dist/test/**, but only .ts files are compiled,
// so non-TypeScript fixtures (Python scripts) are referenced from the source tree.
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: this file runs as dist/test/helpers/paths.js. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** Debian's interpreter, which has python3-kafka and python3-confluent-kafka (the PATH one may not). */
export const PYTHON = '/usr/bin/python3'

export const GREGOR_BIN = path.join(repoRoot, 'bin', 'gregor.js')

/** A Python helper script in test/interop/py/ (source tree, not dist). */
export function pyScript(name: string): string {
  return path.join(repoRoot, 'test', 'interop', 'py', name)
}
