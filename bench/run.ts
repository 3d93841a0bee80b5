// `npm run bench`: Gregor and a reference broker (librdkafka's in-memory mock
// cluster) measured side by side in one run with the same native librdkafka
// load generator (bench/native/gregor-perf.c). Writes BENCHMARKS.md and
// prints the table. bench/run.sh builds the native tools before this runs.
//
//   node dist/bench/run.js [--quick] [--runs N] [--only gregor|reference] [--no-write] [--write]
//
// --quick (1 run, a tenth of the counts) is for development and leaves
// BENCHMARKS.md alone unless --write is given.
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir, cpus, totalmem, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';

import {
  cpuSeconds,
  killAllSync,
  rssBytes,
  RssSampler,
  runTool,
  setClockTicks,
  startProcess,
  stopProcess,
  waitForLine,
  type ToolResult,
} from './lib/proc.js';
import { probeUntil } from './lib/probe.js';
import {
  cellMedian,
  markdownTable,
  median,
  resultsTable,
  sig,
  type BrokerName,
  type Cell,
  type Row,
} from './lib/report.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const buildDir = join(root, 'bench', 'build');
const perfBin = join(buildDir, 'gregor-perf');
const mockBin = join(buildDir, 'mock-broker');
const gregorBin = join(root, 'bin', 'gregor.js');

const GREGOR_LISTENING = /Gregor broker (\S+) listening on (\S+):(\d+)/;
const MOCK_LISTENING = /Mock cluster listening on (\S+):(\d+)/;
const MIB = 1024 * 1024;
// FindCoordinator, JoinGroup, Heartbeat, SyncGroup: what a group consumer needs.
const GROUP_APIS = [10, 11, 12, 14];

// ----------------------------------------------------------------- options

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const quick = argv.quick ?? false;
const runs = Number(argv.runs ?? (quick ? 1 : 3));
const brokerNames: BrokerName[] =
  argv.only === 'gregor' ? ['gregor'] : argv.only === 'reference' ? ['reference'] : ['gregor', 'reference'];
const scale = quick ? 0.1 : 1;

interface ProduceScenario {
  id: string;
  label: string;
  size: number;
  acks: string;
  compression: string;
  partitions: number;
  count: number;
  cpuRow: boolean;
}

const produceScenarios: ProduceScenario[] = [
  { id: 'p100', label: '100 B, acks=1, 1 partition', size: 100, acks: '1', compression: 'none', partitions: 1, count: 2_000_000, cpuRow: true },
  { id: 'p100x128', label: '100 B, acks=1, 128 partitions', size: 100, acks: '1', compression: 'none', partitions: 128, count: 2_000_000, cpuRow: false },
  { id: 'p1k', label: '1 KiB, acks=all, 1 partition', size: 1024, acks: 'all', compression: 'none', partitions: 1, count: 500_000, cpuRow: true },
  { id: 'lz4', label: '100 B lz4, acks=1, 1 partition', size: 100, acks: '1', compression: 'lz4', partitions: 1, count: 2_000_000, cpuRow: false },
  { id: 'zstd', label: '100 B zstd, acks=1, 1 partition', size: 100, acks: '1', compression: 'zstd', partitions: 1, count: 2_000_000, cpuRow: false },
].map((s) => ({ ...s, count: Math.round(s.count * scale) }));

const LATENCY_TOPIC = 'bench-latency';
const WARMUP_TOPIC = 'bench-warmup';
const latencyDurationS = quick ? 3 : 10;
const RUN_TIMEOUT_S = 120;

const topicName = (s: ProduceScenario, run: number): string => `bench-${s.id}-r${run}`;

function allTopics(): Array<[string, number]> {
  const topics: Array<[string, number]> = [
    [WARMUP_TOPIC, 1],
    [LATENCY_TOPIC, 1],
  ];
  for (const s of produceScenarios) for (let r = 1; r <= runs; r++) topics.push([topicName(s, r), s.partitions]);
  return topics;
}

// ----------------------------------------------------------------- plumbing

const t0 = performance.now();
function log(msg: string): void {
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const tempDir = mkdtempSync(join(tmpdir(), 'gregor-bench-'));
let cleanedUp = false;
function cleanupSync(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  killAllSync();
  rmSync(tempDir, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    cleanupSync();
    process.exit(130);
  });
}

async function perf(args: string[], timeoutS = RUN_TIMEOUT_S): Promise<ToolResult> {
  return runTool(perfBin, [...args, '--timeout-s', String(timeoutS)], (timeoutS + 15) * 1000);
}

const num = (j: Record<string, unknown> | null, key: string): number | null =>
  j && typeof j[key] === 'number' ? (j[key] as number) : null;

function toolFailure(res: ToolResult): string | null {
  if (!res.json) return `no result (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-2).join(' / ')}`;
  if (res.json.status !== 'ok') {
    const notes = Array.isArray(res.json.notes) ? (res.json.notes as string[]).join(' / ') : '';
    const firstError = typeof res.json.first_error === 'string' ? res.json.first_error : '';
    return `${String(res.json.status)}${firstError ? `: ${firstError}` : ''}${notes ? ` (${notes})` : ''}`;
  }
  return null;
}

// ------------------------------------------------------------------ brokers

interface Broker {
  name: BrokerName;
  child: ChildProcess;
  pid: number;
  bootstrap: string;
  groups: boolean;
}

/**
 * Spawns a broker; resolves once it answers Metadata, with the time that took.
 * The mock gets the bench topics on its command line (it has no CreateTopics)
 * unless `bare`; creating them takes it seconds, so start-up is timed bare.
 */
async function spawnBroker(
  name: BrokerName,
  stderrFile: string,
  bare = false,
): Promise<{ broker: Broker; startupMs: number }> {
  const start = performance.now();
  let child: ChildProcess;
  let pattern: RegExp;
  if (name === 'gregor') {
    const logDir = mkdtempSync(join(tempDir, 'gregor-data-'));
    child = startProcess(
      process.execPath,
      [gregorBin, 'server', 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logDir}`],
      { cwd: root },
    );
    pattern = GREGOR_LISTENING;
  } else {
    child = startProcess(mockBin, bare ? [] : allTopics().map(([t, p]) => `${t}:${p}`));
    pattern = MOCK_LISTENING;
  }
  child.stderr?.pipe(createWriteStream(stderrFile));
  let stderrTail = '';
  child.stderr?.on('data', (c: Buffer) => (stderrTail = (stderrTail + c.toString('utf8')).slice(-4000)));
  try {
    const m = await waitForLine(child, pattern, 60_000);
    const host = name === 'gregor' ? m[2] : m[1];
    const port = Number(name === 'gregor' ? m[3] : m[2]);
    const probe = await probeUntil(host, port, performance.now() + 30_000);
    const startupMs = performance.now() - start;
    const groups = GROUP_APIS.every((k) => probe.apis.has(k));
    return { broker: { name, child, pid: child.pid!, bootstrap: `${host}:${port}`, groups }, startupMs };
  } catch (err) {
    await stopProcess(child, 2_000);
    const lastLine = stderrTail.trim().split('\n').pop() ?? '';
    throw new Error(`${(err as Error).message}${lastLine ? `; stderr: ${lastLine.slice(0, 300)}` : ''}`);
  }
}

// -------------------------------------------------------------- results

const rows: Row[] = [];
const raw: Record<string, unknown>[] = [];
const failures: string[] = [];

function newRow(scenario: string, unit: string, better: 'higher' | 'lower'): Row {
  const row: Row = {
    scenario,
    unit,
    better,
    cells: { gregor: { na: 'not run' }, reference: { na: 'not run' } },
  };
  rows.push(row);
  return row;
}

function addValue(row: Row, broker: BrokerName, value: number | null): void {
  if (value === null) return;
  const cell = row.cells[broker];
  if ('values' in cell) cell.values.push(value);
  else if (!('error' in cell)) row.cells[broker] = { values: [value] };
}

function addError(row: Row, broker: BrokerName, message: string): void {
  row.cells[broker] = { error: message };
  failures.push(`${broker}, ${row.scenario}: ${message}`);
}

function setNa(row: Row, broker: BrokerName, why: string): void {
  row.cells[broker] = { na: why };
}

function record(kind: string, broker: BrokerName, extra: Record<string, unknown>, res: ToolResult): void {
  raw.push({ kind, broker, ...extra, result: res.json, exit: res.code });
}

/** Runs `fn` for each broker in an order that alternates with the run number. */
function order(run: number, brokers: Broker[]): Broker[] {
  return run % 2 ? brokers : [...brokers].reverse();
}

// -------------------------------------------------------------- phases

interface Limits {
  loopback: number[];
  disk: number[];
  /** The unmeasured first page-cache pass, reported on its own. */
  diskFirst: number | null;
}

async function machineLimits(): Promise<Limits> {
  const loopback: number[] = [];
  const disk: number[] = [];
  const diskArgs = ['diskwrite', '--dir', tempDir, '--bytes', String(1024 * MIB)];
  // In this VM the first write into fresh guest memory runs at a fraction of
  // the later speed (the hypervisor backs the pages on first touch, and takes
  // freed ones back within seconds); an unmeasured pass right before each
  // measured one makes that the kernel's own page-cache speed.
  let first: ToolResult | null = null;
  for (let r = 1; r <= runs; r++) {
    const l = await perf(['loopback', '--bytes', String((quick ? 1 : 4) * 1024 * MIB)]);
    const unmeasured = await perf(diskArgs);
    if (first === null) {
      first = unmeasured;
      raw.push({ kind: 'diskwrite-first', result: first.json });
    }
    const d = await perf(diskArgs);
    const lv = num(l.json, 'mib_per_s');
    const dv = num(d.json, 'mib_per_s');
    if (lv !== null) loopback.push(lv);
    if (dv !== null) disk.push(dv);
    raw.push({ kind: 'loopback', result: l.json }, { kind: 'diskwrite', result: d.json });
  }
  log(`machine limits: loopback ${sig(median(loopback))} MiB/s, page-cache write ${sig(median(disk))} MiB/s`);
  return { loopback, disk, diskFirst: first === null ? null : num(first.json, 'mib_per_s') };
}

/**
 * Start-up is a short point that moves by tens of ms when the shared host is busy (measured: medians
 * of 112 and 144 ms half an hour apart with the same build), so it gets more spawns than the others.
 */
const startupRuns = quick ? runs : 3 * runs;

/** `node -e ""` spawn to exit, timed next to every start-up spawn: the runtime's own share, in the same host state. */
const bareNodeMs: number[] = [];

function timeBareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = startProcess(process.execPath, ['-e', '']);
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - started));
  });
}

async function startupAndIdle(names: BrokerName[], startupRow: Row, idleRow: Row): Promise<void> {
  for (let r = 1; r <= startupRuns; r++) {
    bareNodeMs.push(await timeBareNode());
    for (const name of r % 2 ? names : [...names].reverse()) {
      try {
        const { broker, startupMs } = await spawnBroker(name, join(buildDir, `${name}-startup.stderr.log`), true);
        addValue(startupRow, name, startupMs);
        if (r <= runs) {
          await sleep(1000);
          const rss = await rssBytes(broker.pid);
          addValue(idleRow, name, rss === null ? null : rss / MIB);
        }
        await stopProcess(broker.child);
        log(`start-up ${name}: ${startupMs.toFixed(1)} ms`);
      } catch (err) {
        addError(startupRow, name, (err as Error).message);
        setNa(idleRow, name, 'did not start');
      }
    }
  }
}

async function createTopics(broker: Broker): Promise<string | null> {
  const args = ['create-topics', '--bootstrap', broker.bootstrap];
  for (const [t, p] of allTopics()) args.push('--topic', t, '--partitions', String(p));
  const res = await perf(args, 60);
  record('create-topics', broker.name, {}, res);
  return toolFailure(res);
}

async function warmUp(broker: Broker): Promise<void> {
  const count = String(Math.round(200_000 * scale));
  const p = await perf(['produce', '--bootstrap', broker.bootstrap, '--topic', WARMUP_TOPIC, '--count', count]);
  const c = await perf(['consume', '--bootstrap', broker.bootstrap, '--topic', WARMUP_TOPIC, '--count', count]);
  const failure = toolFailure(p) ?? toolFailure(c);
  if (failure) log(`warm-up on ${broker.name} failed: ${failure}`);
}

/**
 * Bytes a produce run leaves in the broker's memory at most: the payload plus
 * Kafka's per-record and per-batch overhead, generously.
 */
const runFootprint = (s: ProduceScenario): number => s.count * (s.size + 64) + 64 * MIB;

/**
 * This VM backs guest memory on first touch and takes freed pages back within
 * seconds, so a run that writes into never-touched pages pays the hypervisor
 * (measured: Gregor's 1 KiB produce 300 vs 840 MiB/s, its system time 8x).
 * The page-cache limit is measured on recycled pages; so that a produce run is
 * compared with it on equal terms, an unmeasured page-cache pass of the run's
 * size goes right before every produce run of either broker (the mock's
 * message memory comes from the same free pages).
 */
async function recycleGuestPages(s: ProduceScenario): Promise<void> {
  const res = await perf(['diskwrite', '--dir', tempDir, '--bytes', String(runFootprint(s))]);
  const failure = toolFailure(res);
  if (failure) log(`page-cache pass before ${s.id} failed: ${failure}`);
}

async function producePhase(brokers: Broker[], s: ProduceScenario): Promise<void> {
  const tput = newRow(`Produce ${s.label}`, 'msg/s', 'higher');
  const mib = s.size >= 1024 ? newRow(`Produce ${s.label}`, 'MiB/s', 'higher') : null;
  const p99 = newRow(`Produce ${s.label}: delivery latency p99`, 'ms', 'lower');
  const cpu = s.cpuRow ? newRow(`CPU per GB produced, ${s.label}`, 'CPU s/GB', 'lower') : null;
  // Whether a run was CPU-bound: the client's CPU and all cores the two processes kept busy.
  const clientCpu = s.cpuRow ? newRow(`Client CPU per GB produced, ${s.label}`, 'CPU s/GB', 'lower') : null;
  const coresBusy = s.cpuRow ? newRow(`Cores busy, client + broker, of ${cpus().length}: ${s.label}`, 'cores', 'lower') : null;
  for (let r = 1; r <= runs; r++) {
    for (const b of order(r, brokers)) {
      await recycleGuestPages(s);
      const cpuBefore = cpuSeconds(b.pid);
      const res = await perf([
        'produce', '--bootstrap', b.bootstrap, '--topic', topicName(s, r), '--count', String(s.count),
        '--size', String(s.size), '--acks', s.acks, '--compression', s.compression,
      ]);
      const cpuAfter = cpuSeconds(b.pid);
      record('produce', b.name, { scenario: s.id, run: r }, res);
      const failure = toolFailure(res);
      if (failure) {
        for (const row of [tput, mib, p99, cpu, clientCpu, coresBusy]) if (row) addError(row, b.name, failure);
        log(`produce ${s.id} ${b.name} run ${r}: ${failure}`);
        continue;
      }
      const lat = res.json!.lat_ms as { p99: number } | null;
      addValue(tput, b.name, num(res.json, 'msgs_per_s'));
      if (mib) addValue(mib, b.name, num(res.json, 'mib_per_s'));
      addValue(p99, b.name, lat ? lat.p99 : null);
      const delivered = num(res.json, 'delivered') ?? 0;
      if (cpu && cpuBefore !== null && cpuAfter !== null && delivered > 0) {
        addValue(cpu, b.name, (cpuAfter - cpuBefore) / ((delivered * s.size) / 1e9));
      }
      const clientSeconds = num(res.json, 'client_cpu_s');
      const elapsed = num(res.json, 'elapsed_s');
      if (clientCpu && clientSeconds !== null && delivered > 0) addValue(clientCpu, b.name, clientSeconds / ((delivered * s.size) / 1e9));
      if (coresBusy && clientSeconds !== null && elapsed && cpuBefore !== null && cpuAfter !== null) {
        addValue(coresBusy, b.name, (clientSeconds + cpuAfter - cpuBefore) / elapsed);
      }
      log(`produce ${s.id} ${b.name} run ${r}: ${sig(num(res.json, 'msgs_per_s') ?? 0)} msg/s`);
    }
  }
}

/**
 * The mock keeps only the last 5 MiB of each partition. When it has dropped
 * the head of a topic, both brokers re-read the same number of trailing
 * offsets (the mock's window) until `count` messages are read, so that both
 * serve the same access pattern.
 */
async function consumeWindow(brokers: Broker[], topic: string): Promise<number> {
  const ref = brokers.find((b) => b.name === 'reference');
  if (!ref) return 0;
  const res = await perf(['offsets', '--bootstrap', ref.bootstrap, '--topic', topic], 30);
  const parts = (res.json?.partitions ?? []) as Array<{ low: number; high: number }>;
  if (!parts.some((p) => p.low > 0)) return 0;
  return Math.min(...parts.filter((p) => p.high > p.low).map((p) => p.high - p.low));
}

async function consumePhase(brokers: Broker[], s: ProduceScenario): Promise<void> {
  for (const mode of ['assign', 'group'] as const) {
    const tput = newRow(`Consume (${mode}) ${s.label}`, 'msg/s', 'higher');
    const mib = s.size >= 1024 ? newRow(`Consume (${mode}) ${s.label}`, 'MiB/s', 'higher') : null;
    for (let r = 1; r <= runs; r++) {
      const topic = topicName(s, r);
      const window = await consumeWindow(brokers, topic);
      for (const b of order(r, brokers)) {
        if (mode === 'group' && !b.groups) {
          for (const row of [tput, mib]) if (row) setNa(row, b.name, 'no consumer groups');
          continue;
        }
        const args = ['consume', '--bootstrap', b.bootstrap, '--topic', topic, '--count', String(s.count)];
        if (window > 0) args.push('--window', String(window));
        if (mode === 'group') args.push('--group', `bench-${s.id}-r${r}-${b.name}-${Date.now()}`);
        const res = await perf(args);
        record('consume', b.name, { scenario: s.id, mode, run: r, window }, res);
        const failure = toolFailure(res);
        if (failure) {
          for (const row of [tput, mib]) if (row) addError(row, b.name, failure);
          log(`consume ${mode} ${s.id} ${b.name} run ${r}: ${failure}`);
          continue;
        }
        addValue(tput, b.name, num(res.json, 'msgs_per_s'));
        if (mib) addValue(mib, b.name, num(res.json, 'mib_per_s'));
        log(
          `consume ${mode} ${s.id} ${b.name} run ${r}: ${sig(num(res.json, 'msgs_per_s') ?? 0)} msg/s` +
            (window ? ` (window ${window}, ${String(res.json!.wraps)} wraps)` : ''),
        );
      }
    }
  }
}

async function latencyPhase(brokers: Broker[]): Promise<void> {
  const label = 'End-to-end latency, 10,000 msg/s, 100 B, acks=all, linger 1 ms, fetch wait 1 ms';
  const pRows = { p50: newRow(`${label}: p50`, 'ms', 'lower'), p99: newRow(`${label}: p99`, 'ms', 'lower'), p999: newRow(`${label}: p99.9`, 'ms', 'lower') };
  for (let r = 1; r <= runs; r++) {
    for (const b of order(r, brokers)) {
      const res = await perf([
        'latency', '--bootstrap', b.bootstrap, '--topic', LATENCY_TOPIC, '--rate', '10000',
        '--duration-s', String(latencyDurationS), '--warmup-s', '1', '--size', '100', '--acks', 'all', '--linger-ms', '1',
      ]);
      record('latency', b.name, { run: r }, res);
      const failure = toolFailure(res);
      if (failure) {
        for (const row of Object.values(pRows)) addError(row, b.name, failure);
        log(`latency ${b.name} run ${r}: ${failure}`);
        continue;
      }
      const lat = res.json!.lat_ms as { p50: number; p99: number; p999: number };
      addValue(pRows.p50, b.name, lat.p50);
      addValue(pRows.p99, b.name, lat.p99);
      addValue(pRows.p999, b.name, lat.p999);
      log(`latency ${b.name} run ${r}: p50 ${lat.p50} ms, p99 ${lat.p99} ms`);
    }
  }
}

// --------------------------------------------------------------- report

function machineInfo(librdkafka: string): string[] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return [
    `CPU: ${cpus().length} × ${model}`,
    `RAM: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `Kernel: Linux ${release()}`,
    `Node: ${process.version}`,
    `Client: bench/native/gregor-perf.c on librdkafka ${librdkafka} (Debian librdkafka-dev)`,
    `Reference: librdkafka ${librdkafka} mock cluster, 1 broker (bench/native/mock-broker.c)`,
  ];
}

/** Warnings the broker itself logged (pino JSON on stderr, level ≥ 40). */
function brokerLogIssues(file: string): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) < 40) continue;
      const key = `level ${entry.level}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  return [...counts].slice(0, 10).map(([k, n]) => `${n}× ${k}`);
}

/** Distinct librdkafka warnings seen by the load generator, per broker. */
function clientIssues(broker: BrokerName): string[] {
  const counts = new Map<string, number>();
  for (const entry of raw) {
    if (entry.broker !== broker) continue;
    const result = entry.result as { notes?: string[]; warnings?: number } | null;
    for (const note of result?.notes ?? []) counts.set(note, (counts.get(note) ?? 0) + 1);
  }
  return [...counts].slice(0, 10).map(([k, n]) => `${k} (in ${n} run${n > 1 ? 's' : ''})`);
}

interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

function targets(limits: Limits): Target[] {
  const find = (scenario: string, unit: string): Row | undefined => rows.find((r) => r.scenario === scenario && r.unit === unit);
  const q = (row: Row | undefined): number | null => {
    if (!row) return null;
    const g = cellMedian(row.cells.gregor);
    const r = cellMedian(row.cells.reference);
    return g !== null && r !== null && r > 0 ? g / r : null;
  };
  const out: Target[] = [];
  const ratioTarget = (what: string, row: Row | undefined, min: number): void => {
    const v = q(row);
    out.push({ what, goal: `≥ ${min.toFixed(2)}× reference`, measured: v === null ? 'n/a' : `${v.toFixed(2)}×`, met: v === null ? null : v >= min });
  };
  ratioTarget('Produce 100 B acks=1 (msg/s)', find(`Produce ${produceScenarios[0].label}`, 'msg/s'), 1.0);
  const limit = Math.min(median(limits.loopback), median(limits.disk));
  const p1k = cellMedian(find(`Produce ${produceScenarios[2].label}`, 'MiB/s')?.cells.gregor ?? { na: '' });
  out.push({
    what: 'Produce 1 KiB (MiB/s)',
    goal: `≥ 70% of min(loopback, page cache) = ${sig(0.7 * limit)} MiB/s`,
    measured: p1k === null ? 'n/a' : `${sig(p1k)} MiB/s (${((100 * p1k) / limit).toFixed(0)}%)`,
    met: p1k === null ? null : p1k >= 0.7 * limit,
  });
  ratioTarget('Consume assign, 128 partitions (msg/s)', find(`Consume (assign) ${produceScenarios[1].label}`, 'msg/s'), 1.0);
  ratioTarget('Consume group, 128 partitions (msg/s)', find(`Consume (group) ${produceScenarios[1].label}`, 'msg/s'), 1.0);
  const p99 = rows.find((r) => r.scenario.startsWith('End-to-end') && r.scenario.endsWith(': p99'));
  const lv = q(p99);
  out.push({ what: 'End-to-end p99 at 10,000 msg/s', goal: '≤ 1.25× reference', measured: lv === null ? 'n/a' : `${lv.toFixed(2)}×`, met: lv === null ? null : lv <= 1.25 });
  const su = cellMedian(find('Start-up: process spawn to first successful Metadata', 'ms')?.cells.gregor ?? { na: '' });
  out.push({ what: 'Start-up', goal: '< 150 ms', measured: su === null ? 'n/a' : `${sig(su)} ms`, met: su === null ? null : su < 150 });
  const idle = cellMedian(find('RSS idle (fresh broker, 1 s after start-up)', 'MiB')?.cells.gregor ?? { na: '' });
  out.push({ what: 'Idle RSS', goal: '< 80 MB', measured: idle === null ? 'n/a' : `${sig((idle * MIB) / 1e6)} MB`, met: idle === null ? null : (idle * MIB) / 1e6 < 80 });
  return out;
}

function renderReport(info: string[], limits: Limits, issues: Record<BrokerName, string[]>, elapsedS: number): string {
  const when = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const limitCell = (v: number[]): string => (v.length ? `${sig(median(v))}${v.length > 1 ? ` (${sig(Math.min(...v))}–${sig(Math.max(...v))})` : ''}` : 'n/a');
  const ts = targets(limits);
  return `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) on ${when}; the whole suite took ${Math.round(elapsedS)} s${quick ? ' (--quick: 1 run, one tenth of the counts; not for comparison)' : ''}.
Regenerate instead of editing by hand.

## Method

Gregor and a reference broker are measured in the same run, on the same machine, with the
same client. The reference is librdkafka's built-in mock cluster: a Kafka-protocol broker
that keeps data in memory and writes nothing to disk, so it bounds what protocol handling
alone costs. Gregor runs as \`node bin/gregor.js server start\` with a fresh \`log.dirs\` in a
temporary directory on the local disk and Kafka's default settings otherwise.

The load comes from \`bench/native/gregor-perf.c\`, a small C program on Debian's librdkafka
built at bench time (Node clients saturate long before a broker does). After a short
warm-up, each produce run writes its own topic: ${sig(produceScenarios[0].count)} messages
of 100 B or ${sig(produceScenarios[2].count)} of 1 KiB, random upper-case letters from a pool
of 1024 distinct payloads, round-robin over the partitions, with librdkafka's default
batching (linger 5 ms). Throughput is timed from the first send to the last delivery
report; delivery latency is librdkafka's per-message time from produce() to acknowledgement.
Right before every produce run of either broker, an unmeasured page-cache pass of the run's
size (written and deleted, as the page-cache limit below) hands the run recycled memory:
this VM backs guest pages on first touch and takes freed ones back within seconds, and a run
into never-touched pages paid that instead (Gregor's 1 KiB produce: ~300 instead of
~840 MiB/s, 8× the system time), unlike the page-cache limit it is compared with.
Consume runs read the same number of messages back from the topic of the matching produce
run, right after that scenario's produce runs (this VM's DAMON pageout sheds page cache left
unread for a minute, so data read much later came partly from disk), by assigning all
partitions (no group) or by joining a fresh consumer group, timed from the first message; queued.min.messages is raised to 1,000,000 because librdkafka 2.0
otherwise pauses a partition for up to a second whenever one Fetch of compressed batches
overfills its queue. The mock keeps only the last 5 MiB of each partition: where it has
dropped the head of a topic, both brokers re-read the same number of trailing offsets
(with fetch.wait.max.ms 1) until the count is reached. End-to-end latency produces 100 B
messages at a fixed 10,000 msg/s (acks=all, linger 1 ms, TCP_NODELAY) and consumes them in
the same process (fetch.wait.max.ms 1, fetch.min.bytes 1); the send time travels in the
payload and the first second is warm-up.

Every point is run ${runs} time${runs > 1 ? 's' : ''}, alternating which broker goes first;
cells show the median and, in brackets, the min–max. The machine is shared with other work,
so expect spread. Start-up (${startupRuns} spawns; the idle RSS is taken on the first ${runs}) is
the time from spawning the broker process to its first successful Metadata response
(ApiVersions + Metadata from a raw TCP probe; the mock is started without topics here, as
creating them takes it seconds). RSS is VmRSS from /proc, sampled every 100 ms during all
produce and consume runs for the peak; the mock's RSS includes the messages it holds in memory.
CPU per GB is the broker process's user+system time during a produce run divided by the
payload bytes delivered; the client's is gregor-perf's own (getrusage, all its threads) over
the timed part. Cores busy adds both over the run's elapsed time: near the core count, the
machine is the limit, and every CPU-second the broker spends is taken from the client.
MiB = 2^20 bytes; GB = 10^9 bytes. Raw results of every run: \`bench/build/results-*.json\`.

Machine limits: loopback TCP is one connection between two threads of gregor-perf, 256 KiB
writes. Page-cache write is 1 GiB in 1 MiB writes to a file in the temporary directory that
also holds Gregor's log.dirs, no fsync, each right after an unmeasured pass: in this VM the
first write into fresh guest memory is several times slower (shown separately). The bare
Node.js start shows the state of the shared host during the start-up spawns: the same work
takes ~45% more CPU time in some periods than in others (measured: Gregor's start-up is
~110 or ~160 ms, bare Node.js ~70 or ~110 ms, in runs minutes apart).

## Machine

${info.map((l) => `- ${l}`).join('\n')}

## Results

${resultsTable(rows)}

## Targets (issue 5)

${markdownTable(
  ['Target', 'Goal', 'Gregor', 'Met'],
  ts.map((t) => [t.what, t.goal, t.measured, t.met === null ? 'n/a' : t.met ? 'yes' : 'no']),
)}

## Machine limits

${markdownTable(
  ['Limit', 'Measured', 'Unit'],
  [
    ['Loopback TCP, one connection, 256 KiB writes', limitCell(limits.loopback), 'MiB/s'],
    ['Sequential page-cache write, 1 GiB in 1 MiB writes, no fsync', limitCell(limits.disk), 'MiB/s'],
    ['The same, first pass into fresh guest memory (not counted above)', limits.diskFirst === null ? 'n/a' : sig(limits.diskFirst), 'MiB/s'],
    ['Node.js alone: `node -e ""`, spawn to exit, next to each start-up spawn', limitCell(bareNodeMs), 'ms'],
  ],
)}

## Errors and warnings seen in this run

${(['gregor', 'reference'] as const)
  .map((b) => {
    const list = issues[b];
    return `- ${b === 'gregor' ? 'Gregor' : 'Reference'}: ${list.length ? '' : 'none'}${list.map((l) => `\n  - ${l}`).join('')}`;
  })
  .join('\n')}
`;
}

// ----------------------------------------------------------------- main

async function main(): Promise<void> {
  mkdirSync(buildDir, { recursive: true });
  setClockTicks(Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));
  const version = await perf(['version'], 10);
  const librdkafka = String(version.json?.librdkafka ?? 'unknown');
  const info = machineInfo(librdkafka);
  log(`runs=${runs}${quick ? ' (quick)' : ''}; brokers: ${brokerNames.join(', ')}; temp ${tempDir}`);

  const limits = await machineLimits();

  const startupRow = newRow('Start-up: process spawn to first successful Metadata', 'ms', 'lower');
  const idleRow = newRow('RSS idle (fresh broker, 1 s after start-up)', 'MiB', 'lower');
  await startupAndIdle(brokerNames, startupRow, idleRow);

  const brokers: Broker[] = [];
  for (const name of brokerNames) {
    try {
      const { broker } = await spawnBroker(name, join(buildDir, `${name}.stderr.log`));
      const failure = await createTopics(broker);
      if (failure) {
        log(`${name}: creating topics failed: ${failure}`);
        failures.push(`${name}: creating the bench topics failed: ${failure}`);
        await stopProcess(broker.child);
        continue;
      }
      brokers.push(broker);
      log(`${name} serving on ${broker.bootstrap} (pid ${broker.pid}), consumer groups: ${broker.groups ? 'yes' : 'no'}`);
    } catch (err) {
      log(`${name} did not start: ${(err as Error).message}`);
      failures.push(`${name} did not start: ${(err as Error).message}`);
    }
  }

  const peakRow = newRow('RSS peak during the produce and consume runs', 'MiB', 'lower');
  const afterRow = newRow('RSS after the load, idle again', 'MiB', 'lower');
  if (brokers.length) {
    for (const b of brokers) await warmUp(b);
    const samplers = new Map(brokers.map((b) => [b.name, new RssSampler(b.pid)]));
    // Each scenario's topics are read back right after they are written, as consumers at the
    // tail do: this VM's page cache sheds a few MiB/s of clean pages on its own (measured with
    // fincore: 15% of a 1 GB file within 40 s), so topics read minutes later came partly from disk.
    for (const s of produceScenarios) {
      await producePhase(brokers, s);
      await consumePhase(brokers, s);
    }
    for (const b of brokers) addValue(peakRow, b.name, (await samplers.get(b.name)!.stop()) / MIB);
    await latencyPhase(brokers);
    await sleep(1000);
    for (const b of brokers) {
      const rss = await rssBytes(b.pid);
      addValue(afterRow, b.name, rss === null ? null : rss / MIB);
    }
    for (const b of brokers) await stopProcess(b.child);
  }
  // Rows of a broker that never served say why.
  for (const row of rows) {
    for (const name of ['gregor', 'reference'] as const) {
      const cell: Cell = row.cells[name];
      if ('na' in cell && cell.na === 'not run') {
        row.cells[name] = { na: brokerNames.includes(name) ? 'broker unavailable' : 'not selected' };
      }
    }
  }

  const issues: Record<BrokerName, string[]> = {
    gregor: [...failures.filter((f) => f.startsWith('gregor')), ...clientIssues('gregor'), ...brokerLogIssues(join(buildDir, 'gregor.stderr.log'))],
    reference: [...failures.filter((f) => f.startsWith('reference')), ...clientIssues('reference')],
  };
  const elapsedS = (performance.now() - t0) / 1000;
  const report = renderReport(info, limits, issues, elapsedS);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(buildDir, `results-${stamp}.json`), JSON.stringify({ info, rows, raw }, null, 1));

  process.stdout.write(`${resultsTable(rows)}\n`);
  const gregorServed = brokers.some((b) => b.name === 'gregor');
  if (argv['no-write'] || (quick && !argv.write)) {
    log('BENCHMARKS.md left as it is (--quick or --no-write)');
  } else if (!gregorServed) {
    log('Gregor did not serve: BENCHMARKS.md left as it is (the table above is for development)');
  } else {
    writeFileSync(join(root, 'BENCHMARKS.md'), report);
    log('wrote BENCHMARKS.md');
  }
  log(`done in ${elapsedS.toFixed(0)} s`);
}

main().then(
  () => cleanupSync(),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    cleanupSync();
    process.exitCode = 1;
  },
);
