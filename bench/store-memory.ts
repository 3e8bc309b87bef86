// `npm run bench:store-memory`: what the store costs a process in memory, per engine. Each case runs in a
// fresh child process (memory is per process, and V8's WASM flags are process-wide): open the store (a
// first open creates the database), write 200 audit rows, read them back, idle 2 s, then report the
// resident set (VmRSS) and its peak (VmHWM) from /proc/self/status. Cases:
//   embedded, first open   openStore on an empty data directory (initdb runs)
//   embedded               openStore on that directory again (what every later start costs)
//   pglite defaults        PGlite itself with its stock settings and V8's default WASM tiering: the baseline
//                          the embedded store's settings (src/store/connection.ts) are measured against
//   postgresql             openStore on a throwaway database of the PostgreSQL server at
//                          CI_REMEDIATOR_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
// Linux only (/proc). Prints one line per case and a table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROWS = 200;

interface Figures {
  case: string;
  rssMiB: number;
  peakMiB: number;
  openMs: number;
}

function memory(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

async function child(kind: string, target: string): Promise<void> {
  const started = performance.now();
  if (kind === 'pglite-defaults') {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(target);
    await db.waitReady;
    const openMs = Math.round(performance.now() - started);
    await db.query('create table if not exists bench_rows (id serial primary key, body text)');
    for (let i = 0; i < ROWS; i++) await db.query('insert into bench_rows (body) values ($1)', [`row ${i}`]);
    await db.query('select count(*) from bench_rows');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const { rss, peak } = memory();
    process.stdout.write(`${JSON.stringify({ rss, peak, openMs })}\n`);
    await db.close();
    return;
  }
  const { openStore } = await import('../src/store/store.ts');
  const { loadStoreConfig } = await import('../src/store/store-config.ts');
  const env = kind === 'postgresql' ? { CI_REMEDIATOR_DATABASE_URL: target } : { CI_REMEDIATOR_DATA_DIR: target };
  const store = await openStore(loadStoreConfig(env));
  const openMs = Math.round(performance.now() - started);
  for (let i = 0; i < ROWS; i++) {
    await store.appendAudit({ idempotencyKey: `bench-memory/${process.pid}/${i}`, actor: 'bench', actorType: 'system', action: 'write', outcome: 'succeeded' });
  }
  await store.queryAudit({}, { limit: 100 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const { rss, peak } = memory();
  process.stdout.write(`${JSON.stringify({ rss, peak, openMs })}\n`);
  await store.close();
}

function run(name: string, kind: string, target: string): Figures {
  const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', import.meta.filename, '--child', kind, target], { encoding: 'utf8' });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`${name} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  const { rss, peak, openMs } = JSON.parse(line) as { rss: number; peak: number; openMs: number };
  const figures = { case: name, rssMiB: rss, peakMiB: peak, openMs };
  console.log(JSON.stringify(figures));
  return figures;
}

/** A database of its own on the PostgreSQL server, dropped afterwards (the store migrates into it). */
async function withThrowawayDatabase<T>(use: (url: string) => T): Promise<T> {
  const admin = new URL(process.env.CI_REMEDIATOR_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `bench_store_memory_${process.pid}`;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
    const url = new URL(admin.href);
    url.pathname = `/${name}`;
    try {
      return use(url.href);
    } finally {
      await client.query(`drop database if exists ${name} with (force)`);
    }
  } finally {
    await client.end();
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!);
} else {
  const base = mkdtempSync(join(tmpdir(), 'ci-remediator-bench-memory-'));
  const baseline = mkdtempSync(join(tmpdir(), 'ci-remediator-bench-pglite-'));
  try {
    const rows = [
      run('embedded, first open', 'embedded', base),
      run('embedded', 'embedded', base),
      // Twice, like the embedded store: the first run is initdb's.
      run('pglite defaults, first open', 'pglite-defaults', baseline),
      run('pglite defaults', 'pglite-defaults', baseline),
      await withThrowawayDatabase((url) => run('postgresql', 'postgresql', url)),
    ];
    console.log('\n| case | RSS after 200 writes, idle (MiB) | peak RSS (MiB) | open (ms) |\n| --- | --- | --- | --- |');
    for (const row of rows) console.log(`| ${row.case} | ${row.rssMiB} | ${row.peakMiB} | ${row.openMs} |`);
  } finally {
    rmSync(base, { recursive: true, force: true });
    rmSync(baseline, { recursive: true, force: true });
  }
}
