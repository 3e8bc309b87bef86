import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openStore } from '../../../src/store/store.ts';
import { loadStoreConfig } from '../../../src/store/store-config.ts';
import { runCli } from '../../support/cli.ts';

// The embedded store is PGlite: one process per data directory. Two processes on one directory used to lose
// each other's rows without a word; now the second is refused, naming the first, and nothing acknowledged
// is lost, even when the holder is killed without closing.

const WRITER = join(import.meta.dirname, '../../support/store-writer.ts');

interface Writer {
  child: ChildProcess;
  acked: string[];
  /** Resolves with the line that ended the writer's work: `holding` or `refused …`. */
  settled: Promise<string>;
  exited: Promise<number | null>;
}

function startWriter(base: string, count: number, prefix: string): Writer {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', WRITER, base, String(count), prefix], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const settled = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ack ')) acked.push(line.slice(4));
      else resolve(line);
    });
    void exited.then((code) => reject(new Error(`store writer exited (${code}) before it settled`)));
  });
  return { child, acked, settled, exited };
}

async function keysIn(base: string): Promise<string[]> {
  const store = await openStore(loadStoreConfig({ CI_REMEDIATOR_DATA_DIR: base }));
  try {
    const page = await store.queryAudit({}, { limit: 1000 });
    return page.items.map((entry) => entry.idempotencyKey).sort();
  } finally {
    await store.close();
  }
}

describe('the embedded store with two processes on one data directory', () => {
  let base: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'ci-remediator-lock-'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('refuses the second process by name, and keeps every write the first acknowledged, through a kill -9', async () => {
    const first = startWriter(base, 12, 'first');
    expect(await first.settled).toBe('holding');

    const second = startWriter(base, 5, 'second');
    const refusal = await second.settled;
    expect(refusal).toMatch(/^refused STORE_LOCKED /);
    expect(refusal).toContain(`in use by process ${first.child.pid}`);
    expect(refusal).toContain('CI_REMEDIATOR_DATABASE_URL');
    expect(await second.exited).toBe(3);
    expect(second.acked).toEqual([]);

    // The CLI, as a user runs it beside the operator: a clear error and a non-zero exit, not an empty list.
    const audit = await runCli(['audit'], { env: { CI_REMEDIATOR_DATA_DIR: base } });
    expect(audit.code).not.toBe(0);
    expect(audit.stderr).toContain(`in use by process ${first.child.pid}`);

    // A crash: no close, the lock file stays behind, naming a pid that no longer runs.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(base, 'store.lock'))).toBe(true);

    expect(await keysIn(base)).toEqual([...first.acked].sort());
    expect(first.acked).toHaveLength(12);
  });

  it('frees the directory when the holder closes it, and the next process sees all rows', async () => {
    const before = await keysIn(base);
    const writer = startWriter(base, 4, 'third');
    expect(await writer.settled).toBe('holding');
    writer.child.kill('SIGTERM');
    expect(await writer.exited).toBe(0);
    expect(existsSync(join(base, 'store.lock'))).toBe(false);
    expect(await keysIn(base)).toEqual([...before, ...writer.acked].sort());
  });

  it('refuses a second open inside one process until the first is closed', async () => {
    const config = loadStoreConfig({ CI_REMEDIATOR_DATA_DIR: base });
    const store = await openStore(config);
    try {
      await expect(openStore(config)).rejects.toMatchObject({ code: 'STORE_LOCKED', message: expect.stringContaining('already open in this process') });
    } finally {
      await store.close();
    }
    const again = await openStore(config);
    await again.close();
  });
});
