import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BUILD_ERROR_ENV, REPO_ROOT, processAlive } from './cluster-setup.ts';
import { eventually } from './kube.ts';

/**
 * The operator as a black box: `node bin/ci-remediator.js operator [flags]`, spawned with its own flags,
 * its pino JSON lines collected, its HTTP port learnt from the "http server listening" line, and its
 * /metrics scraped. Tests never import operator/: they see what a cluster administrator would.
 */

export const CLI = join(REPO_ROOT, 'bin', 'ci-remediator.js');

export interface OperatorOptions {
  kubeconfig: string;
  /** --namespace (the namespaces it watches). */
  namespaces: string[];
  /** --database-url (postgres://…). */
  databaseUrl: string;
  identity?: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId?: string;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  resyncPeriod?: string;
  maxConcurrentReconciles?: number;
  logLevel?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** How long to wait for "http server listening" (default 60 s: a loaded 2-core machine). */
  startTimeoutMs?: number;
}

export interface LogLine {
  msg?: string;
  level?: number | string;
  time?: number;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OperatorProcess {
  identity: string;
  pid: number;
  /** The health and ingest port. */
  port: number;
  /** The /metrics port (its own, never the ingest port). */
  metricsPort: number;
  /** Every JSON line printed so far (non-JSON lines are kept as { msg: '<raw>', raw: true }). */
  logs: LogLine[];
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  hasExited(): boolean;
  /** Waits for a log line matching `match` (already printed or printed later). */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number, description?: string): Promise<LogLine>;
  get(path: string, port?: number): Promise<{ status: number; body: string }>;
  metrics(): Promise<Metrics>;
  /** SIGTERM (default) or SIGKILL, then waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** Freezes / resumes the process (SIGSTOP / SIGCONT). */
  pause(): void;
  resume(): void;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
  /** CPU time (user + system) consumed so far, in seconds. */
  cpuSeconds(): number;
  /** The last lines of output, for failure messages. */
  tail(lines?: number): string;
}

const running = new Set<OperatorProcess>();
// An operator must not outlive the test or benchmark that started it, even one that crashed.
process.once('exit', () => {
  for (const operator of running) {
    try {
      process.kill(operator.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Fails fast with the build's own error when globalSetup could not build dist/. */
export function assertBuilt(): void {
  const error = process.env[BUILD_ERROR_ENV];
  if (error) throw new Error(`the operator cannot be tested: ${error}`);
}

export function operatorArgs(options: OperatorOptions, identity: string): string[] {
  const args = [
    'operator',
    '--kubeconfig', options.kubeconfig,
    '--namespace', options.namespaces.join(','),
    '--database-url', options.databaseUrl,
    '--identity', identity,
    '--http-address', '127.0.0.1',
    '--http-port', '0',
    '--metrics-address', '127.0.0.1',
    '--metrics-port', '0',
    options.leaderElect === false ? '--no-leader-elect' : '--leader-elect',
  ];
  const optional: Array<[string, string | number | undefined]> = [
    ['--leader-election-namespace', options.leaderElectionNamespace],
    ['--leader-election-id', options.leaderElectionId],
    ['--lease-duration', options.leaseDuration],
    ['--renew-deadline', options.renewDeadline],
    ['--retry-period', options.retryPeriod],
    ['--resync-period', options.resyncPeriod],
    ['--max-concurrent-reconciles', options.maxConcurrentReconciles],
    ['--log-level', options.logLevel],
  ];
  for (const [flag, value] of optional) if (value !== undefined) args.push(flag, String(value));
  return [...args, ...(options.extraArgs ?? [])];
}

/** Spawns the operator and waits until it says its HTTP server is listening. */
export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  assertBuilt();
  const identity = options.identity ?? `test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const child: ChildProcess = spawn(process.execPath, [CLI, ...operatorArgs(options, identity)], {
    cwd: REPO_ROOT,
    // GitHub credentials from the developer's shell must never reach an operator under test (it would act on
    // real repositories); a test that wants execution passes them in `env`, pointing at a local server.
    env: { ...withoutGitHubCredentials(process.env), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the operator');
  const logs: LogLine[] = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
      for (const wake of waiters.splice(0)) wake();
    }),
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as unknown;
      logs.push(typeof parsed === 'object' && parsed !== null ? (parsed as LogLine) : { msg: line, raw: true });
    } catch {
      logs.push({ msg: line, raw: true });
    }
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-64 * 1024);
  });

  const tail = (lines = 30): string =>
    [...logs.slice(-lines).map((line) => JSON.stringify(line)), stderr ? `stderr: ${stderr.slice(-4000)}` : ''].filter(Boolean).join('\n');

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 30_000, description = 'log line'): Promise<LogLine> =>
    new Promise<LogLine>((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => {
        reject(new Error(`operator ${identity}: no ${description} within ${timeoutMs} ms; last output:\n${tail()}`));
      }, timeoutMs);
      const check = (): void => {
        for (; seen < logs.length; seen++) {
          const line = logs[seen] as LogLine;
          if (match(line)) {
            clearTimeout(timer);
            resolve(line);
            return;
          }
        }
        if (exit !== null) {
          clearTimeout(timer);
          reject(new Error(`operator ${identity} exited (${JSON.stringify(exit)}) before ${description}; last output:\n${tail()}`));
          return;
        }
        waiters.push(check);
      };
      check();
    });

  let port: number;
  let metricsPort: number;
  try {
    const listening = await waitForLog((line) => line.msg === 'http server listening', options.startTimeoutMs ?? 60_000, '"http server listening" line');
    port = Number(listening.port);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`"http server listening" without a port: ${JSON.stringify(listening)}`);
    const metricsListening = await waitForLog((line) => line.msg === 'metrics server listening', 10_000, '"metrics server listening" line');
    metricsPort = Number(metricsListening.port);
  } catch (error) {
    if (exit === null) {
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }

  const get = async (path: string, on = port): Promise<{ status: number; body: string }> => {
    const response = await fetch(`http://127.0.0.1:${on}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  };

  const handle: OperatorProcess = {
    identity,
    pid,
    port,
    metricsPort,
    logs,
    stderr: () => stderr,
    exited,
    hasExited: () => exit !== null,
    waitForLog,
    get,
    metrics: async () => {
      const { status, body } = await get('/metrics', metricsPort);
      if (status !== 200) throw new Error(`/metrics answered ${status}`);
      return parseMetrics(body);
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) => {
      if (exit !== null) return exit;
      if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') {
        // A frozen process cannot act on SIGTERM.
        child.kill('SIGCONT');
      }
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      running.delete(handle);
      return result;
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    peakRss: () => procStatusKb(pid, 'VmHWM') * 1024,
    cpuSeconds: () => cpuSeconds(pid),
    tail,
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

function withoutGitHubCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { GITHUB_TOKEN: _token, GITHUB_API_URL: _url, ...rest } = env;
  return rest;
}

/** SIGKILLs every operator this test file started and has not stopped (for afterAll, and on failures). */
export async function killAllOperators(): Promise<void> {
  await Promise.all([...running].map((operator) => operator.stop('SIGKILL')));
}

/** Waits for /readyz to answer 200. */
export async function waitReady(operator: OperatorProcess, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const { status, body } = await operator.get('/readyz');
      if (status !== 200) throw new Error(`/readyz answered ${status}: ${body.slice(0, 200)}`);
    },
    { timeoutMs, intervalMs: 250, description: `operator ${operator.identity} ready` },
  );
}

// ----------------------------------------------------------------------------------------------- metrics

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class Metrics {
  readonly samples: Sample[];
  readonly text: string;

  constructor(text: string, samples: Sample[]) {
    this.text = text;
    this.samples = samples;
  }

  /** Sum of the samples of `name` whose labels include `labels`; 0 when there are none. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
      .reduce((total, sample) => total + sample.value, 0);
  }

  /** Whether the metric is exposed: a sample, or its `# TYPE` line (a labelled counter nothing has incremented yet). */
  has(name: string): boolean {
    return this.samples.some((sample) => sample.name === name || sample.name.startsWith(`${name}_`)) || this.text.includes(`# TYPE ${name} `);
  }
}

/** Prometheus text exposition format, enough of it for assertions: `name{a="b",…} value`. */
export function parseMetrics(text: string): Metrics {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return new Metrics(text, samples);
}

// ------------------------------------------------------------------------------------------------- /proc

/** A field of /proc/<pid>/status in kB (VmHWM, VmRSS), 0 when the process is gone. */
export function procStatusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of a process in seconds (USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export { processAlive };
