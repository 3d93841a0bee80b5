// bin/gregor.js: runs the single-file bundle of `npm run build` (with its V8 code cache when that
// belongs to this very bundle), and the compiled modules of dist/src when the bundle is missing or
// older than tsc's last build, so a bare `tsc` never leaves the CLI running stale code.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import vm from 'node:vm'
import { repoRoot } from '../helpers/paths.js'
import { runOk } from '../helpers/processes.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const BUNDLE = `(function (exports, require, module, __filename, __dirname) {
  exports.line = (argv) => 'bundle ' + argv.join(' ')
  exports.run = (argv) => { console.log(exports.line(argv)) }
})`

/** A copy of the launcher over a dist/ with a fake bundle and fake compiled modules. */
function fakeInstall(): { root: string; dist: string; launcher: string; setModified(file: string, seconds: number): void } {
  const root = tmpDir('gregor-launcher-').path
  const dist = path.join(root, 'dist')
  mkdirSync(path.join(root, 'bin'))
  mkdirSync(path.join(dist, 'bundle'), { recursive: true })
  mkdirSync(path.join(dist, 'src', 'cli'), { recursive: true })
  for (const file of ['gregor.js', 'package.json']) copyFileSync(path.join(repoRoot, 'bin', file), path.join(root, 'bin', file))
  writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(path.join(dist, 'src', 'cli', 'main.js'), "export function run(argv) { console.log('modules ' + argv.join(' ')) }\n")
  writeFileSync(path.join(dist, 'bundle', 'gregor.cjs'), BUNDLE)
  writeFileSync(path.join(dist, '.tsbuildinfo'), '{}')
  return {
    root, dist, launcher: path.join(root, 'bin', 'gregor.js'),
    setModified(file, seconds) {
      utimesSync(path.join(dist, file), seconds, seconds)
    },
  }
}

async function launch(launcher: string): Promise<string> {
  return (await runOk(process.execPath, [launcher, 'a', 'b'])).stdout
}

test('the launcher runs the bundle when it is at least as new as the tsc build, the compiled modules otherwise', async () => {
  const install = fakeInstall()
  install.setModified('.tsbuildinfo', 1_000_000)
  install.setModified('bundle/gregor.cjs', 1_000_000)
  assert.equal(await launch(install.launcher), 'bundle a b\n')
  install.setModified('.tsbuildinfo', 1_000_001)
  assert.equal(await launch(install.launcher), 'modules a b\n', 'a bare tsc after the bundle: the bundle is stale')
})

test('the launcher runs the bundle whatever its code cache holds: one made for other bytes is ignored', async () => {
  const install = fakeInstall()
  const cacheFile = path.join(install.dist, 'bundle', 'gregor.cache')
  // A cache of another bundle of the same length, holding the bytecode of its line(): V8 alone would
  // accept it and run that bytecode.
  const other = BUNDLE.replace("'bundle '", "'BUNDLE '")
  const otherScript = new vm.Script(other, { filename: 'other.cjs' })
  const otherExports: { line?: (argv: string[]) => string } = {}
  otherScript.runInThisContext()(otherExports)
  assert.equal(otherExports.line!(['x']), 'BUNDLE x')
  const otherCache = otherScript.createCachedData()
  writeFileSync(cacheFile, Buffer.concat([createHash('sha1').update(other).digest(), otherCache]))
  assert.equal(await launch(install.launcher), 'bundle a b\n')
  writeFileSync(cacheFile, 'not a cache')
  assert.equal(await launch(install.launcher), 'bundle a b\n')
  const ownCache = new vm.Script(BUNDLE, { filename: 'gregor.cjs' }).createCachedData()
  writeFileSync(cacheFile, Buffer.concat([createHash('sha1').update(BUNDLE).digest(), ownCache]))
  assert.equal(await launch(install.launcher), 'bundle a b\n')
})

test('the bundle npm run build made carries a code cache for exactly its bytes that this V8 accepts', (t) => {
  const bundleFile = path.join(repoRoot, 'dist', 'bundle', 'gregor.cjs')
  const modifiedMs = (file: string) => statSync(file, { throwIfNoEntry: false })?.mtimeMs
  const bundledMs = modifiedMs(bundleFile)
  const compiledMs = modifiedMs(path.join(repoRoot, 'dist', '.tsbuildinfo'))
  if (bundledMs === undefined || (compiledMs !== undefined && bundledMs < compiledMs)) {
    t.skip('no current bundle (built with a bare tsc, not npm run build)')
    return
  }
  const source = readFileSync(bundleFile)
  const cache = readFileSync(path.join(repoRoot, 'dist', 'bundle', 'gregor.cache'))
  const digest = createHash('sha1').update(source).digest()
  assert.ok(cache.subarray(0, digest.length).equals(digest), 'the cache names this bundle')
  const script = new vm.Script(source.toString('latin1'), { filename: bundleFile, cachedData: cache.subarray(digest.length) })
  assert.equal(script.cachedDataRejected, false)
})
