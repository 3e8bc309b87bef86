import { parseArgs } from 'node:util';
import { describeFailure, withCliStore, parseChoice, parseRepository } from '../flags.ts';
import type { DurationStats, Metrics, MetricsFilters } from '../../store/types.ts';
import { parseTimeBound } from '../duration.ts';
import { EXIT, type Command } from '../io.ts';

const HELP = `Usage: ci-remediator metrics [options]

How the remediator has been doing: remediation success rate; time to detect, analyze, approve and
remediate (mean, p50, p95); failures per category and repository; and a histogram of risk scores.

Options:
  --since T           Failures detected from T on: a duration back from now (90d, 24h, 30m) or an ISO
                      date (2025-01-31, 2025-01-31T12:00:00Z); default: all
  --repo OWNER/NAME   Only this repository
  --format F          text (default) or json
  --data-dir DIR      Embedded store directory (see 'ci-remediator audit --help')
  -h, --help          Show this help

Exit status: 0 on success, 1 when the store failed, 2 for a bad command line.
`;

const FORMATS = ['text', 'json'] as const;
const BAR_WIDTH = 40;

export const run: Command = async (args, io) => {
  let filters: MetricsFilters;
  let format: (typeof FORMATS)[number];
  let dataDir: string | undefined;
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        since: { type: 'string' },
        repo: { type: 'string' },
        format: { type: 'string', default: 'text' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    format = parseChoice(values.format, FORMATS, '--format');
    filters = {
      ...(values.since !== undefined && { since: parseTimeBound(values.since, io.now(), '--since') }),
      ...(values.repo !== undefined && { repository: parseRepository(values.repo) }),
    };
    dataDir = values['data-dir'];
  } catch (error) {
    io.stderr.write(describeFailure('metrics', error));
    io.stderr.write(`Run 'ci-remediator metrics --help' for usage.\n`);
    return EXIT.usage;
  }

  let metrics: Metrics;
  try {
    metrics = await withCliStore({ env: io.env, cwd: io.cwd, dataDir }, (store) => store.metrics(filters));
  } catch (error) {
    io.stderr.write(describeFailure('metrics', error));
    return EXIT.failed;
  }

  if (format === 'json') {
    io.stdout.write(JSON.stringify({ since: filters.since ?? null, repository: filters.repository ?? null, ...metrics }) + '\n');
  } else {
    io.stdout.write(renderText(metrics, filters));
  }
  return EXIT.ok;
};

export function renderText(metrics: Metrics, filters: MetricsFilters): string {
  const scope = [
    filters.repository ? `repository ${filters.repository}` : 'all repositories',
    filters.since ? `since ${filters.since.toISOString()}` : 'all time',
  ].join(', ');
  const out: string[] = [`Failures: ${metrics.failures} (${scope})`];
  out.push(
    metrics.successRate === null
      ? 'Remediation success rate: - (no remediation finished)'
      : `Remediation success rate: ${(metrics.successRate * 100).toFixed(1)}% (${metrics.succeeded} of ${metrics.remediations})`,
  );
  out.push('', `${'Time to'.padEnd(12)}${'count'.padStart(8)}${'mean'.padStart(10)}${'p50'.padStart(10)}${'p95'.padStart(10)}`);
  const durations: Array<[string, DurationStats]> = [
    ['detect', metrics.timeToDetect],
    ['analyze', metrics.timeToAnalyze],
    ['approve', metrics.timeToApprove],
    ['remediate', metrics.timeToRemediate],
  ];
  for (const [name, stats] of durations) {
    out.push(`${name.padEnd(12)}${String(stats.count).padStart(8)}${formatMs(stats.meanMs).padStart(10)}${formatMs(stats.p50Ms).padStart(10)}${formatMs(stats.p95Ms).padStart(10)}`);
  }
  out.push('', 'By category:');
  out.push(...counts(metrics.byCategory.map((row) => [row.category ?? '(none)', row.count])));
  out.push('', 'By repository:');
  out.push(...counts(metrics.byRepository.map((row) => [row.repository || '(none)', row.count])));
  out.push('', 'Model usage:');
  out.push(...modelRows(metrics.models ?? []));
  out.push('', 'Risk score:');
  const max = Math.max(0, ...metrics.riskHistogram.map((bucket) => bucket.count));
  for (const bucket of metrics.riskHistogram) {
    const label = bucket.to >= 100 ? `${bucket.from}-100` : `${bucket.from}-${bucket.to - 1}`;
    // A non-empty bucket always shows at least one block, however small next to the largest.
    const width = max === 0 ? 0 : Math.max(bucket.count > 0 ? 1 : 0, Math.round((bucket.count / max) * BAR_WIDTH));
    out.push(`  ${label.padStart(6)} │${'█'.repeat(width)}${bucket.count > 0 ? ` ${bucket.count}` : ''}`);
  }
  return out.join('\n') + '\n';
}

function modelRows(models: NonNullable<Metrics['models']>): string[] {
  if (models.length === 0) return ['  (none: rules only)'];
  const width = Math.max(5, ...models.map((m) => m.model.length));
  return [
    `  ${'model'.padEnd(width)}  ${'calls'.padStart(8)}  ${'input'.padStart(10)}  ${'output'.padStart(10)}  ${'cost'.padStart(10)}`,
    ...models.map((m) => `  ${m.model.padEnd(width)}  ${String(m.calls).padStart(8)}  ${String(m.tokensInput).padStart(10)}  ${String(m.tokensOutput).padStart(10)}  ${`$${m.costUsd.toFixed(4)}`.padStart(10)}`),
  ];
}

function counts(rows: Array<[string, number]>): string[] {
  if (rows.length === 0) return ['  (none)'];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, count]) => `  ${name.padEnd(width)}  ${String(count).padStart(8)}`);
}

/** 850ms, 12.3s, 4m05s, 2h03m, 1d04h: short enough for a column, exact enough to compare. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 1_440) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  const hours = Math.round(minutes / 60);
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}
