// The Go test programs in test/interop/go/<name>/ (sarama, kafkago): built offline against Debian's
// Go library packages (GOPATH mode, sources under /usr/share/gocode/src, no module proxy), cached
// under .tmp/go/ by a hash of the sources and the toolchain, and run like the Python helpers: a
// command and one JSON object in, one JSON document out.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { repoRoot } from '../../helpers/paths.js'
import { runOk } from '../../helpers/processes.js'

export type GoProgram = 'sarama' | 'kafkago'

const GO_DIR = path.join(repoRoot, '.tmp', 'go')

/** Go's environment for an offline GOPATH-mode build (Debian ships library sources, no modules). */
function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: `/usr/share/gocode:${path.join(GO_DIR, 'gopath')}`,
    GOCACHE: path.join(GO_DIR, 'cache'),
    GOPROXY: 'off',
    GOFLAGS: '',
    // sarama's zstd binding calls a function libzstd marks deprecated; the warning is noise.
    CGO_CFLAGS: '-O2 -g -Wno-deprecated-declarations',
  }
}

/** Builds test/interop/go/<name> unless a binary for the same sources and toolchain exists; returns its path. */
export async function buildGoProgram(name: GoProgram): Promise<string> {
  const sourceDir = path.join(repoRoot, 'test', 'interop', 'go', name)
  const env = goEnv()
  const hash = createHash('sha256')
  hash.update((await runOk('go', ['version'], { env })).stdout)
  for (const file of (await readdir(sourceDir)).filter((f) => f.endsWith('.go')).sort()) {
    hash.update(file).update(await readFile(path.join(sourceDir, file)))
  }
  const binary = path.join(GO_DIR, 'bin', `${name}-${hash.digest('hex').slice(0, 16)}`)
  if (existsSync(binary)) return binary
  await mkdir(path.dirname(binary), { recursive: true })
  // Concurrent test files may build the same program: each writes its own file, then renames.
  const partial = `${binary}.${process.pid}.tmp`
  try {
    await runOk('go', ['build', '-o', partial, '.'], { cwd: sourceDir, env, timeoutMs: 240_000 })
    await rename(partial, binary)
  } finally {
    await rm(partial, { force: true })
  }
  return binary
}

/** Runs `binary command` with `input` as JSON on stdin; returns the JSON document it prints. */
export async function runGo<T>(binary: string, command: string, input: object, timeoutMs = 60_000): Promise<T> {
  const { stdout } = await runOk(binary, [command], { input: JSON.stringify(input), timeoutMs })
  const lastLine = stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(lastLine) as T
  } catch {
    throw new Error(`${path.basename(binary)} ${command}: no JSON result on stdout: ${stdout}`)
  }
}
