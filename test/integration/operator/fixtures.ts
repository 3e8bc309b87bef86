import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { FAILURE_RECORD_FINALIZER } from '../../../src/api/failure-record.ts';
import { createObject, eventually, getObject, listObjects, POLICIES, RECORDS, type CustomObject, type Kube } from '../../support/kube.ts';
import type { FakeRun } from '../../support/github-server.ts';

/**
 * What the operator tests create (FailureRecords as the action reports them, RemediationPolicies as a platform
 * team writes them) and what they read back (status, the audit trail in PostgreSQL).
 */

export const GATED_PHASES = ['AutoApproved', 'AwaitingApproval', 'Blocked'] as const;
export type GatedPhase = (typeof GATED_PHASES)[number];

/**
 * The phases that each write one audit row (`${uid}/${phase}`) on the way to a gate decision, besides the
 * decision itself. Pending is the phase a record is created into; the operator's first transition is to
 * Analyzing.
 */
export const AUDITED_PHASES_BEFORE_GATE = ['Analyzing', 'Analyzed'] as const;

/** A network blip: the rules analyzer classifies it network_error, risk ~21, rerun-failed-jobs. */
export const NETWORK_EXCERPT = 'npm error code ECONNRESET\nnpm error network aborted\nnpm error errno ECONNRESET';

let runIds = Math.floor(Date.now() / 1000) * 1000;

export interface RecordOptions {
  name?: string;
  repository?: string;
  excerpt?: string;
  changedFiles?: string[];
  /** As `kubectl apply` of a hand-written record: without the finalizer the action and the ingest set. */
  byHand?: boolean;
}

/** A valid FailureRecord body, as the action would create it. */
export function failureRecord(options: RecordOptions = {}): CustomObject & { metadata: { name: string } } {
  const runId = ++runIds;
  const repository = options.repository ?? 'acme/web';
  const excerpt = options.excerpt ?? NETWORK_EXCERPT;
  const name = options.name ?? `${repository.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${runId}-1-${randomBytes(3).toString('hex')}`;
  const jobId = runId * 10 + 1;
  return {
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'FailureRecord',
    metadata: (options.byHand === true ? { name } : { name, finalizers: [FAILURE_RECORD_FINALIZER] }) as CustomObject['metadata'],
    spec: {
      source: 'action',
      repository,
      workflow: {
        name: 'CI',
        path: '.github/workflows/ci.yml',
        runId,
        runAttempt: 1,
        url: `https://github.com/${repository}/actions/runs/${runId}/attempts/1`,
        event: 'push',
      },
      commit: { sha: createHash('sha1').update(name).digest('hex'), branch: 'main', author: 'octocat' },
      failedJobs: [
        {
          id: jobId,
          name: 'test',
          url: `https://github.com/${repository}/actions/runs/${runId}/job/${jobId}`,
          failedStep: 'Run npm ci',
          conclusion: 'failure',
          excerpt,
          excerptStartLine: 1,
          keyLine: { line: 1, text: excerpt.split('\n')[0] ?? '' },
          logBytes: excerpt.length,
          logSha256: createHash('sha256').update(excerpt).digest('hex'),
        },
      ],
      changedFiles: options.changedFiles ?? ['package-lock.json'],
      detectedAt: new Date().toISOString(),
      fingerprint: `test:${createHash('sha256').update(excerpt).digest('hex').slice(0, 20)}`,
    },
  };
}

export interface PolicyOptions {
  repositories: string[];
  riskThreshold?: number;
  riskCeiling?: number;
  protected?: boolean;
  allowedActions?: string[];
  suspend?: boolean;
  approvalTimeout?: string;
  provider?: 'rules' | 'openai';
}

export function remediationPolicy(name: string, options: PolicyOptions): object {
  const spec: Record<string, unknown> = { repositories: options.repositories };
  if (options.riskThreshold !== undefined) spec.riskThreshold = options.riskThreshold;
  if (options.riskCeiling !== undefined) spec.riskCeiling = options.riskCeiling;
  if (options.protected !== undefined) spec.protected = options.protected;
  if (options.allowedActions !== undefined) spec.allowedActions = options.allowedActions;
  if (options.suspend !== undefined) spec.suspend = options.suspend;
  if (options.approvalTimeout !== undefined) spec.approval = { timeout: options.approvalTimeout };
  if (options.provider !== undefined) spec.analysis = { provider: options.provider };
  return { apiVersion: 'ci-remediator.dev/v1alpha1', kind: 'RemediationPolicy', metadata: { name }, spec };
}

export async function createRecord(k: Kube, namespace: string, options: RecordOptions = {}): Promise<CustomObject> {
  return createObject(k, RECORDS, namespace, failureRecord(options));
}

export async function createPolicy(k: Kube, namespace: string, name: string, options: PolicyOptions): Promise<CustomObject> {
  return createObject(k, POLICIES, namespace, remediationPolicy(name, options));
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export function conditionOf(object: CustomObject, type: string): Condition | undefined {
  return ((object.status?.conditions as Condition[] | undefined) ?? []).find((condition) => condition.type === type);
}

export function phaseOf(object: CustomObject): string | undefined {
  return object.status?.phase as string | undefined;
}

export function isGated(object: CustomObject): boolean {
  return (GATED_PHASES as readonly string[]).includes(phaseOf(object) ?? '');
}

/** Waits until the record has a gate decision and returns it. */
export async function waitGated(k: Kube, namespace: string, name: string, timeoutMs = 60_000): Promise<CustomObject> {
  return waitPhase(k, namespace, name, GATED_PHASES, { timeoutMs, intervalMs: 250 });
}

/** The phases a remediation ends in. */
export const TERMINAL_PHASES: readonly string[] = ['Succeeded', 'Failed', 'RolledBack'];

/** Waits until the record is in one of `phases` and returns it; a timeout names the phase it is in and its status. */
export async function waitPhase(
  k: Kube,
  namespace: string,
  name: string,
  phases: readonly string[],
  { timeoutMs = 60_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<CustomObject> {
  return eventually(
    async () => {
      const record = await getObject(k, RECORDS, namespace, name);
      if (!phases.includes(phaseOf(record) ?? '')) throw new Error(`record ${name} is ${phaseOf(record) ?? '(no phase)'}: ${JSON.stringify(record.status ?? {}).slice(0, 1500)}`);
      return record;
    },
    { timeoutMs, intervalMs, description: `record ${namespace}/${name} in ${phases.join('|')}` },
  );
}

/** Waits until every record in `names` is in a gated phase; returns them by name. */
export async function waitAllGated(k: Kube, namespace: string, names: readonly string[], timeoutMs = 120_000): Promise<Map<string, CustomObject>> {
  return eventually(
    async () => {
      const records = new Map((await listObjects(k, RECORDS, namespace)).map((record) => [record.metadata.name, record]));
      const waiting = names.filter((name) => !isGated(records.get(name) ?? ({} as CustomObject)));
      if (waiting.length > 0) {
        const sample = records.get(waiting[0] as string);
        throw new Error(`${waiting.length} of ${names.length} records not gated yet, e.g. ${waiting[0]}: ${JSON.stringify(sample?.status ?? 'missing')}`);
      }
      return records;
    },
    { timeoutMs, intervalMs: 500, description: `${names.length} records gated` },
  );
}

// ------------------------------------------------------------------------------------------------- audit

export interface AuditRow {
  idempotency_key: string;
  record_uid: string | null;
  record_name: string | null;
  action: string;
  outcome: string;
  actor: string;
  actor_type: string;
}

/** The audit rows of the given records (all rows when `uids` is omitted); [] before the first migration. */
export async function auditRows(databaseUrl: string, uids?: readonly string[]): Promise<AuditRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'ci-remediator-tests-audit', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<AuditRow>(
      `select idempotency_key, record_uid, record_name, action, outcome, actor, actor_type from audit_log ${uids ? 'where record_uid = any($1)' : ''} order by id`,
      uids ? [uids] : [],
    );
    return result.rows;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return [];
    throw error;
  } finally {
    await client.end();
  }
}

/** Audit keys grouped by record uid, each as the list of phases in the order written. */
export function phasesByUid(rows: readonly AuditRow[]): Map<string, string[]> {
  const byUid = new Map<string, string[]>();
  for (const row of rows) {
    const slash = row.idempotency_key.lastIndexOf('/');
    const uid = row.idempotency_key.slice(0, slash);
    const phase = row.idempotency_key.slice(slash + 1);
    byUid.set(uid, [...(byUid.get(uid) ?? []), phase]);
  }
  return byUid;
}

/** A FailureRecord reporting the latest attempt of a run on the local GitHub server, as the action would create it. */
export async function reportRun(k: Kube, namespace: string, run: FakeRun): Promise<CustomObject> {
  const body = failureRecord({ repository: run.repo.fullName });
  const spec = body.spec as { workflow: Record<string, unknown>; commit: Record<string, unknown> };
  spec.workflow.runId = run.id;
  spec.workflow.runAttempt = run.latest.number;
  spec.workflow.url = `https://github.com/${run.repo.fullName}/actions/runs/${run.id}/attempts/${run.latest.number}`;
  spec.commit.sha = run.headSha;
  spec.commit.branch = run.headBranch;
  return createObject(k, RECORDS, namespace, body);
}
