import type { RemediationAction } from '../../src/analysis/taxonomy.ts';
import { describeIssues } from '../../src/api/common.ts';
import { FailureRecordSpec, type AnalysisStatus, type ExecutionStatus, type FailurePhase, type FailureRecordStatus } from '../../src/api/failure-record.ts';
import { deriveReady, INITIAL_PHASE, ownerOf, setCondition, transitionPath, type ConditionInput } from '../../src/api/lifecycle.ts';
import { errorMessage } from '../../src/errors.ts';
import { GitHubApiError, GitHubRateLimitError } from '../../src/github/client.ts';
import type { GateResult } from '../../src/policy/gate.ts';
import { CATALOG } from '../../src/remediation/catalog.ts';
import { classifyGitHubFailure, type ExecuteResult, type RemediationExecutor } from '../../src/remediation/executor.ts';
import {
  abortReason,
  clipOutput,
  EXECUTION_CONDITIONS,
  ExecutionReason,
  GITHUB_NOT_CONFIGURED_MESSAGE,
  nextStep,
  policyRefusal,
  type RemediationOutcome,
} from '../../src/remediation/plan.ts';
import { checkPreconditions } from '../../src/remediation/preconditions.ts';
import type { Observation, RunSnapshot, RunTarget } from '../../src/remediation/types.ts';
import { isInProgress, judgeVerification, phaseAfterVerification, type VerificationDecision } from '../../src/remediation/verification.ts';
import { StoreUnavailableError, type AuditEntryInput, type Result } from '../../src/store/index.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import { patchStatus } from '../runtime/kube.ts';
import { StalledError, TransientError } from '../runtime/reconcile-errors.ts';
import type { WriteTracker } from '../runtime/write-tracker.ts';
import { categoryOf, githubAuditRow as githubRow } from './audit-rows.ts';
import { gateRecord } from './failurerecord.ts';
import type { PolicyIndex } from './policy-index.ts';
import { cachedRecord, recordRef, type RecordObject } from './record-object.ts';
import { ownerParts, type RecordOwnerDeps } from './owner-deps.ts';
import type { TransitionRequest, TransitionWriter } from './transition-writer.ts';
import { redactFailureRecordSpec } from '../../src/logs/redaction/failure-record-spec.ts';

/**
 * The execution reconciler: AutoApproved | Approved -> Executing -> Verifying -> Succeeded | Failed (-> RolledBack).
 * It shares the FailureRecord informer with FailureRecordReconciler but has a work queue of its own (see
 * routing.ts and docs/adr: each side acts on the phases the phase-owner table gives it). Decisions are the pure functions of
 * src/remediation; this class does the I/O around them in the order that makes a remediation happen at
 * most once:
 *
 *   1. read the run from GitHub and check the preconditions (nothing changed yet; a refusal ends Failed);
 *   2. write the audit row and then status {phase: Executing, execution: {action, intentRecordedAt}} with the
 *      resourceVersion the decision was based on: a concurrent change (or a second operator) gets a 409 and
 *      nothing is called;
 *   3. only then call GitHub; record the result (startedAt, result, newRunAttempt) with phase Verifying;
 *   4. a reconcile that finds Executing (an intent without its result: a crash, a lost response, a failed
 *      status write) calls nothing before looking on GitHub for the effect (`recover`);
 *   5. verification polls the new attempt with conditional requests, one poll per requeue, never blocking a
 *      worker; a deadline ends it inconclusive.
 *
 * Every phase change goes through the TransitionWriter (rows first, idempotent by `${uid}/${phase}` and
 * `${uid}/github/${call}`, then status, Event, metrics, notifier), so a retried reconcile writes nothing twice.
 */

export interface ExecutionReconcilerOptions extends RecordOwnerDeps {
  policies: PolicyIndex;
  /** Undefined when no GitHub credentials are configured: mutating remediations then wait and say why. */
  executor: RemediationExecutor | undefined;
  pollIntervalMs: number;
  verifyTimeoutMs: number;
}

interface Context {
  key: string;
  record: RecordObject;
  status: FailureRecordStatus;
  phase: FailurePhase;
  spec: FailureRecordSpec;
  analysis: AnalysisStatus;
  action: RemediationAction;
  target: RunTarget;
  now: Date;
}

interface CachedPoll {
  attempt: number;
  etag: string;
  run: RunSnapshot;
}


export class ExecutionReconciler {
  readonly #options: ExecutionReconcilerOptions;
  readonly #now: () => Date;
  /** Our writes and the resourceVersion of the last one per key: a reconcile on a cache behind it is skipped. */
  readonly #writes: WriteTracker;
  /** The ETag and run of the last 200 per key, so the next poll is conditional. Lost on restart: one full read. */
  readonly #polls = new Map<string, CachedPoll>();
  /** When the next verification poll of a key is due; an earlier reconcile (a watch event) does not poll. */
  readonly #nextPoll = new Map<string, number>();
  readonly #transitions: TransitionWriter;

  constructor(options: ExecutionReconcilerOptions) {
    this.#options = options;
    ({ now: this.#now, writes: this.#writes, transitions: this.#transitions } = ownerParts(options));
  }

  /** Whether this reconciler owns the record's current phase (the phase-owner table). */
  handles(record: RecordObject): boolean {
    return ownerOf(record.status?.phase) === 'execution';
  }

  reconcile = async (key: string): Promise<ReconcileResult | void> => {
    const record = this.#get(key);
    if (record === undefined) {
      this.#forget(key);
      return;
    }
    if (this.#writes.cacheIsBehind(key, record)) return;
    if (!this.#options.canWrite() || record.metadata?.deletionTimestamp !== undefined) return;
    const status = record.status ?? {};
    const phase = status.phase ?? INITIAL_PHASE;
    if (ownerOf(phase) !== 'execution') return;
    const parsed = FailureRecordSpec.safeParse(record.spec);
    if (!parsed.success) throw new StalledError(`${key}: spec is invalid, so there is nothing to execute from: ${describeIssues(parsed.error.issues, record.spec).slice(0, 3).join('; ')}`);
    if (status.analysis === undefined) throw new StalledError(`${key}: no status.analysis to execute from`);
    // Precondition reasons quote the branch into status and Events: never from an unredacted (hand-made) spec.
    const { spec } = await redactFailureRecordSpec(parsed.data);
    const action = status.execution?.action ?? status.analysis.proposedRemediation.action;
    const ctx: Context = {
      key,
      record,
      status,
      phase,
      spec,
      analysis: status.analysis,
      action,
      target: {
        repository: spec.repository,
        runId: spec.workflow.runId,
        runAttempt: spec.workflow.runAttempt,
        sha: spec.commit.sha,
        ...(spec.commit.branch !== undefined && { branch: spec.commit.branch }),
      },
      now: this.#now(),
    };
    const step = nextStep({ phase, action, execution: status.execution, githubConfigured: this.#options.executor !== undefined });
    switch (step.step) {
      case 'await-credentials':
        return this.#updateConditions(ctx, [{ type: 'Executed', status: 'False', reason: ExecutionReason.GitHubNotConfigured, message: GITHUB_NOT_CONFIGURED_MESSAGE }]);
      case 'notify':
        return this.#notifyOnly(ctx);
      case 'start':
        return this.#start(ctx);
      case 'recover':
        return this.#recover(ctx);
      case 'verify':
        return this.#verify(ctx, step.attempt);
      case 'none':
        return;
    }
  };

  /**
   * Called before the record's finalizer is removed. A re-run still going when its record is deleted is
   * aborted: the remediation's record (and so its verification) is gone, and an unattended run nobody
   * follows any more is the thing to undo. GitHub errors other than refusals keep the finalizer (retried).
   */
  async finalize(key: string, record: RecordObject): Promise<void> {
    this.#forget(key);
    const executor = this.#options.executor;
    const phase = record.status?.phase ?? INITIAL_PHASE;
    if (executor === undefined || (phase !== 'Executing' && phase !== 'Verifying')) return;
    const parsed = FailureRecordSpec.safeParse(record.spec);
    const action = record.status?.execution?.action;
    if (!parsed.success || action === undefined || CATALOG[action].rollback === undefined) return;
    const spec = parsed.data;
    const target: RunTarget = { repository: spec.repository, runId: spec.workflow.runId, runAttempt: spec.workflow.runAttempt, sha: spec.commit.sha };
    const reason = 'the FailureRecord was deleted while its re-run was in progress';
    try {
      const { newRunAttempt, run } = await executor.findEffect(target);
      if (newRunAttempt === undefined || !isInProgress(run)) return;
      // A replica that lost its lease cancels nothing: the finalizer stays and the next leader decides.
      if (!this.#options.canWrite()) throw new TransientError('not the leader: no GitHub call');
      const cancelled = await executor.cancel(target);
      if (!cancelled) return;
      const now = this.#now();
      // No status: the record is being deleted, nothing writes it again.
      await this.#transitions.write({
        key,
        record,
        path: transitionPath(phase, ['Failed', 'RolledBack']),
        reasons: [reason],
        about: { repository: spec.repository, ...categoryOf(record) },
        extraRows: [githubRow(record, spec.repository, 'cancel-run', 'accepted', { reason, runAttempt: newRunAttempt, call: `POST /repos/${spec.repository}/actions/runs/${spec.workflow.runId}/cancel` })],
        event: { type: 'Warning', reason: 'RolledBack', message: `cancelled attempt ${newRunAttempt} of run ${spec.workflow.runId}: ${reason}` },
        remediation: { action, result: 'rolled_back' },
      });
      this.#options.log.info({ key, runId: spec.workflow.runId, attempt: newRunAttempt, at: now.toISOString() }, 'remediation rolled back on deletion');
    } catch (error) {
      const kind = classifyGitHubFailure(error);
      if (kind === 'transient' || error instanceof StoreUnavailableError || error instanceof TransientError) {
        throw new TransientError(`cannot roll back ${key} before deleting it: ${errorMessage(error)}`, { cause: error });
      }
      this.#options.log.warn({ key, err: errorMessage(error) }, 'rollback on deletion refused by GitHub; deleting anyway');
    }
  }

  // ------------------------------------------------------------------------------------------- steps

  async #notifyOnly(ctx: Context): Promise<void> {
    const { now, analysis } = ctx;
    const output = clipOutput(`notify-only: nothing was changed on GitHub; the failure needs a person. ${analysis.summary}`);
    const at = now.toISOString();
    const execution: ExecutionStatus = { action: ctx.action, intentRecordedAt: ctx.status.execution?.intentRecordedAt ?? at, startedAt: at, finishedAt: at, result: 'succeeded', output };
    await this.#transition(ctx, {
      path: transitionPath(ctx.phase, ['Executing', 'Verifying', 'Succeeded']),
      reasons: [output],
      status: { ...ctx.status, phase: 'Succeeded', execution },
      conditions: [
        { type: 'Executed', status: 'True', reason: ExecutionReason.NotifyOnly, message: 'notify-only: nothing to execute' },
        { type: 'Verified', status: 'True', reason: ExecutionReason.NothingToVerify, message: 'notify-only: nothing was changed, so there is nothing to verify' },
      ],
      event: { type: 'Normal', reason: 'Succeeded', message: `${ctx.phase} -> Succeeded: ${output}` },
      remediation: { action: ctx.action, result: 'succeeded' },
    });
    this.#ended(ctx, 'succeeded');
  }

  /** Preconditions on a fresh read, then the intent, then the call. */
  async #start(ctx: Context): Promise<ReconcileResult | void> {
    const executor = this.#options.executor!;
    let observation: Observation;
    try {
      observation = await executor.observe(ctx.action, ctx.target, ctx.analysis.proposedRemediation.params);
    } catch (error) {
      return this.#githubReadFailed(ctx, error);
    }
    const verdict = await this.#preconditions(ctx, observation);
    if (verdict !== 'go') return verdict;

    // The intent, before anything changes on GitHub: the audit row, then the status write whose
    // resourceVersion precondition makes it fail (409, nothing called) if the record changed since it was read.
    const intentAt = ctx.now.toISOString();
    const written = await this.#transition(ctx, {
      path: [{ from: ctx.phase, to: 'Executing' }],
      reasons: [`calling GitHub to ${CATALOG[ctx.action].description}`],
      status: { ...ctx.status, phase: 'Executing', execution: { action: ctx.action, intentRecordedAt: intentAt } },
      conditions: [{ type: 'Executed', status: 'Unknown', reason: ExecutionReason.Executing, message: `intent recorded at ${intentAt}: ${CATALOG[ctx.action].description}` }],
      event: { type: 'Normal', reason: 'Executing', message: `${ctx.phase} -> Executing: ${CATALOG[ctx.action].description}` },
    });
    return this.#call({ ...ctx, record: written, status: written.status ?? {}, phase: 'Executing' }, observation);
  }

  /**
   * Executing: an intent is recorded, its result is not (a crash between the two writes, a lost response, a
   * failed status write). Nothing is called before GitHub is asked whether the effect exists: a run whose
   * latest attempt is past the record's was re-run, by us or by someone, and that attempt is adopted.
   *
   * Without an effect the call is made only if the preconditions hold again on the fresh read. That is safe,
   * not a second call in disguise: if an earlier call had been accepted, GitHub would already show its attempt
   * (it creates the attempt when it accepts a re-run), so "the record's attempt is still the latest and the
   * run is finished" would be false and the precondition would refuse. And a request still in flight from a
   * dead process that lands after ours is refused by GitHub, which does not re-run a run in progress.
   */
  async #recover(ctx: Context): Promise<ReconcileResult | void> {
    const executor = this.#options.executor!;
    let observation: Observation;
    try {
      const effect = await executor.findEffect(ctx.target);
      if (effect.newRunAttempt !== undefined) {
        return this.#toVerifying(ctx, {
          newRunAttempt: effect.newRunAttempt,
          output: `found attempt ${effect.newRunAttempt} on GitHub: the earlier call had gone through, so it was not made again`,
          calls: [],
        }, 'adopted');
      }
      observation = await executor.observe(ctx.action, ctx.target, ctx.analysis.proposedRemediation.params);
    } catch (error) {
      return this.#githubReadFailed(ctx, error);
    }
    const verdict = await this.#preconditions(ctx, observation);
    if (verdict !== 'go') return verdict;
    return this.#call(ctx, observation);
  }

  /** The GitHub call itself, under a recorded intent. */
  async #call(ctx: Context, observation: Observation): Promise<ReconcileResult | void> {
    // A replica that lost its lease after writing the intent leaves the call to the next leader's recovery.
    if (!this.#options.canWrite()) throw new TransientError('not the leader any more after recording the intent; the next leader looks for the effect');
    const executor = this.#options.executor!;
    let result: ExecuteResult;
    try {
      result = await executor.execute(ctx.action, ctx.target, observation);
    } catch (error) {
      // Whatever failed, the request may have taken effect (a 5xx after GitHub queued the re-run, a
      // response lost on the way back): look before deciding anything.
      let effect: number | undefined;
      try {
        effect = (await executor.findEffect(ctx.target)).newRunAttempt;
      } catch (lookError) {
        throw new TransientError(`${ctx.action} failed (${describeGitHubFailure(error)}) and its effect could not be checked (${describeGitHubFailure(lookError)})`, { cause: error });
      }
      if (effect !== undefined) {
        return this.#toVerifying(ctx, { newRunAttempt: effect, output: `GitHub answered ${describeGitHubFailure(error)}, but attempt ${effect} exists: the call had gone through`, calls: [] }, 'adopted');
      }
      if (classifyGitHubFailure(error) === 'refused') {
        const reason = `GitHub refused to ${CATALOG[ctx.action].description}: ${describeGitHubFailure(error)}`;
        return this.#fail(ctx, [reason], 'failed', ExecutionReason.ExecutionFailed, githubRow(ctx.record, ctx.spec.repository, ctx.action, 'refused', { error: describeGitHubFailure(error) }));
      }
      await this.#updateConditions(ctx, [
        { type: 'Executed', status: 'Unknown', reason: ExecutionReason.GitHubUnavailable, message: `${describeGitHubFailure(error)}; no effect on GitHub, so it is tried again after a backoff` },
      ]);
      throw new TransientError(`${ctx.key}: ${ctx.action} failed (${describeGitHubFailure(error)}); no effect on GitHub, retrying`, { cause: error });
    }
    return this.#toVerifying(ctx, result, 'accepted');
  }

  async #toVerifying(ctx: Context, result: ExecuteResult, how: 'accepted' | 'adopted'): Promise<ReconcileResult> {
    const { now } = ctx;
    const at = now.toISOString();
    const attempt = result.newRunAttempt;
    const details = { calls: result.calls, newRunAttempt: attempt, output: result.output, ...(result.deletedCaches !== undefined && { deletedCaches: result.deletedCaches }) };
    const execution: ExecutionStatus = {
      ...(ctx.status.execution ?? { action: ctx.action, intentRecordedAt: at }),
      startedAt: at,
      result: 'succeeded',
      output: clipOutput(result.output),
      ...(attempt !== undefined && { newRunAttempt: attempt }),
      verification: { ...(attempt !== undefined && { runAttempt: attempt }), startedAt: at },
    };
    await this.#transition(ctx, {
      path: [{ from: 'Executing', to: 'Verifying' }],
      reasons: [`${how === 'adopted' ? 'adopted' : 'started'} attempt ${attempt}`],
      extraRows: [githubRow(ctx.record, ctx.spec.repository, ctx.action, how, details)],
      status: { ...ctx.status, phase: 'Verifying', execution },
      conditions: [
        { type: 'Executed', status: 'True', reason: how === 'adopted' ? ExecutionReason.Adopted : ExecutionReason.Executed, message: result.output },
        { type: 'Verified', status: 'Unknown', reason: ExecutionReason.Verifying, message: `following attempt ${attempt} of run ${ctx.target.runId}` },
      ],
      event: { type: 'Normal', reason: 'Verifying', message: `Executing -> Verifying: ${result.output}` },
    });
    this.#timings(ctx, { executedAt: now });
    this.#nextPoll.set(ctx.key, now.getTime() + this.#options.pollIntervalMs);
    return { requeueAfterMs: this.#options.pollIntervalMs };
  }

  async #verify(ctx: Context, attempt: number): Promise<ReconcileResult | void> {
    const { now, key } = ctx;
    const due = this.#nextPoll.get(key);
    if (due !== undefined && now.getTime() < due) return { requeueAfterMs: due - now.getTime() };
    const execution = ctx.status.execution!;
    const startedAt = Date.parse(execution.verification?.startedAt ?? execution.startedAt ?? now.toISOString());
    const deadline = new Date(startedAt + this.#options.verifyTimeoutMs);

    const cached = this.#polls.get(key);
    const etag = cached?.attempt === attempt ? cached.etag : undefined;
    let run: RunSnapshot | undefined;
    try {
      const poll = await this.#options.executor!.poll(ctx.target, attempt, etag);
      if (poll.notModified) run = cached?.run;
      else {
        run = poll.run;
        if (poll.etag !== undefined && run !== undefined) this.#polls.set(key, { attempt, etag: poll.etag, run });
      }
    } catch (error) {
      if (classifyGitHubFailure(error) === 'not-found') {
        return this.#finishVerification(ctx, { state: 'finished', result: 'inconclusive', message: `attempt ${attempt} of run ${ctx.target.runId} no longer exists on GitHub` });
      }
      // Verification is a read: a failed poll is retried at the next interval, and the deadline still holds.
      this.#options.log.warn({ key, err: describeGitHubFailure(error) }, 'verification poll failed');
      run = cached?.attempt === attempt ? cached.run : undefined;
    }
    this.#nextPoll.set(key, now.getTime() + this.#options.pollIntervalMs);

    const abort = abortReason({ annotations: ctx.record.metadata?.annotations, gate: this.#currentGate(ctx) });
    if (abort !== undefined && run !== undefined) {
      if (isInProgress(run)) return this.#rollback(ctx, abort, attempt);
      // Cancelled after an abort (by our cancel whose status write was lost, or by a person): a rollback.
      if (run.conclusion === 'cancelled') return this.#rolledBack(ctx, abort, attempt, 'the run was already cancelled');
    }
    const decision = judgeVerification({ attempt, run, now, deadline });
    if (decision.state === 'finished') return this.#finishVerification(ctx, decision);
    return { requeueAfterMs: Math.max(1, Math.min(this.#options.pollIntervalMs, deadline.getTime() - now.getTime())) };
  }

  async #finishVerification(ctx: Context, decision: Extract<VerificationDecision, { state: 'finished' }>): Promise<void> {
    const to = phaseAfterVerification(decision.result);
    const at = ctx.now.toISOString();
    const execution = ctx.status.execution!;
    const outcome: RemediationOutcome = decision.result === 'passed' ? 'succeeded' : decision.result;
    await this.#transition(ctx, {
      path: [{ from: 'Verifying', to }],
      reasons: [decision.message],
      // Whether re-running fixed it is what makes a failure flaky: the next record with this fingerprint is
      // analyzed knowing it. Counted once per record: a retried reconcile finds its audit row already there.
      onAudited: (inserted) => {
        if (inserted > 0 && decision.result !== 'inconclusive') this.#recordOutcome(ctx, decision.result === 'passed');
      },
      status: {
        ...ctx.status,
        phase: to,
        execution: {
          ...execution,
          finishedAt: at,
          verification: {
            ...execution.verification,
            finishedAt: at,
            result: decision.result,
            ...(decision.conclusion !== undefined && { conclusion: decision.conclusion }),
            message: clipOutput(decision.message),
          },
        },
      },
      conditions: [
        decision.result === 'passed'
          ? { type: 'Verified', status: 'True', reason: ExecutionReason.Passed, message: decision.message }
          : { type: 'Verified', status: 'False', reason: decision.result === 'failed' ? ExecutionReason.VerificationFailed : ExecutionReason.Inconclusive, message: decision.message },
      ],
      event: { type: to === 'Succeeded' ? 'Normal' : 'Warning', reason: to, message: `Verifying -> ${to}: ${decision.message}` },
      remediation: { action: ctx.action, result: outcome },
    });
    this.#ended(ctx, decision.result === 'passed' ? 'succeeded' : 'failed', { verifiedAt: ctx.now });
  }

  /** Cancels the re-run of an aborted remediation, then records Failed -> RolledBack. */
  async #rollback(ctx: Context, reason: string, attempt: number): Promise<ReconcileResult | void> {
    if (!this.#options.canWrite()) throw new TransientError('not the leader: no GitHub call');
    let cancelled: boolean;
    try {
      cancelled = await this.#options.executor!.cancel(ctx.target);
    } catch (error) {
      if (classifyGitHubFailure(error) === 'transient') throw new TransientError(`cannot cancel run ${ctx.target.runId}: ${describeGitHubFailure(error)}`, { cause: error });
      const message = `${reason}; cancelling the re-run was refused: ${describeGitHubFailure(error)}`;
      return this.#finishVerification(ctx, { state: 'finished', result: 'inconclusive', message });
    }
    // 409: it finished by itself meanwhile; the next poll judges it.
    if (!cancelled) {
      this.#nextPoll.delete(ctx.key);
      return { requeueAfterMs: 0 };
    }
    return this.#rolledBack(ctx, reason, attempt, `cancelled attempt ${attempt} of run ${ctx.target.runId}`);
  }

  async #rolledBack(ctx: Context, reason: string, attempt: number, output: string): Promise<void> {
    const at = ctx.now.toISOString();
    const execution = ctx.status.execution!;
    await this.#transition(ctx, {
      path: transitionPath('Verifying', ['Failed', 'RolledBack']),
      reasons: [reason],
      extraRows: [githubRow(ctx.record, ctx.spec.repository, 'cancel-run', 'accepted', { reason, runAttempt: attempt, output })],
      status: {
        ...ctx.status,
        phase: 'RolledBack',
        execution: {
          ...execution,
          finishedAt: at,
          verification: { ...execution.verification, finishedAt: at, result: 'inconclusive', message: clipOutput(`not verified: ${reason}`) },
          rollback: { action: 'cancel-run', reason: clipOutput(reason), startedAt: at, finishedAt: at, result: 'succeeded', output },
        },
      },
      conditions: [{ type: 'Verified', status: 'False', reason: ExecutionReason.Aborted, message: `${reason}; ${output}` }],
      event: { type: 'Warning', reason: 'RolledBack', message: `Verifying -> Failed -> RolledBack: ${reason}; ${output}` },
      remediation: { action: ctx.action, result: 'rolled_back' },
    });
    this.#ended(ctx, 'rolled_back', { verifiedAt: ctx.now });
  }

  /** Ends the record Failed without (another) GitHub change: a refused precondition or a refused call. */
  async #fail(ctx: Context, reasons: readonly string[], outcome: RemediationOutcome, reason: string, extraRow?: AuditEntryInput): Promise<void> {
    const message = reasons.join('; ');
    const at = ctx.now.toISOString();
    const execution: ExecutionStatus = {
      ...(ctx.status.execution ?? { action: ctx.action, intentRecordedAt: at }),
      finishedAt: at,
      result: 'failed',
      output: clipOutput(message),
    };
    await this.#transition(ctx, {
      path: transitionPath(ctx.phase, ['Executing', 'Failed']),
      reasons: [message],
      ...(extraRow !== undefined && { extraRows: [extraRow] }),
      status: { ...ctx.status, phase: 'Failed', execution },
      conditions: [{ type: 'Executed', status: 'False', reason, message: clipOutput(message, 1024) }],
      event: { type: 'Warning', reason: 'Failed', message: `${ctx.phase} -> Failed: ${message}` },
      remediation: { action: ctx.action, result: outcome },
    });
    this.#ended(ctx, 'failed');
  }

  // ----------------------------------------------------------------------------------------- helpers

  /** 'go', or what the reconcile returns instead (a requeue while the run finishes; a refusal ends it). */
  async #preconditions(ctx: Context, observation: Observation): Promise<'go' | ReconcileResult | void> {
    // A person's approval (phase Approved, or an Executing record whose status says it was approved) answers
    // a policy that asks for one; a policy that blocks still refuses.
    const approved = ctx.phase === 'Approved' || ctx.status.approval?.decision === 'approved';
    const refusal = policyRefusal(this.#currentGate(ctx), approved);
    const verdict = checkPreconditions({
      action: ctx.action,
      target: ctx.target,
      observation,
      ...(ctx.analysis.proposedRemediation.params !== undefined && { params: ctx.analysis.proposedRemediation.params }),
      ...(refusal !== undefined && { policyRefusal: refusal }),
      now: ctx.now,
      waitUntil: new Date(Date.parse(ctx.spec.detectedAt) + this.#options.verifyTimeoutMs),
    });
    if (verdict.verdict === 'refuse') {
      await this.#fail(ctx, verdict.reasons, 'refused', ExecutionReason.PreconditionFailed);
      return;
    }
    if (verdict.verdict === 'wait') {
      await this.#updateConditions(ctx, [{ type: 'Executed', status: 'Unknown', reason: ExecutionReason.WaitingForRun, message: verdict.reason }]);
      return { requeueAfterMs: this.#options.pollIntervalMs };
    }
    return 'go';
  }

  async #githubReadFailed(ctx: Context, error: unknown): Promise<ReconcileResult | void> {
    if (classifyGitHubFailure(error) === 'not-found') {
      return this.#fail(ctx, [`run ${ctx.target.runId} of ${ctx.target.repository} cannot be found on GitHub (${describeGitHubFailure(error)})`], 'refused', ExecutionReason.PreconditionFailed);
    }
    // Bad credentials and permissions are the operator's configuration, not the record's fault: keep
    // retrying with backoff and say why, rather than failing every record while a token is being fixed.
    await this.#updateConditions(ctx, [{ type: 'Executed', status: 'Unknown', reason: ExecutionReason.GitHubUnavailable, message: `reading the run failed: ${describeGitHubFailure(error)}` }]);
    throw new TransientError(`${ctx.key}: reading run ${ctx.target.runId} failed: ${describeGitHubFailure(error)}`, { cause: error });
  }

  /** The gate under the record's policy as it is now (a policy may have changed since the record was gated). */
  #currentGate(ctx: Context): { decision: GateResult['decision']; policy: string; reasons: string[] } {
    const namespace = ctx.record.metadata?.namespace ?? '';
    const { policy } = this.#options.policies.resolve(namespace, ctx.spec.repository);
    const result = gateRecord(ctx.spec, ctx.analysis, policy);
    return { decision: result.decision, policy: result.policy, reasons: result.reasons };
  }

  /**
   * A phase change through the TransitionWriter, with the execution's owned conditions and Ready added. When
   * the audit log cannot be written the record waits (Ready=False/AuditUnavailable) and is retried with backoff.
   */
  async #transition(
    ctx: Context,
    change: Omit<TransitionRequest, 'key' | 'record' | 'about' | 'status'> & { status: FailureRecordStatus; conditions: ConditionInput[] },
  ): Promise<RecordObject> {
    const { conditions, status, ...rest } = change;
    try {
      return await this.#transitions.write({
        ...rest,
        key: ctx.key,
        record: ctx.record,
        about: { repository: ctx.spec.repository, ...categoryOf(ctx.record) },
        status: { ...status, conditions: this.#conditions(ctx, status.conditions, conditions) },
      });
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      await this.#updateConditions(ctx, [], { reason: 'AuditUnavailable', message: `the audit log cannot be written, so the record waits: ${error.message}` }).catch(() => undefined);
      throw new TransientError(error.message, { cause: error });
    }
  }

  /** Writes conditions only (no phase change), when they say something new. */
  async #updateConditions(ctx: Context, updates: ConditionInput[], blocker?: { reason: string; message: string }): Promise<void> {
    const conditions = this.#conditions(ctx, ctx.status.conditions, updates, blocker);
    if (sameConditionText(ctx.status.conditions, conditions)) return;
    await this.#write(ctx.key, ctx.record, { ...ctx.status, conditions });
  }

  #conditions(ctx: Context, conditions: FailureRecordStatus['conditions'], updates: ConditionInput[], blocker?: { reason: string; message: string }) {
    const generation = ctx.record.metadata?.generation;
    const at = generation === undefined ? {} : { observedGeneration: generation };
    let next = conditions ?? [];
    for (const update of updates) next = setCondition(next, { ...update, message: clipOutput(update.message, 1024), ...at }, ctx.now);
    return setCondition(next, deriveReady(next, EXECUTION_CONDITIONS, generation, blocker), ctx.now);
  }

  async #write(key: string, record: RecordObject, status: FailureRecordStatus): Promise<RecordObject> {
    return this.#writes.write(key, () => patchStatus<RecordObject>(this.#options.clients, recordRef(record), record.metadata?.resourceVersion ?? '', status));
  }

  /** A remediation reached its end (its metric was counted by the transition): timings, and the per-key memory is dropped. */
  #ended(ctx: Context, result: Result, extra: { verifiedAt?: Date } = {}): void {
    this.#timings(ctx, { result, ...extra });
    this.#forget(ctx.key);
  }

  #recordOutcome(ctx: Context, fixed: boolean): void {
    // Best effort, like timings: history sharpens later analyses; losing one entry must not hold up this one.
    void this.#options
      .store()
      .then((store) => store.recordRemediationOutcome(ctx.spec.repository, ctx.spec.fingerprint, fixed, ctx.now))
      .catch((error: unknown) => this.#options.log.warn({ key: ctx.key, err: errorMessage(error) }, 'remediation outcome not recorded in the failure history'));
  }

  #timings(ctx: Context, fields: { executedAt?: Date; verifiedAt?: Date; result?: Result }): void {
    // Timings feed `ci-remediator metrics`; losing one is not worth holding up a transition.
    void this.#options
      .store()
      .then((store) => store.recordTimings({ recordKey: ctx.key, repository: ctx.spec.repository, detectedAt: new Date(ctx.spec.detectedAt), ...fields }))
      .catch((error: unknown) => this.#options.log.warn({ key: ctx.key, err: errorMessage(error) }, 'timings not recorded'));
  }

  #forget(key: string): void {
    this.#writes.forget(key);
    this.#polls.delete(key);
    this.#nextPoll.delete(key);
  }

  #get(key: string): RecordObject | undefined {
    return cachedRecord(this.#options.records, key);
  }
}

/** A GitHub failure in words that do not change from one attempt to the next (no request ids, no reset times), so a condition is not rewritten on every retry. */
function describeGitHubFailure(error: unknown): string {
  if (error instanceof GitHubRateLimitError) return `${error.path}: GitHub ${error.kind === 'primary' ? 'rate limit' : 'secondary rate limit'} exceeded`;
  if (error instanceof GitHubApiError) {
    const what = error.status === 0 ? 'failed without a response' : `answered ${error.status}`;
    return `${error.path} ${what}${error.githubMessage ? `: ${error.githubMessage}` : ''}`;
  }
  return errorMessage(error);
}

function sameConditionText(a: FailureRecordStatus['conditions'], b: FailureRecordStatus['conditions']): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return (
    left.length === right.length &&
    left.every((condition) => {
      const other = right.find((candidate) => candidate.type === condition.type);
      return other !== undefined && other.status === condition.status && other.reason === condition.reason && other.message === condition.message && other.observedGeneration === condition.observedGeneration;
    })
  );
}

