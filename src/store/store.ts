import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Knex } from 'knex';
import { connect, migrateToLatest, toStoreError } from './connection.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { StoreUnavailableError } from './errors.ts';
import { exportAndDelete } from './retention.ts';
import { queryMetrics } from './metrics-query.ts';
import type { StoreConfig } from './store-config.ts';
import type {
  AuditEntry,
  AuditEntryInput,
  AuditFilters,
  FailureHistory,
  Metrics,
  MetricsFilters,
  Page,
  PageOptions,
  PollState,
  RecordAnalysisInput,
  RecordAnalysisResult,
  RetentionResult,
  TimingsInput,
} from './types.ts';
import type { ModelUsageEntry, ModelUsageTotals } from '../analysis/model/token-budget.ts';

export interface Store {
  readonly engine: StoreConfig['engine'];
  /** `host:port/database` or the data directory: safe to print. */
  readonly location: string;
  /** Stores the entry unless one with the same idempotency key exists; true when this call inserted it. */
  appendAudit(entry: AuditEntryInput): Promise<boolean>;
  /** Resolves when the database answers; a StoreUnavailableError when it does not. */
  ping(): Promise<void>;
  /** All or nothing, in one transaction; returns how many entries were new. */
  appendAuditBatch(entries: readonly AuditEntryInput[]): Promise<number>;
  /** Newest first, keyset-paginated on (time, id). */
  queryAudit(filters?: AuditFilters, page?: PageOptions): Promise<Page<AuditEntry>>;
  recordTimings(timings: TimingsInput): Promise<void>;
  /** One call of the model (src/analysis/model): what budgets are enforced from. */
  recordModelUsage(entry: ModelUsageEntry): Promise<void>;
  /** Sums of the calls since `since` (inclusive), of one policy or of all. */
  modelUsageTotals(filters: { since: Date; policy?: string }): Promise<ModelUsageTotals>;
  metrics(filters?: MetricsFilters): Promise<Metrics>;
  recordFailureSeen(repository: string, fingerprint: string, at: Date, category?: string): Promise<FailureHistory>;
  recordRemediationOutcome(repository: string, fingerprint: string, fixed: boolean, at?: Date): Promise<FailureHistory>;
  failureHistory(repository: string, fingerprint: string): Promise<FailureHistory | null>;
  /** The audit entry, the failure history and the timings of one analysis, in one transaction, once. */
  recordAnalysis(input: RecordAnalysisInput): Promise<RecordAnalysisResult>;
  /**
   * Deletes audit entries, timings, failure history and model usage older than `olderThan`; with `exportPath`, first
   * writes them there as JSON lines and fsyncs the file.
   */
  retention(olderThan: Date, exportPath?: string): Promise<RetentionResult>;
  /** Remembers a webhook delivery id; false when it was already there (a replay). */
  rememberDelivery(delivery: { id: string; event: string; repository?: string }): Promise<boolean>;
  /** Forgets a delivery id, so GitHub's redelivery of a delivery whose work could not start is accepted. */
  forgetDelivery(id: string): Promise<void>;
  /** Deletes delivery ids received before `olderThan`; returns how many. */
  pruneDeliveries(olderThan: Date): Promise<number>;
  pollState(repository: string): Promise<PollState | null>;
  savePollState(state: PollState): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Bring the schema up to date on open (default true). */
  migrate?: boolean;
}

/**
 * Opens the store and migrates it. Fails with StoreUnavailableError when the database cannot be reached,
 * and StoreVersionError when a newer ci-remediator has migrated it.
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  const location = config.engine === 'postgres' ? config.target : (config.dataDir ?? 'memory');
  const secret = config.engine === 'postgres' ? passwordOf(config.url) : undefined;
  let knex: Knex | undefined;
  let lock: DataDirLock | undefined;
  try {
    if (config.engine === 'pglite' && config.dataDir !== null) lock = await lockEmbeddedStore(config.dataDir);
    knex = await connect(config);
    // Reach the database now, so a wrong URL fails here with its host:port, not at the first write.
    await knex.raw('select 1');
    if (options.migrate !== false) await migrateToLatest(knex, location);
    return new KnexStore(knex, config.engine, location, secret, lock);
  } catch (error) {
    await knex?.destroy().catch(() => undefined);
    lock?.release();
    throw toStoreError(error, location, 'opening the store', secret);
  }
}

/** Takes the data directory for this process before PGlite touches it (see data-dir-lock.ts for why). */
async function lockEmbeddedStore(dataDir: string): Promise<DataDirLock> {
  try {
    await mkdir(dirname(dataDir), { recursive: true });
  } catch (error) {
    throw new StoreUnavailableError(`Cannot create the embedded store directory ${dirname(dataDir)}: ${(error as Error).message}`, { cause: error });
  }
  return lockDataDir(dataDir);
}

/** Stores one analysis from `ci-remediator analyze --record`. */
export function recordAnalysis(store: Store, input: RecordAnalysisInput): Promise<RecordAnalysisResult> {
  return store.recordAnalysis(input);
}

const AUDIT_COLUMNS = [
  'id', 'time', 'actor', 'actor_type', 'action', 'outcome', 'record_namespace', 'record_name', 'record_uid',
  'repository', 'category', 'details', 'idempotency_key',
] as const;

/** Rows per INSERT: 13 parameters each stays far below PostgreSQL's 65535 bind parameters. */
const INSERT_CHUNK = 1000;
const MAX_PAGE = 1000;

interface AuditRow {
  id: string | number;
  time: Date | string;
  time_key: string;
  actor: string;
  actor_type: AuditEntry['actorType'];
  action: string;
  outcome: string;
  record_namespace: string | null;
  record_name: string | null;
  record_uid: string | null;
  repository: string | null;
  category: string | null;
  details: Record<string, unknown> | string | null;
  idempotency_key: string;
}

interface HistoryRow {
  occurrences: number | string;
  remediation_attempts: number | string;
  remediation_successes: number | string;
}

class KnexStore implements Store {
  readonly engine: StoreConfig['engine'];
  readonly location: string;
  readonly #knex: Knex;
  readonly #secret: string | undefined;
  readonly #lock: DataDirLock | undefined;
  #closed = false;

  constructor(knex: Knex, engine: StoreConfig['engine'], location: string, secret: string | undefined, lock?: DataDirLock) {
    this.#knex = knex;
    this.#lock = lock;
    this.engine = engine;
    this.location = location;
    this.#secret = secret;
  }

  appendAudit(entry: AuditEntryInput): Promise<boolean> {
    return this.#guard('appending to the audit log', async () => {
      const rows = await this.#knex('audit_log')
        .insert(auditRow(entry, this.#knex))
        .onConflict('idempotency_key')
        .ignore()
        .returning('id');
      return rows.length === 1;
    });
  }

  appendAuditBatch(entries: readonly AuditEntryInput[]): Promise<number> {
    if (entries.length === 0) return Promise.resolve(0);
    // One statement is atomic by itself: a batch that fits in one INSERT needs no BEGIN/COMMIT round trips
    // (the operator writes every transition's rows this way, on its hot path).
    if (entries.length <= INSERT_CHUNK) {
      return this.#guard('appending to the audit log', async () => {
        const rows = await this.#knex('audit_log').insert(entries.map((entry) => auditRow(entry, this.#knex))).onConflict('idempotency_key').ignore().returning('id');
        return rows.length;
      });
    }
    return this.#guard('appending to the audit log', () =>
      this.#knex.transaction(async (trx) => {
        let inserted = 0;
        for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
          const chunk = entries.slice(start, start + INSERT_CHUNK).map((entry) => auditRow(entry, trx));
          const rows = await trx('audit_log').insert(chunk).onConflict('idempotency_key').ignore().returning('id');
          inserted += rows.length;
        }
        return inserted;
      }),
    );
  }

  queryAudit(filters: AuditFilters = {}, page: PageOptions = {}): Promise<Page<AuditEntry>> {
    const limit = page.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      return Promise.reject(new RangeError(`Invalid page limit ${limit}: expected an integer from 1 to ${MAX_PAGE}.`));
    }
    let position: ReturnType<typeof decodeCursor> | undefined;
    try {
      position = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#guard('listing the audit log', async () => {
      const query = this.#knex('audit_log').select(...AUDIT_COLUMNS, this.#knex.raw('time::text as time_key'));
      applyAuditFilters(query, filters);
      // A row comparison is a single index condition on (…, time, id), so each page is one range scan.
      if (position) query.whereRaw('(time, id) < (?::timestamptz, ?::bigint)', [position.time, position.id]);
      const rows: AuditRow[] = await query.orderBy([{ column: 'time', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit + 1);
      const more = rows.length > limit;
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toAuditEntry),
        nextCursor: more && last ? encodeCursor({ time: last.time_key, id: String(last.id) }) : null,
      };
    });
  }

  recordModelUsage(entry: ModelUsageEntry): Promise<void> {
    return this.#guard('recording model usage', async () => {
      await this.#knex('model_usage').insert({
        at: entry.at,
        model: entry.model,
        policy: entry.policy,
        repository: entry.repository ?? null,
        fingerprint: entry.fingerprint ?? null,
        tokens_input: entry.tokensInput,
        tokens_output: entry.tokensOutput,
        cost_usd: entry.costUsd,
        outcome: entry.outcome,
      });
    });
  }

  modelUsageTotals(filters: { since: Date; policy?: string }): Promise<ModelUsageTotals> {
    return this.#guard('reading model usage', async () => {
      const query = this.#knex('model_usage')
        .where('at', '>=', filters.since)
        .first(
          this.#knex.raw('count(*)::int as calls'),
          this.#knex.raw('coalesce(sum(tokens_input), 0)::float8 as tokens_input'),
          this.#knex.raw('coalesce(sum(tokens_output), 0)::float8 as tokens_output'),
          this.#knex.raw('coalesce(sum(cost_usd), 0)::float8 as cost_usd'),
        );
      if (filters.policy !== undefined) query.where('policy', filters.policy);
      const row = (await query) as { calls: number; tokens_input: number; tokens_output: number; cost_usd: number } | undefined;
      return { calls: Number(row?.calls ?? 0), tokensInput: Number(row?.tokens_input ?? 0), tokensOutput: Number(row?.tokens_output ?? 0), costUsd: Number(row?.cost_usd ?? 0) };
    });
  }

  recordTimings(timings: TimingsInput): Promise<void> {
    return this.#guard('recording timings', async () => {
      await upsertTimings(this.#knex, timings);
    });
  }

  metrics(filters: MetricsFilters = {}): Promise<Metrics> {
    return this.#guard('computing metrics', () => queryMetrics(this.#knex, filters));
  }

  recordFailureSeen(repository: string, fingerprint: string, at: Date, category?: string): Promise<FailureHistory> {
    return this.#guard('recording failure history', () => upsertSeen(this.#knex, repository, fingerprint, at, category));
  }

  recordRemediationOutcome(repository: string, fingerprint: string, fixed: boolean, at: Date = new Date()): Promise<FailureHistory> {
    return this.#guard('recording a remediation outcome', async () => {
      const [row] = await this.#knex('failure_history')
        .insert({
          repository,
          fingerprint,
          first_seen: at,
          last_seen: at,
          // A remediated failure was seen, even if nobody told us when.
          occurrences: 1,
          remediation_attempts: 1,
          remediation_successes: fixed ? 1 : 0,
          last_outcome: fixed ? 'fixed' : 'not_fixed',
          last_outcome_at: at,
        })
        .onConflict(['repository', 'fingerprint'])
        .merge({
          remediation_attempts: this.#knex.raw('failure_history.remediation_attempts + 1'),
          remediation_successes: this.#knex.raw('failure_history.remediation_successes + ?', [fixed ? 1 : 0]),
          last_outcome: this.#knex.raw('excluded.last_outcome'),
          last_outcome_at: this.#knex.raw('excluded.last_outcome_at'),
        })
        .returning(['occurrences', 'remediation_attempts', 'remediation_successes']);
      return toHistory(row as HistoryRow);
    });
  }

  failureHistory(repository: string, fingerprint: string): Promise<FailureHistory | null> {
    return this.#guard('reading failure history', async () => {
      const row: HistoryRow | undefined = await this.#knex('failure_history')
        .select('occurrences', 'remediation_attempts', 'remediation_successes')
        .where({ repository, fingerprint })
        .first();
      return row === undefined ? null : toHistory(row);
    });
  }

  recordAnalysis(input: RecordAnalysisInput): Promise<RecordAnalysisResult> {
    const { analysis } = input;
    const repository = input.repository ?? '';
    const idempotencyKey = input.idempotencyKey ?? analysisKey(input);
    return this.#guard('recording an analysis', () =>
      this.#knex.transaction(async (trx) => {
        const inserted = await trx('audit_log')
          .insert(
            auditRow(
              {
                idempotencyKey,
                time: input.analyzedAt,
                actor: input.actor ?? 'cli',
                actorType: input.actorType ?? 'user',
                action: 'analyze',
                outcome: 'analyzed',
                ...(input.repository !== undefined && { repository: input.repository }),
                category: analysis.category,
                details: {
                  file: input.file,
                  analyzer: analysis.analyzer,
                  riskScore: analysis.riskScore,
                  confidence: analysis.confidence,
                  effort: analysis.effort,
                  summary: analysis.summary,
                  fingerprint: analysis.fingerprint,
                  proposedRemediation: analysis.proposedRemediation,
                  ...(analysis.rule !== undefined && { rule: analysis.rule }),
                },
              },
              trx,
            ),
          )
          .onConflict('idempotency_key')
          .ignore()
          .returning('id');
        if (inserted.length === 0) {
          // Already recorded (a retry): count nothing twice, report what is stored.
          const row: HistoryRow | undefined = await trx('failure_history')
            .select('occurrences', 'remediation_attempts', 'remediation_successes')
            .where({ repository, fingerprint: analysis.fingerprint })
            .first();
          return { recorded: false, idempotencyKey, history: row ? toHistory(row) : { occurrences: 0, rerunAttempts: 0, rerunFixed: 0 } };
        }
        const history = await upsertSeen(trx, repository, analysis.fingerprint, input.detectedAt, analysis.category);
        await upsertTimings(trx, {
          recordKey: idempotencyKey,
          ...(input.repository !== undefined && { repository: input.repository }),
          category: analysis.category,
          analyzer: analysis.analyzer,
          riskScore: analysis.riskScore,
          ...(input.model !== undefined && { model: input.model }),
          ...(input.failedAt !== undefined && { failedAt: input.failedAt }),
          detectedAt: input.detectedAt,
          analyzedAt: input.analyzedAt,
          ...(input.tokensInput !== undefined && { tokensInput: input.tokensInput }),
          ...(input.tokensOutput !== undefined && { tokensOutput: input.tokensOutput }),
          ...(input.costUsd !== undefined && { costUsd: input.costUsd }),
        });
        return { recorded: true, idempotencyKey, history };
      }),
    );
  }

  retention(olderThan: Date, exportPath?: string): Promise<RetentionResult> {
    return this.#guard('applying retention', () => exportAndDelete(this.#knex, olderThan, exportPath));
  }

  /** Resolves when the database answers a trivial query; a StoreUnavailableError when it does not. */
  ping(): Promise<void> {
    return this.#guard('checking the database', async () => {
      await this.#knex.raw('select 1');
    });
  }

  rememberDelivery(delivery: { id: string; event: string; repository?: string }): Promise<boolean> {
    return this.#guard('recording a webhook delivery', async () => {
      const rows = await this.#knex('github_deliveries')
        .insert({ delivery_id: delivery.id, event: delivery.event, repository: delivery.repository ?? null })
        .onConflict('delivery_id')
        .ignore()
        .returning('delivery_id');
      return rows.length === 1;
    });
  }

  forgetDelivery(id: string): Promise<void> {
    return this.#guard('forgetting a webhook delivery', async () => {
      await this.#knex('github_deliveries').where({ delivery_id: id }).delete();
    });
  }

  pruneDeliveries(olderThan: Date): Promise<number> {
    return this.#guard('pruning webhook deliveries', async () => affectedRows(await this.#knex('github_deliveries').where('received_at', '<', olderThan).del()));
  }

  pollState(repository: string): Promise<PollState | null> {
    return this.#guard('reading poll state', async () => {
      const row: { repository: string; etag: string | null; watermark: Date | string; seen_at_watermark: string[] | string } | undefined = await this.#knex(
        'github_poll_state',
      )
        .select('repository', 'etag', 'watermark', 'seen_at_watermark')
        .where({ repository })
        .first();
      if (row === undefined) return null;
      const seen = typeof row.seen_at_watermark === 'string' ? (JSON.parse(row.seen_at_watermark) as string[]) : row.seen_at_watermark;
      return { repository: row.repository, etag: row.etag, watermark: new Date(row.watermark), seenAtWatermark: seen };
    });
  }

  savePollState(state: PollState): Promise<void> {
    return this.#guard('saving poll state', async () => {
      const row = {
        repository: state.repository,
        etag: state.etag,
        watermark: state.watermark,
        seen_at_watermark: JSON.stringify(state.seenAtWatermark),
        updated_at: this.#knex.fn.now(),
      };
      await this.#knex('github_poll_state').insert(row).onConflict('repository').merge();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // For PGlite this closes the database, which writes its last dirty pages; only then is the directory free.
      await this.#knex.destroy();
    } finally {
      this.#lock?.release();
    }
  }

  async #guard<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStoreError(error, this.location, doing, this.#secret);
    }
  }
}

function auditRow(entry: AuditEntryInput, knex: Knex | Knex.Transaction): Record<string, unknown> {
  return {
    time: entry.time ?? knex.fn.now(),
    actor: entry.actor,
    actor_type: entry.actorType,
    action: entry.action,
    outcome: entry.outcome,
    record_namespace: entry.record?.namespace ?? null,
    record_name: entry.record?.name ?? null,
    record_uid: entry.record?.uid ?? null,
    repository: entry.repository ?? null,
    category: entry.category ?? null,
    // Serialized here: pg would send a JavaScript array as a PostgreSQL array, not JSON.
    details: JSON.stringify(entry.details ?? {}),
    idempotency_key: entry.idempotencyKey,
  };
}

function applyAuditFilters(query: Knex.QueryBuilder, filters: AuditFilters): void {
  if (filters.repository !== undefined) query.where('repository', filters.repository);
  if (filters.category !== undefined) query.where('category', filters.category);
  if (filters.action !== undefined) query.where('action', filters.action);
  if (filters.actor !== undefined) query.where('actor', filters.actor);
  if (filters.outcome !== undefined) query.where('outcome', filters.outcome);
  if (filters.since !== undefined) query.where('time', '>=', filters.since);
  if (filters.until !== undefined) query.where('time', '<', filters.until);
}

function toAuditEntry(row: AuditRow): AuditEntry {
  const hasRecord = row.record_namespace !== null || row.record_name !== null || row.record_uid !== null;
  return {
    id: String(row.id),
    time: row.time instanceof Date ? row.time : new Date(row.time),
    actor: row.actor,
    actorType: row.actor_type,
    action: row.action,
    outcome: row.outcome,
    record: hasRecord ? { namespace: row.record_namespace, name: row.record_name, uid: row.record_uid } : null,
    repository: row.repository,
    category: row.category,
    details: typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : (row.details ?? {}),
    idempotencyKey: row.idempotency_key,
  };
}

async function upsertSeen(
  knex: Knex | Knex.Transaction,
  repository: string,
  fingerprint: string,
  at: Date,
  category: string | undefined,
): Promise<FailureHistory> {
  const [row] = await knex('failure_history')
    .insert({ repository, fingerprint, category: category ?? null, first_seen: at, last_seen: at, occurrences: 1 })
    .onConflict(['repository', 'fingerprint'])
    .merge({
      occurrences: knex.raw('failure_history.occurrences + 1'),
      first_seen: knex.raw('least(failure_history.first_seen, excluded.first_seen)'),
      last_seen: knex.raw('greatest(failure_history.last_seen, excluded.last_seen)'),
      category: knex.raw('coalesce(excluded.category, failure_history.category)'),
    })
    .returning(['occurrences', 'remediation_attempts', 'remediation_successes']);
  return toHistory(row as HistoryRow);
}

const TIMING_COLUMNS: ReadonlyArray<[keyof TimingsInput, string]> = [
  ['repository', 'repository'],
  ['category', 'category'],
  ['analyzer', 'analyzer'],
  ['model', 'model'],
  ['riskScore', 'risk_score'],
  ['gateDecision', 'gate_decision'],
  ['failedAt', 'failed_at'],
  ['analyzedAt', 'analyzed_at'],
  ['gatedAt', 'gated_at'],
  ['approvalRequestedAt', 'approval_requested_at'],
  ['decidedAt', 'decided_at'],
  ['executedAt', 'executed_at'],
  ['verifiedAt', 'verified_at'],
  ['result', 'result'],
  ['tokensInput', 'tokens_input'],
  ['tokensOutput', 'tokens_output'],
  ['costUsd', 'cost_usd'],
];

async function upsertTimings(knex: Knex | Knex.Transaction, timings: TimingsInput): Promise<void> {
  const row: Record<string, unknown> = { record_key: timings.recordKey, detected_at: timings.detectedAt, updated_at: knex.fn.now() };
  const merge: Record<string, Knex.Raw> = { updated_at: knex.raw('excluded.updated_at') };
  for (const [field, column] of TIMING_COLUMNS) {
    const value = timings[field];
    if (value === undefined) continue;
    row[column] = value;
    // Only what this call knows overwrites; the rest of the row stays as earlier steps wrote it.
    merge[column] = knex.raw('excluded.??', [column]);
  }
  await knex('failure_timings').insert(row).onConflict('record_key').merge(merge);
}

function toHistory(row: HistoryRow): FailureHistory {
  return {
    occurrences: Number(row.occurrences),
    rerunAttempts: Number(row.remediation_attempts),
    rerunFixed: Number(row.remediation_successes),
  };
}

function analysisKey(input: RecordAnalysisInput): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([input.repository ?? '', input.file, input.analysis.fingerprint, input.detectedAt.toISOString()]))
    .digest('base64url')
    .slice(0, 32);
  return `analyze/${digest}`;
}

/** knex's pg client answers a DELETE with a count; knex-pglite with the raw result, rowCount inside. */
function affectedRows(result: unknown): number {
  if (typeof result === 'number') return result;
  const rowCount = (result as { rowCount?: unknown } | null)?.rowCount;
  return typeof rowCount === 'number' ? rowCount : 0;
}

function passwordOf(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}
