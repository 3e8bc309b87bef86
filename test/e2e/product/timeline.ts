import pg from 'pg';

/**
 * A record's timeline as an auditor reads it: the rows of `audit_log` in PostgreSQL (src/store) about one
 * FailureRecord, oldest first, each with its time and who acted (the operator, or the Slack user who clicked).
 */

export interface TimelineEntry {
  time: Date;
  actor: string;
  actorType: string;
  action: string;
  outcome: string;
  details: Record<string, unknown>;
}

export async function timelineOf(databaseUrl: string, uid: string): Promise<TimelineEntry[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'ci-remediator-e2e', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<{ time: Date; actor: string; actor_type: string; action: string; outcome: string; details: Record<string, unknown> | null }>(
      'select time, actor, actor_type, action, outcome, details from audit_log where record_uid = $1 order by id',
      [uid],
    );
    return result.rows.map((row) => ({ time: row.time, actor: row.actor, actorType: row.actor_type, action: row.action, outcome: row.outcome, details: row.details ?? {} }));
  } catch (error) {
    // No table yet: the operator has not migrated (it never started), so there is no trail.
    if ((error as { code?: string }).code === '42P01') return [];
    throw error;
  } finally {
    await client.end();
  }
}

/** The phases the record went through, in order: `Pending -> Analyzing` gives `Analyzing`. */
export function phasesOf(timeline: readonly TimelineEntry[]): string[] {
  return timeline.filter((entry) => entry.action === 'transition').map((entry) => entry.outcome);
}

/** One line per entry: `Analyzed -> AutoApproved` for a transition, `github-call rerun-failed-jobs: accepted` for a call. */
export function describeEntry(entry: TimelineEntry): string {
  if (entry.action === 'transition') return `${String(entry.details.from)} -> ${String(entry.details.to)}`;
  const what = typeof entry.details.call === 'string' ? ` ${entry.details.call}` : '';
  return `${entry.action}${what}: ${entry.outcome}`;
}

/** The printed timeline: time relative to the first entry and absolute, what happened, who did it. */
export function formatTimeline(timeline: readonly TimelineEntry[], indent = '    '): string[] {
  const start = timeline[0]?.time.getTime() ?? 0;
  return timeline.map((entry) => {
    const offset = `+${((entry.time.getTime() - start) / 1000).toFixed(2)}s`.padStart(9);
    return `${indent}${entry.time.toISOString().slice(11, 23)} ${offset}  ${describeEntry(entry).padEnd(44)} ${entry.actor} (${entry.actorType})`;
  });
}
