/**
 * The model analyzer's figures over the LogChunks dev set and the GitHub Actions dev set (gha-dev):
 *   - input tokens per failure (median, p95): what the record budget counts (prompt, excerpt, tool results,
 *     each once) and what the endpoint reported as billed (every call re-sends the conversation);
 *   - tool calls per analysis;
 *   - the analyzer's own overhead per record, excluding the time spent in HTTP calls to the model;
 *   - the cache hit rate on a replay of gha-dev with repeated fingerprints.
 * By default the model is the local scripted OpenAI-compatible server (test/support/openai-server.ts): it
 * reads one log window around the key line, then answers the rules' category citing the key line.
 * With --base-url URL (and OPENAI_API_KEY) the same runs go to a real endpoint, and the accuracy of rules and
 * model against gha-dev's labels is printed.
 * Usage: node bench/model.ts [--base-url URL] [--model M] [--limit N] [--data LOGCHUNKS.jsonl.gz] [--gha DIR]
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { analyzeLog } from '../src/report/log-report.ts';
import type { JobEvidence, Verdict } from '../src/analysis/analyzer.ts';
import { ModelAnalyzer } from '../src/analysis/model/model-analyzer.ts';
import { VerdictCache } from '../src/analysis/model/verdict-cache.ts';
import { RemediationPolicy } from '../src/api/remediation-policy.ts';
import { startOpenAIServer, type ChatRequest, type Step } from '../test/support/openai-server.ts';
import { datasetPath, readLogChunks, repoRoot } from './lib/logchunks.ts';
import { median, percent, percentile } from './lib/stats.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const baseUrlFlag = flag('--base-url');
const modelName = flag('--model') ?? 'gpt-4o';
const limit = Number(flag('--limit') ?? Number.POSITIVE_INFINITY);

const policy = RemediationPolicy.parse({
  apiVersion: 'ci-remediator.dev/v1alpha1',
  kind: 'RemediationPolicy',
  metadata: { name: 'bench', namespace: 'ci' },
  spec: { repositories: ['*/*'], analysis: { provider: 'openai' } },
});

interface Failure {
  id: string;
  log: string;
  labels?: string[];
}

/** `../shared/data` beside the repository (main), or two levels up (a worktree under wt/); flags win. */
function sharedData(name: string): string {
  const near = resolve(repoRoot(), '..', 'shared', 'data', name);
  return existsSync(near) ? near : resolve(repoRoot(), '..', '..', 'shared', 'data', name);
}

async function loadGhaDev(): Promise<Failure[]> {
  const dir = flag('--gha') ?? sharedData('gha-dev');
  const rows = (await readFile(join(dir, 'labels.tsv'), 'utf8')).split('\n').slice(1).filter((r) => r.trim() !== '');
  const out: Failure[] = [];
  for (const row of rows) {
    const [file, categories] = row.split('\t');
    if (!file || !categories) continue;
    out.push({ id: file, log: await readFile(join(dir, 'logs', file), 'utf8'), labels: categories.split(',') });
  }
  return out;
}

async function loadLogChunks(): Promise<Failure[]> {
  const out: Failure[] = [];
  for await (const record of readLogChunks(args.includes('--data') ? datasetPath(args) : sharedData('logchunks-dev.jsonl.gz'))) out.push({ id: record.id, log: record.log });
  return out;
}

// The scripted model: read a window around the key line once, then answer the rules' category.
function scriptedStep(request: ChatRequest): Step {
  const sawTool = request.messages.some((m) => m.role === 'tool');
  const content = request.messages.find((m) => m.role === 'user')?.content;
  const prompt = typeof content === 'string' ? content : Array.isArray(content) ? content.map((part: { text?: string }) => part.text ?? '').join('\n') : '';
  const rules = /The rules analyzer's verdict: (\{.*\})/.exec(prompt);
  const verdict = rules ? (JSON.parse(rules[1]!) as { category: string; riskScore: number; proposedAction: string }) : { category: 'unknown', riskScore: 50, proposedAction: 'notify-only' };
  const job = /source="log:([^"#]+)#(\d+):/.exec(prompt);
  if (!sawTool && job) return { toolCalls: [{ name: 'read_job_log', arguments: { jobId: Number(job[2]), lines: 40 } }] };
  const evidence = /\n\d+ \| (.{8,200})\n/.exec(prompt)?.[1]?.trim() ?? 'no evidence';
  return {
    verdict: {
      category: verdict.category,
      riskScore: verdict.riskScore,
      confidence: 0.8,
      effort: 'low',
      components: [],
      summary: 'scripted',
      reasoning: 'scripted answer for the benchmark',
      proposedRemediation: { action: verdict.proposedAction, params: {}, rationale: 'scripted' },
      evidence: [evidence],
    },
  };
}

interface Run {
  budgetTokens: number[];
  billedTokens: number[];
  toolCalls: number[];
  overheadMs: number[];
  fallbacks: Map<string, number>;
  correct: { rules: number; model: number; labelled: number };
}

async function runSet(name: string, failures: readonly Failure[], analyzer: ModelAnalyzer): Promise<Run> {
  const run: Run = { budgetTokens: [], billedTokens: [], toolCalls: [], overheadMs: [], fallbacks: new Map(), correct: { rules: 0, model: 0, labelled: 0 } };
  for (const [index, failure] of failures.entries()) {
    const rules = await analyzeLog(textSource(failure.log), { policy }).catch(() => null);
    if (rules === null) continue;
    const job: JobEvidence = {
      name: 'job',
      id: index + 1,
      extraction: { keyLine: rules.keyLine, excerpts: rules.excerpts, signals: [], stats: { ...rules.stats, truncatedLines: 0 } },
      cacheKeys: rules.cacheKeys,
    };
    const started = performance.now();
    const verdict: Verdict = await analyzer.analyze([job], { repository: `bench/${name}`, policy, now: new Date() }, rules.analysis);
    const total = performance.now() - started;
    const report = analyzer.lastReport;
    run.overheadMs.push(total - (report?.modelMs ?? 0));
    run.budgetTokens.push(report?.estimatedInputTokens ?? 0);
    run.billedTokens.push(verdict.tokens?.input ?? 0);
    run.toolCalls.push(report?.toolCalls.length ?? 0);
    if (verdict.fallbackReason !== undefined) run.fallbacks.set(report?.fallbackCode ?? 'error', (run.fallbacks.get(report?.fallbackCode ?? 'error') ?? 0) + 1);
    if (failure.labels) {
      run.correct.labelled += 1;
      if (failure.labels.includes(rules.analysis.category)) run.correct.rules += 1;
      if (failure.labels.includes(verdict.category)) run.correct.model += 1;
    }
  }
  return run;
}

async function* textSource(text: string): AsyncIterable<string> {
  yield text;
}

function logSources(failures: readonly Failure[]) {
  return () => ({ jobLog: async (_repo: string, jobId: number) => [failures[jobId - 1]?.log ?? ''] });
}

const server = baseUrlFlag === undefined ? await startOpenAIServer() : undefined;
server?.respond(scriptedStep);
const apiKey = server?.apiKey ?? process.env.OPENAI_API_KEY ?? '';
if (apiKey === '') {
  console.error('--base-url needs OPENAI_API_KEY');
  process.exit(2);
}
const baseURL = server?.baseURL ?? baseUrlFlag!;

const sets: Array<[string, Failure[]]> = [
  ['logchunks-dev', (await loadLogChunks()).slice(0, limit)],
  ['gha-dev', (await loadGhaDev()).slice(0, limit)],
];
console.log(`model ${modelName} at ${server ? 'the local scripted server' : baseURL}; maxInputTokens ${policy.spec.analysis.maxInputTokens}\n`);
console.log(`${'set'.padEnd(15)}${'n'.padStart(5)}${'budget p50'.padStart(12)}${'budget p95'.padStart(12)}${'billed p50'.padStart(12)}${'billed p95'.padStart(12)}${'tools/rec'.padStart(11)}${'overhead p50'.padStart(14)}${'p95'.padStart(8)}  fallbacks`);
const results: Array<[string, Run]> = [];
for (const [name, failures] of sets) {
  const analyzer = new ModelAnalyzer({ apiKey, baseURL, model: modelName, maxRetries: 2, sources: logSources(failures) });
  const run = await runSet(name, failures, analyzer);
  results.push([name, run]);
  const tools = run.toolCalls.reduce((a, b) => a + b, 0) / Math.max(1, run.toolCalls.length);
  const fallbacks = [...run.fallbacks].map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  console.log(
    `${name.padEnd(15)}${String(run.budgetTokens.length).padStart(5)}${String(median(run.budgetTokens)).padStart(12)}${String(percentile(run.budgetTokens, 0.95)).padStart(12)}` +
      `${String(median(run.billedTokens)).padStart(12)}${String(percentile(run.billedTokens, 0.95)).padStart(12)}${tools.toFixed(2).padStart(11)}` +
      `${`${median(run.overheadMs).toFixed(1)} ms`.padStart(14)}${`${percentile(run.overheadMs, 0.95).toFixed(1)}`.padStart(8)}  ${fallbacks}`,
  );
}

// Cache replay: gha-dev twice, interleaved, as repeats of the same failures arrive.
const gha = sets[1]![1];
const cache = new VerdictCache();
const cached = new ModelAnalyzer({ apiKey, baseURL, model: modelName, maxRetries: 2, cache, sources: logSources([...gha, ...gha]) });
const replay = [...gha, ...gha];
await runSet('replay', replay, cached);
console.log(`\ncache replay (gha-dev twice): ${cache.hits} hits of ${cache.hits + cache.misses} lookups (${percent(cache.hits, cache.hits + cache.misses)}), ${cache.size} fingerprints`);

if (server === undefined) {
  const run = results.find(([name]) => name === 'gha-dev')?.[1];
  if (run) {
    console.log(`\naccuracy against gha-dev labels (${run.correct.labelled} labelled; a category counts when it is one of the row's labels)`);
    console.log(`  rules  ${percent(run.correct.rules, run.correct.labelled)}`);
    console.log(`  model  ${percent(run.correct.model, run.correct.labelled)}  (merged verdict: the model's category when its answer was used)`);
  }
}
await server?.close();
