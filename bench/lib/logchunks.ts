/** Reads the LogChunks development set and locates each labelled chunk in its log. */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { createGunzip } from 'node:zlib';

export interface LogChunk {
  id: string;
  language: string;
  repo: string;
  chunk: string;
  keywords: string[];
  log: string;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `--data PATH` wins; otherwise `../shared/data/…` beside the repository, as CI lays it out. */
export function datasetPath(argv: readonly string[] = process.argv.slice(2)): string {
  const index = argv.indexOf('--data');
  if (index !== -1 && argv[index + 1]) return resolve(argv[index + 1]!);
  return resolve(REPO_ROOT, '..', 'shared', 'data', 'logchunks-dev.jsonl.gz');
}

export function repoRoot(): string {
  return REPO_ROOT;
}

export async function* readLogChunks(path: string): AsyncGenerator<LogChunk> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() !== '') yield JSON.parse(line) as LogChunk;
  }
}

/**
 * The 1-based line (counting `\n`) on which the chunk starts. The labels were copied with `\r\n` and `\r\r\n`
 * folded to `\n`, so the chunk is matched line by line, ignoring carriage returns and blank lines; its first
 * line may start mid-line. Returns null when the chunk cannot be found.
 */
export function chunkStartLine(log: string, chunk: string): number | null {
  const wanted = significantLines(chunk);
  if (wanted.length === 0) return null;
  const logLines = log.split('\n').map(stripCr);
  // A one-line label that also occurs inside an earlier command echo (`echo 'msg'; exit 1`) means the
  // line that shows the message, not the command that prints it.
  if (wanted.length === 1) {
    const whole = logLines.findIndex((line) => visible(line) === visible(wanted[0]!));
    if (whole !== -1) return whole + 1;
  }
  const direct = log.indexOf(chunk);
  if (direct !== -1) return lineOf(log, direct);
  let fallback: number | null = null;
  for (let i = 0; i < logLines.length; i++) {
    if (!logLines[i]!.endsWith(wanted[0]!) && !(wanted.length === 1 && logLines[i]!.includes(wanted[0]!))) continue;
    fallback ??= i + 1;
    if (matchesFrom(logLines, i + 1, wanted)) return i + 1;
  }
  return fallback;
}

function matchesFrom(logLines: readonly string[], from: number, wanted: readonly string[]): boolean {
  let at = from;
  for (let w = 1; w < wanted.length; w++) {
    while (at < logLines.length && logLines[at]!.trim() === '') at++;
    if (at >= logLines.length) return false;
    const isLast = w === wanted.length - 1;
    if (isLast ? !logLines[at]!.startsWith(wanted[w]!) : logLines[at] !== wanted[w]) return false;
    at++;
  }
  return true;
}

function significantLines(text: string): string[] {
  return text.split('\n').map(stripCr).filter((line) => line.trim() !== '');
}

function visible(line: string): string {
  return stripVTControlCharacters(line).trim();
}

function stripCr(line: string): string {
  return line.replaceAll('\r', '');
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

/** A stable half (0 or 1) per repository, so tuning on one half and checking on the other shows overfitting. */
export function repoHalf(repo: string): 0 | 1 {
  return (createHash('sha256').update(repo).digest()[0]! & 1) as 0 | 1;
}
