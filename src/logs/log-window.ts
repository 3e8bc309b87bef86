import { createHash, type Hash } from 'node:crypto';

/**
 * Keeps the head and the tail of a log that is larger than a byte budget, in one streaming pass with memory
 * bounded by the budget. The explanation of a CI failure is nearly always near the end (the failing step,
 * the exit code, the runner's post-job lines), the head says what ran; the middle of a huge log is output
 * of steps that went on. The extractor then runs over head + a one-line marker + tail, and line numbers
 * of what it finds are mapped back to the original log's (`toOriginalLine`), so a key line still points at
 * the right line of the log a person opens on GitHub.
 *
 * Every byte still passes through here (the SHA-256 and the line count are of the whole log): only what is
 * analysed is bounded, not what is read. Reading stops where the source stops.
 */

export interface LogWindowOptions {
  /** Bytes kept at most (head + tail); the marker line comes on top. */
  maxBytes: number;
  /** Share of the budget given to the head; the rest keeps the tail. Default 0.25. */
  headShare?: number;
}

export interface LogWindowSummary {
  /** Bytes of the whole log. */
  bytes: number;
  /** Lines of the whole log (`\n`-separated; a last line without `\n` counts). */
  lines: number;
  /** SHA-256 (hex) of the whole log. */
  sha256: string;
  /** What was left out, or null when the whole log was kept. Lines are 1-based and inclusive, of the original log. */
  omitted: { bytes: number; fromLine: number; toLine: number } | null;
  /** A line number of the kept text (as an extractor reading `keep()` numbers it) as a line of the original log. */
  toOriginalLine(line: number): number;
}

const NEWLINE = 0x0a;

export class LogWindow {
  readonly #headLimit: number;
  readonly #tailLimit: number;
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;
  #newlines = 0;
  #lastByte = -1;
  #headSent = 0;
  #headNewlines = 0;
  #headLastByte = -1;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #droppedNewlines = 0;
  #droppedBytes = 0;
  #summary: LogWindowSummary | undefined;

  constructor(options: LogWindowOptions) {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 2) {
      throw new RangeError(`Invalid maxBytes ${String(options.maxBytes)}. Expected an integer of at least 2.`);
    }
    const share = options.headShare ?? 0.25;
    if (!(share >= 0 && share < 1)) throw new RangeError(`Invalid headShare ${String(share)}. Expected a number in [0, 1).`);
    this.#headLimit = Math.floor(options.maxBytes * share);
    this.#tailLimit = options.maxBytes - this.#headLimit;
  }

  /** The summary, once `keep()` has been read to its end. */
  get summary(): LogWindowSummary {
    if (this.#summary === undefined) throw new Error('the log window is not finished: read keep() to its end first');
    return this.#summary;
  }

  /**
   * Yields the head as it arrives, then, when the source ends, either the rest (the log fitted) or a marker
   * line and the tail from its first complete line.
   */
  async *keep(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
    for await (const raw of source) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (chunk.length === 0) continue;
      this.#hash.update(chunk);
      this.#bytes += chunk.length;
      this.#newlines += countNewlines(chunk, 0, chunk.length);
      this.#lastByte = chunk[chunk.length - 1]!;
      let rest = chunk;
      if (this.#headSent < this.#headLimit) {
        const part = chunk.subarray(0, this.#headLimit - this.#headSent);
        this.#headSent += part.length;
        this.#headNewlines += countNewlines(part, 0, part.length);
        this.#headLastByte = part[part.length - 1]!;
        yield part;
        rest = chunk.subarray(part.length);
      }
      if (rest.length > 0) this.#pushTail(rest);
    }
    yield* this.#finish();
  }

  #pushTail(chunk: Buffer): void {
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    // Drop whole chunks from the front while the rest still fills the budget; the front chunk is cut at the end.
    while (this.#tail.length > 1 && this.#tailBytes - this.#tail[0]!.length >= this.#tailLimit) {
      const dropped = this.#tail.shift()!;
      this.#tailBytes -= dropped.length;
      this.#droppedBytes += dropped.length;
      this.#droppedNewlines += countNewlines(dropped, 0, dropped.length);
    }
  }

  *#finish(): Generator<Buffer> {
    const bytes = this.#bytes;
    const lines = this.#newlines + (bytes > 0 && this.#lastByte !== NEWLINE ? 1 : 0);
    const sha256 = this.#hash.digest('hex');
    const identity = (line: number): number => line;

    if (this.#droppedBytes === 0 && this.#tailBytes <= this.#tailLimit) {
      this.#summary = { bytes, lines, sha256, omitted: null, toOriginalLine: identity };
      yield* this.#tail;
      this.#tail = [];
      return;
    }

    const tail = Buffer.concat(this.#tail, this.#tailBytes);
    this.#tail = [];
    // The tail starts with a complete line: the bytes before its first newline are the end of an omitted line.
    const cut = Math.max(0, tail.length - this.#tailLimit);
    const firstNewline = tail.indexOf(NEWLINE, cut);
    const tailStart = firstNewline < 0 ? tail.length : firstNewline + 1;
    const keptTail = tail.subarray(tailStart);
    const newlinesBeforeTail = this.#headNewlines + this.#droppedNewlines + countNewlines(tail, 0, tailStart);
    const firstTailLine = newlinesBeforeTail + 1;
    const headEndsLine = this.#headSent === 0 || this.#headLastByte === NEWLINE;
    // The line the head ends in (or, when it ends with a newline, the last complete one).
    const headLines = this.#headNewlines + (headEndsLine ? 0 : 1);
    const omittedBytes = bytes - this.#headSent - keptTail.length;
    const fromLine = headEndsLine ? headLines + 1 : headLines;
    const toLine = Math.max(fromLine, firstTailLine - 1);
    const note = `··· ci-remediator: ${omittedBytes} bytes (lines ${fromLine}-${toLine}) not shown; the log is larger than ${this.#headLimit + this.#tailLimit} bytes, so its head and tail are kept ···\n`;
    // A head that ends mid-line gets the note on that line; otherwise the note is a line of its own.
    const boundary = headEndsLine ? headLines + 1 : headLines;
    const offset = firstTailLine - (boundary + 1);
    this.#summary = {
      bytes,
      lines,
      sha256,
      omitted: { bytes: omittedBytes, fromLine, toLine },
      toOriginalLine: (line) => (line > boundary ? line + offset : line),
    };
    yield Buffer.from(headEndsLine ? note : ` ${note}`, 'utf8');
    if (keptTail.length > 0) yield keptTail;
  }
}

function countNewlines(buffer: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = buffer.indexOf(NEWLINE, from); at >= 0 && at < to; at = buffer.indexOf(NEWLINE, at + 1)) count++;
  return count;
}
