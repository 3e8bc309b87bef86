// CLI start-up: from spawning `ci-remediator analyze <small log>` to its first byte of output, and to its
// exit, over 10 runs (after one warm-up run that fills the OS page cache). Prints; asserts nothing.
// Usage: npm run bench:startup [-- <log file>]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = process.argv[2] ?? 'examples/logs/gha-npm-network-error.log';
const RUNS = 10;

function once(): Promise<{ firstOutput: number; exit: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let firstOutput = -1;
    const child = spawn(process.execPath, ['bin/ci-remediator.js', 'analyze', log], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', () => {
      if (firstOutput < 0) firstOutput = performance.now() - start;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`ci-remediator exited with ${code}`));
      else resolve({ firstOutput, exit: performance.now() - start });
    });
  });
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

await once();
const runs = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const first = runs.map((r) => r.firstOutput);
const exit = runs.map((r) => r.exit);
console.log(`ci-remediator analyze ${log} (node ${process.version}, ${RUNS} runs after 1 warm-up)`);
console.log(`start to first output: median ${quantile(first, 0.5).toFixed(0)} ms, max ${Math.max(...first).toFixed(0)} ms (target < 300 ms)`);
console.log(`start to exit:         median ${quantile(exit, 0.5).toFixed(0)} ms, max ${Math.max(...exit).toFixed(0)} ms`);
