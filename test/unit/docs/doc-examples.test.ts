import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '../../support/cli.ts';

// Every example in README.md and docs/ marked `<!-- doc-check -->` is run here and its output compared with
// the one the page shows, so a page cannot promise what the product does not print (README's quick start
// once promised a redaction that was not in the excerpt, docs/cli.md a redaction count the JSON lacked).
//
// The marker goes on the line before a ```sh block whose lines are `npx ci-remediator …` commands (run
// in-process, in the repository root, without colour). The next fenced block is the output: ```text is
// compared line by line, where a line that is only `…` stands for any number of lines; ```json is parsed
// and compared with each line of the output (one object, or an array for several lines), where the string
// "…" stands for any value.

const ROOT = join(import.meta.dirname, '..', '..', '..');
const MARKER = '<!-- doc-check -->';
const ANY = '…';

interface Example {
  where: string;
  commands: string[];
  format: 'text' | 'json';
  expected: string;
}

function pages(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? docs(join(dir, entry.name)) : entry.name.endsWith('.md') ? [join(dir, entry.name)] : [],
    );
  return ['README.md', ...docs('docs')];
}

function fence(lines: string[], from: number, where: string): { info: string; body: string[]; end: number } {
  let start = from;
  while (start < lines.length && lines[start]!.trim() === '') start++;
  const open = /^\s*```(\w*)\s*$/.exec(lines[start] ?? '');
  if (!open) throw new Error(`${where}: expected a fenced block after line ${from}`);
  const indent = /^\s*/.exec(lines[start]!)![0].length;
  const body: string[] = [];
  let end = start + 1;
  for (; end < lines.length && !/^\s*```\s*$/.test(lines[end]!); end++) body.push(lines[end]!.slice(indent));
  return { info: open[1] ?? '', body, end: end + 1 };
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const page of pages()) {
    const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (line.trim() !== MARKER) return;
      const where = `${page}:${index + 1}`;
      const command = fence(lines, index + 1, where);
      if (command.info !== 'sh') throw new Error(`${where}: ${MARKER} must precede a \`\`\`sh block`);
      const output = fence(lines, command.end, where);
      if (output.info !== 'text' && output.info !== 'json') throw new Error(`${where}: the output block must be \`\`\`text or \`\`\`json`);
      found.push({ where, commands: command.body.filter((l) => l.trim() !== '' && !l.startsWith('#')), format: output.info, expected: output.body.join('\n') });
    });
  }
  return found;
}

/** `examples/logs/*.log` as a shell would expand it (sorted), other words as they are. */
function words(command: string): string[] {
  return command
    .trim()
    .split(/\s+/)
    .flatMap((word) => {
      const star = /^(.*\/)\*(\.\w+)$/.exec(word);
      if (!star) return [word];
      return readdirSync(join(ROOT, star[1]!))
        .filter((name) => name.endsWith(star[2]!))
        .sort()
        .map((name) => `${star[1]}${name}`);
    });
}

async function run(example: Example): Promise<string> {
  let stdout = '';
  for (const command of example.commands) {
    if (!command.startsWith('npx ci-remediator ')) throw new Error(`${example.where}: only 'npx ci-remediator …' commands can be checked, not '${command}'`);
    const result = await runCli(words(command).slice(2), { env: {} });
    stdout += result.stdout;
  }
  return stdout;
}

function textMatches(expected: string[], actual: string[]): boolean {
  if (expected.length === 0) return actual.length === 0;
  const [head, ...rest] = expected;
  if (head === ANY) return actual.some((_, skip) => textMatches(rest, actual.slice(skip))) || textMatches(rest, []);
  return actual.length > 0 && actual[0]!.trimEnd() === head!.trimEnd() && textMatches(rest, actual.slice(1));
}

function jsonMatches(expected: unknown, actual: unknown): boolean {
  if (expected === ANY) return true;
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => jsonMatches(e, actual[i]));
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    return keys.length === Object.keys(actual).length && keys.every((key) => key in actual && jsonMatches((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key]));
  }
  return expected === actual;
}

const ALL = examples();

describe('documentation examples', () => {
  it('are there to check (README and docs mark their CLI examples)', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(3);
    expect(ALL.some((example) => example.where.startsWith('README.md'))).toBe(true);
  });

  it.each(ALL.map((example) => [example.where, example] as const))('%s prints what the page shows', async (_where, example) => {
    const stdout = await run(example);
    if (example.format === 'text') {
      const actual = stdout.replace(/\n$/, '').split('\n');
      if (!textMatches(example.expected.split('\n'), actual)) expect(stdout).toBe(example.expected);
    } else {
      const lines = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
      const actual = lines.length === 1 ? lines[0] : lines;
      if (!jsonMatches(JSON.parse(example.expected), actual)) expect(actual).toEqual(JSON.parse(example.expected));
    }
  });
});

