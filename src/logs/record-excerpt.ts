import { MAX_EXCERPT_LENGTH, MAX_SIGNAL_TEXT, type ExcerptWindow, type FailedJob, type SignalLine } from '../api/failure-record.ts';
import { extractFromText } from './log-extractor.ts';
import { STEP_SIGNAL_KIND, type Excerpt, type Extraction, type Signal } from './types.ts';

/**
 * A job's extraction as a FailureRecord carries it, and back. The action writes the excerpt windows as one
 * text (what a person reads in `kubectl get -o yaml` and Slack) plus their layout (`excerptWindows`: each
 * window's own start line and length) and the extractor's signal lines; the operator reads the same
 * extraction back from them, line for line and number for number, so both analyse the same evidence.
 */

/** The separator line between two excerpt windows that are not adjacent in the log. */
export const EXCERPT_GAP = '⋯';

/** The log fields of a FailedJob that come from the extraction. */
export type RecordExcerpt = Pick<FailedJob, 'excerpt' | 'excerptStartLine' | 'excerptWindows' | 'signals'>;

/**
 * The windows in log order, a `⋯` line between windows that are not adjacent, within `max` characters (cut on
 * a line boundary, ending with `⋯`; the extractor's own budget of 8 KiB makes the cut a guard, not a path).
 * `excerptWindows` describes exactly the lines that were kept.
 */
export function recordExcerpt(extraction: Pick<Extraction, 'excerpts' | 'signals'>, max: number = MAX_EXCERPT_LENGTH): RecordExcerpt {
  const parts: string[] = [];
  const windows: ExcerptWindow[] = [];
  const kept = new Map<number, string>();
  let length = 0;
  let previousEnd: number | undefined;
  let cut = false;
  // Room for the closing `\n⋯` of a cut excerpt is kept back from the start.
  const fits = (text: string): boolean => length + (parts.length > 0 ? 1 : 0) + text.length <= max - 2;
  const push = (text: string): void => {
    length += (parts.length > 0 ? 1 : 0) + text.length;
    parts.push(text);
  };
  for (const excerpt of extraction.excerpts) {
    if (cut) break;
    if (previousEnd !== undefined && excerpt.startLine > previousEnd + 1) {
      if (!fits(EXCERPT_GAP)) break;
      push(EXCERPT_GAP);
    }
    let lines = 0;
    for (const [i, text] of excerpt.text.split('\n').entries()) {
      if (!fits(text)) {
        cut = true;
        break;
      }
      push(text);
      kept.set(excerpt.startLine + i, text);
      lines += 1;
    }
    if (lines > 0) windows.push({ startLine: excerpt.startLine, lines });
    previousEnd = excerpt.endLine;
  }
  if (cut || windows.length < extraction.excerpts.length) {
    // A gap pushed just before the cut stays; otherwise one marks where the text stops.
    if (parts.at(-1) !== EXCERPT_GAP) parts.push(EXCERPT_GAP);
  }
  if (windows.length === 0) return { excerpt: '' };
  const signals: SignalLine[] = [];
  for (const signal of extraction.signals) {
    if (signal.text.trim() === '') continue;
    const text = signal.text.slice(0, MAX_SIGNAL_TEXT);
    const step = signal.kind === STEP_SIGNAL_KIND ? ({ kind: STEP_SIGNAL_KIND } as const) : {};
    signals.push(kept.get(signal.line) === text ? { line: signal.line, ...step } : { line: signal.line, text, ...step });
  }
  return {
    excerpt: parts.join('\n'),
    excerptStartLine: windows[0]!.startLine,
    excerptWindows: windows,
    ...(signals.length > 0 && { signals }),
  };
}

// Excerpts of records without a layout are small (<= 16 KiB); all of them is read, not the default 8 KiB.
const LEGACY_EXTRACT = { maxLines: 400, maxBytes: 16_384, maxLineLength: 2000 };

/**
 * The extraction a record's job carries: its windows, signals and key line as the action found them in the
 * whole log. A record without `excerptWindows` (written before they existed, or by another producer), or
 * one whose layout does not match its text, is read the old way: its excerpt extracted again as one text
 * starting at `excerptStartLine`, which is close but not exact after a gap.
 */
export function extractionOfRecord(job: Pick<FailedJob, 'excerpt' | 'excerptStartLine' | 'excerptWindows' | 'signals' | 'keyLine'>): Extraction {
  const excerpts = job.excerptWindows === undefined ? undefined : windowsOf(job.excerpt, job.excerptWindows);
  if (excerpts === undefined) return legacyExtraction(job);
  const lineText = new Map<number, string>();
  for (const excerpt of excerpts) excerpt.text.split('\n').forEach((text, i) => lineText.set(excerpt.startLine + i, text));
  const signals: Signal[] = [];
  const listed = job.signals ?? [];
  listed.forEach((signal, rank) => {
    const text = signal.text ?? lineText.get(signal.line);
    // Only the order of signals matters to the analyzer; the score keeps it.
    if (text !== undefined) signals.push({ line: signal.line, text, score: signal.kind === STEP_SIGNAL_KIND ? 0 : listed.length - rank, kind: signal.kind ?? 'record' });
  });
  const last = excerpts.at(-1);
  return {
    keyLine: job.keyLine === undefined ? null : { line: job.keyLine.line, text: job.keyLine.text },
    excerpts,
    signals,
    stats: { lines: last?.endLine ?? 0, bytes: job.excerpt.length, truncatedLines: 0 },
  };
}

/** The windows of `excerpt` as its layout says, or undefined when the two do not agree. */
function windowsOf(excerpt: string, layout: readonly ExcerptWindow[]): Excerpt[] | undefined {
  if (layout.length === 0) return excerpt === '' ? [] : undefined;
  const lines = excerpt.split('\n');
  const windows: Excerpt[] = [];
  let cursor = 0;
  let previousEnd = 0;
  for (const window of layout) {
    if (window.startLine <= previousEnd) return undefined;
    if (windows.length > 0 && window.startLine > previousEnd + 1) {
      if (lines[cursor] !== EXCERPT_GAP) return undefined;
      cursor += 1;
    }
    if (cursor + window.lines > lines.length) return undefined;
    const endLine = window.startLine + window.lines - 1;
    windows.push({ startLine: window.startLine, endLine, text: lines.slice(cursor, cursor + window.lines).join('\n') });
    cursor += window.lines;
    previousEnd = endLine;
  }
  // What may follow the last window: nothing, or the `⋯` of a cut.
  const rest = lines.slice(cursor);
  if (rest.length > 1 || (rest.length === 1 && rest[0] !== EXCERPT_GAP)) return undefined;
  return windows;
}

function legacyExtraction(job: Pick<FailedJob, 'excerpt' | 'excerptStartLine' | 'keyLine'>): Extraction {
  const offset = (job.excerptStartLine ?? 1) - 1;
  const found = extractFromText(job.excerpt, LEGACY_EXTRACT);
  const extraction: Extraction = {
    ...found,
    keyLine: found.keyLine === null ? null : { ...found.keyLine, line: found.keyLine.line + offset },
    excerpts: found.excerpts.map((excerpt) => ({ ...excerpt, startLine: excerpt.startLine + offset, endLine: excerpt.endLine + offset })),
    signals: found.signals.map((signal) => ({ ...signal, line: signal.line + offset })),
  };
  // The key line the producer chose (with its number in the full log) wins: it was chosen with the whole log in view.
  if (job.keyLine !== undefined) extraction.keyLine = { line: job.keyLine.line, text: job.keyLine.text };
  return extraction;
}
