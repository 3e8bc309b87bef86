import type { RemediationPolicy } from '../api/remediation-policy.ts';
import { gate } from '../policy/gate.ts';
import type { Verdict } from './analyzer.ts';
import type { InjectionSpan } from './injection-detector.ts';
import type { ModelVerdict } from './model/model-verdict.ts';
import { EFFORTS, REMEDIATION_ACTIONS, type Effort, type RemediationAction } from './taxonomy.ts';

/**
 * The rules under which a model's answer joins the rules analyzer's verdict (docs/adr/0004-model-verdict-merge.md).
 * Pure and synchronous: the model text it receives has already been redacted again by the caller.
 *
 *   1. risk = max(rules floor, model), so a model can raise risk, never lower it;
 *   2. an action outside the catalog or the policy's allowedActions becomes the rules' action, with a note;
 *      so does any action when the rules' own verdict is blocked (a model cannot unblock by switching action);
 *   3. rules and model disagreeing on the category halves the confidence and forces approval;
 *   4. suspected injection forces approval (the gate's own rule) and the spans are kept for the card;
 *   5. components are the union, effort the higher: nothing the rules saw disappears.
 * Together they make `gate(merged)` at least as severe as `gate(floor)`: never blocked or approval to auto.
 */

export interface MergeInput {
  floor: Verdict;
  model: ModelVerdict;
  modelName: string;
  policy: RemediationPolicy;
  /** Injection found in what the model was shown (log, files, tool results). */
  injection: readonly InjectionSpan[];
  tokens?: { input: number; output: number };
  toolCalls?: readonly string[];
  /** For the gate check of rule 2: the same changed files the gate will see. */
  changedFiles?: readonly string[];
  repository?: string;
}

const CATALOG: ReadonlySet<string> = new Set(REMEDIATION_ACTIONS);
/** How much a category disagreement costs in confidence. */
export const DISAGREEMENT_CONFIDENCE_FACTOR = 0.5;
const MAX_COMPONENTS = 20;

export function mergeVerdicts(input: MergeInput): Verdict {
  const { floor, model, policy } = input;
  const notes: string[] = [];
  const approvalReasons = [...(floor.approvalReasons ?? [])];

  const riskScore = Math.max(clampRisk(floor.riskScore), clampRisk(model.riskScore));
  if (model.riskScore < floor.riskScore) notes.push(`the model's risk ${model.riskScore} is below the rules' ${floor.riskScore}; the rules' risk stands`);

  let action: RemediationAction = floor.proposedRemediation.action;
  let rationale = floor.proposedRemediation.rationale;
  const proposed = model.proposedRemediation.action;
  const floorGate = gate({
    analysis: floor,
    rulesFloor: floor.riskScore,
    policy,
    repository: input.repository,
    ...(input.changedFiles && { changedFiles: [...input.changedFiles] }),
  });
  if (!CATALOG.has(proposed)) {
    notes.push(`the model proposed '${proposed}', which is not in the remediation catalog; the rules' action '${action}' stands`);
  } else if (!(policy.spec.allowedActions as readonly string[]).includes(proposed)) {
    notes.push(`the model proposed '${proposed}', which policy '${policy.metadata.name}' does not allow; the rules' action '${action}' stands`);
  } else if (proposed !== action && floorGate.decision === 'blocked') {
    notes.push(`the rules' verdict is blocked (${floorGate.reasons[0] ?? 'by the policy'}); the model's '${proposed}' cannot replace the rules' action '${action}'`);
  } else {
    if (proposed !== action) notes.push(`the model proposed '${proposed}' where the rules proposed '${action}'`);
    action = proposed as RemediationAction;
    rationale = model.proposedRemediation.rationale;
  }

  let confidence = clampUnit(model.confidence);
  if (model.category !== floor.category) {
    confidence = Math.min(confidence, clampUnit(floor.confidence)) * DISAGREEMENT_CONFIDENCE_FACTOR;
    const reason = `the rules (${floor.category}) and the model (${model.category}) disagree on the category`;
    approvalReasons.push(reason);
    notes.push(`${reason}: confidence lowered to ${confidence.toFixed(2)}`);
  }

  const injectionSuspected = floor.injectionSuspected === true || input.injection.length > 0;
  const components = [...new Set([...floor.components, ...model.components])].slice(0, Math.max(MAX_COMPONENTS, floor.components.length));

  return {
    analyzer: 'openai',
    category: model.category,
    riskScore,
    confidence,
    effort: higherEffort(floor.effort, model.effort),
    summary: model.summary,
    reasoning: model.reasoning,
    components,
    fingerprint: floor.fingerprint,
    proposedRemediation: { action, rationale },
    ...(floor.rule !== undefined && { rule: floor.rule }),
    model: input.modelName,
    ...(input.tokens && { tokens: input.tokens }),
    injectionSuspected,
    ...(injectionSuspected && { injectionSpans: [...(floor.injectionSpans ?? []), ...input.injection] }),
    ...(approvalReasons.length > 0 && { approvalReasons }),
    ...(notes.length > 0 && { mergeNotes: notes }),
    ...(input.toolCalls && { toolCalls: [...input.toolCalls] }),
  };
}

/** The rules verdict standing in for a model answer that was not used, with the reason. */
export function fallbackVerdict(floor: Verdict, reason: string, extra: Partial<Pick<Verdict, 'model' | 'tokens' | 'injectionSpans' | 'toolCalls' | 'fallbackCode'>> = {}): Verdict {
  const spans = [...(floor.injectionSpans ?? []), ...(extra.injectionSpans ?? [])];
  return {
    ...floor,
    fallbackReason: reason,
    ...(extra.fallbackCode !== undefined && { fallbackCode: extra.fallbackCode }),
    ...(extra.model !== undefined && { model: extra.model }),
    ...(extra.tokens && { tokens: extra.tokens }),
    ...(extra.toolCalls && { toolCalls: extra.toolCalls }),
    // Injection seen in the log still forces approval when the model's answer is dropped.
    ...(spans.length > 0 && { injectionSuspected: true, injectionSpans: spans }),
  };
}

function higherEffort(a: Effort, b: Effort): Effort {
  return EFFORTS.indexOf(a) >= EFFORTS.indexOf(b) ? a : b;
}

/** Same reading as the gate's: a value that is not a number counts as the worst risk. */
function clampRisk(value: number): number {
  if (!Number.isFinite(value)) return 100;
  return Math.min(100, Math.max(0, Math.ceil(value)));
}

function clampUnit(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value));
}
