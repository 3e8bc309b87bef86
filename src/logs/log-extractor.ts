/**
 * Finds the lines that explain a CI failure in a log of any size, in one streaming pass with bounded memory:
 * a prefilter picks candidate lines, a scorer ranks them, a small ring of recent lines gives each candidate
 * its context before, and open candidates collect their context after as the stream goes on.
 */
import { CUT_MARK, cutsInsideToken } from './redaction/finding.ts';
import {
  ACCEPT,
  LineVerdicts,
  NL,
  NL_MATCH,
  SPECIAL,
  UNKNOWN,
  classifyLinePair,
  classifyLines,
  prefilterMatches,
  type BytePrefilter,
} from './byte-prefilter.ts';
import { cutLine, normalizeLine, type NormalizedLine } from './log-normalizer.ts';
import { isSectionStart, prefilterDfa, scoreLine, type LineScore } from './signal-patterns.ts';
import { DEFAULT_EXTRACT_OPTIONS, STEP_SIGNAL_KIND, type Excerpt, type ExtractOptions, type Extraction, type Signal } from './types.ts';
import { clip } from '../text.ts';

/** What the GitHub Actions runner prints when the job's steps are over and its post-job phase begins. */
const POST_JOB_CLEANUP = 'Post job cleanup.';

/** Lines kept before and after each candidate; windows are cut from these, so they bound every window. */
const CONTEXT_BEFORE = 10;
const CONTEXT_AFTER = 16;
/** How many candidates survive; the weakest is evicted first, so memory does not grow with the log. */
const MAX_CANDIDATES = 48;
const MAX_SIGNALS = 12;
const MAX_SIGNAL_TEXT = 500;
/** A chunk's complete lines are classified in bulk (two blocks scanned together) from this many bytes on. */
const BLOCK_BYTES = 4096;
/** Texts whose score is remembered, per generation (see LogExtractor#score). */
const SCORE_CACHE = 256;

/** Text given as a string is encoded and scanned in slices of this many characters, so memory stays bounded. */
const TEXT_SLICE = 1 << 20;

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
const OTHER_DETAIL = { before: 2, after: 5 };
const OTHER_TRAILER = { before: 4, after: 1 };
const TRAILER_KINDS = new Set(['exit-code', 'test-summary']);
/** A heading such as `2 failing` or `=== FAILURES ===` announces details below it: its window looks ahead only. */
const KEY_HEADER = { before: 1, after: 12 };
const OTHER_HEADER = { before: 1, after: 7 };
const HEADER_KINDS = new Set(['failure-header']);
const MAX_WINDOWS = 7;
/** A candidate this much weaker than the key line adds noise, not explanation. */
const MIN_RELATIVE_SCORE = 0.65;

interface Step {
  line: number;
  text: string;
}

interface Candidate {
  line: number;
  text: string;
  score: number;
  kind: string;
  section: number;
  /** The `Run …` (or `$ …`) line that started the candidate's step, when the log shows one. */
  step: Step | null;
  factor: number;
  /** Near-identical lines (same words, other numbers) share one; only the first is kept. */
  signature: string;
  /** Normalized lines before it, oldest first; filled from `raw` by `end`, for the candidates that survive. */
  before: string[];
  /** The raw lines before it: a copy of their bytes with each line's [start, end) in `bounds`, or decoded lines. */
  raw: { bytes: Uint8Array; bounds: Int32Array } | string[];
  after: string[];
}

/**
 * The extraction state machine. Feed bytes with `writeBytes` (or text with `write`), then call `end` once. Both
 * entry points below drive it, so the streaming and in-memory paths cannot disagree.
 *
 * The log is scanned as bytes: a DFA (PREFILTER_PATTERNS, see byte-prefilter.ts) runs over each line's first
 * maxLineLength bytes with one table lookup per byte, and only lines it selects, or that an open candidate needs
 * as context, are decoded from UTF-8. The ring of context lines holds byte ranges, decoded only when a candidate
 * asks for them. A line longer than maxLineLength bytes is decoded and cut to maxLineLength characters as before;
 * when the DFA found nothing in its first bytes, the kept text is checked again, as a whole.
 */
export class LogExtractor {
  readonly #options: ExtractOptions;
  readonly #dfa: BytePrefilter;
  /** The last CONTEXT_BEFORE lines: a decoded raw line, or the buffer that holds its bytes at ringStart..ringEnd. */
  readonly #ring: Array<string | Buffer> = new Array<string | Buffer>(CONTEXT_BEFORE).fill('');
  readonly #ringStart = new Int32Array(CONTEXT_BEFORE);
  readonly #ringEnd = new Int32Array(CONTEXT_BEFORE);
  #ringNext = 0;
  #candidates: Candidate[] = [];
  #open: Candidate[] = [];
  #scores = new Map<string, LineScore | null>();
  #oldScores = new Map<string, LineScore | null>();
  #section = 0;
  #step: Step | null = null;
  /** The exit line of the last step that failed: the output just above it is the fallback explanation. */
  #failedExit: Candidate | null = null;
  #lines = 0;
  #bytes = 0;
  #truncatedLines = 0;
  // The line that continues into the next chunk: DFA state, whether it matched, its length so far, and copies of
  // its first bytes (at most #keepBytes: enough to decode maxLineLength characters).
  #state: number;
  #matched = false;
  #lineBytes = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #keepBytes: number;
  readonly #verdicts = [new LineVerdicts(), new LineVerdicts()];

  constructor(options: Partial<ExtractOptions> = {}) {
    this.#options = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
    this.#options.maxLineLength = Math.max(1, this.#options.maxLineLength);
    // A UTF-16 code unit takes at most 3 bytes, and a cut may leave at most 3 bytes of an incomplete sequence.
    this.#keepBytes = 3 * this.#options.maxLineLength + 6;
    this.#dfa = prefilterDfa();
    this.#state = this.#dfa.start;
  }

  /** Text already decoded; it is scanned as its UTF-8 bytes. */
  write(text: string): void {
    for (let from = 0; from < text.length; ) {
      let to = Math.min(text.length, from + TEXT_SLICE);
      const last = text.charCodeAt(to - 1);
      if (to < text.length && last >= 0xd800 && last <= 0xdbff) to++;
      this.writeBytes(Buffer.from(text.slice(from, to), 'utf8'));
      from = to;
    }
  }

  /** `skip` leading bytes are counted but not read (a byte order mark). */
  writeBytes(chunk: Uint8Array, skip = 0): void {
    this.#bytes += chunk.byteLength;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset + skip, chunk.byteLength - skip);
    const end = buf.length;
    if (end === 0) return;
    let table = this.#dfa.table;
    const max = this.#options.maxLineLength;
    const start = this.#dfa.start;
    let state = this.#state;
    let matched = this.#matched;
    let previous = this.#lineBytes;
    let lineStart = 0;
    let i = 0;
    const lastNewline = end >= BLOCK_BYTES ? buf.lastIndexOf(10) : -1;
    while (i < end) {
      if (i === lineStart && previous === 0 && lastNewline - i >= BLOCK_BYTES) {
        // The complete lines of the chunk, at a line start: classified in bulk, two halves at a time.
        this.#scanBlock(buf, i, lastNewline + 1);
        table = this.#dfa.table;
        lineStart = i = lastNewline + 1;
        state = start;
        matched = false;
        continue;
      }
      // The DFA reads at most the line's first maxLineLength bytes; longer lines take the slow path at their end.
      const limit = lineStart + max - previous;
      if (matched || i >= limit) {
        const newline = buf.indexOf(10, i);
        if (newline === -1) break;
        if (!matched && newline === limit) matched = this.#dfa.next(state, 10) === NL_MATCH;
        this.#endLine(buf, lineStart, newline, previous, matched, state);
        lineStart = i = newline + 1;
        previous = 0;
        state = start;
        matched = false;
        continue;
      }
      const stop = limit < end ? limit : end;
      let j = i;
      for (; j < stop; j++) {
        const previousState = state;
        state = table[(previousState << 8) | buf[j]!]!;
        if (state >= SPECIAL) {
          if (state !== UNKNOWN) break;
          state = this.#dfa.next(previousState, buf[j]!);
          table = this.#dfa.table;
          if (state >= SPECIAL) break;
        }
      }
      if (j === stop) {
        i = stop;
        continue;
      }
      if (state === ACCEPT) {
        // The rest of the line needs no scanning.
        matched = true;
        i = j + 1;
        continue;
      }
      this.#endLine(buf, lineStart, j, previous, state === NL_MATCH, start);
      lineStart = i = j + 1;
      previous = 0;
      state = start;
    }
    if (lineStart < end) {
      const room = this.#keepBytes - this.#pendingBytes;
      if (room > 0) {
        const piece = Buffer.from(buf.subarray(lineStart, Math.min(end, lineStart + room)));
        this.#pending.push(piece);
        this.#pendingBytes += piece.length;
      }
      previous += end - lineStart;
    }
    this.#state = state;
    this.#matched = matched;
    this.#lineBytes = previous;
    // The ring must not keep pointing into a buffer the source may reuse.
    for (let slot = 0; slot < CONTEXT_BEFORE; slot++) {
      if (this.#ring[slot] === buf) this.#ring[slot] = buf.toString('utf8', this.#ringStart[slot], this.#ringEnd[slot]);
    }
  }

  /** The complete lines `[from, to)` (`to - 1` is a `\n`): DFA verdicts for all of them first, then each in turn. */
  #scanBlock(buf: Buffer, from: number, to: number): void {
    const max = this.#options.maxLineLength;
    const first = this.#verdicts[0]!;
    const second = this.#verdicts[1]!;
    first.count = 0;
    second.count = 0;
    const split = buf.indexOf(10, from + ((to - from) >> 1)) + 1;
    if (split > from && split < to) classifyLinePair(this.#dfa, buf, from, split, split, to, max, first, second);
    else classifyLines(this.#dfa, buf, from, from, this.#dfa.start, to, max, first);
    let lineStart = from;
    for (const verdicts of this.#verdicts) {
      for (let k = 0; k < verdicts.count; k++) {
        const lineEnd = verdicts.ends[k]!;
        this.#endLine(buf, lineStart, lineEnd, 0, verdicts.matched[k] === 1, verdicts.states[k]!);
        lineStart = lineEnd + 1;
      }
    }
  }

  end(): Extraction {
    if (this.#lineBytes > 0) {
      const atEnd = !this.#matched && this.#lineBytes <= this.#options.maxLineLength && this.#dfa.next(this.#state, 10) === NL_MATCH;
      this.#endLine(EMPTY, 0, 0, this.#lineBytes, this.#matched || atEnd, this.#state);
      this.#lineBytes = 0;
    }
    for (const candidate of this.#candidates) candidate.before = normalizeRaw(candidate.raw);
    if (this.#section > 0) {
      for (const candidate of this.#candidates) {
        if (candidate.section === 0 && candidate.kind !== 'error-annotation') candidate.factor *= PREAMBLE_FACTOR;
      }
    }
    const ranked = [...this.#candidates].sort(byRank);
    const best = ranked[0];
    const failedExit = this.#failedExit && this.#candidates.includes(this.#failedExit) ? this.#failedExit : null;
    return {
      keyLine: best && effectiveScore(best) > 0 ? { line: best.line, text: clip(best.text, MAX_SIGNAL_TEXT, '…') } : null,
      excerpts: best && effectiveScore(best) > 0 ? buildExcerpts(ranked, failedExit, this.#options) : [],
      signals: withStep(ranked.slice(0, MAX_SIGNALS).map(toSignal), best),
      stats: { lines: this.#lines, bytes: this.#bytes, truncatedLines: this.#truncatedLines },
    };
  }

  /**
   * One line ends at `buf[end]` (its `\n`): `previous` bytes of it came in earlier chunks (kept in #pending).
   * `matched` is the DFA's verdict on its first maxLineLength bytes, and `state` where it stopped on a longer line.
   */
  #endLine(buf: Buffer, start: number, end: number, previous: number, matched: boolean, state: number): void {
    let bytes = buf;
    let from = start;
    let to = end;
    if (previous > 0) {
      const room = this.#keepBytes - this.#pendingBytes;
      if (room > 0 && end > start) this.#pending.push(buf.subarray(start, Math.min(end, start + room)));
      bytes = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
      from = 0;
      to = bytes.length;
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    const length = previous + end - start;
    let raw: string | undefined;
    let truncated = false;
    let interesting = matched;
    if (length > this.#options.maxLineLength) {
      raw = bytes.toString('utf8', from, Math.min(to, from + this.#keepBytes));
      if (raw.length > this.#options.maxLineLength) {
        // A copy: the cut would otherwise pin the up to 3x longer decoded string.
        raw = detach(cutLine(raw, this.#options.maxLineLength));
        truncated = true;
      }
      // The DFA saw only the first bytes; the kept text is what the prefilter must judge (`$` is its cut end).
      if (!interesting) interesting = this.#judgeKept(raw, bytes, from, state);
    }
    const lineNumber = ++this.#lines;
    if (truncated) this.#truncatedLines++;
    if (this.#open.length > 0 || interesting) {
      raw ??= bytes.toString('utf8', from, to);
      let normalized: NormalizedLine | undefined;
      if (this.#open.length > 0) {
        normalized = normalizeLine(raw);
        this.#collectAfter(normalized.text);
      }
      if (interesting) {
        normalized ??= normalizeLine(raw);
        this.#consider(normalized, lineNumber);
      }
    }
    const slot = this.#ringNext;
    if (raw !== undefined) {
      this.#ring[slot] = raw;
    } else {
      this.#ring[slot] = bytes;
      this.#ringStart[slot] = from;
      this.#ringEnd[slot] = to;
    }
    this.#ringNext = slot + 1 === CONTEXT_BEFORE ? 0 : slot + 1;
  }

  /**
   * Whether the prefilter selects the kept (cut) text of a long line whose first maxLineLength bytes the DFA read
   * without a match, ending in `state`. When the kept text is exactly the line's first bytes (no invalid UTF-8
   * was replaced), the DFA goes on from `state` over the rest of them; otherwise it reads the text again.
   */
  #judgeKept(raw: string, bytes: Buffer, from: number, state: number): boolean {
    const max = this.#options.maxLineLength;
    const keptBytes = Buffer.byteLength(raw);
    if (state >= SPECIAL || keptBytes < max || raw.includes('\ufffd')) return prefilterMatches(this.#dfa, Buffer.from(raw, 'utf8'));
    for (let i = from + max; i < from + keptBytes; i++) {
      state = this.#dfa.next(state, bytes[i]!);
      if (state >= SPECIAL) return state !== NL;
    }
    return this.#dfa.next(state, 10) === NL_MATCH;
  }

  #collectAfter(text: string): void {
    // The runner's post-job phase (checkout's credential clean-up, cache saves) follows the last step's exit;
    // none of it explains a failure, so no window runs on into it.
    if (text === POST_JOB_CLEANUP) {
      this.#open = [];
      return;
    }
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
      this.#step = { line: lineNumber, text: clip(line.text, MAX_SIGNAL_TEXT, '…') };
      return;
    }
    const scored = this.#score(line);
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
      text: line.text,
      score: scored.score,
      kind: scored.kind,
      section: this.#section,
      step: this.#step,
      factor: scored.effect === 'failed' ? FAILED_SECTION_FACTOR : 1,
      signature,
      before: [],
      raw: this.#recentLines(lineNumber),
      after: [],
    };
    if (scored.effect === 'failed') this.#failedExit = candidate;
    this.#candidates.push(candidate);
    this.#open.push(candidate);
    if (this.#candidates.length > MAX_CANDIDATES) this.#evictWeakest();
  }

  /**
   * The raw lines just before `lineNumber`, oldest first (fewer at the start of the file). They are normalized
   * only if the candidate survives: most candidates of a long log are evicted. Lines that lie together in one
   * buffer (the usual case) are copied in one piece.
   */
  #recentLines(lineNumber: number): Candidate['raw'] {
    const count = Math.min(CONTEXT_BEFORE, lineNumber - 1);
    if (count === 0) return [];
    const first = (this.#ringNext - count + CONTEXT_BEFORE) % CONTEXT_BEFORE;
    const last = (this.#ringNext - 1 + CONTEXT_BEFORE) % CONTEXT_BEFORE;
    const shared = this.#ring[first]!;
    let together = typeof shared !== 'string';
    for (let i = 1; together && i < count; i++) {
      const slot = (first + i) % CONTEXT_BEFORE;
      const previous = (first + i - 1) % CONTEXT_BEFORE;
      together = this.#ring[slot] === shared && this.#ringStart[slot] === this.#ringEnd[previous]! + 1;
    }
    if (together) {
      const offset = this.#ringStart[first]!;
      const bytes = Uint8Array.prototype.slice.call(shared, offset, this.#ringEnd[last]);
      const bounds = new Int32Array(2 * count);
      for (let i = 0; i < count; i++) {
        const slot = (first + i) % CONTEXT_BEFORE;
        bounds[2 * i] = this.#ringStart[slot]! - offset;
        bounds[2 * i + 1] = this.#ringEnd[slot]! - offset;
      }
      return { bytes, bounds };
    }
    const lines = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      const slot = (first + i) % CONTEXT_BEFORE;
      const entry = this.#ring[slot]!;
      lines[i] = typeof entry === 'string' ? entry : entry.toString('utf8', this.#ringStart[slot], this.#ringEnd[slot]);
    }
    return lines;
  }

  /**
   * scoreLine, remembered for recently seen texts: CI logs repeat lines (the same error per file, per retry, per
   * test), and the scorer's regexes are the costliest per-line work left. Two generations of SCORE_CACHE entries
   * approximate an LRU at the cost of a Map lookup. Lines with an annotation or a marker are scored directly.
   */
  #score(line: NormalizedLine): LineScore | null {
    if (line.annotation || line.marker) return scoreLine(line);
    const text = line.text;
    let scored = this.#scores.get(text);
    if (scored === undefined) {
      scored = this.#oldScores.get(text);
      if (scored === undefined) scored = scoreLine(line);
      if (this.#scores.size >= SCORE_CACHE) {
        this.#oldScores = this.#scores;
        this.#scores = new Map();
      }
      this.#scores.set(text, scored);
    }
    return scored;
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
  // A byte order mark at the start of the bytes is dropped, as TextDecoder does (it restarts after a string chunk).
  let head: Uint8Array | null = new Uint8Array(0);
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      if (head) extractor.writeBytes(head);
      head = new Uint8Array(0);
      extractor.write(chunk);
      continue;
    }
    if (!head) {
      extractor.writeBytes(chunk);
      continue;
    }
    const joined: Uint8Array = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (joined.length < BOM.length && BOM.subarray(0, joined.length).equals(joined)) {
      head = joined;
      continue;
    }
    head = null;
    extractor.writeBytes(joined, BOM.equals(joined.subarray(0, BOM.length)) ? BOM.length : 0);
  }
  if (head) extractor.writeBytes(head);
  return extractor.end();
}

/** The same algorithm on a log already in memory. */
export function extractFromText(text: string, options: Partial<ExtractOptions> = {}): Extraction {
  const extractor = new LogExtractor(options);
  extractor.write(text);
  return extractor.end();
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const EMPTY = Buffer.alloc(0);

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

/**
 * The key line's step command goes last, as a `step` signal: which tool ran (`Run npm publish`, `Run
 * golangci-lint`) tells the analyzer how to read the key line. Excerpts stay as they are, so their size does not
 * grow; the step line is redacted with the signals.
 */
function withStep(signals: Signal[], best: Candidate | undefined): Signal[] {
  const step = best?.step;
  if (!step || signals.some((s) => s.line === step.line)) return signals;
  return [...signals, { line: step.line, text: step.text, score: 0, kind: STEP_SIGNAL_KIND }];
}

function toSignal(candidate: Candidate): Signal {
  return {
    line: candidate.line,
    text: clip(candidate.text, MAX_SIGNAL_TEXT, '…'),
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

function normalizeRaw(raw: Candidate['raw']): string[] {
  if (Array.isArray(raw)) return raw.map((line) => normalizeLine(line).text);
  const bytes = Buffer.from(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength);
  const lines = new Array<string>(raw.bounds.length / 2);
  for (let i = 0; i < lines.length; i++) lines[i] = normalizeLine(bytes.toString('utf8', raw.bounds[2 * i], raw.bounds[2 * i + 1])).text;
  return lines;
}

/** Copies a string so it no longer pins the (much larger) string V8 sliced it from. */
function detach(text: string): string {
  return text.length === 0 ? '' : Buffer.from(text, 'utf8').toString('utf8');
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let end = Math.max(0, Math.min(text.length, maxBytes));
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > maxBytes) end = Math.floor(end * 0.9);
  if (!cutsInsideToken(text, end)) return text.slice(0, end);
  // A cut inside a token is marked (as the line limit marks it), so the redactor treats what is left as a secret.
  const mark = Buffer.byteLength(CUT_MARK);
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) + mark > maxBytes) end -= 1;
  return end > 0 ? text.slice(0, end) + CUT_MARK : '';
}
