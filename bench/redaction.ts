/**
 * The redactor on its corpora (test/fixtures/redaction/corpus.ts): leaks, false positives and throughput.
 * Usage: node bench/redaction.ts [--rounds N] [--seeds N]
 *
 * --seeds N draws the corpora N times with other generated secrets (same formats and contexts) and sums them.
 *
 * leaks: fake secrets of which any 8-character window survives redaction (the unit test asserts 0);
 * false positives: look-alike lines (digests, UUIDs, certificates, configuration keys) the redactor changed;
 * throughput: redactText over an 8 KiB excerpt-sized text built from both corpora, after a warm-up.
 */
import { extractFromText } from '../src/logs/log-extractor.ts';
import { redactExtraction, redactText } from '../src/logs/redactor.ts';
import { leakCorpus, lookAlikeCorpus, type LeakCase } from '../test/fixtures/redaction/corpus.ts';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 200;
const seedsAt = args.indexOf('--seeds');
const seeds = seedsAt >= 0 ? Number(args[seedsAt + 1]) : 1;

function leaked(redacted: string, secret: string): boolean {
  const output = redacted.replace(/\[REDACTED:[a-z0-9-]+\]/g, '[]');
  const width = Math.min(8, secret.length);
  for (let i = 0; i + width <= secret.length; i += 1) if (output.includes(secret.slice(i, i + width))) return true;
  return false;
}

async function redactCase(c: LeakCase): Promise<string> {
  if (c.extract === undefined) return (await redactText(c.text)).text;
  const { extraction } = await redactExtraction(extractFromText(c.text, { maxLines: 60, maxBytes: 8192, maxLineLength: 2000, ...c.extract }));
  return [...extraction.excerpts.map((e) => e.text), extraction.keyLine?.text ?? '', ...extraction.signals.map((s) => s.text)].join('\n');
}

const corpus = leakCorpus();
const formats = new Set(corpus.map((c) => c.format));
const lookAlikes = lookAlikeCorpus();
const leaks: string[] = [];
const changed: string[] = [];
let cases = 0;
let lines = 0;
for (let n = 0; n < seeds; n += 1) {
  for (const c of n === 0 ? corpus : leakCorpus(16 + n * 7919)) {
    cases += 1;
    const output = await redactCase(c);
    if (c.secrets.some((secret) => leaked(output, secret))) leaks.push(c.format);
  }
  for (const line of n === 0 ? lookAlikes : lookAlikeCorpus(61 + n * 104_729)) {
    lines += 1;
    if ((await redactText(line)).text !== line) changed.push(line);
  }
}

// Throughput: an excerpt-sized text (the extractor's default budget is 8 KiB) of mixed secrets and look-alikes.
const mixed: string[] = [];
for (let i = 0; Buffer.byteLength(mixed.join('\n')) < 8192; i += 1) {
  mixed.push(i % 2 === 0 ? lookAlikes[i % lookAlikes.length]! : corpus[i % corpus.length]!.text.split('\n')[0]!.slice(0, 400));
}
const excerpt = mixed.join('\n');
for (let i = 0; i < 20; i += 1) await redactText(excerpt);
const started = performance.now();
const cpuBefore = process.cpuUsage();
for (let i = 0; i < rounds; i += 1) await redactText(excerpt);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// CPU time as well as wall time: on a shared machine the wall clock also counts other processes' turns.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const bytes = Buffer.byteLength(excerpt) * rounds;

console.log(`leak corpus: ${corpus.length} cases, ${formats.size} formats and contexts${seeds > 1 ? `; ${cases} cases over ${seeds} seeds` : ''}`);
console.log(`leaks: ${leaks.length}${leaks.length > 0 ? ` (${[...new Set(leaks)].join(', ')})` : ''}`);
console.log(`look-alike corpus: ${lookAlikes.length} lines${seeds > 1 ? `; ${lines} lines over ${seeds} seeds` : ''}`);
console.log(`false positives: ${changed.length} (${((100 * changed.length) / lines).toFixed(1)}%)`);
for (const line of changed) console.log(`  changed: ${JSON.stringify(line.slice(0, 100))}`);
console.log(
  `throughput: ${(bytes / 1024 / seconds).toFixed(0)} KiB/s wall, ${(bytes / 1024 / cpuSeconds).toFixed(0)} KiB/s of CPU; ` +
    `${((cpuSeconds * 1000) / rounds).toFixed(2)} ms of CPU per ${(Buffer.byteLength(excerpt) / 1024).toFixed(1)} KiB excerpt (${rounds} rounds)`,
);
