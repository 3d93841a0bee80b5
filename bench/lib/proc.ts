// Child processes of the bench (brokers, load generators) and what /proc says
// about them. Every process started here is registered and killed by PID on
// exit, whatever way the bench ends.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

const live = new Set<ChildProcess>();

export function startProcess(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL when the process has not exited within graceMs. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (!alive(child) || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (alive(child) && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Last resort on exit: synchronous, so it also works from process.on('exit'). */
export function killAllSync(): void {
  for (const child of live) {
    if (alive(child) && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

/** Resolves with the first stdout line matching `pattern`, rejects on exit or timeout. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = line.match(pattern);
        if (m) {
          finish();
          resolve(m);
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      finish();
      reject(new Error(`exited (code ${code}, signal ${signal}) before printing ${pattern}`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** VmRSS in bytes, or null when the process is gone. */
export async function rssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

let clockTicks = 100;
/** Set once at start-up from `getconf CLK_TCK`. */
export function setClockTicks(ticks: number): void {
  if (ticks > 0) clockTicks = ticks;
}

/** User + system CPU seconds of a process (threads included), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks;
  } catch {
    return null;
  }
}

/** Samples VmRSS every intervalMs until stopped; reports the peak. */
export class RssSampler {
  peak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number, intervalMs = 100) {
    const sample = async (): Promise<void> => {
      const rss = await rssBytes(this.pid);
      if (rss !== null && rss > this.peak) this.peak = rss;
    };
    void sample();
    this.timer = setInterval(() => void sample(), intervalMs);
  }

  async stop(): Promise<number> {
    clearInterval(this.timer);
    const rss = await rssBytes(this.pid);
    if (rss !== null && rss > this.peak) this.peak = rss;
    return this.peak;
  }
}

export interface ToolResult {
  json: Record<string, unknown> | null;
  code: number | null;
  stderr: string;
}

/** Runs a tool to completion, collecting its one JSON line and its stderr. */
export function runTool(command: string, args: string[], timeoutMs: number): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = startProcess(command, args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => {
      // Keep the head and the tail of a chatty stderr.
      if (stderr.length < 200_000) stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => void stopProcess(child, 2_000), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      let json: Record<string, unknown> | null = null;
      if (line) {
        try {
          json = JSON.parse(line) as Record<string, unknown>;
        } catch {
          json = null;
        }
      }
      resolve({ json, code, stderr });
    });
  });
}
