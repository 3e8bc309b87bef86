import { analyzeWithRules } from '../../src/analysis/rules-analyzer.ts';
import type { Analysis } from '../../src/analysis/types.ts';
import type { AnalysisStatus, FailedJob, FailureRecordSpec } from '../../src/api/failure-record.ts';
import { extractFromText } from '../../src/logs/log-extractor.ts';
import { redactExtraction } from '../../src/logs/redactor.ts';
import type { Extraction } from '../../src/logs/types.ts';

/**
 * The analysis of a FailureRecord from what its spec carries: each failed job's excerpt goes through the
 * same extraction, redaction and rules analyzer as a log does in the CLI and the action (the producer
 * redacted already; redacting again is idempotent and means nothing unredacted reaches status even from a
 * careless producer). The key line the producer chose (with its line number in the full log) wins over
 * the one re-extraction finds in the excerpt, because it was chosen with the whole log in view.
 *
 * With several failed jobs the riskiest analysis speaks for the record: the gate must see the worst case.
 */

// Excerpts are already small (<= 16 KiB); keep all of them instead of the extractor's default 8 KiB budget.
const EXTRACT = { maxLines: 400, maxBytes: 16_384, maxLineLength: 2000 };
const MAX_COMPONENTS = 50;

export async function analyzeRecord(spec: FailureRecordSpec, now: Date): Promise<AnalysisStatus> {
  let chosen: { analysis: Analysis; job: FailedJob } | undefined;
  const redactions: Record<string, number> = {};
  const components = new Set<string>();
  for (const job of spec.failedJobs) {
    const extraction = shift(extractFromText(job.excerpt, EXTRACT), (job.excerptStartLine ?? 1) - 1);
    if (job.keyLine !== undefined) extraction.keyLine = { line: job.keyLine.line, text: job.keyLine.text };
    const redacted = await redactExtraction(extraction);
    for (const [type, count] of Object.entries(redacted.redactions)) redactions[type] = (redactions[type] ?? 0) + count;
    const analysis = analyzeWithRules({
      extraction: redacted.extraction,
      jobName: job.name,
      ...(job.failedStep !== undefined && { failedStep: job.failedStep }),
      conclusion: job.conclusion,
    });
    for (const component of analysis.components) components.add(component);
    if (chosen === undefined || analysis.riskScore > chosen.analysis.riskScore) chosen = { analysis, job };
  }
  // The schema requires at least one failed job, so `chosen` is set; the guard keeps the types honest.
  if (chosen === undefined) throw new Error('the record has no failed jobs');
  const { analysis, job } = chosen;
  const prefix = spec.failedJobs.length > 1 ? `${job.name}: ` : '';
  return {
    analyzer: 'rules',
    ...(analysis.rule !== undefined && { rule: analysis.rule }),
    category: analysis.category,
    riskScore: analysis.riskScore,
    confidence: analysis.confidence,
    effort: analysis.effort,
    components: [...components].slice(0, MAX_COMPONENTS).map((component) => component.slice(0, 1024)),
    summary: clip(prefix + analysis.summary, 1024),
    reasoning: clip(analysis.reasoning, 8192),
    proposedRemediation: { action: analysis.proposedRemediation.action, rationale: clip(analysis.proposedRemediation.rationale, 2048) },
    ...(Object.keys(redactions).length > 0 && { redactions }),
    injectionSuspected: false,
    analyzedAt: now.toISOString(),
  };
}

/** Line numbers of the original log: the excerpt starts at `offset + 1`. */
function shift(extraction: Extraction, offset: number): Extraction {
  if (offset === 0) return extraction;
  return {
    ...extraction,
    keyLine: extraction.keyLine === null ? null : { ...extraction.keyLine, line: extraction.keyLine.line + offset },
    excerpts: extraction.excerpts.map((excerpt) => ({ ...excerpt, startLine: excerpt.startLine + offset, endLine: excerpt.endLine + offset })),
    signals: extraction.signals.map((signal) => ({ ...signal, line: signal.line + offset })),
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
