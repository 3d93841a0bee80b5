// @ts-check
// `npm run build`: compiles, bundles, and records a V8 code cache of the bundle.
//
// 1. tsc compiles src/, test/, scripts/ and bench/ to dist/.
// 2. esbuild bundles the compiled CLI (dist/src/cli/main.js and all it imports, pino included)
//    into dist/bundle/gregor.cjs, which bin/gregor.js runs: one file to compile instead of ~150
//    ES modules to resolve, load and link. The file is one function expression taking CommonJS's
//    (exports, require, module, __filename, __dirname), so bin/gregor.js can compile it with
//    vm.Script, the only way Node 20 offers to hand V8 a code cache. Native addons stay outside
//    (node_modules), each loaded on first use.
// 3. The bundle starts a broker in this process on a scratch directory, answers one ApiVersions
//    and one Metadata request and shuts down; then V8's code cache of the bundle (bytecode of every
//    function compiled so far, i.e. those a broker start-up runs) goes to dist/bundle/gregor.cache,
//    behind the SHA-1 of the bundle it belongs to. bin/gregor.js uses it only for that exact bundle
//    (V8 itself checks no more than the source's length) and V8 rejects it when its version or
//    flags differ; without it V8 compiles as usual. If the warm-up fails, there is no cache.
//
// The bundle is made from tsc's output, so it is the very code the in-process tests run. tsc
// emits even when it reports type errors; the bundle is then still made, and the build fails.
// Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const bundleFile = path.join(root, 'dist/bundle/gregor.cjs')
const cacheFile = path.join(root, 'dist/bundle/gregor.cache')

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
if (tsc.error !== undefined) throw tsc.error

rmSync(cacheFile, { force: true })
const bundled = await build({
  absWorkingDir: root,
  write: false,
  entryPoints: ['dist/src/cli/main.js'],
  outfile: bundleFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Not minified: stack traces point at readable lines (each module's code follows a comment
  // naming it); with the code cache, minifying saves no start-up time. No source map: Node does
  // not apply one to code compiled with vm.Script (bin/gregor.js runs dist/src under
  // --enable-source-maps instead).
  // ASCII only (strings escaped here, comments below), so bin/gregor.js can decode it as latin1:
  // V8 then keeps the source one byte per character.
  charset: 'ascii',
  external: ['snappy', 'lz4-napi', '@mongodb-js/zstd', '@node-rs/crc32'],
  define: { 'import.meta.url': 'bundleUrl' },
  banner: { js: '(function (exports, require, module, __filename, __dirname) {const bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  footer: { js: '})' },
  logLevel: 'warning',
})
// esbuild leaves comments as they are; a \u escape reads the same there (and would anywhere else).
const code = bundled.outputFiles[0].text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
mkdirSync(path.dirname(bundleFile), { recursive: true })
writeFileSync(bundleFile, code)

const source = readFileSync(bundleFile)
const script = new vm.Script(source.toString('latin1'), { filename: bundleFile })
const bundle = { exports: /** @type {Record<string, any>} */ ({}) }
script.runInThisContext()(bundle.exports, createRequire(bundleFile), bundle, bundleFile, path.dirname(bundleFile))
try {
  await warmUp(bundle.exports.main)
  writeFileSync(cacheFile, Buffer.concat([createHash('sha1').update(source).digest(), script.createCachedData()]))
} catch (error) {
  // The bundle runs without the cache, only slower to start; a broker that cannot start fails the tests.
  console.warn(`build: no code cache for the bundle: ${error instanceof Error ? error.message : String(error)}`)
}

// Explicitly: nothing the warm-up broker might have left behind keeps the build waiting.
process.exit(tsc.status ?? 1)

/**
 * Runs `gregor server start` in this process until it answers ApiVersions and Metadata, then stops
 * it as SIGTERM would.
 * @param {(argv: string[], io: object) => Promise<number>} main
 */
async function warmUp(main) {
  const logDir = mkdtempSync(path.join(tmpdir(), 'gregor-build-'))
  try {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let errors = ''
    stderr.on('data', (chunk) => (errors += chunk))
    const listening = new Promise((resolve) => {
      let text = ''
      stdout.on('data', (chunk) => {
        text += chunk
        const address = /listening on (\S+):(\d+)/.exec(text)
        if (address !== null) resolve({ host: address[1], port: Number(address[2]) })
      })
    })
    const status = main(['server', 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logDir}`],
      { stdin: new PassThrough(), stdout, stderr })
    const address = await Promise.race([listening, status.then((code) => { throw new Error(`broker exited ${code}: ${errors}`) })])
    await probe(/** @type {{ host: string, port: number }} */ (address))
    process.emit('SIGTERM', 'SIGTERM')
    const code = await status
    if (code !== 0) throw new Error(`broker exited ${code}: ${errors}`)
  } finally {
    rmSync(logDir, { recursive: true, force: true })
  }
}

/**
 * ApiVersions v0 and Metadata v1 (all topics), as a client's first requests; resolves on both answers.
 * @param {{ host: string, port: number }} address
 */
function probe({ host, port }) {
  const request = (/** @type {number} */ apiKey, /** @type {number} */ version, /** @type {number} */ correlationId, /** @type {Buffer} */ body) => {
    const header = Buffer.alloc(14)
    header.writeInt32BE(10 + body.length, 0)
    header.writeInt16BE(apiKey, 4)
    header.writeInt16BE(version, 6)
    header.writeInt32BE(correlationId, 8)
    header.writeInt16BE(0, 12) // client id ""
    return Buffer.concat([header, body])
  }
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    let received = Buffer.alloc(0)
    let answers = 0
    socket.on('error', reject)
    socket.on('connect', () => socket.write(Buffer.concat([request(18, 0, 1, Buffer.alloc(0)), request(3, 1, 2, Buffer.from([0xff, 0xff, 0xff, 0xff]))])))
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      while (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        received = received.subarray(4 + received.readInt32BE(0))
        if (++answers === 2) {
          socket.end()
          resolve(undefined)
        }
      }
    })
  })
}
