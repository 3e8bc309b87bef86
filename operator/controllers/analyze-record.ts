import type { Analyzer, Verdict } from '../../src/analysis/analyzer.ts';
import { analyzeJobs, evidenceFromRecord } from '../../src/analysis/pipeline.ts';
import { rulesFloorOf } from '../../src/analysis/rules.ts';
import type { FailureHistory } from '../../src/analysis/rules-analyzer.ts';
import type { Analysis } from '../../src/analysis/types.ts';
import type { AnalysisStatus, FailureRecordSpec, ProposedRemediationStatus } from '../../src/api/failure-record.ts';
import type { RemediationPolicy } from '../../src/api/remediation-policy.ts';
import { redactCacheKeys } from '../../src/logs/cache-key-collector.ts';
import { addCounts, redactText } from '../../src/logs/redactor.ts';
import { cacheKeyPrefixOf } from '../../src/remediation/cache-key-prefix.ts';
import { CACHE_KEY_PREFIX_PARAM, CATALOG } from '../../src/remediation/catalog.ts';
import { clip } from '../../src/text.ts';

/**
 * The operator's side of the one analysis pipeline (src/analysis/pipeline.ts): the record's jobs, as the
 * action extracted them (windows, signals and key line at the log's own line numbers), through the same
 * analyzers as the CLI and the action, written in status' shape. The rules verdict is kept beside the
 * merged one (`rules`): the gate's floor on every re-gate.
 *
 * clear-caches gets its key prefix here: from the cache keys of the jobs whose own analysis proposes it
 * (a matrix of jobs failing the same way needs all their caches cleared; a job that failed for another
 * reason says nothing about which cache is broken). See src/remediation/cache-key-prefix.ts for how the
 * prefix is derived and why deleting by it is safe although the keys are log text.
 */

/**
 * The model analyzer for one record: given when the record's policy asks for `analysis.provider: openai` and
 * the operator has an API key. The pipeline runs it after the rules, with the rules verdict as its floor.
 */
export interface RecordModel {
  analyzer: Analyzer;
  /** The policy the record falls under (its allowedActions bound the merge, its analysis block the budget). */
  policy: RemediationPolicy;
  record: { namespace: string; name: string; uid?: string };
  /** The analysis pool's deadline for this record: the model stops there and the rules verdict stands. */
  signal?: AbortSignal;
}

/** Bounds of what a model verdict leaves in status (the CRD's limits). */
const MAX_SPANS = 20;
const MAX_NOTES = 8;

export async function analyzeRecord(spec: FailureRecordSpec, now: Date, history?: FailureHistory | null, model?: RecordModel): Promise<AnalysisStatus> {
  const redactions: Record<string, number> = {};
  const evidence = [];
  for (const job of spec.failedJobs) {
    const read = await evidenceFromRecord(job);
    addCounts(redactions, read.redactions);
    evidence.push(read.evidence);
  }
  const result = await analyzeJobs(
    evidence,
    {
      repository: spec.repository,
      ...(spec.changedFiles !== undefined && { changedFiles: spec.changedFiles }),
      // What the controller read for the record's fingerprint (re-runs that fixed it before make it flaky).
      ...(history !== undefined && history !== null && { history: async () => history }),
      ...(model !== undefined && {
        policy: model.policy,
        record: { ...model.record, spec },
        ...(model.signal !== undefined && { signal: model.signal }),
      }),
      now,
    },
    model === undefined ? [] : [model.analyzer],
  );
  const { verdict } = result;
  // The keys as the record carries them: proposal() must see a key the redactor changes or drops, to give no prefix.
  const cacheKeys = spec.failedJobs.flatMap((job, i) => (CATALOG[result.jobs[i]!.proposedRemediation.action].clearsCaches ? (job.cacheKeys ?? []) : []));
  return {
    analyzer: verdict.analyzer,
    rules: rulesFloorOf(result.rules),
    ...(verdict.model !== undefined && { model: verdict.model.slice(0, 128) }),
    ...(verdict.rule !== undefined && { rule: verdict.rule }),
    category: verdict.category,
    riskScore: verdict.riskScore,
    confidence: verdict.confidence,
    effort: verdict.effort,
    components: verdict.components.slice(0, 50).map((component) => component.slice(0, 1024)),
    summary: clip(verdict.summary, 1024),
    reasoning: clip(verdict.reasoning, 8192),
    proposedRemediation: await proposal(verdict, cacheKeys),
    ...(Object.keys(redactions).length > 0 && { redactions }),
    injectionSuspected: verdict.injectionSuspected ?? false,
    ...(verdict.tokens !== undefined && { tokens: verdict.tokens }),
    ...(await redactedSpans(modelFields(verdict))),
    analyzedAt: now.toISOString(),
  };
}

/** Span excerpts are made visible (hidden characters spelled out, base64 decoded): redacted again before status. */
async function redactedSpans(fields: Partial<AnalysisStatus>): Promise<Partial<AnalysisStatus>> {
  if (fields.injectionSpans === undefined) return fields;
  const spans = await Promise.all(fields.injectionSpans.map(async (span) => ({ ...span, excerpt: clip((await redactText(span.excerpt)).text, 256) })));
  return { ...fields, injectionSpans: spans };
}

/**
 * What a model verdict adds to status, bounded: the approval reasons the merge forced (a re-gate keeps
 * forcing them), the injection spans (for the approval card), the merge notes, the tools called, and the
 * fallback reason when the rules verdict stood in for the model's.
 */
export function modelFields(verdict: Verdict): Partial<AnalysisStatus> {
  const reasons = [...new Set(verdict.approvalReasons ?? [])];
  const fields: Partial<AnalysisStatus> = {};
  // More reasons than fit are folded into the last one: a reason dropped would be an approval no longer forced.
  if (reasons.length > 0) fields.approvalReasons = reasons.length <= MAX_NOTES ? reasons.map((r) => clip(r, 1024)) : [...reasons.slice(0, MAX_NOTES - 1).map((r) => clip(r, 1024)), clip(`and ${reasons.length - MAX_NOTES + 1} more: ${reasons.slice(MAX_NOTES - 1).join('; ')}`, 1024)];
  const spans = verdict.injectionSpans ?? [];
  if (spans.length > 0) fields.injectionSpans = spans.slice(0, MAX_SPANS).map((span) => ({ source: clip(span.source, 256), kind: span.kind, line: Math.max(0, span.line), excerpt: clip(span.excerpt, 256) }));
  if (verdict.mergeNotes !== undefined && verdict.mergeNotes.length > 0) fields.mergeNotes = verdict.mergeNotes.slice(0, MAX_NOTES).map((note) => clip(note, 1024));
  if (verdict.toolCalls !== undefined && verdict.toolCalls.length > 0) fields.toolCalls = verdict.toolCalls.slice(0, 32).map((name) => name.slice(0, 64));
  if (verdict.fallbackReason !== undefined) fields.fallback = { reason: fallbackConditionReason(verdict.fallbackCode), message: clip(verdict.fallbackReason, 1024) };
  return fields;
}

/** `over-daily-budget` -> `OverDailyBudget`: a condition reason (CamelCase) from the analyzer's fallback code. */
export function fallbackConditionReason(code: string | undefined): string {
  const words = (code ?? 'error').split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  const reason = words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
  return /^[A-Z][A-Za-z0-9]*$/.test(reason) ? reason.slice(0, 64) : 'Error';
}

/** The analysis' proposal, with the key prefix clear-caches deletes by when the cache keys give one. */
async function proposal(analysis: Analysis, cacheKeys: readonly string[]): Promise<ProposedRemediationStatus> {
  const { action, rationale } = analysis.proposedRemediation;
  if (!CATALOG[action].clearsCaches || cacheKeys.length === 0) return { action, rationale: clip(rationale, 2048) };
  // The producer redacted the keys; again here, so a careless producer's secret cannot become the prefix in
  // status. A key the redactor changed or dropped is not the one GitHub stores: then no prefix at all, since
  // one made from the other keys could miss the broken cache.
  const unique = [...new Set(cacheKeys)];
  const redacted = (await redactCacheKeys(unique)).keys;
  const prefix = redacted.length === unique.length ? cacheKeyPrefixOf(redacted) : undefined;
  if (prefix === undefined) return { action, rationale: clip(rationale, 2048) };
  const from = `Clears the caches whose key starts with '${prefix}', the key prefix of the caches the failed job restored.`;
  return { action, params: { [CACHE_KEY_PREFIX_PARAM]: prefix }, rationale: clip(`${rationale} ${from}`, 2048) };
}
