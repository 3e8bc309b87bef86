/**
 * Finds the lines that explain a CI failure in a log of any size, in one streaming pass with bounded memory:
 * a prefilter picks candidate lines, a scorer ranks them, a small ring of recent lines gives each candidate
 * its context before, and open candidates collect their context after as the stream goes on.
 */
import { normalizeLine, LineSplitter, type NormalizedLine } from './log-normalizer.ts';
import { SIGNAL_PREFILTER, isSectionStart, scoreLine } from './signal-patterns.ts';
import { DEFAULT_EXTRACT_OPTIONS, type Excerpt, type ExtractOptions, type Extraction, type Signal } from './types.ts';

/** Lines kept before and after each candidate; windows are cut from these, so they bound every window. */
const CONTEXT_BEFORE = 10;
const CONTEXT_AFTER = 16;
/** How many candidates survive; the weakest is evicted first, so memory does not grow with the log. */
const MAX_CANDIDATES = 48;
const MAX_SIGNALS = 12;
const MAX_SIGNAL_TEXT = 500;

/** Lines that are not evidence but tell where a step starts; they must reach the scorer too. */
const INTERESTING = new RegExp(`${SIGNAL_PREFILTER.source}|\\$ |##\\[(?:group\\]Run |command\\])`, 'i');

/** A failing step's lines explain the failure far better than lines of steps that went on to succeed. */
const FAILED_SECTION_FACTOR = 1.6;
const PASSED_SECTION_FACTOR = 0.3;
/** Before the first step starts, the runner describes itself; its wording ("error messages") is not evidence. */
const PREAMBLE_FACTOR = 0.5;

/**
 * Window shapes. A detail (a failing test, a compiler error, an exception) is followed by its explanation;
 * a trailer (an exit code, a summary) follows the output that explains it, so its window looks back.
 */
const KEY_DETAIL = { before: 8, after: 10 };
const KEY_TRAILER = { before: 10, after: 2 };
const OTHER_DETAIL = { before: 3, after: 5 };
const OTHER_TRAILER = { before: 7, after: 1 };
const TRAILER_KINDS = new Set(['exit-code', 'test-summary']);
/** A heading such as `2 failing` or `=== FAILURES ===` announces details below it: its window looks ahead only. */
const KEY_HEADER = { before: 1, after: 12 };
const OTHER_HEADER = { before: 1, after: 7 };
const HEADER_KINDS = new Set(['failure-header']);
const MAX_WINDOWS = 7;
/** A candidate this much weaker than the key line adds noise, not explanation. */
const MIN_RELATIVE_SCORE = 0.5;

interface Candidate {
  line: number;
  text: string;
  score: number;
  kind: string;
  section: number;
  factor: number;
  /** Near-identical lines (same words, other numbers) share one; only the first is kept. */
  signature: string;
  before: string[];
  after: string[];
}

/**
 * The extraction state machine. Feed decoded text with `write`, then call `end` once. Both entry points
 * below drive it, so the streaming and in-memory paths cannot disagree.
 */
export class LogExtractor {
  readonly #options: ExtractOptions;
  readonly #splitter: LineSplitter;
  readonly #ring: string[] = new Array<string>(CONTEXT_BEFORE).fill('');
  #ringNext = 0;
  #candidates: Candidate[] = [];
  #open: Candidate[] = [];
  #section = 0;
  /** The exit line of the last step that failed: the output just above it is the fallback explanation. */
  #failedExit: Candidate | null = null;
  #lines = 0;
  #bytes = 0;
  #truncatedLines = 0;

  constructor(options: Partial<ExtractOptions> = {}) {
    this.#options = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
    this.#splitter = new LineSplitter(this.#options.maxLineLength, (raw, truncated) => this.#onLine(raw, truncated));
  }

  /** `byteLength` is the size of the original bytes this text was decoded from. */
  write(text: string, byteLength: number = Buffer.byteLength(text)): void {
    this.#bytes += byteLength;
    if (text.length > 0) this.#splitter.push(text);
  }

  end(): Extraction {
    this.#splitter.end();
    if (this.#section > 0) {
      for (const candidate of this.#candidates) {
        if (candidate.section === 0 && candidate.kind !== 'error-annotation') candidate.factor *= PREAMBLE_FACTOR;
      }
    }
    const ranked = [...this.#candidates].sort(byRank);
    const best = ranked[0];
    const failedExit = this.#failedExit && this.#candidates.includes(this.#failedExit) ? this.#failedExit : null;
    return {
      keyLine: best && effectiveScore(best) > 0 ? { line: best.line, text: clip(best.text, MAX_SIGNAL_TEXT) } : null,
      excerpts: best && effectiveScore(best) > 0 ? buildExcerpts(ranked, failedExit, this.#options) : [],
      signals: ranked.slice(0, MAX_SIGNALS).map(toSignal),
      stats: { lines: this.#lines, bytes: this.#bytes, truncatedLines: this.#truncatedLines },
    };
  }

  #onLine(raw: string, truncated: boolean): void {
    const lineNumber = ++this.#lines;
    if (truncated) this.#truncatedLines++;
    let normalized: NormalizedLine | undefined;
    if (this.#open.length > 0) {
      normalized = normalizeLine(raw);
      this.#collectAfter(detach(normalized.text));
    }
    if (INTERESTING.test(raw)) {
      normalized ??= normalizeLine(raw);
      this.#consider(normalized, lineNumber);
    }
    this.#ring[this.#ringNext] = raw;
    this.#ringNext = (this.#ringNext + 1) % CONTEXT_BEFORE;
  }

  #collectAfter(text: string): void {
    let closed = false;
    for (const candidate of this.#open) {
      candidate.after.push(text);
      if (candidate.after.length >= CONTEXT_AFTER) closed = true;
    }
    if (closed) this.#open = this.#open.filter((candidate) => candidate.after.length < CONTEXT_AFTER);
  }

  #consider(line: NormalizedLine, lineNumber: number): void {
    if (isSectionStart(line)) {
      this.#section++;
      return;
    }
    const scored = scoreLine(line);
    if (!scored) return;
    if (scored.effect === 'failed' || scored.effect === 'passed') {
      const factor = scored.effect === 'failed' ? FAILED_SECTION_FACTOR : PASSED_SECTION_FACTOR;
      for (const candidate of this.#candidates) if (candidate.section === this.#section) candidate.factor = factor;
    }
    if (scored.score <= 0) return;
    const signature = signatureOf(scored.kind, line.text);
    if (this.#candidates.some((existing) => existing.signature === signature)) return;
    const candidate: Candidate = {
      line: lineNumber,
      text: detach(line.text),
      score: scored.score,
      kind: scored.kind,
      section: this.#section,
      factor: scored.effect === 'failed' ? FAILED_SECTION_FACTOR : 1,
      signature,
      before: this.#recentLines(lineNumber),
      after: [],
    };
    if (scored.effect === 'failed') this.#failedExit = candidate;
    this.#candidates.push(candidate);
    this.#open.push(candidate);
    if (this.#candidates.length > MAX_CANDIDATES) this.#evictWeakest();
  }

  /** The normalized lines just before `lineNumber`, oldest first (fewer at the start of the file). */
  #recentLines(lineNumber: number): string[] {
    const count = Math.min(CONTEXT_BEFORE, lineNumber - 1);
    const lines = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      const slot = (this.#ringNext - count + i + CONTEXT_BEFORE) % CONTEXT_BEFORE;
      lines[i] = detach(normalizeLine(this.#ring[slot]!).text);
    }
    return lines;
  }

  /**
   * Drops the weakest candidate. Candidates of the step still running may yet be boosted by its exit code, so
   * they are judged as if it failed; among equals the later one goes, since the first error is usually the cause.
   */
  #evictWeakest(): void {
    const potential = (candidate: Candidate) =>
      candidate.section === this.#section && candidate.factor === 1
        ? candidate.score * FAILED_SECTION_FACTOR
        : effectiveScore(candidate);
    let weakest = 0;
    for (let i = 1; i < this.#candidates.length; i++) {
      if (potential(this.#candidates[i]!) <= potential(this.#candidates[weakest]!)) weakest = i;
    }
    const [evicted] = this.#candidates.splice(weakest, 1);
    if (evicted && evicted.after.length < CONTEXT_AFTER) this.#open = this.#open.filter((c) => c !== evicted);
  }
}

/** Extracts from a byte or text stream (a file, an HTTP body); invalid UTF-8 becomes U+FFFD. */
export async function extractFromStream(
  source: AsyncIterable<Uint8Array | string>,
  options: Partial<ExtractOptions> = {},
): Promise<Extraction> {
  const extractor = new LogExtractor(options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      extractor.write(decoder.decode(), 0);
      extractor.write(chunk);
    } else {
      extractor.write(decoder.decode(chunk, { stream: true }), chunk.byteLength);
    }
  }
  extractor.write(decoder.decode(), 0);
  return extractor.end();
}

/** The same algorithm on a log already in memory. */
export function extractFromText(text: string, options: Partial<ExtractOptions> = {}): Extraction {
  const extractor = new LogExtractor(options);
  extractor.write(text);
  return extractor.end();
}

function effectiveScore(candidate: Candidate): number {
  return candidate.score * candidate.factor;
}

/** Best first; among equals the earlier line, because later errors are often consequences of the first. */
function byRank(a: Candidate, b: Candidate): number {
  return effectiveScore(b) - effectiveScore(a) || a.line - b.line;
}

function signatureOf(kind: string, text: string): string {
  return `${kind}|${text.slice(0, 120).replace(/[^A-Za-z]+/g, '').slice(0, 48)}`;
}

function toSignal(candidate: Candidate): Signal {
  return {
    line: candidate.line,
    text: clip(candidate.text, MAX_SIGNAL_TEXT),
    score: Math.round(effectiveScore(candidate) * 10) / 10,
    kind: candidate.kind,
  };
}

/**
 * Cuts windows around the key line, the failing step's exit line and the next strongest candidates, merging
 * overlaps, until the line or byte budget runs out. Line numbers come from the candidates, so they are those
 * of the original file.
 */
function buildExcerpts(ranked: readonly Candidate[], failedExit: Candidate | null, options: ExtractOptions): Excerpt[] {
  const chosen = new Map<number, string>();
  let linesLeft = Math.max(0, options.maxLines);
  let bytesLeft = Math.max(0, options.maxBytes);
  const key = ranked[0]!;
  const keyScore = effectiveScore(key);
  const signatures = new Set<string>();

  const take = (line: number, text: string): boolean => {
    if (chosen.has(line)) return true;
    const size = Buffer.byteLength(text) + 1;
    if (linesLeft < 1 || size > bytesLeft) return false;
    chosen.set(line, text);
    linesLeft--;
    bytesLeft -= size;
    return true;
  };

  const addWindow = (candidate: Candidate, shape: { before: number; after: number }, fit: boolean): void => {
    if (!take(candidate.line, fit ? fitBytes(candidate.text, bytesLeft - 1) : candidate.text)) return;
    signatures.add(candidate.signature);
    let before = Math.min(shape.before, candidate.before.length);
    let after = Math.min(shape.after, candidate.after.length);
    // A blank line at a window's edge shows nothing; its budget is better spent on another window.
    while (before > 0 && isBlank(candidate.before[candidate.before.length - before]!)) before--;
    while (after > 0 && isBlank(candidate.after[after - 1]!)) after--;
    // Interleave both sides so a tight budget still shows some of each, in proportion to the shape.
    let tookBefore = 0;
    let tookAfter = 0;
    while (tookBefore < before || tookAfter < after) {
      const beforeDue = tookAfter >= after || (tookBefore < before && tookBefore * after <= tookAfter * before);
      if (beforeDue) {
        tookBefore++;
        if (!take(candidate.line - tookBefore, candidate.before[candidate.before.length - tookBefore]!)) break;
      } else {
        tookAfter++;
        if (!take(candidate.line + tookAfter, candidate.after[tookAfter - 1]!)) break;
      }
    }
  };

  const isTrailer = (candidate: Candidate) => TRAILER_KINDS.has(candidate.kind);
  const shapeOf = (candidate: Candidate, isKey: boolean) => {
    if (HEADER_KINDS.has(candidate.kind)) return isKey ? KEY_HEADER : OTHER_HEADER;
    if (isTrailer(candidate)) return isKey ? KEY_TRAILER : OTHER_TRAILER;
    return isKey ? KEY_DETAIL : OTHER_DETAIL;
  };
  addWindow(key, shapeOf(key, true), true);
  let windows = 1;
  if (failedExit && failedExit !== key && !chosen.has(failedExit.line)) {
    addWindow(failedExit, KEY_TRAILER, false);
    windows++;
  }
  for (const candidate of ranked.slice(1)) {
    if (windows >= MAX_WINDOWS || linesLeft < 1) break;
    if (effectiveScore(candidate) < keyScore * MIN_RELATIVE_SCORE) break;
    if (signatures.has(candidate.signature)) continue;
    // A candidate inside a window already taken (a failing test's header near the edge of the key line's
    // window, say) still brings its own context: the details below it are what explains it.
    addWindow(candidate, shapeOf(candidate, false), false);
    windows++;
  }
  return toExcerpts(chosen);
}

function toExcerpts(chosen: Map<number, string>): Excerpt[] {
  const lineNumbers = [...chosen.keys()].sort((a, b) => a - b);
  const excerpts: Excerpt[] = [];
  let start = -1;
  let texts: string[] = [];
  let previous = -1;
  for (const line of lineNumbers) {
    if (line !== previous + 1 && texts.length > 0) {
      excerpts.push({ startLine: start, endLine: previous, text: texts.join('\n') });
      texts = [];
    }
    if (texts.length === 0) start = line;
    texts.push(chosen.get(line)!);
    previous = line;
  }
  if (texts.length > 0) excerpts.push({ startLine: start, endLine: previous, text: texts.join('\n') });
  return excerpts;
}

/** Copies a string so it no longer pins the (much larger) decoded chunk V8 sliced it from. */
function detach(text: string): string {
  return text.length === 0 ? '' : Buffer.from(text, 'utf8').toString('utf8');
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let end = Math.max(0, Math.min(text.length, maxBytes));
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > maxBytes) end = Math.floor(end * 0.9);
  return text.slice(0, end);
}
