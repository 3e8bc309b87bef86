/**
 * How often the excerpts contain the labelled cause, and how long they are, on the LogChunks dev set.
 * Usage: node bench/extract.ts [--data PATH] [--misses N] [--language NAME]
 */
import { extractFromText } from '../src/logs/log-extractor.ts';
import { chunkStartLine, datasetPath, readLogChunks, repoHalf } from './lib/logchunks.ts';
import { median, percentile, percent } from './lib/stats.ts';

interface Outcome {
  id: string;
  repo: string;
  language: string;
  half: 0 | 1;
  hit: boolean;
  tailHit: boolean;
  excerptLines: number;
  chunkLine: number;
  keyLine: number | null;
  totalLines: number;
}

const TAIL_BASELINE = 50;

const args = process.argv.slice(2);
const showMisses = Number(flag('--misses') ?? 0);
const onlyLanguage = flag('--language');
const path = datasetPath(args);

const outcomes: Outcome[] = [];
let unlocated = 0;
const started = performance.now();
for await (const record of readLogChunks(path)) {
  if (onlyLanguage && record.language !== onlyLanguage) continue;
  const chunkLine = chunkStartLine(record.log, record.chunk);
  if (chunkLine === null) {
    unlocated++;
    continue;
  }
  const extraction = extractFromText(record.log);
  const totalLines = extraction.stats.lines;
  const hit = extraction.excerpts.some((e) => e.startLine <= chunkLine && chunkLine <= e.endLine);
  outcomes.push({
    id: record.id,
    repo: record.repo,
    language: record.language,
    half: repoHalf(record.repo),
    hit,
    tailHit: chunkLine > totalLines - TAIL_BASELINE,
    excerptLines: extraction.excerpts.reduce((sum, e) => sum + e.endLine - e.startLine + 1, 0),
    chunkLine,
    keyLine: extraction.keyLine?.line ?? null,
    totalLines,
  });
  if (!hit && showMisses > 0 && outcomes.filter((o) => !o.hit).length <= showMisses) {
    console.log(`--- miss ${record.repo} (${record.language}) id=${record.id} chunk@${chunkLine} key@${extraction.keyLine?.line} of ${totalLines}`);
    console.log(`    chunk: ${JSON.stringify(record.chunk.slice(0, 160))}`);
    for (const s of extraction.signals.slice(0, 4)) console.log(`    signal ${s.line} ${s.score} ${s.kind}: ${s.text.slice(0, 120)}`);
  }
}
const seconds = (performance.now() - started) / 1000;

const rate = (list: readonly Outcome[], pick: (o: Outcome) => boolean) => percent(list.filter(pick).length, list.length);
const lines = outcomes.map((o) => o.excerptLines);

console.log(`LogChunks extraction benchmark: ${outcomes.length} logs from ${path} (${unlocated} chunks not located), ${seconds.toFixed(1)} s`);
console.log(`  hit rate (chunk start inside an excerpt): ${rate(outcomes, (o) => o.hit)}`);
console.log(`  excerpt lines: median ${median(lines)}, p90 ${percentile(lines, 0.9)}, max ${Math.max(...lines)}`);
console.log(`  key line on the chunk start: ${rate(outcomes, (o) => o.keyLine === o.chunkLine)}`);
console.log(`  baseline "last ${TAIL_BASELINE} lines": ${rate(outcomes, (o) => o.tailHit)}`);
for (const half of [0, 1] as const) {
  const part = outcomes.filter((o) => o.half === half);
  const repos = new Set(part.map((o) => o.repo)).size;
  console.log(`  half ${half} (${repos} repos, ${part.length} logs): hit ${rate(part, (o) => o.hit)}, tail baseline ${rate(part, (o) => o.tailHit)}`);
}
console.log('  per language (hit / tail baseline / logs):');
const languages = [...new Set(outcomes.map((o) => o.language))].sort();
for (const language of languages) {
  const part = outcomes.filter((o) => o.language === language);
  console.log(`    ${language.padEnd(12)} ${rate(part, (o) => o.hit).padStart(7)} ${rate(part, (o) => o.tailHit).padStart(7)} ${String(part.length).padStart(4)}`);
}

function flag(name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}
