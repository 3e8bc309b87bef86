/**
 * Sanity check for the rules analyzer on the LogChunks dev set (there are no category labels): prints the
 * distribution of categories it assigns, (a) to each labelled chunk given alone as the extraction, which shows
 * what the catalog recognizes, and (b) to the extractor's output for the whole log, which is what production
 * sees. Disagreements between the two are where the catalog or the extractor miss.
 * Usage: node bench/classify.ts [--data PATH] [--show CATEGORY] [--disagree N]
 */
import { stripVTControlCharacters } from 'node:util';
import { analyzeWithRules } from '../src/analysis/rules-analyzer.ts';
import type { Category } from '../src/analysis/taxonomy.ts';
import { extractFromText } from '../src/logs/log-extractor.ts';
import type { Extraction } from '../src/logs/types.ts';
import { datasetPath, readLogChunks } from './lib/logchunks.ts';

const args = process.argv.slice(2);
const show = flag('--show');
const disagreeLimit = Number(flag('--disagree') ?? 0);

const chunkCounts = new Map<Category, number>();
const logCounts = new Map<Category, number>();
const disagreements: string[] = [];
let total = 0;
let agree = 0;
let analyzeMs = 0;

for await (const record of readLogChunks(datasetPath(args))) {
  total++;
  const chunkLines = stripVTControlCharacters(record.chunk)
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const fromChunk = analyzeWithRules({ extraction: chunkExtraction(chunkLines) });
  const extraction = extractFromText(record.log);
  const started = performance.now();
  const fromLog = analyzeWithRules({ extraction });
  analyzeMs += performance.now() - started;

  chunkCounts.set(fromChunk.category, (chunkCounts.get(fromChunk.category) ?? 0) + 1);
  logCounts.set(fromLog.category, (logCounts.get(fromLog.category) ?? 0) + 1);
  if (fromChunk.category === fromLog.category) agree++;
  else if (disagreements.length < disagreeLimit) {
    disagreements.push(`${record.id}\n  chunk: ${fromChunk.category} (${fromChunk.rule ?? '-'})  log: ${fromLog.category} (${fromLog.rule ?? '-'})\n  ${fromLog.summary}`);
  }
  if (show !== undefined && fromChunk.category === show) {
    console.log(`${record.id}\n  ${fromChunk.summary}\n  ${fromChunk.reasoning.slice(0, 240)}`);
  }
}

console.log(`\n${total} logs`);
console.log('category              chunk alone   extractor output');
const categories = new Set([...chunkCounts.keys(), ...logCounts.keys()]);
for (const c of [...categories].sort((a, b) => (chunkCounts.get(b) ?? 0) - (chunkCounts.get(a) ?? 0))) {
  console.log(`${c.padEnd(22)}${String(chunkCounts.get(c) ?? 0).padStart(11)}${String(logCounts.get(c) ?? 0).padStart(19)}`);
}
console.log(`\nsame category from chunk and from extractor output: ${agree}/${total}`);
console.log(`analyzer time on extractor output: ${(analyzeMs / Math.max(1, total)).toFixed(2)} ms/log`);
if (disagreements.length > 0) console.log(`\n${disagreements.join('\n')}`);

/** The labelled chunk as an extraction: its first line is the key line, every line a signal. */
function chunkExtraction(lines: readonly string[]): Extraction {
  return {
    keyLine: lines[0] === undefined ? null : { line: 1, text: lines[0] },
    excerpts: lines.length === 0 ? [] : [{ startLine: 1, endLine: lines.length, text: lines.join('\n') }],
    signals: lines.slice(0, 20).map((text, i) => ({ line: i + 1, text, score: 20 - i, kind: 'chunk' })),
    stats: { lines: lines.length, bytes: lines.join('\n').length, truncatedLines: 0 },
  };
}

function flag(name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}
