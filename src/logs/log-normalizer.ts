/**
 * Turns raw CI log lines (GitHub Actions, Travis CI, plain terminals) into the text a person would have seen,
 * and splits a decoded stream into lines numbered as in the original file.
 */
import { CUT_MARK, cutsInsideToken } from './redaction/finding.ts';
import { stripVTControlCharacters } from 'node:util';

export type Annotation = 'error' | 'warning' | 'notice';

/** Structural lines the runner writes for itself; they carry no evidence but tell where steps begin. */
export type Marker = 'group-start' | 'group-end' | 'fold' | 'command' | 'debug' | 'hidden';

export interface NormalizedLine {
  /** What the line showed on a terminal: no runner timestamp, ANSI codes, fold markers, NULs or overwritten progress. */
  text: string;
  annotation?: Annotation;
  marker?: Marker;
  /** Where a workflow-command annotation (`::error file=…,line=…::`) points. */
  location?: { file: string; line?: number; column?: number };
}

// `2024-05-01T12:00:00.1234567Z ` as the Actions runner prefixes every line of a downloaded job log.
const RUNNER_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/;
const TRAVIS_MARKER = /^travis_(?:fold|time):/;
const RUNNER_DIRECTIVE = /^##\[(group|endgroup|error|warning|notice|debug|command|section)\](.*)$/;
const WORKFLOW_COMMAND = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/;

/**
 * Normalizes one raw line (without its `\n`). Cheap when there is nothing to do: the common plain line
 * is returned after a few `indexOf` checks, because the extractor calls this on every line near a candidate.
 */
export function normalizeLine(raw: string): NormalizedLine {
  let text = raw;
  if (text.length === 0) return { text };
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.indexOf('\0') !== -1) text = text.replaceAll('\0', '');
  if (text.indexOf('\x1b') !== -1 || text.indexOf('\x9b') !== -1) text = stripVTControlCharacters(text);
  if (text.indexOf('\r') !== -1) text = lastVisibleSegment(text);
  else if (TRAVIS_MARKER.test(text)) return { text: '', marker: 'fold' };
  // The timestamp sits before any directive, so it goes first; its digits make the check cheap to fail.
  if (text.length > 20 && text.charCodeAt(4) === 45 && text.charCodeAt(10) === 84) {
    text = text.replace(RUNNER_TIMESTAMP, '');
  }
  const first = text.charCodeAt(0);
  if (first === 35 /* # */ && text.startsWith('##[')) return runnerDirective(text);
  if (first === 58 /* : */ && text.charCodeAt(1) === 58) return workflowCommand(text);
  return { text };
}

/**
 * A terminal shows only what the last carriage return left: `10%\r50%\r100%` reads `100%`. Travis writes
 * `travis_fold:start:x\r\x1b[0K$ cmd`, so fold markers are dropped before choosing the last visible segment.
 */
function lastVisibleSegment(text: string): string {
  // `text.split('\r')` from the end, without splitting a long progress line into thousands of pieces.
  let end = text.length;
  for (;;) {
    const cr = end === 0 ? -1 : text.lastIndexOf('\r', end - 1);
    const segment = text.slice(cr + 1, end);
    if (segment.trim() !== '' && !TRAVIS_MARKER.test(segment)) return segment;
    if (cr === -1) break;
    end = cr;
  }
  return '';
}

function runnerDirective(text: string): NormalizedLine {
  const match = RUNNER_DIRECTIVE.exec(text);
  if (!match) return { text };
  const [, name, rest = ''] = match;
  switch (name) {
    case 'group':
      return { text: rest, marker: 'group-start' };
    case 'endgroup':
      return { text: '', marker: 'group-end' };
    case 'error':
    case 'warning':
    case 'notice':
      return { text: rest, annotation: name };
    case 'command':
      return { text: rest, marker: 'command' };
    default:
      return { text: rest, marker: 'debug' };
  }
}

function workflowCommand(text: string): NormalizedLine {
  const match = WORKFLOW_COMMAND.exec(text);
  if (!match) return { text };
  const [, name, props = '', rawMessage = ''] = match;
  const message = unescapeData(rawMessage);
  switch (name) {
    case 'error':
    case 'warning':
    case 'notice': {
      const location = parseLocation(props);
      if (!location) return { text: message, annotation: name };
      const where = [location.file, location.line, location.column].filter((part) => part !== undefined).join(':');
      return { text: `${where}: ${message}`, annotation: name, location };
    }
    case 'group':
      return { text: message, marker: 'group-start' };
    case 'endgroup':
      return { text: '', marker: 'group-end' };
    case 'debug':
      return { text: message, marker: 'debug' };
    default:
      // add-mask carries a secret and set-output/save-state carry values nobody needs in an excerpt.
      return { text: '', marker: 'hidden' };
  }
}

/** Workflow-command data escapes `%`, CR and LF; an excerpt line must stay one line. */
function unescapeData(value: string): string {
  if (value.indexOf('%') === -1) return value;
  return value.replace(/%0D/gi, '').replace(/%0A/gi, ' ').replace(/%25/g, '%');
}

function unescapeProperty(value: string): string {
  return unescapeData(value).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

function parseLocation(props: string): NormalizedLine['location'] {
  if (props === '') return undefined;
  const fields = new Map<string, string>();
  for (const pair of props.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) fields.set(pair.slice(0, eq).trim(), unescapeProperty(pair.slice(eq + 1).trim()));
  }
  const file = fields.get('file');
  if (!file) return undefined;
  const line = Number.parseInt(fields.get('line') ?? '', 10);
  const column = Number.parseInt(fields.get('col') ?? '', 10);
  return {
    file,
    ...(Number.isFinite(line) ? { line } : {}),
    ...(Number.isFinite(column) ? { column } : {}),
  };
}

/**
 * Splits decoded text into lines on `\n`, numbering them from 1 as the original file does. Lines longer than
 * `maxLineLength` are cut and the rest skipped up to the next `\n`, so a gigabyte without a newline holds at
 * most `maxLineLength` characters. The callback gets the raw line (with any `\r`), not yet normalized.
 */
export class LineSplitter {
  readonly #maxLineLength: number;
  readonly #onLine: (raw: string, truncated: boolean) => void;
  #partial = '';
  #partialTruncated = false;
  #partialStarted = false;

  constructor(maxLineLength: number, onLine: (raw: string, truncated: boolean) => void) {
    this.#maxLineLength = Math.max(1, maxLineLength);
    this.#onLine = onLine;
  }

  push(text: string): void {
    const max = this.#maxLineLength;
    let start = 0;
    let end = text.indexOf('\n');
    if (this.#partialStarted) {
      if (end === -1) {
        this.#appendPartial(text);
        return;
      }
      this.#appendPartial(text.slice(0, end));
      this.#onLine(this.#partial, this.#partialTruncated);
      this.#partial = '';
      this.#partialTruncated = false;
      this.#partialStarted = false;
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    while (end !== -1) {
      if (end - start > max) this.#onLine(cut(text, start, max), true);
      else this.#onLine(text.slice(start, end), false);
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    if (start < text.length) {
      this.#partialStarted = true;
      this.#appendPartial(start === 0 ? text : text.slice(start));
    }
  }

  /** Emits a final line that had no `\n`; a file ending in `\n` has no extra empty line. */
  end(): void {
    if (!this.#partialStarted) return;
    this.#onLine(this.#partial, this.#partialTruncated);
    this.#partial = '';
    this.#partialTruncated = false;
    this.#partialStarted = false;
  }

  #appendPartial(piece: string): void {
    if (this.#partialTruncated || piece.length === 0) return;
    const room = this.#maxLineLength - this.#partial.length;
    if (piece.length <= room) {
      this.#partial = this.#partial === '' ? piece : this.#partial + piece;
      return;
    }
    this.#partial += cut(piece, 0, room);
    this.#partialTruncated = true;
  }
}

/** The first `max` characters of a line, as LineSplitter and the extractor cut long lines. */
export function cutLine(text: string, max: number): string {
  return text.length <= max ? text : cut(text, 0, max);
}

/**
 * Cuts `length` characters from `start` without splitting a surrogate pair. A cut inside a token-like run
 * ends in CUT_MARK instead of the run's last kept character, so the redactor can tell a cut token from a
 * short one (src/logs/redaction/finding.ts): a cut must never turn a secret into something it lets through.
 */
function cut(text: string, start: number, length: number): string {
  let end = start + length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  if (end - 1 > start && cutsInsideToken(text, end)) return text.slice(start, end - 1) + CUT_MARK;
  return text.slice(start, end);
}
