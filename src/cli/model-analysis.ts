import { readFile } from 'node:fs/promises';
import type { LogReport } from '../report/log-report.ts';
import type { Verdict } from '../analysis/analyzer.ts';
import { DEFAULT_MODEL, ModelAnalyzer } from '../analysis/model/model-analyzer.ts';
import type { ModelUsageLedger } from '../analysis/model/token-budget.ts';
import type { RemediationPolicy } from '../api/remediation-policy.ts';
import { InputError } from '../errors.ts';
import { gate } from '../policy/gate.ts';
import type { Paint } from './style.ts';

/**
 * `analyze --provider openai`: the model-assisted analysis on top of the rules report. Kept apart from
 * commands/analyze.ts so the command only parses flags and calls `withModel`; the merge and the gate are the
 * same code the operator runs.
 */

export interface ModelFlags {
  provider: 'rules' | 'openai';
  model?: string;
  apiKeyFile?: string;
}

export interface ModelSetup {
  analyzer: ModelAnalyzer;
  model: string;
}

/**
 * Reads OPENAI_API_KEY (or --openai-api-key-file) and OPENAI_BASE_URL; a missing key is a usage error. With
 * `usage` (the store, under --record) each call is recorded and the policy's daily budget applies.
 */
export async function modelSetup(flags: ModelFlags, env: NodeJS.ProcessEnv, usage?: ModelUsageLedger): Promise<ModelSetup | undefined> {
  if (flags.provider === 'rules') return undefined;
  let apiKey = env.OPENAI_API_KEY;
  if (flags.apiKeyFile !== undefined) {
    try {
      apiKey = (await readFile(flags.apiKeyFile, 'utf8')).trim();
    } catch (error) {
      throw new InputError(`cannot read --openai-api-key-file ${flags.apiKeyFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  if (apiKey === undefined || apiKey === '') throw new InputError('--provider openai needs an API key: set OPENAI_API_KEY or give --openai-api-key-file FILE');
  const baseURL = env.OPENAI_BASE_URL === undefined || env.OPENAI_BASE_URL === '' ? undefined : parseBaseUrl(env.OPENAI_BASE_URL);
  const model = flags.model ?? DEFAULT_MODEL;
  return { analyzer: new ModelAnalyzer({ apiKey, ...(baseURL !== undefined && { baseURL }), model, ...(usage && { usage }) }), model };
}

function parseBaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return url.toString().replace(/\/$/, '');
  } catch {
    throw new InputError(`Invalid OPENAI_BASE_URL '${value}'. Expected an http(s) URL such as https://api.openai.com/v1.`);
  }
}

export interface ModelReport {
  report: LogReport;
  rules: LogReport;
  verdict: Verdict;
}

/** Runs the model on a rules report and returns the report of the merged verdict, re-gated, beside the rules one. */
export async function withModel(setup: ModelSetup, rules: LogReport, options: { policy: RemediationPolicy; repository?: string; now: Date; model?: string }): Promise<ModelReport> {
  const policy = options.model === undefined ? options.policy : { ...options.policy, spec: { ...options.policy.spec, analysis: { ...options.policy.spec.analysis, model: options.model } } };
  const extraction = { keyLine: rules.keyLine, excerpts: rules.excerpts, signals: [], stats: { ...rules.stats, truncatedLines: 0 } };
  const verdict = await setup.analyzer.analyze([{ name: 'job', extraction, cacheKeys: rules.cacheKeys }], { policy, ...(options.repository !== undefined && { repository: options.repository }), now: options.now }, rules.analysis);
  const decision = gate({ analysis: verdict, rulesFloor: rules.analysis.riskScore, policy, ...(options.repository !== undefined && { repository: options.repository }) });
  return { report: { ...rules, analysis: verdict, gate: decision }, rules, verdict };
}

/** The fields `--json` adds for a model analysis: who answered, what it cost, and the rules' own verdict. */
export function modelJson(result: ModelReport, model: string): Record<string, unknown> {
  const { verdict, rules } = result;
  return {
    analyzer: verdict.analyzer,
    model: verdict.model ?? model,
    tokens: verdict.tokens ?? { input: 0, output: 0 },
    injectionSuspected: verdict.injectionSuspected === true,
    ...(verdict.injectionSpans && { injectionSpans: verdict.injectionSpans }),
    ...(verdict.fallbackReason !== undefined && { fallbackReason: verdict.fallbackReason }),
    ...(verdict.mergeNotes && { mergeNotes: verdict.mergeNotes }),
    ...(verdict.toolCalls && { toolCalls: verdict.toolCalls }),
    rules: {
      category: rules.analysis.category,
      riskScore: rules.analysis.riskScore,
      confidence: rules.analysis.confidence,
      summary: rules.analysis.summary,
      proposedRemediation: rules.analysis.proposedRemediation,
      gate: { decision: rules.gate.decision, reasons: rules.gate.reasons },
    },
  };
}

export function modelText(result: ModelReport, model: string, paint: Paint): string {
  const { verdict, rules } = result;
  const label = paint('dim', 'Model'.padEnd(12));
  const lines = [
    verdict.fallbackReason !== undefined
      ? `${label}${model}: ${paint('yellow', 'not used')} - ${verdict.fallbackReason}`
      : `${label}${model}: ${verdict.tokens?.input ?? 0} input + ${verdict.tokens?.output ?? 0} output tokens; rules said ${rules.analysis.category} (risk ${rules.analysis.riskScore}, ${rules.gate.decision})`,
  ];
  for (const note of verdict.mergeNotes ?? []) lines.push(`${' '.repeat(12)}- ${note}`);
  for (const span of verdict.injectionSpans ?? []) lines.push(`${paint('dim', 'Injection'.padEnd(12))}${paint('red', span.kind)} ${span.source} L${span.line}: ${span.excerpt}`);
  return lines.join('\n') + '\n';
}
