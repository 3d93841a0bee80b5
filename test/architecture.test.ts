// Dependencies point down (DESIGN.md "Layers"): this test reads every import in src/ and fails
// when a module imports a layer it may not depend on.
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { repoRoot } from './helpers/paths.js'

/**
 * What each top-level folder of src/ may import (besides itself). util is usable by all; config by
 * everything above protocol/records; client speaks the wire with protocol+records only, so the
 * cluster (replica fetcher), server and cli may use it; cli and src/index.ts sit on top.
 */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  protocol: ['util'],
  records: ['protocol', 'util'],
  config: ['protocol', 'records', 'util'],
  client: ['protocol', 'records', 'util'],
  storage: ['protocol', 'records', 'config', 'util'],
  cluster: ['protocol', 'records', 'config', 'storage', 'client', 'coordinators', 'util'],
  coordinators: ['protocol', 'records', 'config', 'storage', 'client', 'cluster', 'util'],
  server: ['protocol', 'records', 'config', 'storage', 'client', 'cluster', 'coordinators', 'util'],
  cli: ['*'],
  '.': ['*'], // src/index.ts: the public API
}

// `import ... from '...'`, `export ... from '...'`, `import '...'`, `import('...')`, `import type`.
const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1')
}

export function importsOf(source: string): string[] {
  const found: string[] = []
  for (const match of stripComments(source).matchAll(IMPORT)) found.push((match[1] ?? match[2])!)
  return found
}

/** The layer of a path relative to src/: its first folder, or '.' for files directly in src/. */
function layerOf(relative: string): string {
  const parts = relative.split(path.sep)
  return parts.length === 1 ? '.' : parts[0]!
}

export interface Violation {
  file: string
  imported: string
  reason: string
}

/** Checks one file (path relative to src/) against ALLOWED. */
export function violationsOf(file: string, source: string): Violation[] {
  const from = layerOf(file)
  const allowed = ALLOWED[from]
  if (allowed === undefined) return [{ file, imported: '', reason: `src/${from}/ is not a known layer; add it to ALLOWED` }]
  const violations: Violation[] = []
  for (const specifier of importsOf(source)) {
    if (!specifier.startsWith('.')) continue // node: builtins and packages
    const target = path.normalize(path.join(path.dirname(file), specifier))
    if (target.startsWith('..')) {
      violations.push({ file, imported: specifier, reason: 'imports from outside src/' })
      continue
    }
    const to = layerOf(target)
    if (to === from || allowed.includes('*') || allowed.includes(to)) continue
    violations.push({ file, imported: specifier, reason: `${from} may not import ${to}` })
  }
  return violations
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .sort()
}

test('the layer check recognises every import form and flags upward imports', () => {
  const source = [
    "import { a } from '../server/router.js'",
    "import type { B } from '../cluster/partition.js'",
    "export { c } from '../protocol/reader.js'",
    "import '../util/clock.js'",
    'const d = await import("../storage/log.js")',
    "import { e } from 'node:fs'",
    "// import { f } from '../cli/main.js'",
    "/* import { g } from '../cli/main.js' */",
    'import {\n  h,\n  i,\n} from "../config/server-config.js"',
  ].join('\n')
  assert.deepEqual(importsOf(source), [
    '../server/router.js',
    '../cluster/partition.js',
    '../protocol/reader.js',
    '../util/clock.js',
    '../storage/log.js',
    'node:fs',
    '../config/server-config.js',
  ])
  const reasons = violationsOf(path.join('storage', 'log.ts'), source).map((v) => v.reason)
  assert.deepEqual(reasons, ['storage may not import server', 'storage may not import cluster'])
  assert.deepEqual(violationsOf(path.join('cli', 'main.ts'), source), [])
  assert.equal(violationsOf(path.join('records', 'x.ts'), "import { y } from '../../test/helpers/poll.js'")[0]?.reason, 'imports from outside src/')
})

test('no module in src/ imports a higher layer', async () => {
  const srcDir = path.join(repoRoot, 'src')
  const files = await sourceFiles(srcDir)
  assert.ok(files.length > 0, 'no TypeScript files found under src/')
  const violations: Violation[] = []
  for (const file of files) {
    violations.push(...violationsOf(path.relative(srcDir, file), await readFile(file, 'utf8')))
  }
  assert.deepEqual(
    violations.map((v) => `src/${v.file}: ${v.imported ? `'${v.imported}' — ` : ''}${v.reason}`),
    [],
  )
})
