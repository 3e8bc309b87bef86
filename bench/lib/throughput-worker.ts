/**
 * Runs one extraction over a file in its own process, so the parent can report this process's peak RSS
 * and nothing else's. Prints one JSON line: seconds, bytes, peak RSS, and what was found.
 */
import { createReadStream } from 'node:fs';
import { extractFromStream } from '../../src/logs/log-extractor.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: node bench/lib/throughput-worker.ts FILE');
const started = performance.now();
const extraction = await extractFromStream(createReadStream(file));
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({
  seconds,
  bytes: extraction.stats.bytes,
  lines: extraction.stats.lines,
  // resourceUsage reports kilobytes.
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  keyLine: extraction.keyLine?.line ?? null,
  excerpts: extraction.excerpts.length,
}));
