import type { KubernetesObject } from '@kubernetes/client-node';
import { FAILURE_RECORD_FINALIZER, FailureRecordSpec, type AnalysisStatus, type FailurePhase, type FailureRecordStatus, type GateStatus } from '../../src/api/failure-record.ts';
import {
  deriveReady,
  INITIAL_PHASE,
  phaseForDecision,
  PRE_APPROVAL_CONDITIONS,
  PRE_GATE_PHASES,
  Reason,
  REGATEABLE_PHASES,
  setCondition,
  transitionPath,
  type Transition,
} from '../../src/api/lifecycle.ts';
import { gate, type GateInput, type GateResult } from '../../src/policy/gate.ts';
import { isNoMatchPolicy } from '../../src/policy/default-policy.ts';
import { StoreUnavailableError, type AuditEntryInput, type Store } from '../../src/store/index.ts';
import { errorMessage } from '../../src/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { isNotFound, patchFinalizers, patchStatus, withoutManagedFields, type KubeClients } from '../runtime/kube.ts';
import type { Logger } from '../runtime/logger.ts';
import { ConflictError, StalledError, TransientError } from '../runtime/reconcile-errors.ts';
import { splitKey } from '../runtime/work-queue.ts';
import { WriteTracker } from '../runtime/write-tracker.ts';
import { historyMayReclassify, historyReclassifies } from '../../src/analysis/rules-analyzer.ts';
import { awaitingCredentials, EXECUTION_CONDITIONS } from '../../src/remediation/plan.ts';
import { analyzeRecord } from './analyze-record.ts';
import { describeSpecIssues, redactFailureRecordSpec, unredactedSpecCondition } from '../../src/logs/redaction/failure-record-spec.ts';
import type { PolicyIndex } from './policy-index.ts';

/**
 * The FailureRecord reconciler, up to the gate: Pending -> Analyzing -> Analyzed -> AutoApproved |
 * AwaitingApproval | Blocked, and re-gating of records still waiting (Analyzed, AwaitingApproval) when
 * their policy changes.
 *
 * Shape (Flux's): get from the cache (missing = done) -> deletion path -> ensure finalizer -> sub-steps
 * (analyze, gate) -> status written on every path, with Ready derived from the owned conditions.
 *
 * No transition without its audit row: the rows of every step a reconcile takes are written (in one
 * transaction, idempotent by `${uid}/${phase}`) before the status that shows the new phase. A retry after a
 * failed status write writes the same keys again, which stores nothing new. When the database is down the
 * record stays where it was, Ready=False/AuditUnavailable says why, and the key is retried with backoff.
 * Several steps in one reconcile (Pending to gated) cost one audit transaction and one status write.
 */

export const FINALIZER = FAILURE_RECORD_FINALIZER;
export const ACTOR = 'ci-remediator-operator';
export const PLURAL = 'failurerecords';

export type RecordObject = KubernetesObject & { spec?: unknown; status?: FailureRecordStatus };

/**
 * The cache's copy of a record. Excerpts (up to 16 KiB per failed job) and what was derived from them (key
 * lines, cache keys, the analysis' reasoning) are only read to analyze a record; once status.analysis holds the result,
 * the cached copy leaves them out, so 10,000 analyzed records cost what their metadata and the rest of their
 * status cost, not their logs. A record still to be analyzed keeps everything.
 *
 * Safe because nothing here writes spec, and status is written as a JSON merge patch: a key the cached copy
 * lacks (analysis.reasoning) is a key the patch does not mention, which leaves the stored value alone. An
 * excerpt is blanked rather than left out only because the spec schema requires it.
 */
export function slimRecordForCache(object: RecordObject): RecordObject {
  const slim = withoutManagedFields(object);
  const spec = slim.spec as { failedJobs?: Record<string, unknown>[] } | undefined;
  const analysis = slim.status?.analysis;
  if (analysis === undefined || !Array.isArray(spec?.failedJobs)) return slim;
  const failedJobs = spec.failedJobs.map(({ keyLine: _keyLine, logSha256: _sha, excerptStartLine: _start, cacheKeys: _keys, ...job }) => ({ ...job, excerpt: '' }));
  const { reasoning: _reasoning, ...kept } = analysis;
  return { ...slim, spec: { ...spec, failedJobs }, status: { ...slim.status, analysis: kept as AnalysisStatus } };
}

export interface FailureRecordReconcilerOptions {
  records: { get(name: string, namespace?: string): RecordObject | undefined };
  policies: PolicyIndex;
  clients: KubeClients;
  store: () => Promise<Store>;
  events: EventRecorder;
  /** False once the lease may no longer be ours: then nothing is written. */
  canWrite: () => boolean;
  log: Logger;
  now?: () => Date;
  /** False when the operator has no GitHub credentials: AutoApproved records then say at once that they wait. */
  githubConfigured?: boolean;
}

/** Phases this reconciler acts on; later ones belong to the approval and execution controllers. */
const HANDLED: ReadonlySet<FailurePhase> = new Set([...PRE_GATE_PHASES, ...REGATEABLE_PHASES]);
const MAX_REASONS = 32;

export class FailureRecordReconciler {
  readonly #options: FailureRecordReconcilerOptions;
  readonly #now: () => Date;
  /** Our writes and the resourceVersion of the last one per key: a reconcile on a cache behind it is skipped. */
  readonly #writes: WriteTracker;

  constructor(options: FailureRecordReconcilerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#writes = new WriteTracker(options.canWrite);
  }

  reconcile = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    let record = this.#options.records.get(name, namespace);
    if (record === undefined) {
      this.#writes.forget(key);
      return;
    }
    if (this.#writes.cacheIsBehind(key, record)) return;
    if (!this.#options.canWrite()) return;

    if (record.metadata?.deletionTimestamp !== undefined) {
      await this.#finalize(key, record);
      return;
    }
    const finalizers = record.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) {
      record = await this.#writes.write(key, () => patchFinalizers<RecordObject>(this.#options.clients, ref(record!), rv(record!), [...finalizers, FINALIZER]));
    }
    await this.#reconcileStatus(key, record);
  };

  async #reconcileStatus(key: string, record: RecordObject): Promise<void> {
    const now = this.#now();
    const original: FailureRecordStatus = record.status ?? {};
    const from: FailurePhase = original.phase ?? INITIAL_PHASE;
    // AutoApproved and Blocked are final for this controller; later phases belong to others.
    if (!HANDLED.has(from)) return;
    const generation = record.metadata?.generation;
    const namespace = record.metadata?.namespace ?? '';
    const at = { observedGeneration: generation ?? 0 };

    let next: FailureRecordStatus = { ...original };
    let path: Transition[] = [];
    let blocker: { reason: string; message: string } | undefined;
    let failure: unknown;
    let regated: { from: string; to: string } | undefined;
    let spec: FailureRecordSpec | undefined;
    let owned: readonly string[] = PRE_APPROVAL_CONDITIONS;

    try {
      const parsed = FailureRecordSpec.safeParse(record.spec);
      if (!parsed.success) {
        const message = `spec is invalid: ${(await describeSpecIssues(parsed.error.issues, record.spec)).slice(0, 3).join('; ')}`;
        next.conditions = setCondition(next.conditions, { type: 'Analyzed', status: 'False', reason: Reason.AnalysisFailed, message, ...at }, now);
        throw new StalledError(message);
      }
      // Nothing below sees the stored spec: a record created by hand may hold secrets (src/logs/redaction/failure-record-spec.ts).
      const redacted = await redactFailureRecordSpec(parsed.data);
      spec = redacted.spec;
      if (Object.keys(redacted.redactions).length > 0) next.conditions = setCondition(next.conditions, unredactedSpecCondition(redacted.redactions, at.observedGeneration), now);

      const steps: FailurePhase[] = [];
      let analysis: AnalysisStatus | undefined = original.analysis;
      if (PRE_GATE_PHASES.has(from) || analysis === undefined) {
        try {
          analysis = await analyzeRecord(spec, now);
        } catch (error) {
          const message = `analysis failed: ${errorMessage(error)}`;
          next.conditions = setCondition(next.conditions, { type: 'Analyzed', status: 'False', reason: Reason.AnalysisFailed, message, ...at }, now);
          throw new TransientError(message, { cause: error });
        }
        // What is on record for this failure (did re-running fix it before?), read only when it could change
        // the category, and analysed again only when it does. The store must answer before anything moves anyway
        // (the audit rows need it), so a record whose history cannot be read waits with AuditUnavailable like
        // one whose audit cannot be written.
        if (historyMayReclassify(analysis.category)) {
          const history = await (await this.#options.store()).failureHistory(spec.repository, spec.fingerprint);
          if (history !== null && historyReclassifies(analysis.category, history)) analysis = await analyzeRecord(spec, now, history);
        }
        next.analysis = analysis;
        steps.push('Analyzing', 'Analyzed');
        next.conditions = setCondition(
          next.conditions,
          { type: 'Analyzed', status: 'True', reason: Reason.Analyzed, message: `${analysis.category} (risk ${analysis.riskScore}): ${analysis.summary}`, ...at },
          now,
        );
      }

      const { policy } = this.#options.policies.resolve(namespace, spec.repository);
      const result = gateRecord(spec, analysis, policy);
      const gateStatus: GateStatus = {
        decision: result.decision,
        reasons: result.reasons.slice(0, MAX_REASONS).map((reason) => (reason.length > 1024 ? `${reason.slice(0, 1021)}...` : reason)),
        policyName: result.policy,
        policyGeneration: policy.metadata.generation ?? 0,
        threshold: result.threshold,
        riskScore: result.riskScore,
        touchesApplicationCode: result.touchesApplicationCode,
        decidedAt: now.toISOString(),
      };
      const previous = original.gate;
      if (previous === undefined || !sameGate(previous, gateStatus)) {
        next.gate = gateStatus;
        if (previous !== undefined && REGATEABLE_PHASES.has(from)) {
          regated = { from: `${previous.policyName}@${previous.policyGeneration}`, to: `${gateStatus.policyName}@${gateStatus.policyGeneration}` };
        }
      }
      const target = phaseForDecision(result.decision);
      steps.push(target);
      const noMatch = isNoMatchPolicy(policy);
      next.conditions = setCondition(
        next.conditions,
        {
          type: 'Gated',
          status: 'True',
          reason: noMatch ? Reason.NoMatchingPolicy : target,
          message: `${result.decision} under policy '${result.policy}': ${gateStatus.reasons[0] ?? ''}`,
          ...at,
        },
        now,
      );

      // Landing on AutoApproved with nothing to execute it: say so in this write rather than in a second one.
      const waits = target === 'AutoApproved' ? awaitingCredentials(analysis.proposedRemediation.action, this.#options.githubConfigured ?? true) : undefined;
      if (waits !== undefined) {
        next.conditions = setCondition(next.conditions, { ...waits, ...at }, now);
        owned = EXECUTION_CONDITIONS;
      }

      path = transitionPath(from, steps);
      if (path.length > 0) {
        // The audit rows first: a status showing a phase whose row is missing must never exist.
        const store = await this.#options.store();
        const inserted = await store.appendAuditBatch(path.map((step) => auditRow(record, spec!, analysis!, gateStatus, step)));
        // Counted once per record: a retried reconcile finds its rows already there and inserts none.
        if (inserted > 0 && steps.includes('Analyzed')) this.#recordSeen(key, spec, analysis);
        next.phase = path[path.length - 1]!.to;
      }
    } catch (error) {
      failure = error;
      if (error instanceof StoreUnavailableError) {
        // Stay where we are: no new phase, analysis or gate without the audit rows that record them.
        next = { ...original };
        path = [];
        regated = undefined;
        blocker = { reason: Reason.AuditUnavailable, message: `the audit log cannot be written, so the record waits: ${error.message}` };
      }
    }

    next.conditions = setCondition(next.conditions, deriveReady(next.conditions, owned, generation, blocker), now);
    if (generation !== undefined) next.observedGeneration = generation;

    if (!equalJson(original, next)) {
      const timings = path.length > 0 && spec !== undefined ? this.#recordTimings(key, spec, next, now) : Promise.resolve();
      try {
        await this.#writes.write(key, () => patchStatus<RecordObject>(this.#options.clients, ref(record), rv(record), next));
      } catch (error) {
        // The original failure says more than the status write that followed it.
        throw failure ?? error;
      } finally {
        await timings;
      }
      this.#emitEvents(record, path, next, regated);
    }

    if (failure instanceof StoreUnavailableError) throw new TransientError(failure.message, { cause: failure });
    if (failure !== undefined) throw failure;
  }

  async #finalize(key: string, record: RecordObject): Promise<void> {
    const finalizers = record.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    const phase = record.status?.phase ?? INITIAL_PHASE;
    const store = await this.#options.store();
    try {
      await store.appendAudit(
        transitionAuditRow(record, { from: phase, to: 'Deleted' }, 'the FailureRecord was deleted', {
          ...repositoryOf(record),
          ...(record.status?.analysis?.category !== undefined && { category: record.status.analysis.category }),
        }),
      );
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw new TransientError(`cannot write the deletion's audit row: ${error.message}`, { cause: error });
      throw error;
    }
    try {
      await this.#writes.write(key, () =>
        patchFinalizers<RecordObject>(this.#options.clients, ref(record), rv(record), finalizers.filter((f) => f !== FINALIZER)),
      );
    } catch (error) {
      if (error instanceof ConflictError || !isNotFound(error)) throw error;
    }
  }

  #recordSeen(key: string, spec: FailureRecordSpec, analysis: AnalysisStatus): void {
    // Best effort, like timings: the history sharpens later analyses of the same failure.
    void this.#options
      .store()
      .then((store) => store.recordFailureSeen(spec.repository, spec.fingerprint, new Date(spec.detectedAt), analysis.category))
      .catch((error: unknown) => this.#options.log.warn({ key, err: errorMessage(error) }, 'failure not recorded in the history'));
  }

  async #recordTimings(key: string, spec: FailureRecordSpec, status: FailureRecordStatus, now: Date): Promise<void> {
    try {
      const store = await this.#options.store();
      await store.recordTimings({
        recordKey: key,
        repository: spec.repository,
        detectedAt: new Date(spec.detectedAt),
        ...(status.analysis !== undefined && {
          category: status.analysis.category,
          analyzer: status.analysis.analyzer,
          riskScore: status.analysis.riskScore,
          analyzedAt: new Date(status.analysis.analyzedAt ?? now),
        }),
        ...(status.gate !== undefined && { gateDecision: status.gate.decision, gatedAt: now }),
      });
    } catch (error) {
      // Timings feed `ci-remediator metrics`; losing one is not worth holding up a transition.
      this.#options.log.warn({ key, err: errorMessage(error) }, 'timings not recorded');
    }
  }

  /**
   * One Event per reconcile, for the phase it ended in, rather than one per step: a new record usually goes
   * from Pending to its gated phase in one reconcile, and an Event is a write to kube-apiserver, the
   * bottleneck when records arrive in bursts. The message carries what the skipped steps would have said
   * (the analysis), so `kubectl describe` still tells the whole story.
   */
  #emitEvents(record: RecordObject, path: readonly Transition[], status: FailureRecordStatus, regated: { from: string; to: string } | undefined): void {
    const { events } = this.#options;
    const last = path[path.length - 1];
    const analysis = status.analysis;
    const analyzed = path.some((step) => step.to === 'Analyzed') && analysis !== undefined;
    const found = analyzed ? `${analysis.category}, risk ${analysis.riskScore}: ${analysis.summary}` : undefined;
    if (last !== undefined && last.to !== 'Analyzing') {
      if (last.to === 'Analyzed') {
        events.emit(record, 'Normal', Reason.Analyzed, found ?? 'analyzed');
      } else {
        const gateStatus = status.gate;
        const decided = gateStatus ? `${path[0]!.from} -> ${last.to} under policy '${gateStatus.policyName}': ${gateStatus.reasons[0] ?? ''}` : last.to;
        events.emit(record, last.to === 'Blocked' ? 'Warning' : 'Normal', last.to, found === undefined ? decided : `${decided} (analysis: ${found})`);
      }
    }
    if (regated !== undefined) {
      events.emit(record, 'Normal', Reason.Regated, `re-gated after a policy change (${regated.from} -> ${regated.to}): ${status.gate?.decision ?? ''}`);
    }
  }
}

/** The gate's decision on a record's analysis under `policy` (the execution reconciler re-checks it before acting). */
export function gateRecord(spec: FailureRecordSpec, analysis: AnalysisStatus, policy: GateInput['policy']): GateResult {
  return gate({
    analysis: {
      category: analysis.category,
      riskScore: analysis.riskScore,
      components: analysis.components,
      proposedRemediation: { action: analysis.proposedRemediation.action, rationale: analysis.proposedRemediation.rationale },
      injectionSuspected: analysis.injectionSuspected,
    },
    // Only the rules analyzer runs in the operator, so its score is the floor.
    rulesFloor: analysis.riskScore,
    repository: spec.repository,
    ...(spec.changedFiles !== undefined && { changedFiles: spec.changedFiles }),
    policy,
  });
}

function auditRow(record: RecordObject, spec: FailureRecordSpec, analysis: AnalysisStatus, gateStatus: GateStatus, step: Transition): AuditEntryInput {
  let reason: string;
  if (step.to === 'Analyzing') reason = 'analysis started';
  else if (step.to === 'Analyzed') reason = `${analysis.category} (risk ${analysis.riskScore}): ${analysis.summary}`;
  else reason = `${gateStatus.decision} under policy '${gateStatus.policyName}' (generation ${gateStatus.policyGeneration}): ${gateStatus.reasons[0] ?? ''}`;
  return transitionAuditRow(record, step, reason, { repository: spec.repository, category: analysis.category });
}

/**
 * The audit row of one transition of `record`, by either of its reconcilers (and on deletion). Its key,
 * `${uid}/${to}`, makes it idempotent: a retried reconcile writes each transition once.
 */
export function transitionAuditRow(
  record: RecordObject,
  step: { from: string; to: string },
  reason: string,
  about: Pick<AuditEntryInput, 'repository' | 'category'>,
): AuditEntryInput {
  const uid = record.metadata?.uid ?? '';
  return {
    idempotencyKey: `${uid}/${step.to}`,
    actor: ACTOR,
    actorType: 'system',
    action: 'transition',
    outcome: step.to,
    record: { namespace: record.metadata?.namespace, name: record.metadata?.name, uid },
    ...about,
    details: { from: step.from, to: step.to, reason },
  };
}

function repositoryOf(record: RecordObject): { repository?: string } {
  const repository = (record.spec as { repository?: unknown } | undefined)?.repository;
  return typeof repository === 'string' ? { repository } : {};
}

function sameGate(a: GateStatus, b: GateStatus): boolean {
  return (
    a.decision === b.decision &&
    a.policyName === b.policyName &&
    a.policyGeneration === b.policyGeneration &&
    a.threshold === b.threshold &&
    a.riskScore === b.riskScore &&
    a.reasons.length === b.reasons.length &&
    a.reasons.every((reason, i) => reason === b.reasons[i])
  );
}

function ref(record: RecordObject) {
  return { plural: PLURAL, namespace: record.metadata?.namespace ?? '', name: record.metadata?.name ?? '' };
}

function rv(record: RecordObject): string {
  return record.metadata?.resourceVersion ?? '';
}

/** Deep equality of JSON values, ignoring key order (the API server does not keep ours). */
export function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => equalJson(item, other[i]));
  }
  const left = Object.entries(a as Record<string, unknown>).filter(([, value]) => value !== undefined);
  const right = Object.entries(b as Record<string, unknown>).filter(([, value]) => value !== undefined);
  if (left.length !== right.length) return false;
  const map = b as Record<string, unknown>;
  return left.every(([k, value]) => equalJson(value, map[k]));
}
