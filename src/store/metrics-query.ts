import type { Knex } from 'knex';
import type { DurationStats, Metrics, MetricsFilters } from './types.ts';

const HISTOGRAM_BUCKETS = 10;
const TOP_REPOSITORIES = 50;

/** [name, from, to]: each interval in milliseconds between two milestones of failure_timings. */
const INTERVALS = [
  ['detect', 'failed_at', 'detected_at'],
  ['analyze', 'detected_at', 'analyzed_at'],
  ['approve', 'approval_requested_at', 'decided_at'],
  ['remediate', 'coalesce(decided_at, gated_at)', 'coalesce(verified_at, executed_at)'],
] as const;

/**
 * Every aggregate runs in the database (percentile_cont for p50/p95, width_bucket for the risk histogram),
 * so the cost is one scan per query, not a million rows shipped to Node.
 */
export async function queryMetrics(knex: Knex, filters: MetricsFilters): Promise<Metrics> {
  const scoped = (): Knex.QueryBuilder => {
    const query = knex('failure_timings');
    if (filters.repository !== undefined) query.where('repository', filters.repository);
    if (filters.since !== undefined) query.where('detected_at', '>=', filters.since);
    if (filters.until !== undefined) query.where('detected_at', '<', filters.until);
    return query;
  };

  // One query per interval, each over only the rows that have both milestones: the sorts behind the
  // percentiles are the expensive part, and separate queries let PostgreSQL run them on separate pooled
  // connections (cores) at once. date_part gives float8; extract() would compute in numeric, several times slower.
  const intervalQueries = INTERVALS.map(([, from, to]) => {
    const ms = `date_part('epoch', ${to} - ${from}) * 1000`;
    return scoped()
      // Negative intervals (clock skew between writers) say nothing about speed; leave them out.
      .whereRaw(`${to} >= ${from}`)
      .first(
        knex.raw('count(*)::int as count'),
        knex.raw(`avg(${ms})::float8 as mean`),
        // One sort serves both percentiles.
        knex.raw(`percentile_cont(array[0.5, 0.95]::float8[]) within group (order by ${ms}) as p`),
      ) as Promise<Record<string, unknown> | undefined>;
  });

  const [summaries, byCategory, byRepository, buckets, ...intervalRows] = await Promise.all([
    scoped().select(
      knex.raw('count(*)::int as failures'),
      knex.raw(`count(*) filter (where result in ('succeeded', 'failed', 'rolled_back'))::int as remediations`),
      knex.raw(`count(*) filter (where result = 'succeeded')::int as succeeded`),
      knex.raw('coalesce(sum(tokens_input), 0)::float8 as tokens_input'),
      knex.raw('coalesce(sum(tokens_output), 0)::float8 as tokens_output'),
      knex.raw('coalesce(sum(cost_usd), 0)::float8 as cost_usd'),
    ) as Promise<Array<Record<string, unknown>>>,
    scoped()
      .select('category', knex.raw('count(*)::int as count'))
      .groupBy('category')
      .orderBy([{ column: 'count', order: 'desc' }, { column: 'category' }]) as Promise<Array<{ category: string | null; count: number | string }>>,
    scoped()
      .select('repository', knex.raw('count(*)::int as count'))
      .groupBy('repository')
      .orderBy([{ column: 'count', order: 'desc' }, { column: 'repository' }])
      .limit(TOP_REPOSITORIES) as Promise<Array<{ repository: string | null; count: number | string }>>,
    // width_bucket puts exactly 100 in bucket 11; fold it into the last bucket, [90, 100].
    scoped()
      .select(knex.raw(`least(width_bucket(risk_score, 0, 100, ${HISTOGRAM_BUCKETS}), ${HISTOGRAM_BUCKETS}) as bucket`), knex.raw('count(*)::int as count'))
      .whereNotNull('risk_score')
      .groupByRaw('1') as Promise<Array<{ bucket: number | string; count: number | string }>>,
    ...intervalQueries,
  ]);

  const counts = new Map(buckets.map((row) => [Number(row.bucket), Number(row.count)]));
  const width = 100 / HISTOGRAM_BUCKETS;
  const row: Record<string, unknown> = summaries[0] ?? {};
  const remediations = Number(row.remediations ?? 0);
  const succeeded = Number(row.succeeded ?? 0);
  const stats = (name: (typeof INTERVALS)[number][0]): DurationStats => {
    const interval = (intervalRows[INTERVALS.findIndex(([n]) => n === name)] ?? {}) as Record<string, unknown>;
    return {
      count: Number(interval.count ?? 0),
      meanMs: nullableNumber(interval.mean),
      p50Ms: percentile(interval.p, 0),
      p95Ms: percentile(interval.p, 1),
    };
  };
  return {
    failures: Number(row.failures ?? 0),
    remediations,
    succeeded,
    successRate: remediations === 0 ? null : succeeded / remediations,
    timeToDetect: stats('detect'),
    timeToAnalyze: stats('analyze'),
    timeToApprove: stats('approve'),
    timeToRemediate: stats('remediate'),
    byCategory: byCategory.map((r) => ({ category: r.category, count: Number(r.count) })),
    byRepository: byRepository.map((r) => ({ repository: r.repository, count: Number(r.count) })),
    riskHistogram: Array.from({ length: HISTOGRAM_BUCKETS }, (_, index) => ({
      from: index * width,
      to: (index + 1) * width,
      count: counts.get(index + 1) ?? 0,
    })),
    tokens: { input: Number(row.tokens_input ?? 0), output: Number(row.tokens_output ?? 0) },
    costUsd: Number(row.cost_usd ?? 0),
  };
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
