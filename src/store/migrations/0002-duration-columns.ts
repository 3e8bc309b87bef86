import type { Knex } from 'knex';
import type { StoreMigration } from './index.ts';

/**
 * The four intervals `ci-remediator metrics` reports, as stored generated columns (whole milliseconds).
 * Percentiles sort every row of the period; sorting a ready integer column is several times cheaper than
 * evaluating two timestamp differences per row inside the sort, which kept the 1,000,000-row aggregate over
 * a second. The database keeps them in step with the milestones on every write, so no writer can forget one.
 * A negative interval (clock skew between writers) is stored as it is and left out by the query.
 */
export const INTERVAL_COLUMNS = {
  detect_ms: ['failed_at', 'detected_at'],
  analyze_ms: ['detected_at', 'analyzed_at'],
  approve_ms: ['approval_requested_at', 'decided_at'],
  remediate_ms: ['coalesce(decided_at, gated_at)', 'coalesce(verified_at, executed_at)'],
} as const;

export const durationColumns: StoreMigration = {
  name: '0002_duration_columns',

  async up(knex: Knex): Promise<void> {
    const columns = Object.entries(INTERVAL_COLUMNS).map(
      ([column, [from, to]]) =>
        // bigint: a remediation that waited weeks for approval still fits.
        `add column ${column} bigint generated always as (round(date_part('epoch', ${to} - ${from}) * 1000)::bigint) stored`,
    );
    await knex.raw(`alter table failure_timings ${columns.join(', ')}`);
  },

  async down(knex: Knex): Promise<void> {
    await knex.raw(`alter table failure_timings ${Object.keys(INTERVAL_COLUMNS).map((c) => `drop column ${c}`).join(', ')}`);
  },
};
