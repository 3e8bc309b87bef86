import { FAILURE_RECORD_FINALIZER, FailureRecordSpec, type FailureRecord, type AnalysisStatus, type FailurePhase, type FailureRecordStatus, type GateStatus } from '../../src/api/failure-record.ts';
import {
  deriveReady,
  INITIAL_PHASE,
  ownerOf,
  phaseForDecision,
  PRE_APPROVAL_CONDITIONS,
  PRE_GATE_PHASES,
  Reason,
  REGATEABLE_PHASES,
  setCondition,
  transitionPath,
  type Transition,
} from '../../src/api/lifecycle.ts';
import { parseDuration } from '../../src/duration.ts';
import type { RemediationPolicy } from '../../src/api/remediation-policy.ts';
import type { GateInput, GateResult } from '../../src/policy/gate.ts';
import { isNoMatchPolicy } from '../../src/policy/default-policy.ts';
import { StoreUnavailableError } from '../../src/store/index.ts';
import { errorMessage } from '../../src/errors.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import type { EventType } from '../runtime/events.ts';
import { isNotFound, patchFinalizers, patchStatus, withoutManagedFields } from '../runtime/kube.ts';
import { ConflictError, StalledError, TransientError } from '../runtime/reconcile-errors.ts';
import type { WriteTracker } from '../runtime/write-tracker.ts';
import { historyMayReclassify, historyReclassifies } from '../../src/analysis/rules-analyzer.ts';
import { awaitingCredentials, clipOutput, EXECUTION_CONDITIONS } from '../../src/remediation/plan.ts';
import { configuredProviders, noteStandIn } from '../../src/policy/analysis-provider.ts';
import type { Analyzer } from '../../src/analysis/analyzer.ts';
import { gateStoredAnalysis } from '../../src/policy/stored-gate.ts';
import { analyzeRecord, type RecordModel } from './analyze-record.ts';
import type { AnalysisPool } from './analysis-pool.ts';
import { repositoryOf, transitionAuditRow } from './audit-rows.ts';
import { describeSpecIssues, redactFailureRecordSpec, unredactedSpecCondition } from '../../src/logs/redaction/failure-record-spec.ts';
import type { PolicyIndex } from './policy-index.ts';
import { cachedRecord, recordRef, type RecordObject } from './record-object.ts';
import { ownerParts, type RecordOwnerDeps } from './owner-deps.ts';
import type { TransitionWriter } from './transition-writer.ts';

/**
 * The FailureRecord reconciler, up to the gate: Pending -> Analyzing -> Analyzed -> AutoApproved |
 * AwaitingApproval | Blocked, and re-gating of records still waiting (Analyzed, AwaitingApproval) when
 * their policy changes.
 *
 * Shape (Flux's): get from the cache (missing = done) -> deletion path -> ensure finalizer -> sub-steps
 * (analyze, gate) -> status written on every path, with Ready derived from the owned conditions.
 *
 * The analysis runs on the analysis pool (analysis-pool.ts), not on this queue's workers: the first reconcile
 * of a new record queues it and returns, and the pool puts the key back when the result is ready.
 *
 * No transition without its audit row: every phase change goes through the TransitionWriter (rows, then
 * status, Event, metrics, notifier). When the database is down the record stays where it was,
 * Ready=False/AuditUnavailable says why, and the key is retried with backoff. Several steps in one reconcile
 * (Pending to gated) cost one audit transaction and one status write.
 */

export const FINALIZER = FAILURE_RECORD_FINALIZER;
export { ACTOR } from './audit-rows.ts';
export { PLURAL, type RecordObject } from './record-object.ts';

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
  // Once analyzed, nothing reads the log-derived fields from the cache again (re-gates read status.analysis;
  // the executor and the notifier read the record as written), and they are most of a record's size.
  const failedJobs = spec.failedJobs.map(
    ({ keyLine: _keyLine, logSha256: _sha, excerptStartLine: _start, excerptWindows: _windows, signals: _signals, cacheKeys: _keys, ...job }) => ({ ...job, excerpt: '' }),
  );
  const { reasoning: _reasoning, ...kept } = analysis;
  return { ...slim, spec: { ...spec, failedJobs }, status: { ...slim.status, analysis: kept as AnalysisStatus } };
}

/** The analyzer the pool runs: `analyzeRecord` unless a test or the benchmark slows it down (see runtime-manager.ts). */
export type AnalyzeFn = (key: string, spec: FailureRecordSpec, now: Date, history?: Parameters<typeof analyzeRecord>[2], model?: RecordModel) => Promise<AnalysisStatus>;

export interface FailureRecordReconcilerOptions extends RecordOwnerDeps {
  policies: PolicyIndex;
  analysis: AnalysisPool;
  analyze?: AnalyzeFn;
  /** False when the operator has no GitHub credentials: AutoApproved records then say at once that they wait. */
  githubConfigured?: boolean;
  /** The model analyzer (built once at start, with an API key): records whose policy says `provider: openai` use it. */
  model?: ModelDeps;
  /** False when the operator has no Slack settings: a record awaiting approval says so (SlackNotConfigured). */
  slackConfigured?: boolean;
}

export interface ModelDeps {
  analyzer: Analyzer;
  /** Estimated USD of a call (src/analysis/model/token-budget.ts, loaded with the model libraries only). */
  costUsd: (model: string, tokens: { input: number; output: number }) => number;
}

/** The condition a model-analysed record carries: True when the model's verdict was merged, False with why it was not. */
export const MODEL_CONDITION = 'ModelAnalysis';

/** The condition that tells a record awaiting approval that nobody was asked (no Slack settings). */
export const SLACK_CONDITION = 'SlackNotified';

const MAX_REASONS = 32;
/** The policy's approval.timeout when a policy somehow has none (the schema defaults it to this). */
const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export class FailureRecordReconciler {
  readonly #options: FailureRecordReconcilerOptions;
  readonly #now: () => Date;
  /** Our writes and the resourceVersion of the last one per key: a reconcile on a cache behind it is skipped. */
  readonly #writes: WriteTracker;
  readonly #transitions: TransitionWriter;
  readonly #analyze: AnalyzeFn;

  constructor(options: FailureRecordReconcilerOptions) {
    this.#options = options;
    ({ now: this.#now, writes: this.#writes, transitions: this.#transitions } = ownerParts(options));
    this.#analyze = options.analyze ?? ((_key, spec, now, history, model) => analyzeRecord(spec, now, history, model));
    this.#providers = configuredProviders(options.model !== undefined);
  }

  readonly #providers: ReturnType<typeof configuredProviders>;

  reconcile = async (key: string): Promise<ReconcileResult | void> => {
    let record = cachedRecord(this.#options.records, key);
    if (record === undefined) {
      this.#writes.forget(key);
      this.#options.analysis.forget(key);
      return;
    }
    if (this.#writes.cacheIsBehind(key, record)) return;
    if (!this.#options.canWrite()) return;

    if (record.metadata?.deletionTimestamp !== undefined) {
      this.#options.analysis.forget(key);
      await this.#finalize(key, record);
      return;
    }
    const finalizers = record.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) {
      record = await this.#writes.write(key, () => patchFinalizers<RecordObject>(this.#options.clients, recordRef(record!), rv(record!), [...finalizers, FINALIZER]));
    }
    return this.#reconcileStatus(key, record);
  };

  async #reconcileStatus(key: string, record: RecordObject): Promise<ReconcileResult | void> {
    const now = this.#now();
    const original: FailureRecordStatus = record.status ?? {};
    const from: FailurePhase = original.phase ?? INITIAL_PHASE;
    // The phase-owner table: later phases belong to the approval and execution owners (which hand an
    // AwaitingApproval record back here for re-gating).
    const owner = ownerOf(from);
    if (owner !== 'record' && !REGATEABLE_PHASES.has(from)) return;
    const generation = record.metadata?.generation;
    const namespace = record.metadata?.namespace ?? '';
    const at = { observedGeneration: generation ?? 0 };

    let next: FailureRecordStatus = { ...original };
    let path: Transition[] = [];
    let reasons: string[] = [];
    let event: { type: EventType; reason: string; message: string } | undefined;
    let blocker: { reason: string; message: string } | undefined;
    let failure: unknown;
    let regated: { from: string; to: string } | undefined;
    let spec: FailureRecordSpec | undefined;
    let analyzedNow = false;
    let owned: readonly string[] = PRE_APPROVAL_CONDITIONS;
    let askNow = false;

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
        const parsedSpec = spec;
        const ref = { namespace, name: record.metadata?.name ?? '', ...(record.metadata?.uid !== undefined && { uid: record.metadata.uid }) };
        const outcome = this.#options.analysis.take(key, `${record.metadata?.uid ?? ''}/${generation ?? 0}`, (signal) => this.#analyzeWithHistory(key, parsedSpec, now, ref, signal));
        // The pool puts the key back on this queue when the analysis ends.
        if (outcome === 'pending') return;
        if (!outcome.ok) {
          // A history that cannot be read waits like an audit that cannot be written (the store must answer anyway).
          if (outcome.error instanceof StoreUnavailableError) throw outcome.error;
          const message = `analysis failed: ${errorMessage(outcome.error)}`;
          next.conditions = setCondition(next.conditions, { type: 'Analyzed', status: 'False', reason: Reason.AnalysisFailed, message, ...at }, now);
          throw new TransientError(message, { cause: outcome.error });
        }
        const governing = this.#options.policies.resolve(namespace, spec.repository).policy;
        analysis = noteStandIn(outcome.analysis, governing, this.#providers);
        analyzedNow = true;
        next.analysis = analysis;
        steps.push('Analyzing', 'Analyzed');
        next.conditions = setCondition(
          next.conditions,
          { type: 'Analyzed', status: 'True', reason: Reason.Analyzed, message: `${analysis.category} (risk ${analysis.riskScore}): ${analysis.summary}`, ...at },
          now,
        );
        const modelCondition = modelAnalysisCondition(analysis);
        if (modelCondition !== undefined) next.conditions = setCondition(next.conditions, { ...modelCondition, ...at }, now);
      }

      const { policy } = this.#options.policies.resolve(namespace, spec.repository);
      const result = gateRecord(spec, analysis, policy);
      const gateStatus: GateStatus = {
        decision: result.decision,
        reasons: result.reasons.slice(0, MAX_REASONS).map((reason) => clipOutput(reason, 1024)),
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
      // Entering AwaitingApproval starts the approval clock (the approval owner expires it); a record that
      // predates the clock gets one now.
      if (target === 'AwaitingApproval' && (from !== 'AwaitingApproval' || original.approval?.expiresAt === undefined)) {
        const expiresAt = new Date(now.getTime() + approvalTimeoutMs(policy));
        next.approval = { ...original.approval, requestedAt: now.toISOString(), expiresAt: expiresAt.toISOString() };
      }

      // Waiting for a person whom nobody can ask: say so where `kubectl describe` shows it.
      if (target === 'AwaitingApproval' && this.#options.slackConfigured === false) {
        next.conditions = setCondition(
          next.conditions,
          {
            type: SLACK_CONDITION,
            status: 'False',
            reason: 'SlackNotConfigured',
            message: 'approval needed, but the operator has no Slack settings (--slack-bot-token-file and --slack-signing-secret-file or --slack-app-token-file): nobody was asked; docs/slack.md',
            ...at,
          },
          now,
        );
      } else if (target === 'AwaitingApproval' && from === 'AwaitingApproval' && next.conditions?.some((condition) => condition.type === SLACK_CONDITION)) {
        // Slack was configured since: drop the condition, and ask now (below) those nobody asked.
        next.conditions = next.conditions.filter((condition) => condition.type !== SLACK_CONDITION);
        askNow = true;
      }

      // Landing on AutoApproved with nothing to execute it: say so in this write rather than in a second one.
      const waits = target === 'AutoApproved' ? awaitingCredentials(analysis.proposedRemediation.action, this.#options.githubConfigured ?? true) : undefined;
      if (waits !== undefined) {
        next.conditions = setCondition(next.conditions, { ...waits, ...at }, now);
        owned = EXECUTION_CONDITIONS;
      }

      path = transitionPath(from, steps);
      if (path.length > 0) {
        reasons = path.map((step) => auditReason(analysis!, gateStatus, step));
        next.phase = path[path.length - 1]!.to;
        event = transitionEvent(path, next, analyzedNow, regated);
      }
    } catch (error) {
      failure = error;
    }

    const finish = (status: FailureRecordStatus, reasonIfBlocked?: { reason: string; message: string }): FailureRecordStatus => {
      const done = { ...status, conditions: setCondition(status.conditions, deriveReady(status.conditions, owned, generation, reasonIfBlocked), now) };
      if (generation !== undefined) done.observedGeneration = generation;
      return done;
    };

    if (failure === undefined && path.length > 0 && spec !== undefined && event !== undefined) {
      const status = finish(next);
      const analysis = status.analysis!;
      const parsedSpec = spec;
      const timings = this.#recordTimings(key, parsedSpec, status, now);
      try {
        const written = await this.#transitions.write({
          key,
          record,
          path,
          reasons,
          about: { repository: parsedSpec.repository, category: analysis.category },
          status,
          event,
          // Counted once per record: a retried reconcile finds its rows already there and inserts none.
          onAudited: (inserted) => {
            if (inserted > 0 && analyzedNow) this.#recordSeen(key, parsedSpec, analysis);
          },
        });
        return requeueForApproval(written.status, now);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        failure = error;
      } finally {
        await timings;
      }
    }

    if (failure instanceof StoreUnavailableError) {
      // Stay where we are: no new phase, analysis or gate without the audit rows that record them.
      next = { ...original };
      regated = undefined;
      blocker = { reason: Reason.AuditUnavailable, message: `the audit log cannot be written, so the record waits: ${failure.message}` };
    }
    next = finish(next, blocker);

    if (!equalJson(original, next)) {
      let written: RecordObject;
      try {
        written = await this.#writes.write(key, () => patchStatus<RecordObject>(this.#options.clients, recordRef(record), rv(record), next));
      } catch (error) {
        // The original failure says more than the status write that followed it.
        throw failure ?? error;
      }
      // A re-gate that kept the phase is no transition, but still worth an Event.
      if (regated === undefined && askNow && next.phase === 'AwaitingApproval') {
        const message = 'waiting for approval since before Slack was configured';
        await this.#options.notifier
          .notify({ record: written as unknown as FailureRecord, from: 'AwaitingApproval', to: 'AwaitingApproval', reason: 'SlackConfigured', message, actor: 'operator', at: now })
          .catch((error: unknown) => this.#options.log.warn({ key, err: errorMessage(error) }, 'notifier failed'));
      }
      if (regated !== undefined) {
        const message = `re-gated after a policy change (${regated.from} -> ${regated.to}): ${next.gate?.decision ?? ''}`;
        this.#options.events.emit(record, 'Normal', Reason.Regated, message);
        // Still waiting for a person, under a new policy generation: the old card's buttons are stale, so the
        // notifier retires it and posts a new one (its digest binds the policy generation).
        if (next.phase === 'AwaitingApproval') {
          await this.#options.notifier
            .notify({ record: written as unknown as FailureRecord, from: 'AwaitingApproval', to: 'AwaitingApproval', reason: Reason.Regated, message, actor: 'operator', at: now })
            .catch((error: unknown) => this.#options.log.warn({ key, err: errorMessage(error) }, 'notifier failed'));
        }
      }
    }

    if (failure instanceof StoreUnavailableError) throw new TransientError(failure.message, { cause: failure });
    if (failure !== undefined) throw failure;
    return requeueForApproval(next, now);
  }

  async #analyzeWithHistory(key: string, spec: FailureRecordSpec, now: Date, ref: RecordModel['record'], signal: AbortSignal): Promise<AnalysisStatus> {
    const model = this.#modelFor(spec, ref, signal);
    // With a model, the rules go first alone: the history is read before the one (paid) model call, not after.
    let analysis = await this.#analyze(key, spec, now);
    let history: Parameters<AnalyzeFn>[3];
    // What is on record for this failure (did re-running fix it before?), read only when it could change
    // the category, and analysed again only when it does.
    if (historyMayReclassify(analysis.category)) {
      const found = await (await this.#options.store()).failureHistory(spec.repository, spec.fingerprint);
      if (found !== null && historyReclassifies(analysis.category, found)) history = found;
    }
    if (model !== undefined) {
      analysis = await this.#analyze(key, spec, now, history, model);
      countModelUse(this.#options.metrics, this.#options.model!.costUsd, model.policy.metadata.name, analysis);
    } else if (history !== undefined) analysis = await this.#analyze(key, spec, now, history);
    return analysis;
  }

  /** The model for a record whose policy asks for it, when the operator has one. */
  #modelFor(spec: FailureRecordSpec, ref: RecordModel['record'], signal: AbortSignal): RecordModel | undefined {
    const analyzer = this.#options.model?.analyzer;
    if (analyzer === undefined) return undefined;
    const { policy } = this.#options.policies.resolve(ref.namespace, spec.repository);
    if (policy.spec.analysis.provider !== 'openai') return undefined;
    return { analyzer, policy, record: ref, signal };
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
        patchFinalizers<RecordObject>(this.#options.clients, recordRef(record), rv(record), finalizers.filter((f) => f !== FINALIZER)),
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
        // Blocked is where a blocked record ends: its result, as `metrics` documents it.
        ...(status.gate?.decision === 'blocked' && { result: 'blocked' as const }),
      });
    } catch (error) {
      // Timings feed `ci-remediator metrics`; losing one is not worth holding up a transition.
      this.#options.log.warn({ key, err: errorMessage(error) }, 'timings not recorded');
    }
  }
}

/** ModelAnalysis on a record the model was asked about: True with what it cost, or False with why the rules stand. */
export function modelAnalysisCondition(analysis: AnalysisStatus): { type: string; status: 'True' | 'False'; reason: string; message: string } | undefined {
  if (analysis.fallback !== undefined) return { type: MODEL_CONDITION, status: 'False', reason: analysis.fallback.reason, message: analysis.fallback.message };
  if (analysis.analyzer !== 'openai') return undefined;
  const tokens = analysis.tokens ?? { input: 0, output: 0 };
  const cost = tokens.input + tokens.output === 0 ? 'a cached verdict, 0 tokens' : `${tokens.input} input and ${tokens.output} output tokens`;
  const calls = analysis.toolCalls?.length ?? 0;
  return { type: MODEL_CONDITION, status: 'True', reason: 'VerdictMerged', message: `${analysis.model ?? 'the model'}'s verdict merged with the rules' (${cost}, ${calls} tool call${calls === 1 ? '' : 's'})` };
}

/** Prometheus: tokens, estimated cost, fallbacks and the budget gauges, from one model analysis. */
function countModelUse(metrics: FailureRecordReconcilerOptions['metrics'], costUsd: ModelDeps['costUsd'], policy: string, analysis: AnalysisStatus): void {
  const model = analysis.model ?? 'unknown';
  const tokens = analysis.tokens;
  if (tokens !== undefined && tokens.input + tokens.output > 0) {
    metrics.modelTokens.inc({ model, direction: 'input' }, tokens.input);
    metrics.modelTokens.inc({ model, direction: 'output' }, tokens.output);
    metrics.modelCost.inc({ model }, costUsd(model, tokens));
    // A call was made, so both budgets had room.
    metrics.modelBudgetExhausted.set({ budget: 'daily', policy }, 0);
    metrics.modelBudgetExhausted.set({ budget: 'monthly', policy: '' }, 0);
  }
  const reason = analysis.fallback?.reason;
  if (reason === undefined) return;
  metrics.modelFallbacks.inc({ reason });
  if (reason === 'OverDailyBudget') metrics.modelBudgetExhausted.set({ budget: 'daily', policy }, 1);
  if (reason === 'OverMonthlyBudget') metrics.modelBudgetExhausted.set({ budget: 'monthly', policy: '' }, 1);
}

/** How long an approval request waits under `policy` (its approval.timeout, 24h by default). */
export function approvalTimeoutMs(policy: RemediationPolicy): number {
  return parseDuration(policy.spec.approval?.timeout ?? '24h') ?? DEFAULT_APPROVAL_TIMEOUT_MS;
}

/** A record waiting for approval comes back when its request expires (the approval owner ends it then). */
function requeueForApproval(status: FailureRecordStatus | undefined, now: Date): ReconcileResult | void {
  if (status?.phase !== 'AwaitingApproval') return;
  const expiresAt = Date.parse(status.approval?.expiresAt ?? '');
  if (Number.isNaN(expiresAt)) return;
  return { requeueAfterMs: Math.max(0, expiresAt - now.getTime()) };
}

/**
 * One Event per reconcile, for the phase it ended in, rather than one per step. The message carries what the
 * skipped steps would have said (the analysis, a re-gate), so `kubectl describe` still tells the whole story.
 */
function transitionEvent(path: readonly Transition[], status: FailureRecordStatus, analyzed: boolean, regated: { from: string; to: string } | undefined): { type: EventType; reason: string; message: string } {
  const last = path[path.length - 1]!;
  const analysis = status.analysis;
  const found = analyzed && analysis !== undefined ? `${analysis.category}, risk ${analysis.riskScore}: ${analysis.summary}` : undefined;
  if (last.to === 'Analyzed' || last.to === 'Analyzing') return { type: 'Normal', reason: Reason.Analyzed, message: found ?? 'analyzed' };
  const gateStatus = status.gate;
  const decided = gateStatus ? `${path[0]!.from} -> ${last.to} under policy '${gateStatus.policyName}': ${gateStatus.reasons[0] ?? ''}` : last.to;
  const why = regated === undefined ? '' : ` (re-gated after a policy change, ${regated.from} -> ${regated.to})`;
  return { type: last.to === 'Blocked' ? 'Warning' : 'Normal', reason: last.to, message: `${decided}${why}${found === undefined ? '' : ` (analysis: ${found})`}` };
}

/** The gate's decision on a record's analysis under `policy` (the execution reconciler re-checks it before acting). */
export function gateRecord(spec: FailureRecordSpec, analysis: AnalysisStatus, policy: GateInput['policy']): GateResult {
  return gateStoredAnalysis({ analysis, repository: spec.repository, ...(spec.changedFiles !== undefined && { changedFiles: spec.changedFiles }), policy });
}

function auditReason(analysis: AnalysisStatus, gateStatus: GateStatus, step: Transition): string {
  if (step.to === 'Analyzing') return 'analysis started';
  if (step.to === 'Analyzed') return `${analysis.category} (risk ${analysis.riskScore}): ${analysis.summary}`;
  return `${gateStatus.decision} under policy '${gateStatus.policyName}' (generation ${gateStatus.policyGeneration}): ${gateStatus.reasons[0] ?? ''}`;
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
