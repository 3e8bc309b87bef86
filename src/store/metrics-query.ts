import type { Knex } from 'knex';
import type { DurationStats, Metrics, MetricsFilters } from './types.ts';

const HISTOGRAM_BUCKETS = 10;
const TOP_REPOSITORIES = 50;

/** [name, column]: each interval, in milliseconds, as a generated column of failure_timings (migration 0002). */
const INTERVALS = [
  ['detect', 'detect_ms'],
  ['analyze', 'analyze_ms'],
  ['approve', 'approve_ms'],
  ['remediate', 'remediate_ms'],
] as const;

/**
 * Every aggregate runs in the database (percentile_cont for p50/p95, filtered counts for the risk histogram),
 * so the cost is a few scans, not a million rows shipped to Node. The sorts behind the percentiles dominate;
 * they sort ready integer columns, and are split over two queries that PostgreSQL runs on two pooled
 * connections (cores) at once, each also carrying cheap aggregates so no extra scan is spent on them.
 */
export async function queryMetrics(knex: Knex, filters: MetricsFilters): Promise<Metrics> {
  const scoped = (db: Knex | Knex.Transaction = knex): Knex.QueryBuilder => {
    const query = db('failure_timings');
    if (filters.repository !== undefined) query.where('repository', filters.repository);
    if (filters.since !== undefined) query.where('detected_at', '>=', filters.since);
    if (filters.until !== undefined) query.where('detected_at', '<', filters.until);
    return query;
  };

  const intervalColumns = (intervals: readonly (typeof INTERVALS)[number][]) =>
    intervals.flatMap(([name, ms]) => {
      // Negative intervals (clock skew between writers) say nothing about speed; leave them out.
      const valid = `filter (where ${ms} >= 0)`;
      return [
        knex.raw(`count(*) ${valid} ::int as ${name}_count`),
        knex.raw(`avg(${ms}) ${valid} ::float8 as ${name}_mean`),
        // One sort serves both percentiles.
        knex.raw(`percentile_cont(array[0.5, 0.95]::float8[]) within group (order by ${ms}) ${valid} as ${name}_p`),
      ];
    });
  const width = 100 / HISTOGRAM_BUCKETS;
  const bucketColumns = Array.from({ length: HISTOGRAM_BUCKETS }, (_, index) => {
    // The last bucket is closed: [90, 100].
    const upper = index === HISTOGRAM_BUCKETS - 1 ? `risk_score <= 100` : `risk_score < ${(index + 1) * width}`;
    return knex.raw(`count(*) filter (where risk_score >= ${index * width} and ${upper})::int as bucket_${index}`);
  });

  const [first, second, breakdowns] = await Promise.all([
    withSortMemory(knex, (trx) =>
      scoped(trx).first(
      knex.raw('count(*)::int as failures'),
      knex.raw(`count(*) filter (where result in ('succeeded', 'failed', 'rolled_back'))::int as remediations`),
      knex.raw(`count(*) filter (where result = 'succeeded')::int as succeeded`),
      knex.raw('coalesce(sum(tokens_input), 0)::float8 as tokens_input'),
      knex.raw('coalesce(sum(tokens_output), 0)::float8 as tokens_output'),
      knex.raw('coalesce(sum(cost_usd), 0)::float8 as cost_usd'),
      ...bucketColumns,
      ...intervalColumns(INTERVALS.slice(0, 2)),
      ) as Promise<Record<string, unknown> | undefined>,
    ),
    withSortMemory(knex, (trx) => scoped(trx).first(...intervalColumns(INTERVALS.slice(2))) as Promise<Record<string, unknown> | undefined>),
    // Both breakdowns from one scan: grouping sets aggregate by category and by repository side by side.
    scoped()
      .select('category', 'repository', knex.raw('grouping(category)::int as by_repository'), knex.raw('count(*)::int as count'))
      .groupByRaw('grouping sets ((category), (repository))') as Promise<
      Array<{ category: string | null; repository: string | null; by_repository: number | string; count: number | string }>
    >,
  ]);

  const row: Record<string, unknown> = { ...first, ...second };
  const remediations = Number(row.remediations ?? 0);
  const succeeded = Number(row.succeeded ?? 0);
  const stats = (name: string): DurationStats => ({
    count: Number(row[`${name}_count`] ?? 0),
    meanMs: nullableNumber(row[`${name}_mean`]),
    p50Ms: percentile(row[`${name}_p`], 0),
    p95Ms: percentile(row[`${name}_p`], 1),
  });
  return {
    failures: Number(row.failures ?? 0),
    remediations,
    succeeded,
    successRate: remediations === 0 ? null : succeeded / remediations,
    timeToDetect: stats('detect'),
    timeToAnalyze: stats('analyze'),
    timeToApprove: stats('approve'),
    timeToRemediate: stats('remediate'),
    byCategory: ranked(breakdowns.filter((r) => Number(r.by_repository) === 0).map((r) => ({ category: r.category, count: Number(r.count) })), 'category'),
    byRepository: ranked(
      breakdowns.filter((r) => Number(r.by_repository) === 1).map((r) => ({ repository: r.repository, count: Number(r.count) })),
      'repository',
    ).slice(0, TOP_REPOSITORIES),
    riskHistogram: Array.from({ length: HISTOGRAM_BUCKETS }, (_, index) => ({
      from: index * width,
      to: (index + 1) * width,
      count: Number(row[`bucket_${index}`] ?? 0),
    })),
    tokens: { input: Number(row.tokens_input ?? 0), output: Number(row.tokens_output ?? 0) },
    costUsd: Number(row.cost_usd ?? 0),
    models: await modelUsageByModel(knex, filters),
  };
}

/** Model calls in the same window, by model (model_usage is per call; failure_timings per failure). */
async function modelUsageByModel(knex: Knex, filters: MetricsFilters): Promise<NonNullable<Metrics['models']>> {
  const query = knex('model_usage')
    .select('model')
    .select(knex.raw('count(*)::int as calls'), knex.raw('sum(tokens_input)::float8 as tokens_input'), knex.raw('sum(tokens_output)::float8 as tokens_output'), knex.raw('sum(cost_usd)::float8 as cost_usd'))
    .groupBy('model')
    .orderByRaw('sum(tokens_input) + sum(tokens_output) desc, model');
  if (filters.repository !== undefined) query.where('repository', filters.repository);
  if (filters.since !== undefined) query.where('at', '>=', filters.since);
  if (filters.until !== undefined) query.where('at', '<', filters.until);
  const rows = (await query) as Array<{ model: string; calls: number; tokens_input: number; tokens_output: number; cost_usd: number }>;
  return rows.map((r) => ({ model: r.model, calls: Number(r.calls), tokensInput: Number(r.tokens_input), tokensOutput: Number(r.tokens_output), costUsd: Number(r.cost_usd) }));
}

/**
 * Runs a percentile query with room to sort in memory. The default work_mem (4 MB) sends a sort of a million
 * intervals to disk; SET LOCAL raises it for this transaction only, so no other query of the pool is affected.
 */
const SORT_MEMORY = '64MB';
function withSortMemory<T>(knex: Knex, query: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw(`set local work_mem = '${SORT_MEMORY}'`);
    return query(trx);
  });
}

/** Most frequent first, then by name, nulls last: a stable order for output and tests. */
function ranked<K extends string, T extends { count: number } & Record<K, string | null>>(rows: T[], key: K): T[] {
  return rows.sort((a, b) => b.count - a.count || compareNullable(a[key], b[key]));
}

function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** percentile_cont over an array comes back as number[] (pg, PGlite) or, defensively, as '{1,2}' text. */
function percentile(value: unknown, index: number): number | null {
  const list = typeof value === 'string' ? value.replace(/[{}]/g, '').split(',') : value;
  if (!Array.isArray(list)) return null;
  const item: unknown = list[index];
  return item === null || item === undefined || item === 'NULL' ? null : Number(item);
}
