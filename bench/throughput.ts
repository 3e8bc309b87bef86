/**
 * Streaming extraction speed and memory on a large log built from real ones, beside `grep -E -c -i` with the
 * same prefilter patterns over the same file, under LC_ALL=C and a UTF-8 locale. Usage: node bench/throughput.ts [--data PATH] [--size-mb N]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { PREFILTER_PATTERNS } from '../src/logs/signal-patterns.ts';
import { datasetPath, readLogChunks, repoRoot } from './lib/logchunks.ts';

const args = process.argv.slice(2);
const sizeFlag = args.indexOf('--size-mb');
const targetBytes = (sizeFlag === -1 ? 220 : Number(args[sizeFlag + 1])) * 1024 * 1024;
const benchDir = join(repoRoot(), '.bench');
const file = join(benchDir, `throughput-${Math.round(targetBytes / 1024 / 1024)}mb.log`);

if (!existsSync(file) || statSync(file).size < targetBytes) await buildLog();
const size = statSync(file).size;
const mb = size / 1024 / 1024;
console.log(`throughput benchmark: ${file} (${mb.toFixed(0)} MB)`);

// grep first, so both read a file the page cache already holds after the build. grep runs the patterns the
// extractor's byte prefilter runs, in the C locale (bytes, ASCII case folding: what the DFA does, and grep's
// fast path) and in a UTF-8 locale (multi-byte aware, several times slower); the headline ratio is against C.
const pattern = PREFILTER_PATTERNS.join('|');
const utf8Locale = process.env.LC_ALL && /utf-?8/i.test(process.env.LC_ALL) ? process.env.LC_ALL : 'C.UTF-8';
const grepC = runGrep('C');
const grepUtf8 = runGrep(utf8Locale);
if (grepC.count !== grepUtf8.count) console.log(`  note: grep counts differ between locales (C ${grepC.count}, ${utf8Locale} ${grepUtf8.count})`);

const worker = spawnSync(process.execPath, [join(repoRoot(), 'bench', 'lib', 'throughput-worker.ts'), file], {
  encoding: 'utf8',
  maxBuffer: 1024 * 1024,
});
if (worker.status !== 0) throw new Error(`worker failed: ${worker.stderr}`);
const result = JSON.parse(worker.stdout.trim().split('\n').pop()!) as {
  seconds: number;
  bytes: number;
  lines: number;
  maxRssBytes: number;
  keyLine: number | null;
};

console.log(`  extractFromStream: ${result.seconds.toFixed(2)} s, ${(mb / result.seconds).toFixed(0)} MB/s, ${result.lines} lines, peak RSS ${(result.maxRssBytes / 1024 / 1024).toFixed(0)} MB`);
for (const [locale, run] of [['C', grepC], [utf8Locale, grepUtf8]] as const) {
  console.log(`  grep -E -c -i (${PREFILTER_PATTERNS.length} patterns, LC_ALL=${locale}): ${run.seconds.toFixed(2)} s, ${(mb / run.seconds).toFixed(0)} MB/s, ${run.count} matching lines`);
}
console.log(`  ratio extract/grep (LC_ALL=C): ${(result.seconds / grepC.seconds).toFixed(2)}x (target <= 3x); against ${utf8Locale}: ${(result.seconds / grepUtf8.seconds).toFixed(2)}x`);
console.log(`  peak RSS ${(result.maxRssBytes / 1024 / 1024).toFixed(0)} MB (target < 150 MB)`);

function runGrep(locale: string): { seconds: number; count: string } {
  const started = performance.now();
  const grep = spawnSync('grep', ['-E', '-c', '-i', pattern, file], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: locale, LANG: locale },
  });
  const seconds = (performance.now() - started) / 1000;
  if (grep.status !== 0 && grep.status !== 1) throw new Error(`grep failed: ${grep.stderr}`);
  if (grep.stderr.trim() !== '') console.log(`  grep (${locale}) says: ${grep.stderr.trim()}`);
  return { seconds, count: grep.stdout.trim() };
}

/** Concatenates the dataset's logs, over and over, until the file reaches the target size. */
async function buildLog(): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  const logs: string[] = [];
  for await (const record of readLogChunks(datasetPath(args))) logs.push(record.log);
  const out = createWriteStream(file);
  let written = 0;
  while (written < targetBytes) {
    for (const log of logs) {
      const chunk = Buffer.from(log.endsWith('\n') ? log : `${log}\n`);
      written += chunk.byteLength;
      if (!out.write(chunk)) await once(out, 'drain');
      if (written >= targetBytes) break;
    }
  }
  out.end();
  await once(out, 'finish');
}
