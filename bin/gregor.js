#!/usr/bin/env node
// Launcher of the CLI. Set UV_THREADPOOL_SIZE in the environment (not in code) to size libuv's pool.
// CommonJS (bin/package.json): Node starts a CommonJS entry point a few ms faster than an ES module.
//
// Runs the single-file bundle that `npm run build` makes (scripts/build.mjs) when it is at least as
// new as tsc's last build, with V8's code cache of it when that was made from this very bundle: V8
// then skips compiling what a start-up runs (~15 ms). Otherwise, e.g. after a bare `tsc` that left
// the bundle behind, it runs the compiled ES modules in dist/src; so it does under
// --enable-source-maps, which Node applies to those modules but not to the bundle.
'use strict'
const { readFileSync, statSync } = require('node:fs')
const path = require('node:path')

const dist = path.join(__dirname, '..', 'dist')
const bundleFile = path.join(dist, 'bundle', 'gregor.cjs')
const modifiedMs = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs
const bundledMs = modifiedMs(bundleFile)
const compiledMs = modifiedMs(path.join(dist, '.tsbuildinfo'))
const argv = process.argv.slice(2)

if (bundledMs !== undefined && (compiledMs === undefined || bundledMs >= compiledMs) && !process.sourceMapsEnabled) {
  runBundle()
} else if (modifiedMs(path.join(dist, 'src', 'cli', 'main.js')) !== undefined) {
  import('../dist/src/cli/main.js').then((cli) => cli.run(argv))
} else {
  console.error('gregor: dist/ is missing; run `npm run build` first')
  process.exit(1)
}

function runBundle() {
  const vm = require('node:vm')
  const source = readFileSync(bundleFile)
  let cachedData
  try {
    const cache = readFileSync(path.join(dist, 'bundle', 'gregor.cache'))
    const digest = require('node:crypto').createHash('sha1').update(source).digest()
    if (cache.subarray(0, digest.length).equals(digest)) cachedData = cache.subarray(digest.length)
  } catch {
    // The cache only saves time: without a readable one, V8 compiles the bundle.
  }
  // The bundle is ASCII, so latin1 decodes it exactly, into a one-byte string.
  const script = new vm.Script(source.toString('latin1'), { filename: bundleFile, cachedData })
  const bundle = { exports: {} }
  script.runInThisContext()(bundle.exports, require('node:module').createRequire(bundleFile), bundle, bundleFile, path.dirname(bundleFile))
  bundle.exports.run(argv)
}
