/**
 * How well the rules analyzer names failures, through the same path as `ci-remediator analyze --json`
 * (analyzeLog: stream extraction, redaction, rules, gate).
 *
 * gha-dev (../shared/data/gha-dev/): accuracy against the labels (a row lists acceptable categories; the answer
 * is right when it is one of them), the same on the held-back fifth, the confusion matrix against the primary
 * label, the `unknown` rate, the labelled key line inside the excerpt, excerpt size and analysis time.
 * The held-back fifth is fixed by a hash of the file name (see `heldBack`), chosen before any tuning: rules are
 * written from the other four fifths only, so the held-back figure estimates accuracy on unseen logs.
 *
 * gha-synthetic (test/fixtures/gha-synthetic/): a second, independent set of short GitHub Actions failure excerpts
 * written from the tools' documented message shapes (not from gha-dev) across the 13 categories; the same figures,
 * without a held-back part. It is what tells a rule that fits the tool from one that fits a gha-dev excerpt.
 *
 * LogChunks dev (../shared/data/logchunks-dev.jsonl.gz) has no category labels: it reports the labelled chunk's
 * start inside the excerpt, excerpt size, the category distribution and the unknown rate.
 *
 * Usage: node bench/classify.ts [--data LOGCHUNKS.jsonl.gz] [--gha DIR] [--synthetic DIR] [--misses] [--held-back-misses]
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { analyzeLog, type LogReport } from '../src/report/log-report.ts';
import { CATEGORIES, type Category } from '../src/analysis/taxonomy.ts';
import { DEFAULT_POLICY } from '../src/policy/default-policy.ts';
import { readLabels, type LabelledRow as Row } from './lib/labelled-set.ts';
import { chunkStartLine, datasetPath, readLogChunks } from './lib/logchunks.ts';
import { median, percent } from './lib/stats.ts';

const args = process.argv.slice(2);
// gha-dev lies beside the LogChunks file (`../shared/data/` as CI lays it out; `--data` moves both).
const ghaDir = resolve(flag('--gha') ?? join(dirname(datasetPath(args)), 'gha-dev'));
const syntheticDir = resolve(flag('--synthetic') ?? join(import.meta.dirname, '..', 'test', 'fixtures', 'gha-synthetic'));
const showMisses = args.includes('--misses');
// Printing held-back misses is for the final report only; reading them while writing rules defeats the split.
const showHeldBackMisses = args.includes('--held-back-misses');

/** One file in five, by a hash of its name: stable, independent of the label and of the order of the files. */
function heldBack(file: string): boolean {
  return createHash('sha256').update(file).digest()[0]! % 5 === 0;
}

async function analyze(text: string): Promise<{ report: LogReport; ms: number }> {
  const started = performance.now();
  const report = await analyzeLog(
    (async function* () {
      yield text;
    })(),
    { policy: DEFAULT_POLICY },
  );
  return { report, ms: performance.now() - started };
}

function excerptLines(report: LogReport): number {
  return report.excerpts.reduce((sum, e) => sum + e.endLine - e.startLine + 1, 0);
}

function inExcerpt(report: LogReport, line: number): boolean {
  return report.excerpts.some((e) => e.startLine <= line && line <= e.endLine);
}

interface Outcome {
  row: Row;
  held: boolean;
  got: Category;
  confidence: number;
  rule: string | undefined;
  keyInside: boolean;
  lines: number;
  ms: number;
  summary: string;
}

/** `split` false: a set with no held-back part (gha-synthetic was never tuned on as a whole, so it is all "unseen"). */
async function benchGha(name: string, ghaDir: string, split: boolean): Promise<void> {
  const rows = await readLabels(ghaDir);
  const outcomes: Outcome[] = [];
  // One warm-up so the first log does not pay for compiling the patterns.
  await analyze('warm up\n##[error]Process completed with exit code 1.\n');
  for (const row of rows) {
    const text = await readFile(join(ghaDir, 'logs', row.file), 'utf8');
    const { report, ms } = await analyze(text);
    outcomes.push({
      row,
      held: split && heldBack(row.file),
      got: report.analysis.category,
      confidence: report.analysis.confidence,
      rule: report.analysis.rule,
      keyInside: inExcerpt(report, row.keyLine),
      lines: excerptLines(report),
      ms,
      summary: report.analysis.summary,
    });
  }
  const right = (o: Outcome) => o.row.categories.includes(o.got);
  const tuning = outcomes.filter((o) => !o.held);
  const held = outcomes.filter((o) => o.held);
  const rate = (list: readonly Outcome[], pick: (o: Outcome) => boolean) =>
    `${percent(list.filter(pick).length, list.length)} (${list.filter(pick).length}/${list.length})`;

  console.log(`\n${name}: ${outcomes.length} labelled GitHub Actions excerpts from ${ghaDir}`);
  console.log(`  accuracy (answer among the acceptable categories): ${rate(outcomes, right)}`);
  if (split) {
    console.log(`    tuning part:    ${rate(tuning, right)}`);
    console.log(`    held-back part: ${rate(held, right)}`);
  }
  console.log(`  primary label exact: ${rate(outcomes, (o) => o.got === o.row.categories[0])}`);
  console.log(`  unknown rate: ${rate(outcomes, (o) => o.got === 'unknown')}`);
  console.log(`  key line inside the excerpt: ${rate(outcomes, (o) => o.keyInside)}`);
  console.log(`  excerpt lines: median ${median(outcomes.map((o) => o.lines))}, max ${Math.max(...outcomes.map((o) => o.lines))}`);
  console.log(`  analysis time per log (extract + redact + rules + gate): median ${median(outcomes.map((o) => o.ms)).toFixed(2)} ms`);
  const confidentWrong = outcomes.filter((o) => !right(o));
  if (confidentWrong.length > 0) {
    console.log(`  confidence: right answers median ${median(outcomes.filter(right).map((o) => o.confidence)).toFixed(2)}, wrong ones median ${median(confidentWrong.map((o) => o.confidence)).toFixed(2)}`);
  }
  printConfusion(outcomes);
  if (showMisses) printMisses(split ? 'tuning-part misses' : 'misses', tuning.filter((o) => !right(o) || !o.keyInside));
  if (showHeldBackMisses) printMisses('held-back misses', held.filter((o) => !right(o) || !o.keyInside));
}

function printConfusion(outcomes: readonly Outcome[]): void {
  const used = CATEGORIES.filter((c) => outcomes.some((o) => o.row.categories[0] === c || o.got === c));
  const short = (c: string) => c.replace('_error', '').replace('_test', '').replace('_failure', '').slice(0, 6);
  console.log('\n  confusion matrix (rows: primary label, columns: answer; * = answer was an acceptable secondary label)');
  console.log(`  ${''.padEnd(22)}${used.map((c) => short(c).padStart(7)).join('')}`);
  for (const label of used) {
    const rowOutcomes = outcomes.filter((o) => o.row.categories[0] === label);
    if (rowOutcomes.length === 0) continue;
    const cells = used.map((answer) => {
      const list = rowOutcomes.filter((o) => o.got === answer);
      if (list.length === 0) return '.'.padStart(7);
      const secondary = answer !== label && list.some((o) => o.row.categories.includes(answer));
      return `${list.length}${secondary ? '*' : ''}`.padStart(7);
    });
    console.log(`  ${label.padEnd(22)}${cells.join('')}`);
  }
}

function printMisses(title: string, list: readonly Outcome[]): void {
  console.log(`\n  ${title}:`);
  for (const o of list) {
    const mark = o.row.categories.includes(o.got) ? '' : ` got ${o.got} (${o.rule ?? '-'}, ${o.confidence})`;
    const key = o.keyInside ? '' : ` key line ${o.row.keyLine} outside`;
    console.log(`    ${o.row.file} [${o.row.categories.join(',')}]${mark}${key}\n      ${o.summary}`);
  }
}

async function benchLogChunks(): Promise<void> {
  const path = datasetPath(args);
  let total = 0;
  let located = 0;
  let hits = 0;
  const lines: number[] = [];
  const times: number[] = [];
  const counts = new Map<Category, number>();
  for await (const record of readLogChunks(path)) {
    total++;
    const { report, ms } = await analyze(record.log);
    times.push(ms);
    lines.push(excerptLines(report));
    counts.set(report.analysis.category, (counts.get(report.analysis.category) ?? 0) + 1);
    const start = chunkStartLine(record.log, record.chunk);
    if (start === null) continue;
    located++;
    if (inExcerpt(report, start)) hits++;
  }
  console.log(`\nLogChunks dev: ${total} Travis CI logs from ${path} (no category labels)`);
  console.log(`  chunk start inside the excerpt: ${percent(hits, located)} (${hits}/${located} located chunks)`);
  console.log(`  excerpt lines: median ${median(lines)}`);
  console.log(`  unknown rate: ${percent(counts.get('unknown') ?? 0, total)}`);
  console.log(`  analysis time per log: median ${median(times).toFixed(2)} ms`);
  const distribution = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
  console.log(`  categories: ${distribution.join(', ')}`);
}

await benchGha('gha-dev', ghaDir, true);
await benchGha('gha-synthetic', syntheticDir, false);
await benchLogChunks();

function flag(name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}
