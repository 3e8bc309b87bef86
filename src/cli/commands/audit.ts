import { parseArgs } from 'node:util';
import { InputError } from '../../errors.ts';
import { describeFailure, withCliStore, parseCategory, parseChoice, parsePositiveInteger, parseRepository } from '../flags.ts';
import type { AuditEntry, AuditFilters, Page } from '../../store/types.ts';
import { parseTimeBound } from '../duration.ts';
import { EXIT, type Command } from '../io.ts';

const HELP = `Usage: ci-remediator audit [options]

Lists the audit log, newest first: who or what did what, when, to which failure, with what outcome.
Pages are cut by a cursor: pass the printed 'next cursor' back with --cursor for the next page.

Filters:
  --repo OWNER/NAME     Only this repository
  --since T             From T on (inclusive): a duration back from now (90d, 24h, 30m) or an ISO date
  --until T             Before T (exclusive), same forms as --since
  --category C          Only this failure category (test_failure, flaky_test, ...)
  --action A            Only this action (analyze, gate, approve, execute, ...)
  --actor X             Only this actor (a Slack user id, a GitHub login, system component)
  --outcome O           Only this outcome

Output:
  --format F            table (default), json, or csv
  --limit N             Entries per page, 1-1000 (default 50)
  --cursor C            Continue after the page that printed C

Store:
  --data-dir DIR        Embedded store directory (default $CI_REMEDIATOR_DATA_DIR, else
                        $XDG_DATA_HOME/ci-remediator or ~/.local/share/ci-remediator); ignored when
                        CI_REMEDIATOR_DATABASE_URL names a PostgreSQL database
  -h, --help            Show this help

Exit status: 0 on success, 1 when the store failed, 2 for a bad command line.
`;

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export const run: Command = async (args, io) => {
  let options: { filters: AuditFilters; format: Format; limit: number; cursor?: string; dataDir?: string };
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        repo: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        category: { type: 'string' },
        action: { type: 'string' },
        actor: { type: 'string' },
        outcome: { type: 'string' },
        format: { type: 'string', default: 'table' },
        limit: { type: 'string', default: '50' },
        cursor: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    const now = io.now();
    const filters: AuditFilters = {
      ...(values.repo !== undefined && { repository: parseRepository(values.repo) }),
      ...(values.since !== undefined && { since: parseTimeBound(values.since, now, '--since') }),
      ...(values.until !== undefined && { until: parseTimeBound(values.until, now, '--until') }),
      ...(values.category !== undefined && { category: parseCategory(values.category) }),
      ...(values.action !== undefined && { action: values.action }),
      ...(values.actor !== undefined && { actor: values.actor }),
      ...(values.outcome !== undefined && { outcome: values.outcome }),
    };
    if (filters.since && filters.until && filters.since >= filters.until) {
      throw new InputError(`--since (${filters.since.toISOString()}) must be before --until (${filters.until.toISOString()}).`);
    }
    options = {
      filters,
      format: parseChoice(values.format, FORMATS, '--format'),
      limit: parsePositiveInteger(values.limit, '--limit', 1000),
      ...(values.cursor !== undefined && { cursor: values.cursor }),
      ...(values['data-dir'] !== undefined && { dataDir: values['data-dir'] }),
    };
  } catch (error) {
    io.stderr.write(describeFailure('audit', error));
    io.stderr.write(`Run 'ci-remediator audit --help' for usage.\n`);
    return EXIT.usage;
  }

  let page: Page<AuditEntry>;
  try {
    page = await withCliStore({ env: io.env, cwd: io.cwd, dataDir: options.dataDir }, (store) =>
      store.queryAudit(options.filters, { limit: options.limit, ...(options.cursor !== undefined && { cursor: options.cursor }) }),
    );
  } catch (error) {
    io.stderr.write(describeFailure('audit', error));
    return error instanceof InputError ? EXIT.usage : EXIT.failed;
  }

  switch (options.format) {
    case 'json':
      io.stdout.write(JSON.stringify({ entries: page.items, nextCursor: page.nextCursor }) + '\n');
      break;
    case 'csv':
      io.stdout.write(renderCsv(page.items));
      // stderr, so the CSV on stdout stays one clean table.
      if (page.nextCursor) io.stderr.write(`next cursor: ${page.nextCursor}\n`);
      break;
    case 'table':
      io.stdout.write(page.items.length === 0 ? 'No audit entries match.\n' : renderTable(page.items));
      if (page.nextCursor) io.stdout.write(`next cursor: ${page.nextCursor}\n`);
      break;
  }
  return EXIT.ok;
};

const COLUMNS: ReadonlyArray<[string, (entry: AuditEntry) => string]> = [
  ['TIME', (e) => e.time.toISOString()],
  ['ACTOR', (e) => `${e.actorType}:${e.actor}`],
  ['ACTION', (e) => e.action],
  ['OUTCOME', (e) => e.outcome],
  ['REPOSITORY', (e) => e.repository ?? '-'],
  ['CATEGORY', (e) => e.category ?? '-'],
  ['RECORD', (e) => (e.record ? [e.record.namespace, e.record.name].filter(Boolean).join('/') || (e.record.uid ?? '-') : '-')],
];

function renderTable(entries: AuditEntry[]): string {
  const cells = entries.map((entry) => COLUMNS.map(([, get]) => oneLine(get(entry))));
  const widths = COLUMNS.map(([title], index) => Math.max(title.length, ...cells.map((row) => row[index]!.length)));
  const line = (row: string[]): string => row.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd() + '\n';
  return line(COLUMNS.map(([title]) => title)) + cells.map(line).join('');
}

const CSV_HEADER = ['id', 'time', 'actor_type', 'actor', 'action', 'outcome', 'repository', 'category', 'record_namespace', 'record_name', 'record_uid', 'idempotency_key', 'details'];

function renderCsv(entries: AuditEntry[]): string {
  const rows = entries.map((e) => [
    e.id, e.time.toISOString(), e.actorType, e.actor, e.action, e.outcome, e.repository ?? '', e.category ?? '',
    e.record?.namespace ?? '', e.record?.name ?? '', e.record?.uid ?? '', e.idempotencyKey, JSON.stringify(e.details),
  ]);
  return [CSV_HEADER, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet never evaluates an actor name as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Audit fields come from Slack users and logs: keep each table row on one line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
