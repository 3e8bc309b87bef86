import type { RemediationAction } from '../analysis/taxonomy.ts';
import type { ExecutionStatus, FailurePhase } from '../api/failure-record.ts';
import { phasesOwnedBy } from '../api/lifecycle.ts';
import { CATALOG } from './catalog.ts';
import { clip } from '../text.ts';

/**
 * The execution lifecycle's decisions, pure: what the operator does next for a record in a given state,
 * when a remediation is aborted, and the reasons its conditions carry. The operator's execution reconciler
 * (operator/controllers/execution.ts) does the I/O around these.
 *
 *   AutoApproved | Approved --(intent recorded)--> Executing --(call accepted)--> Verifying -> Succeeded | Failed
 *   Executing --(refused, or the call was refused)--> Failed
 *   Verifying --(aborted while the run is going: cancelled)--> Failed -> RolledBack
 */

/** Phases the execution reconciler owns: the `execution` rows of the phase-owner table. */
export const EXECUTION_PHASES: ReadonlySet<FailurePhase> = phasesOwnedBy('execution');

/** The owned conditions once a record executes, in order; Ready is derived from them. */
export const EXECUTION_CONDITIONS = ['Analyzed', 'Gated', 'Executed', 'Verified'] as const;

/**
 * The annotation a person sets to abort a remediation (any non-empty value; the value is quoted as the
 * reason): `kubectl annotate fr NAME ci-remediator.dev/abort="wrong fix"`.
 */
export const ABORT_ANNOTATION = 'ci-remediator.dev/abort';

/** CamelCase reasons of the Executed and Verified conditions and of the execution events. */
export const ExecutionReason = Object.freeze({
  GitHubNotConfigured: 'GitHubNotConfigured',
  WaitingForRun: 'WaitingForRun',
  GitHubUnavailable: 'GitHubUnavailable',
  Executing: 'Executing',
  Executed: 'Executed',
  Adopted: 'Adopted',
  PreconditionFailed: 'PreconditionFailed',
  ExecutionFailed: 'ExecutionFailed',
  NotifyOnly: 'NotifyOnly',
  NothingToVerify: 'NothingToVerify',
  Verifying: 'Verifying',
  Passed: 'Passed',
  VerificationFailed: 'VerificationFailed',
  Inconclusive: 'Inconclusive',
  Aborted: 'Aborted',
  RolledBack: 'RolledBack',
});

export type ExecutionStep =
  /** A mutating action without GitHub credentials: stay, and say why. */
  | { step: 'await-credentials' }
  /** notify-only: nothing to call; straight through to Succeeded. */
  | { step: 'notify' }
  /** Check preconditions, record the intent, call. */
  | { step: 'start' }
  /** An intent without a recorded result: look for the effect on GitHub before anything else. */
  | { step: 'recover' }
  | { step: 'verify'; attempt: number }
  | { step: 'none' };

export interface StepInput {
  phase: FailurePhase;
  action: RemediationAction;
  execution: ExecutionStatus | undefined;
  githubConfigured: boolean;
}

/** Why a mutating remediation waits when the operator has no GitHub credentials. */
export const GITHUB_NOT_CONFIGURED_MESSAGE =
  'no GitHub credentials: set GITHUB_TOKEN, --github-token-file or the --github-app-* flags and restart the operator; the record stays AutoApproved until then';

/**
 * The Executed condition of an AutoApproved record that has to wait for credentials, or undefined when it
 * can go on (credentials present, or a remediation that calls nothing). The gating write already carries
 * it, so a record does not cost a second status write only to say that it waits.
 */
export function awaitingCredentials(action: RemediationAction, githubConfigured: boolean): { type: 'Executed'; status: 'False'; reason: string; message: string } | undefined {
  if (nextStep({ phase: 'AutoApproved', action, execution: undefined, githubConfigured }).step !== 'await-credentials') return undefined;
  return { type: 'Executed', status: 'False', reason: ExecutionReason.GitHubNotConfigured, message: GITHUB_NOT_CONFIGURED_MESSAGE };
}

export function nextStep({ phase, action, execution, githubConfigured }: StepInput): ExecutionStep {
  const entry = CATALOG[action];
  // A person's approval (Slack) starts the remediation exactly as the gate's auto-approval does.
  if (phase === 'AutoApproved' || phase === 'Approved') {
    if (!entry.mutates) return { step: 'notify' };
    return githubConfigured ? { step: 'start' } : { step: 'await-credentials' };
  }
  if (phase === 'Executing') {
    // Executing always has an intent (it is written with it); whatever else the status says, the effect may
    // exist, so GitHub is asked before anything is called.
    if (!entry.mutates) return { step: 'notify' };
    return githubConfigured ? { step: 'recover' } : { step: 'await-credentials' };
  }
  if (phase === 'Verifying') {
    const attempt = execution?.newRunAttempt ?? execution?.verification?.runAttempt;
    if (attempt === undefined || !entry.mutates) return { step: 'none' };
    return githubConfigured ? { step: 'verify', attempt } : { step: 'await-credentials' };
  }
  return { step: 'none' };
}

export interface AbortInput {
  /** metadata.annotations */
  annotations?: Readonly<Record<string, string>>;
  /** The gate under the record's policy as it is now. */
  gate?: { decision: 'auto' | 'approval' | 'blocked'; policy: string; reasons: readonly string[] };
}

/**
 * Why a remediation in progress must stop, or undefined. A person's abort annotation always stops it; a
 * policy change stops it only when the policy now blocks the action (suspended, action no longer allowed,
 * risk over the ceiling): a policy that merely asks for an approval now does not undo a re-run that was
 * allowed when it started. Deleting the record is the third way (handled where deletion is).
 */
export function abortReason({ annotations, gate }: AbortInput): string | undefined {
  const note = annotations?.[ABORT_ANNOTATION]?.trim();
  if (note !== undefined && note !== '') return `aborted by the ${ABORT_ANNOTATION} annotation: ${note}`;
  if (gate?.decision === 'blocked') return `policy '${gate.policy}' now blocks this remediation: ${gate.reasons[0] ?? 'blocked'}`;
  return undefined;
}

/**
 * The refusal a precondition check carries when the policy, as it is now, no longer allows the remediation:
 * for an auto-approved record anything but `auto`; for one a person approved (`approved`), only `blocked`
 * (the approval is what the policy asked for).
 */
export function policyRefusal(gate: { decision: 'auto' | 'approval' | 'blocked'; policy: string; reasons: readonly string[] }, approved = false): string | undefined {
  if (gate.decision === 'auto' || (approved && gate.decision === 'approval')) return undefined;
  const what = gate.decision === 'blocked' ? 'blocks it' : 'requires an approval for it';
  return `policy '${gate.policy}' no longer lets this remediation run automatically (it now ${what}): ${gate.reasons[0] ?? gate.decision}`;
}

/** The `result` label of ci_remediator_remediations_total. */
export type RemediationOutcome = 'succeeded' | 'failed' | 'inconclusive' | 'refused' | 'rolled_back';

/** Bounded text for status.execution.output and rollback.output (16 KiB in the schema). */
export function clipOutput(text: string, max = 4096): string {
  return clip(text, max);
}
