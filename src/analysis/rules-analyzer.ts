import { STEP_SIGNAL_KIND, type Extraction } from '../logs/types.ts';
import { extractComponents } from './components.ts';
import { computeFingerprint } from './fingerprint.ts';
import { CATEGORY_PROFILES, SIGNATURES, type Signature } from './signatures.ts';
import { CATEGORIES, type Category, type Effort, type RemediationAction } from './taxonomy.ts';
import type { Analysis } from './types.ts';

/**
 * The rules analyzer: the offline, deterministic floor of every analysis. It scores the extracted lines
 * against the signature catalog (signatures.ts) and returns exactly one category. It never does I/O and
 * never looks at a clock, so the same input always gives the same Analysis.
 */

/** What the store knows about earlier occurrences of this fingerprint (flaky knowledge). */
export interface FailureHistory {
  occurrences: number;
  rerunAttempts: number;
  rerunFixed: number;
}

export interface RulesInput {
  extraction: Extraction;
  jobName?: string;
  failedStep?: string;
  /** GitHub job conclusion: failure | cancelled | timed_out. */
  conclusion?: string;
  history?: FailureHistory;
}

export const MAX_SUMMARY_LENGTH = 200;
export const MAX_REASONING_LENGTH = 2000;

// Where a line sits says how much it explains: the extractor already chose the key line as the best
// explanation, its signals are the next best, and the rest of the excerpt is context.
const KEY_LINE_WEIGHT = 3;
const TOP_SIGNAL_WEIGHT = 1.5;
const SIGNAL_WEIGHT = 1.2;
const EXCERPT_WEIGHT = 0.6;
/**
 * The `Run …` line that started the key line's step (a `step` signal from the extractor): context, not
 * evidence of its own. Rules written for step lines are weak (0.5), so the step tips a close call or names
 * a failure nothing else names, and never outweighs a specific line.
 */
const STEP_WEIGHT = 1;
/** Bounds the work on adversarial extractions: the extractor's defaults are far below these. */
const MAX_LINES = 400;
const MAX_LINE_LENGTH = 2000;

/**
 * A category needs at least this score to be chosen; below it, the failure is `unknown`. It is reached by a
 * specific rule (weight >= 0.75) on any excerpt line, or by a weaker rule on a signal or the key line.
 */
const MIN_CATEGORY_SCORE = 0.45;
/** A cause overrides a symptom only on more than passing evidence: a signal line, or several excerpt lines. */
const MIN_CAUSE_SCORE = 0.9;
/**
 * The extractor's kind of a line, read when no rule reached a category. Only kinds whose shape is specific to a
 * kind of tool are listed: an `error`, `exception` or `exit-code` line could come from anything.
 */
const SHAPE_CATEGORIES: Readonly<Record<string, Category>> = {
  'test-failure': 'test_failure',
  assertion: 'test_failure',
  'failure-header': 'test_failure',
  compiler: 'compilation_error',
  'package-manager': 'dependency_error',
  timeout: 'timeout',
  'rate-limit': 'network_error',
};
/** How many of the strongest signals the shape fallback reads. */
const SHAPE_SIGNALS = 3;

/** What a shape alone scores: enough to be chosen, well below any rule on the key line, so confidence stays low. */
const SHAPE_SCORE = 0.5;

/** A rule that explains another category's evidence wins when its score reaches this share of that category's. */
const EXPLAINS_RATIO = 0.3;
/** A GitHub job conclusion counts like a specific rule matching the key line. */
const CONCLUSION_SCORE = 3;

/**
 * Cause over symptom. When a failure shows both a root cause and the symptom it produced (a registry timeout
 * that made `npm ci` and then the tests fail; a runner shutdown that ended as "The operation was canceled"), the
 * symptom lines are usually more numerous and nearer the end, so they score higher. A cause wins anyway when its
 * own score reaches `ratio` of the symptom's. Causes are tried in this order. Security findings are never
 * overridden: a scanner result must reach a person even if the network was flaky during the scan.
 */
const CAUSE_OVER_SYMPTOM: ReadonlyArray<{
  cause: Category;
  over: readonly Category[];
  ratio: number;
  /** Symptoms the cause does not override when their summary counts more failures than the cause has lines. */
  unlessOutnumbered?: readonly Category[];
}> = [
  {
    cause: 'infrastructure_error',
    over: ['test_failure', 'compilation_error', 'dependency_error', 'network_error', 'timeout', 'cancelled', 'deployment_error', 'unknown'],
    // Runner-level messages (shutdown signal, lost communication, full disk) are never incidental noise.
    ratio: 0.2,
  },
  // A network error inside one test explains that test, not a suite whose summary counts more failing tests
  // than there are network errors (`unlessOutnumbered`).
  { cause: 'network_error', over: ['test_failure', 'dependency_error', 'deployment_error', 'timeout', 'unknown'], ratio: 0.35, unlessOutnumbered: ['test_failure'] },
  // A job that hit its time limit ends with "The operation was canceled": the timeout is the cause.
  { cause: 'timeout', over: ['cancelled', 'unknown'], ratio: 0.3 },
  // A port collision or a runner-reported flake explains the failing test that follows it.
  { cause: 'flaky_test', over: ['test_failure'], ratio: 0.4 },
];

/** Categories whose excerpt lines (stack traces, diagnostics) point at files in the repository. */
const CODE_LOCATED: ReadonlySet<Category> = new Set([
  'test_failure', 'flaky_test', 'compilation_error', 'lint_error', 'configuration_error', 'security_scan', 'deployment_error', 'unknown',
]);

/** Categories the failure history may turn into flaky_test: the ones a flaky test actually shows up as. */
const HISTORY_FLAKY_FROM: ReadonlySet<Category> = new Set(['test_failure', 'timeout', 'unknown']);

/** Whether the failure history could change an analysis of this category (callers skip the lookup otherwise). */
export function historyMayReclassify(category: Category): boolean {
  return HISTORY_FLAKY_FROM.has(category);
}

/** Whether this history turns an analysis of this category into flaky_test (re-analysing is pointless otherwise). */
export function historyReclassifies(category: Category, history: FailureHistory): boolean {
  return history.rerunFixed >= 1 && historyMayReclassify(category);
}

interface ScoredLine {
  line: number;
  /** The line as the extraction has it: what summaries, components and the fingerprint read. */
  text: string;
  /** What the rules match: `text` without BuildKit's step prefix and trailing blanks (see collectLines). */
  matchText: string;
  weight: number;
  isKey: boolean;
  /** Rank for component ordering: key line, then signals best first, then excerpt lines in file order. */
  order: number;
}

interface RuleHit {
  signature: Signature;
  lines: Array<{ line: ScoredLine; contribution: number; match: RegExpExecArray }>;
  score: number;
}

/** Analyzes one failed job with the rules catalog. Pure and deterministic. */
export function analyzeWithRules(input: RulesInput): Analysis {
  const lines = collectLines(input.extraction, input.failedStep);
  const hits = matchRules(lines);
  const scores = scoreCategories(hits);
  const notes: string[] = [];

  const conclusion = input.conclusion?.toLowerCase();
  let conclusionCategory: Category | undefined;
  if (conclusion === 'cancelled' || conclusion === 'timed_out') {
    conclusionCategory = conclusion === 'cancelled' ? 'cancelled' : 'timeout';
    scores.set(conclusionCategory, (scores.get(conclusionCategory) ?? 0) + CONCLUSION_SCORE);
    notes.push(`GitHub reported the job as ${conclusion}.`);
  }

  const ranked = rankCategories(scores);
  // `unknown` evidence (an exit code) never competes with a real category: it only says that something
  // failed. The failure is unknown when no other category has enough evidence.
  let category: Category = 'unknown';
  const best = ranked.find((r) => r.category !== 'unknown');
  if (best !== undefined && best.score >= MIN_CATEGORY_SCORE) category = best.category;

  // No rule knows the failure, but the extractor saw the shape of its best lines (`path:12:5: message` is a
  // compiler or linter, `1) it does x:` a test runner): a weak answer with low confidence beats `unknown` for
  // whoever triages it. The key line's shape first, then the next strongest signals' (the key line is often
  // only the exit code).
  if (category === 'unknown') {
    const shaped = bestShape(input.extraction);
    if (shaped !== undefined) {
      scores.set(shaped.category, Math.max(scores.get(shaped.category) ?? 0, SHAPE_SCORE));
      notes.push(`No rule matched; the shape of line ${shaped.line} (${shaped.kind}) suggests ${shaped.category}.`);
      category = shaped.category;
    }
  }

  const explaining = explainingHit(hits, category, scores.get(category) ?? 0);
  if (explaining !== undefined) {
    notes.push(`${explaining.signature.id} names the cause of the ${category} evidence, so ${explaining.signature.category} wins.`);
    category = explaining.signature.category;
  }

  for (const { cause, over, ratio, unlessOutnumbered } of explaining === undefined ? CAUSE_OVER_SYMPTOM : []) {
    const causeScore = scores.get(cause) ?? 0;
    const winnerScore = scores.get(category) ?? 0;
    if (unlessOutnumbered?.includes(category) && (failuresCounted(hits, category) ?? 0) > linesOf(hits, cause)) continue;
    if (cause !== category && over.includes(category) && causeScore >= MIN_CAUSE_SCORE && causeScore >= ratio * winnerScore) {
      notes.push(`${cause} (score ${fmt(causeScore)}) explains the ${category} evidence (score ${fmt(winnerScore)}), so the cause wins.`);
      category = cause;
      break;
    }
  }

  const topScore = scores.get(category) ?? 0;
  const runnerUp = ranked.find((r) => r.category !== category && r.category !== 'unknown')?.score ?? 0;
  let confidence = confidenceFrom(topScore, runnerUp);
  if (category === 'unknown') confidence = lines.length === 0 ? 0.1 : Math.min(0.3, confidence * 0.4);

  const decidingHit = bestHit(hits, category);
  const keyText = input.extraction.keyLine?.text ?? null;

  // The fingerprint is taken before history can change the category: history is looked up *by* fingerprint,
  // so the same failure must keep the same key whether or not it has been seen before.
  const evidence = decidingHit ? topEvidence(decidingHit) : input.extraction.signals.slice(0, 3).map((s) => s.text);
  const fingerprint = computeFingerprint({
    category,
    ruleId: decidingHit?.signature.id ?? (conclusionCategory === category ? `conclusion.${conclusion}` : 'none'),
    keyLine: keyText,
    evidence,
  });

  let remediation: RemediationAction = decidingHit?.signature.remediation ?? CATEGORY_PROFILES[category].remediation;
  let rationale = decidingHit?.signature.rationale ?? CATEGORY_PROFILES[category].rationale;
  let effort: Effort = decidingHit?.signature.effort ?? CATEGORY_PROFILES[category].effort;
  let baseRisk = decidingHit?.signature.risk ?? CATEGORY_PROFILES[category].baseRisk;
  let label = decidingHit?.signature.tool ?? CATEGORY_PROFILES[category].label;
  let rule = decidingHit?.signature.id;
  if (category === 'timeout' && decidingHit === undefined && conclusionCategory === 'timeout') rule = 'conclusion.timed_out';
  if (category === 'cancelled' && decidingHit === undefined && conclusionCategory === 'cancelled') rule = 'conclusion.cancelled';

  const history = input.history;
  if (history !== undefined && historyReclassifies(category, history)) {
    const seen = `seen ${history.occurrences} times, a re-run fixed it ${history.rerunFixed} times`;
    notes.push(`Failure history: ${seen} (${history.rerunAttempts} re-runs tried); treating ${category} as flaky_test.`);
    const fixRate = history.rerunAttempts > 0 ? Math.min(1, history.rerunFixed / history.rerunAttempts) : 1;
    // More confirmed fixes and a higher fix rate make "flaky" more certain than any single log could: the
    // record adds to what the log already showed, so confidence always rises (up to a cap short of 1).
    const fromHistory = 0.6 + 0.1 * Math.min(history.rerunFixed, 3) + 0.1 * fixRate;
    confidence = Math.min(0.97, Math.max(confidence, fromHistory) + 0.05 * Math.min(history.rerunFixed, 3));
    category = 'flaky_test';
    const profile = CATEGORY_PROFILES.flaky_test;
    remediation = profile.remediation;
    rationale = `${profile.rationale} History: ${seen}.`;
    effort = profile.effort;
    baseRisk = profile.baseRisk;
    label = profile.label;
    rule = rule === undefined ? 'history.rerun-fixed' : `${rule}+history.rerun-fixed`;
  }

  const components = extractComponents(componentOrder(lines, hits, category));
  // The summary names a file only when the deciding evidence itself names it, not a file from nearby context.
  const categoryHits = hits.filter((h) => h.signature.category === category).sort((a, b) => b.score - a.score);
  const decidingLines = [...(keyText === null ? [] : [keyText]), ...categoryHits.flatMap((h) => h.lines.map((m) => m.line.text))];
  const summaryComponent = extractComponents(decidingLines, 1)[0];
  const summary = buildSummary({ label, hit: decidingHit, categoryHits, keyText, component: summaryComponent, jobName: input.jobName, failedStep: input.failedStep });
  const reasoning = buildReasoning(hits, ranked, category, notes, input.extraction.keyLine?.line);

  const analysis: Analysis = {
    analyzer: 'rules',
    category,
    riskScore: riskFrom(baseRisk, confidence),
    confidence: round2(confidence),
    effort,
    summary,
    reasoning,
    components,
    fingerprint,
    proposedRemediation: { action: remediation, rationale },
  };
  if (rule !== undefined) analysis.rule = rule;
  return analysis;
}

/**
 * Key line, signals and excerpt lines, merged by line number (a line keeps its most important role). The
 * failing step's name, when the caller knows it, joins as a context line `Step: <name>` numbered 0 (a line no
 * log has), so step rules can read it like a `Run …` line.
 */
function collectLines(extraction: Extraction, failedStep?: string): ScoredLine[] {
  const byLine = new Map<number, ScoredLine>();
  let order = 0;
  const add = (line: number, text: string, weight: number, isKey: boolean): void => {
    const existing = byLine.get(line);
    if (existing) {
      if (weight > existing.weight) existing.weight = weight;
      existing.isKey ||= isKey;
      return;
    }
    if (byLine.size >= MAX_LINES) return;
    // BuildKit prefixes every line of a `docker build` step with its step number and elapsed time
    // (`#12 3.021 npm error code ERESOLVE`); without it, the tool's own line matches the tool's own rule.
    // Trailing blanks (a pasted log, a tool padding its table, a `\r` a terminal hid) are not part of the message:
    // trimming them lets every rule's `$` mean "end of the message", not "end of this exact paste". Only the
    // matched text changes: the fingerprint and the summary keep the line as it was, so fingerprints stay stable.
    const kept = text.slice(0, MAX_LINE_LENGTH);
    byLine.set(line, { line, text: kept, matchText: withoutBuildKitPrefix(kept).trimEnd(), weight, isKey, order: order++ });
  };
  const key = extraction.keyLine;
  if (key !== null && key.text.trim() !== '') add(key.line, key.text, KEY_LINE_WEIGHT, true);
  let rank = 0;
  for (const signal of extraction.signals) {
    if (signal.text.trim() === '') continue;
    if (signal.kind === STEP_SIGNAL_KIND) add(signal.line, signal.text, STEP_WEIGHT, false);
    else add(signal.line, signal.text, rank++ < 3 ? TOP_SIGNAL_WEIGHT : SIGNAL_WEIGHT, false);
  }
  // A key line that only reports an exit code ("Process completed with exit code 1.") says nothing of why;
  // the tool's own last words are the lines just above it, so they weigh like a signal.
  const closing = key !== null && isBareExitCode(key.text) ? key.line : null;
  for (const excerpt of extraction.excerpts) {
    const lines = excerpt.text.split('\n');
    let lastWords = CLOSING_LINES;
    for (let i = lines.length - 1; i >= 0; i--) {
      const text = lines[i]!;
      if (text.trim() === '') continue;
      const line = excerpt.startLine + i;
      const isLastWords = closing !== null && line < closing && lastWords > 0 && !isBareExitCode(text);
      if (isLastWords) lastWords--;
      add(line, text, isLastWords ? SIGNAL_WEIGHT : EXCERPT_WEIGHT, false);
    }
  }
  // A step name is context for what the log shows; with no log line at all it would be a guess.
  const stepName = failedStep?.trim();
  if (stepName && byLine.size > 0) add(0, `Step: ${stepName}`, STEP_WEIGHT, false);
  return [...byLine.values()];
}

const BUILDKIT_PREFIX = /^#\d+ (?:\d+(?:\.\d+)? )?/;

function withoutBuildKitPrefix(text: string): string {
  return text.charCodeAt(0) === 35 /* # */ ? text.replace(BUILDKIT_PREFIX, '') : text;
}

/** How many non-blank lines above a bare exit-code key line count as the tool's last words. */
const CLOSING_LINES = 2;
const GENERIC_EXIT_CODE = SIGNATURES.find((signature) => signature.id === 'generic.exit-code');

function isBareExitCode(text: string): boolean {
  return GENERIC_EXIT_CODE !== undefined && firstMatch(GENERIC_EXIT_CODE, text) !== null;
}

function matchRules(lines: readonly ScoredLine[]): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const signature of SIGNATURES) {
    const matched: RuleHit['lines'] = [];
    for (const line of lines) {
      const match = firstMatch(signature, line.matchText);
      if (match) matched.push({ line, contribution: signature.weight * line.weight, match });
    }
    if (matched.length === 0) continue;
    matched.sort((a, b) => b.contribution - a.contribution || a.line.order - b.line.order);
    // Diminishing returns: 30 copies of the same compiler error are not 30 times the evidence of one.
    const [first, second, ...rest] = matched.map((m) => m.contribution);
    const score = (first ?? 0) + 0.3 * (second ?? 0) + Math.min(0.5, 0.1 * rest.reduce((a, b) => a + b, 0));
    hits.push({ signature, lines: matched, score });
  }
  return hits;
}

export function firstMatch(signature: Signature, text: string): RegExpExecArray | null {
  for (const pattern of signature.patterns) {
    const m = pattern.exec(text);
    if (m) return m;
  }
  return null;
}

/** A category's score: its best rule, plus a little for each further rule that agrees. */
function scoreCategories(hits: readonly RuleHit[]): Map<Category, number> {
  const byCategory = new Map<Category, number[]>();
  for (const hit of hits) {
    const list = byCategory.get(hit.signature.category) ?? [];
    list.push(hit.score);
    byCategory.set(hit.signature.category, list);
  }
  const scores = new Map<Category, number>();
  for (const [category, list] of byCategory) {
    list.sort((a, b) => b - a);
    const [top = 0, ...others] = list;
    scores.set(category, top + 0.25 * others.reduce((a, b) => a + b, 0));
  }
  return scores;
}

/** Highest score first; ties broken by taxonomy order so the result never depends on Map iteration. */
function rankCategories(scores: ReadonlyMap<Category, number>): Array<{ category: Category; score: number }> {
  return [...scores.entries()]
    .map(([category, score]) => ({ category, score }))
    .sort((a, b) => b.score - a.score || CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category));
}

/** The key line's shape if it names a category, else the first of the strongest signals' that does. */
function bestShape(extraction: Extraction): { category: Category; kind: string; line: number } | undefined {
  const ranked = extraction.signals.filter((s) => s.kind !== STEP_SIGNAL_KIND).slice(0, SHAPE_SIGNALS);
  const key = extraction.keyLine;
  const keySignal = key === null ? undefined : ranked.find((s) => s.line === key.line);
  for (const signal of keySignal === undefined ? ranked : [keySignal, ...ranked]) {
    const category = SHAPE_CATEGORIES[signal.kind];
    if (category !== undefined) return { category, kind: signal.kind, line: signal.line };
  }
  return undefined;
}

/** How many distinct lines rules of this category matched. */
function linesOf(hits: readonly RuleHit[], category: Category): number {
  const lines = new Set<number>();
  for (const hit of hits) if (hit.signature.category === category) for (const m of hit.lines) lines.add(m.line.line);
  return lines.size;
}

/** The largest failure count a summary line of this category states (`Tests: 3 failed`, `2 failing`), if any. */
function failuresCounted(hits: readonly RuleHit[], category: Category): number | undefined {
  let most: number | undefined;
  for (const hit of hits) {
    if (hit.signature.category !== category) continue;
    for (const m of hit.lines) {
      const count = FAILURE_COUNT.exec(m.line.matchText);
      if (count) most = Math.max(most ?? 0, Number(count[1]));
    }
  }
  return most;
}

const FAILURE_COUNT = /\b([1-9]\d*) (?:failed|failing|failures?)\b/;

/** The strongest rule that says it explains `category`'s evidence and matched more than in passing. */
function explainingHit(hits: readonly RuleHit[], category: Category, categoryScore: number): RuleHit | undefined {
  let best: RuleHit | undefined;
  for (const hit of hits) {
    if (hit.signature.explains?.includes(category) !== true) continue;
    if (hit.score < MIN_CAUSE_SCORE || hit.score < EXPLAINS_RATIO * categoryScore) continue;
    if (best === undefined || hit.score > best.score) best = hit;
  }
  return best;
}

function bestHit(hits: readonly RuleHit[], category: Category): RuleHit | undefined {
  let best: RuleHit | undefined;
  for (const hit of hits) {
    if (hit.signature.category !== category) continue;
    if (best === undefined || hit.score > best.score) best = hit;
  }
  return best;
}

function topEvidence(hit: RuleHit): string[] {
  return hit.lines.slice(0, 3).map((m) => m.line.text);
}

/**
 * Confidence grows with the winner's score and with its lead over the runner-up. A single specific rule on
 * the key line gives about 0.75; agreeing signals push it towards 0.95; a close runner-up pulls it down.
 */
function confidenceFrom(top: number, runnerUp: number): number {
  if (top <= 0) return 0.1;
  const strength = 1 - Math.exp(-top / 2);
  const lead = Math.max(0, 1 - runnerUp / top);
  return Math.min(0.97, Math.max(0.05, 0.25 + 0.7 * strength * (0.6 + 0.4 * lead)));
}

/**
 * Risk is the category's (or rule's) base risk, raised when the analyzer is unsure: acting automatically on
 * a guess is riskier than acting on a certainty. At confidence 1 the base stands; at 0 it rises by 25.
 */
function riskFrom(baseRisk: number, confidence: number): number {
  return Math.round(Math.min(100, Math.max(0, baseRisk + (1 - confidence) * 25)));
}

/** Lines in the order their components should be listed: key line, the deciding category's lines, the rest. */
function componentOrder(lines: readonly ScoredLine[], hits: readonly RuleHit[], category: Category): string[] {
  const ordered: ScoredLine[] = [];
  const seen = new Set<number>();
  const push = (l: ScoredLine): void => {
    if (!seen.has(l.line)) {
      seen.add(l.line);
      ordered.push(l);
    }
  };
  for (const l of lines) if (l.isKey) push(l);
  const categoryLines = hits
    .filter((h) => h.signature.category === category)
    .flatMap((h) => h.lines)
    .sort((a, b) => b.contribution - a.contribution || a.line.order - b.line.order);
  for (const m of categoryLines) push(m.line);
  // Stack frames and diagnostics that no rule matched still name files, but only for failures located in the
  // code; a registry timeout's excerpt names whatever happened to print nearby.
  if (CODE_LOCATED.has(category)) for (const l of [...lines].sort((a, b) => a.order - b.order)) push(l);
  return ordered.map((l) => l.text);
}

/** Prefixes that say where a line came from, not what it says. */
const LINE_NOISE = [
  /^\s*##\[(?:error|warning)\]\s*/,
  /^\s*::(?:error|warning)[^:]*::\s*/,
  /^\s*\[\d{1,2}:\d{2}:\d{2}\]\s*/,
  /^\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\s+/,
  /^\s*(?:npm ERR!|\[ERROR\]|\[error\]|\[info\]|ERROR:|Error:)\s*/,
];

function cleanLine(text: string): string {
  let out = text;
  for (const rx of LINE_NOISE) out = out.replace(rx, '');
  return sanitize(out);
}

/** One line of printable text: control characters (including ANSI escapes' ESC) become spaces. */
function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).trimEnd()}…`;
}

function fillTemplate(template: string, match: RegExpExecArray): string | null {
  let complete = true;
  const filled = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = match.groups?.[name] ?? (/^\d+$/.test(name) ? match[Number(name)] : undefined);
    if (value === undefined) complete = false;
    return value ?? '';
  });
  return complete ? filled : null;
}

function buildSummary(args: {
  label: string;
  hit: RuleHit | undefined;
  /** Every rule of the chosen category, best first: any of them may carry a summary template. */
  categoryHits: readonly RuleHit[];
  keyText: string | null;
  component: string | undefined;
  jobName: string | undefined;
  failedStep: string | undefined;
}): string {
  const { label, hit, keyText, component } = args;
  const key = keyText === null ? '' : cleanLine(keyText);
  const keyDecides = hit?.lines.some((m) => m.line.isKey) ?? false;
  // The key line is what a person reads first, unless it is only an exit code and the deciding rule matched
  // a more telling line elsewhere.
  const bestLine = hit?.lines[0] ? cleanLine(hit.lines[0].line.text) : '';
  const headline = keyDecides || bestLine === '' ? key : bestLine;

  let templated: string | null = null;
  for (const h of args.categoryHits) {
    if (h.signature.summary === undefined) continue;
    for (const m of h.lines) {
      templated = fillTemplate(h.signature.summary, m.match);
      if (templated !== null) break;
    }
    if (templated !== null) break;
  }
  let text = templated ?? headline;
  if (text === '') {
    const where = [args.jobName, args.failedStep].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
    text = where.length > 0 ? `no failure line found (${where.join(' / ')})` : 'no failure line found';
  }
  if (component !== undefined && !text.includes(component)) text += ` in ${component}`;
  if (templated !== null && headline !== '' && headline !== templated) text += ` — ${headline}`;
  return truncate(sanitize(`${label}: ${text}`), MAX_SUMMARY_LENGTH);
}

function buildReasoning(
  hits: readonly RuleHit[],
  ranked: ReadonlyArray<{ category: Category; score: number }>,
  category: Category,
  notes: readonly string[],
  keyLineNumber: number | undefined,
): string {
  const parts: string[] = [];
  const ordered = [...hits].sort((a, b) => b.score - a.score || a.signature.id.localeCompare(b.signature.id));
  const described = ordered.slice(0, 6).map((h) => {
    const lineNumbers = [...new Set(h.lines.map((m) => m.line.line))].sort((a, b) => a - b);
    const shown = lineNumbers.slice(0, 8).join(', ') + (lineNumbers.length > 8 ? `, … (${lineNumbers.length} lines)` : '');
    const key = keyLineNumber !== undefined && lineNumbers.includes(keyLineNumber) ? ', including the key line' : '';
    return `${h.signature.id} (${h.signature.category}) matched line${lineNumbers.length > 1 ? 's' : ''} ${shown}${key}`;
  });
  parts.push(described.length > 0 ? `Rules: ${described.join('; ')}.` : 'No rule matched any extracted line.');
  if (ranked.length > 0) parts.push(`Scores: ${ranked.slice(0, 4).map((r) => `${r.category} ${fmt(r.score)}`).join(', ')}.`);
  parts.push(...notes);
  parts.push(`Category: ${category}.`);
  return truncate(sanitize(parts.join(' ')), MAX_REASONING_LENGTH);
}

function fmt(n: number): string {
  return n.toFixed(2);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
