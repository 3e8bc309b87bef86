// Store benchmark: batched insert rate, each `ci-remediator audit` filter at p95 with the index its plan
// uses, and the metrics aggregates. PostgreSQL with 1,000,000 rows, PGlite with 100,000. Prints figures,
// asserts nothing (targets: filters p95 < 50 ms, metrics < 1 s). Runs in a throwaway database / temp dir.
//   node bench/store.ts [--pg-rows N] [--pglite-rows N] [--skip-pglite] [--skip-postgres]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { CATEGORIES } from '../src/analysis/taxonomy.ts';
import { connect } from '../src/store/connection.ts';
import { loadStoreConfig, type StoreConfig } from '../src/store/store-config.ts';
import { openStore, type Store } from '../src/store/store.ts';
import type { AuditEntryInput, AuditFilters, TimingsInput } from '../src/store/types.ts';
import { createTestDatabase } from '../test/support/postgres.ts';

const { values } = parseArgs({
  options: {
    'pg-rows': { type: 'string', default: '1000000' },
    'pglite-rows': { type: 'string', default: '100000' },
    'skip-pglite': { type: 'boolean', default: false },
    'skip-postgres': { type: 'boolean', default: false },
  },
});

const DAY = 86_400_000;
const NOW = Date.now();
const SPAN_DAYS = 180;
const BATCH = 10_000;
const RUNS = 30;

// Deterministic data: a seeded PRNG, so runs compare.
let seed = 42;
const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
/** Skewed toward the head of the list, as real repositories and actors are. */
const pickSkewed = <T>(list: readonly T[]): T => list[Math.floor(random() ** 2 * list.length)]!;

const REPOS = Array.from({ length: 400 }, (_, i) => `org-${i % 23}/service-${i}`);
const ACTIONS = ['detect', 'analyze', 'gate', 'request-approval', 'approve', 'reject', 'escalate', 'execute', 'verify', 'rollback', 'notify'];
const OUTCOMES = ['succeeded', 'failed', 'auto', 'approval', 'blocked', 'expired', 'refused'];
const SYSTEM_ACTORS = ['operator', 'analyzer/rules', 'analyzer/openai', 'gate', 'executor', 'verifier'];
const SLACK_ACTORS = Array.from({ length: 300 }, (_, i) => `U${String(10000 + i)}`);
const GITHUB_ACTORS = Array.from({ length: 200 }, (_, i) => `dev-${i}`);

function auditEntry(i: number): AuditEntryInput {
  const kind = random();
  const [actorType, actor] =
    kind < 0.7 ? (['system', pick(SYSTEM_ACTORS)] as const) : kind < 0.85 ? (['slack', pickSkewed(SLACK_ACTORS)] as const) : kind < 0.97 ? (['github', pickSkewed(GITHUB_ACTORS)] as const) : (['user', 'cli'] as const);
  const repository = pickSkewed(REPOS);
  return {
    idempotencyKey: `bench/${i}`,
    time: new Date(NOW - random() * SPAN_DAYS * DAY),
    actor,
    actorType,
    action: pick(ACTIONS),
    outcome: pick(OUTCOMES),
    record: { namespace: 'ci', name: `fr-${repository.replace('/', '-')}-${i}`, uid: `uid-${i}` },
    repository,
    category: pickSkewed(CATEGORIES),
    details: { riskScore: Math.floor(random() * 101), reasons: ['risk below threshold'], policy: 'default' },
  };
}

function timingRow(i: number): Record<string, unknown> {
  const detected = NOW - random() * SPAN_DAYS * DAY;
  const approval = random() < 0.3;
  const analyzed = detected + 500 + random() * 20_000;
  const gated = analyzed + 50;
  const decided = approval ? gated + random() * 4 * 3_600_000 : null;
  const executed = (decided ?? gated) + 200 + random() * 3_000;
  const r = random();
  const t: TimingsInput = {
    recordKey: `ci/bench-${i}`,
    detectedAt: new Date(detected),
  };
  return {
    record_key: t.recordKey,
    repository: pickSkewed(REPOS),
    category: pickSkewed(CATEGORIES),
    analyzer: random() < 0.6 ? 'rules' : 'openai',
    risk_score: Math.floor(random() * 101),
    gate_decision: approval ? 'approval' : 'auto',
    failed_at: new Date(detected - 1_000 - random() * 120_000),
    detected_at: t.detectedAt,
    analyzed_at: new Date(analyzed),
    gated_at: new Date(gated),
    approval_requested_at: approval ? new Date(gated + 100) : null,
    decided_at: decided === null ? null : new Date(decided),
    executed_at: new Date(executed),
    verified_at: new Date(executed + 60_000 + random() * 600_000),
    result: r < 0.78 ? 'succeeded' : r < 0.93 ? 'failed' : r < 0.96 ? 'rolled_back' : 'rejected',
    tokens_input: 1500 + Math.floor(random() * 3000),
    tokens_output: 200 + Math.floor(random() * 500),
    cost_usd: random() * 0.05,
  };
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

function indexNames(plan: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(plan)) plan.forEach((p) => indexNames(p, found));
  else if (plan && typeof plan === 'object') {
    for (const [key, value] of Object.entries(plan)) {
      if (key === 'Index Name' && typeof value === 'string') found.add(value);
      else if (key === 'Node Type' && value === 'Seq Scan') found.add('SEQ SCAN');
      else indexNames(value, found);
    }
  }
  return found;
}

/** The listing's SQL, built as the store builds it, for EXPLAIN. */
function listingSql(knex: Knex, filters: AuditFilters): Knex.QueryBuilder {
  const q = knex('audit_log').select('*', knex.raw('time::text as time_key'));
  if (filters.repository) q.where('repository', filters.repository);
  if (filters.category) q.where('category', filters.category);
  if (filters.action) q.where('action', filters.action);
  if (filters.actor) q.where('actor', filters.actor);
  if (filters.outcome) q.where('outcome', filters.outcome);
  if (filters.since) q.where('time', '>=', filters.since);
  if (filters.until) q.where('time', '<', filters.until);
  return q.orderBy([{ column: 'time', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(51);
}

async function benchEngine(label: string, config: StoreConfig, rows: number): Promise<void> {
  console.log(`\n== ${label}: ${rows.toLocaleString('en')} audit rows, ${rows.toLocaleString('en')} timing rows ==`);
  let store: Store = await openStore(config);

  let started = performance.now();
  for (let start = 0; start < rows; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, rows - start) }, (_, j) => auditEntry(start + j));
    await store.appendAuditBatch(batch);
  }
  let seconds = (performance.now() - started) / 1000;
  console.log(`audit insert (appendAuditBatch, ${BATCH} per transaction): ${Math.round(rows / seconds).toLocaleString('en')} rows/s (${seconds.toFixed(1)} s)`);

  // Timings are bulk-loaded directly: the store writes them one upsert per milestone, which is not what is measured here.
  // PGlite has a single connection, so the store is closed while the loader holds it.
  await store.close();
  const knex = await connect(config);
  started = performance.now();
  for (let start = 0; start < rows; start += 2_000) {
    await knex('failure_timings').insert(Array.from({ length: Math.min(2_000, rows - start) }, (_, j) => timingRow(start + j)));
  }
  seconds = (performance.now() - started) / 1000;
  console.log(`timings bulk load: ${Math.round(rows / seconds).toLocaleString('en')} rows/s`);
  await knex.raw('analyze audit_log');
  await knex.raw('analyze failure_timings');

  const day = (d: number): Date => new Date(NOW - d * DAY);
  const filters: Array<[string, (i: number) => AuditFilters]> = [
    ['(none)', () => ({})],
    ['--repo', (i) => ({ repository: REPOS[(i * 13) % REPOS.length]! })],
    ['--category', (i) => ({ category: CATEGORIES[i % CATEGORIES.length]! })],
    ['--action', (i) => ({ action: ACTIONS[i % ACTIONS.length]! })],
    ['--actor', (i) => ({ actor: i % 2 ? SLACK_ACTORS[(i * 7) % SLACK_ACTORS.length]! : SYSTEM_ACTORS[i % SYSTEM_ACTORS.length]! })],
    ['--outcome', (i) => ({ outcome: OUTCOMES[i % OUTCOMES.length]! })],
    ['--since/--until', (i) => ({ since: day(170 - i * 5), until: day(169 - i * 5) })],
    ['--repo --since', (i) => ({ repository: REPOS[(i * 17) % REPOS.length]!, since: day(30) })],
    ['--category --until', (i) => ({ category: CATEGORIES[i % CATEGORIES.length]!, until: day(90) })],
  ];
  const plans = new Map<string, string>();
  for (const [name, make] of filters) {
    const result = await knex.raw(`explain (format json) ${listingSql(knex, make(3)).toString()}`);
    plans.set(name, [...indexNames(result.rows)].join(', '));
  }
  await knex.destroy();

  store = await openStore(config);
  console.log(`\naudit listing, limit 50, ${RUNS} runs each with different values (first page, then the page after its cursor)`);
  console.log(`${'filter'.padEnd(22)}${'p95 page 1'.padStart(12)}${'p95 page 2'.padStart(12)}  index (EXPLAIN)`);
  for (const [name, make] of filters) {
    const first: number[] = [];
    const second: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const page = await store.queryAudit(make(i), { limit: 50 });
      first.push(performance.now() - t);
      if (page.nextCursor) {
        t = performance.now();
        await store.queryAudit(make(i), { limit: 50, cursor: page.nextCursor });
        second.push(performance.now() - t);
      }
    }
    console.log(`${name.padEnd(22)}${`${p95(first).toFixed(1)} ms`.padStart(12)}${(second.length ? `${p95(second).toFixed(1)} ms` : '-').padStart(12)}  ${plans.get(name)}`);
  }

  console.log('\nmetrics (all aggregates: success rate, 4 x mean/p50/p95, per category, per repository, histogram)');
  for (const [name, filter] of [
    ['all rows', {}],
    ['--since 30d', { since: day(30) }],
    ['--repo', { repository: REPOS[0]! }],
  ] as const) {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await store.metrics(filter);
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(14)} median ${samples[2]!.toFixed(0)} ms, max ${samples[4]!.toFixed(0)} ms (5 runs)`);
  }
  await store.close();
}

if (!values['skip-postgres']) {
  const database = await createTestDatabase();
  try {
    await benchEngine('PostgreSQL', loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: database.url }), Number(values['pg-rows']));
  } finally {
    await database.drop();
  }
}
if (!values['skip-pglite']) {
  const dir = await mkdtemp(join(tmpdir(), 'ci-remediator-bench-'));
  try {
    await benchEngine('PGlite', loadStoreConfig({ CI_REMEDIATOR_DATA_DIR: dir }), Number(values['pglite-rows']));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
