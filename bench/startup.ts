// Broker start-up, measured as bench/run.ts does it: spawn `gregor server start` on a fresh log
// directory, wait for the listening line, probe ApiVersions + Metadata until one succeeds. Repeats
// N times and prints the median and range, the main thread's CPU time at that point (steadier than
// wall time when other work shares the machine), and the idle RSS 1 s after start-up.
//
//   flock /tmp/bench.lock node dist/bench/startup.js [--runs 10] [--no-rss] [--existing] [--bin <script>] [-- <extra broker args>]
//
// --bin <script> starts another launcher than bin/gregor.js (to compare builds).
// --existing reuses one log directory for every run after the first (start-up on existing data).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { probeUntil } from './lib/probe.js'
import { killAllSync, rssBytes, startProcess, stopProcess, waitForLine } from './lib/proc.js'
import { median } from './lib/report.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const LISTENING = /Gregor broker (\S+) listening on (\S+):(\d+)/

const argv = process.argv.slice(2)
const dash = argv.indexOf('--')
const own = dash < 0 ? argv : argv.slice(0, dash)
const extra = dash < 0 ? [] : argv.slice(dash + 1)
const runsIndex = own.indexOf('--runs')
const runs = runsIndex < 0 ? 10 : Number(own[runsIndex + 1])
const measureRss = !own.includes('--no-rss')
const reuseDir = own.includes('--existing')
const binIndex = own.indexOf('--bin')
const gregorBin = binIndex < 0 ? join(root, 'bin', 'gregor.js') : resolve(own[binIndex + 1]!)

const tempDir = mkdtempSync(join(tmpdir(), 'gregor-startup-'))
process.on('exit', () => {
  killAllSync()
  rmSync(tempDir, { recursive: true, force: true })
})

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** CPU time of the process's main thread so far (ns resolution; less noisy than wall time on a shared machine). */
function mainThreadCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
}

const startups: number[] = []
const cpus: number[] = []
const rss: number[] = []
const sharedDir = mkdtempSync(join(tempDir, 'data-'))
for (let run = 1; run <= runs; run++) {
  const logDir = reuseDir ? sharedDir : mkdtempSync(join(tempDir, 'data-'))
  const start = performance.now()
  const child = startProcess(process.execPath,
    [gregorBin, 'server', 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logDir}`, ...extra],
    { cwd: root })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)))
  try {
    const m = await waitForLine(child, LISTENING, 60_000)
    await probeUntil(m[2]!, Number(m[3]), performance.now() + 30_000)
  } catch (error) {
    console.error(`run ${run}: ${(error as Error).message}\n${stderr}`)
    process.exit(1)
  }
  const ms = performance.now() - start
  startups.push(ms)
  cpus.push(mainThreadCpuMs(child.pid!))
  if (measureRss) {
    await sleep(1000)
    const bytes = await rssBytes(child.pid!)
    if (bytes !== null) rss.push(bytes / 1024 / 1024)
  }
  await stopProcess(child)
  console.log(`run ${run}: ${ms.toFixed(1)} ms, main thread CPU ${cpus.at(-1)!.toFixed(1)} ms${measureRss ? `, idle RSS ${rss.at(-1)?.toFixed(1)} MiB` : ''}`)
}
const fmt = (values: number[], unit: string): string =>
  `median ${median(values).toFixed(1)} ${unit} (${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)})`
console.log(`start-up over ${runs} runs: ${fmt(startups, 'ms')}`)
console.log(`main thread CPU until then: ${fmt(cpus, 'ms')}`)
if (rss.length > 0) console.log(`idle RSS: ${fmt(rss, 'MiB')}`)
