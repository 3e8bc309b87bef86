import { normalizeLine } from './log-normalizer.ts';
import { addCounts, redactText, type RedactOptions } from './redactor.ts';

/**
 * The Actions cache keys a job log says were restored, collected while the whole log streams past (before
 * the head-and-tail window drops its middle: setup steps restore caches early, and a long log's middle is
 * exactly what the window leaves out). actions/cache and the setup-* actions (setup-node, setup-python,
 * setup-go, setup-java) restore through @actions/cache, which prints
 *
 *     Cache hit for: <key>                 (a match was found; printed before the archive is extracted)
 *     Cache hit for restore-key: <key>     (the same, matched through restore-keys)
 *     Cache restored from key: <key>       (extracted)
 *
 * The hit lines matter for a corrupt archive: extraction fails, so "restored from key" never comes, and the
 * key of the broken cache is only in the hit line. clear-caches derives the prefix of the caches to delete
 * from these keys (src/remediation/cache-key-prefix.ts).
 *
 * The log is untrusted: any step can print such a line. The collector only reads lines whose visible text
 * starts with one of the phrases (not an echoed command, not an annotation), keeps at most MAX_CACHE_KEYS
 * distinct keys of at most MAX_CACHE_KEY_LENGTH characters, and the keys are redacted like every other text
 * taken from a log (`redactCacheKeys`) before they leave the process.
 *
 * Cost: a `Buffer.indexOf` per phrase over the bytes the caller reads anyway; only lines a phrase starts are
 * decoded, at most MAX_LINES_READ of them. Once MAX_CACHE_KEYS keys are known, chunks pass untouched.
 */

/** Keys kept per job log; a job restores a handful of caches, and each key is up to 512 characters. */
export const MAX_CACHE_KEYS = 8;
/** GitHub refuses cache keys longer than 512 characters, so a longer "key" was never one. */
export const MAX_CACHE_KEY_LENGTH = 512;

/** The visible text of a line that names a restored cache; group 1 is the key. */
const KEY_LINE = /^Cache (?:restored from key|hit for|hit for restore-key): (.*)$/;
/** How such lines start; the first one on a line decides whether the line is read. */
const NEEDLES = [Buffer.from('Cache restored from key:', 'utf8'), Buffer.from('Cache hit for', 'utf8')];
const LONGEST_NEEDLE = Math.max(...NEEDLES.map((needle) => needle.length));
/**
 * Lines read at most: a real log has a few, and one that prints the phrase on every line (by accident or
 * on purpose) should not cost a decode per line to its end.
 */
const MAX_LINES_READ = 256;
/**
 * Bytes allowed before the needle on its line: the runner's timestamp (29 bytes), colour codes and a
 * `\r`-overwritten progress text. A needle further into a line is not at the start of what it shows.
 */
const MAX_LEAD = 160;
/** Bytes read after the needle at most: the rest of the phrase, a key of 512 UTF-16 units in UTF-8, a `\r`, colour codes. */
const MAX_REST = 32 + 3 * MAX_CACHE_KEY_LENGTH + 64;
/** Control characters do not occur in keys actions print; a line carrying them was not printed by one. */
const CONTROL = /\p{Cc}/u;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

interface OpenLine {
  /** The line's bytes up to and including the needle. */
  head: Buffer;
  rest: Buffer[];
  restBytes: number;
  /** More than MAX_REST bytes followed the needle: the line is dropped when it ends. */
  overflow: boolean;
}

export class CacheKeyCollector {
  readonly #keys: string[] = [];
  /** The bytes of the line the last chunk ended in, while a needle could still start within MAX_LEAD of its start; null once longer. */
  #lead: Buffer | null = EMPTY;
  /** A line a needle hit that continues into the next chunk. */
  #open: OpenLine | null = null;
  #linesRead = 0;

  /** Distinct keys, in order of appearance, as the log printed them (not yet redacted). */
  get keys(): readonly string[] {
    return this.#keys;
  }

  /** Nothing more is collected: MAX_CACHE_KEYS keys, or MAX_LINES_READ lines read. */
  get done(): boolean {
    return this.#keys.length >= MAX_CACHE_KEYS || this.#linesRead >= MAX_LINES_READ;
  }

  /** Passes `source` through unchanged (as Buffers), collecting keys on the way. */
  async *observe(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
    for await (const raw of source) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (chunk.length === 0) continue;
      if (!this.done) this.write(chunk);
      yield chunk;
    }
    this.end();
  }

  /** Reads one chunk of the log. Bytes are not kept beyond the call except the few a line needs. */
  write(chunk: Buffer): void {
    let from = 0;
    if (this.#open !== null) {
      from = this.#continueOpen(chunk, 0);
    } else if (this.#lead !== null && this.#lead.length > 0) {
      // A needle that starts in the previous chunk's last line and ends in this one.
      const lead = this.#lead;
      const seam = Buffer.concat([lead, chunk.subarray(0, LONGEST_NEEDLE - 1)]);
      const hit = firstHit(seam, (needle) => Math.max(0, lead.length - needle.length + 1));
      if (hit !== null && hit.at < lead.length && hit.at <= MAX_LEAD) {
        this.#open = { head: seam.subarray(0, hit.at + hit.needle.length), rest: [], restBytes: 0, overflow: false };
        from = this.#continueOpen(chunk, hit.at + hit.needle.length - lead.length);
      }
    }
    // Where each needle occurs next from `from` (-1: nowhere), so each is searched for once per chunk.
    const next = NEEDLES.map(() => -2);
    while (from >= 0 && !this.done) {
      let at = -1;
      let needle = NEEDLES[0]!;
      NEEDLES.forEach((candidate, i) => {
        if (next[i] !== -1 && next[i]! < from) next[i] = chunk.indexOf(candidate, from);
        if (next[i]! >= 0 && (at < 0 || next[i]! < at)) {
          at = next[i]!;
          needle = candidate;
        }
      });
      if (at < 0) {
        this.#rememberLead(chunk, from);
        return;
      }
      const lead = this.#leadBefore(chunk, from, at);
      if (lead === null) {
        // Too far into its line: what it shows does not start there. Only the first needle of a line counts.
        from = this.#skipLine(chunk, at + needle.length);
      } else {
        this.#open = { head: Buffer.concat([lead, needle]), rest: [], restBytes: 0, overflow: false };
        from = this.#continueOpen(chunk, at + needle.length);
      }
    }
  }

  /** The end of the log: a last line without a newline counts. */
  end(): void {
    if (this.#open !== null) this.#close();
    this.#lead = EMPTY;
  }

  /** Where the line after the one `start` is in begins, or -1 when it goes on into the next chunk. */
  #skipLine(chunk: Buffer, start: number): number {
    const newline = chunk.indexOf(NEWLINE, start);
    if (newline < 0) {
      this.#lead = null;
      return -1;
    }
    this.#lead = EMPTY;
    return newline + 1;
  }

  /**
   * Adds `chunk[start..]` to the open line up to its newline. Returns where the next line starts, or -1 when
   * the line goes on into the next chunk.
   */
  #continueOpen(chunk: Buffer, start: number): number {
    const open = this.#open!;
    const newline = chunk.indexOf(NEWLINE, start);
    const end = newline < 0 ? chunk.length : newline;
    if (!open.overflow && end > start) {
      if (end - start > MAX_REST - open.restBytes) open.overflow = true;
      else {
        // A copy: the source may reuse its buffer once the chunk has been passed on.
        open.rest.push(Buffer.from(chunk.subarray(start, end)));
        open.restBytes += end - start;
      }
    }
    if (newline < 0) {
      this.#lead = null;
      return -1;
    }
    this.#close();
    this.#lead = EMPTY;
    return newline + 1;
  }

  #close(): void {
    const open = this.#open!;
    this.#open = null;
    if (open.overflow || this.done) return;
    this.#linesRead++;
    const line = normalizeLine(Buffer.concat([open.head, ...open.rest]).toString('utf8'));
    if (line.annotation !== undefined || line.marker !== undefined) return;
    const key = KEY_LINE.exec(line.text)?.[1]?.trim();
    if (key === undefined || key === '' || key.length > MAX_CACHE_KEY_LENGTH || CONTROL.test(key)) return;
    if (!this.#keys.includes(key)) this.#keys.push(key);
  }

  /**
   * The bytes of the needle's line before it (`from` is a line start or the chunk's start), or null when
   * there are more than MAX_LEAD of them.
   */
  #leadBefore(chunk: Buffer, from: number, at: number): Buffer | null {
    const low = Math.max(from, at - MAX_LEAD);
    const newline = chunk.subarray(low, at).lastIndexOf(NEWLINE);
    if (newline >= 0) return chunk.subarray(low + newline + 1, at);
    if (low > from) return null;
    // No line break in this chunk before the needle: at the chunk's start the line began in earlier chunks.
    if (from > 0) return chunk.subarray(from, at);
    const before = this.#lead;
    if (before === null || before.length + at > MAX_LEAD) return null;
    return before.length === 0 ? chunk.subarray(0, at) : Buffer.concat([before, chunk.subarray(0, at)]);
  }

  /** Keeps the start of the line the chunk ends in, for a needle split across chunks. */
  #rememberLead(chunk: Buffer, from: number): void {
    const keep = MAX_LEAD + LONGEST_NEEDLE - 1;
    const tail = chunk.subarray(from);
    const newline = tail.lastIndexOf(NEWLINE);
    if (newline >= 0) {
      const rest = tail.subarray(newline + 1);
      this.#lead = rest.length > keep ? null : Buffer.from(rest);
      return;
    }
    // `from` is 0 or a line start: either way this chunk continues the line `#lead` began (empty at a line start).
    const before = from > 0 ? EMPTY : this.#lead;
    this.#lead = before === null || before.length + tail.length > keep ? null : Buffer.concat([before, tail]);
  }
}

/** The needle that occurs first in `bytes`, each searched for from `from(needle)`. */
function firstHit(bytes: Buffer, from: (needle: Buffer) => number): { at: number; needle: Buffer } | null {
  let hit: { at: number; needle: Buffer } | null = null;
  for (const needle of NEEDLES) {
    const at = bytes.indexOf(needle, from(needle));
    if (at >= 0 && (hit === null || at < hit.at)) hit = { at, needle };
  }
  return hit;
}

export interface RedactedCacheKeys {
  keys: string[];
  redactions: Record<string, number>;
}

/**
 * The keys as they may leave the process: each through the redactor (a key is log text, and people do
 * put tokens in keys by mistake), distinct, and still within MAX_CACHE_KEY_LENGTH after redaction. A key
 * with a redaction in it is kept (it still tells a person which cache it was); clear-caches never derives a
 * prefix from it. Fails closed like every redaction: RedactionError, and the caller emits nothing.
 */
export async function redactCacheKeys(keys: readonly string[], options?: RedactOptions): Promise<RedactedCacheKeys> {
  const redactions: Record<string, number> = {};
  const out: string[] = [];
  for (const key of keys) {
    const redacted = await redactText(key, options);
    addCounts(redactions, redacted.redactions);
    const text = redacted.text.trim();
    if (text === '' || text.length > MAX_CACHE_KEY_LENGTH || out.includes(text)) continue;
    out.push(text);
  }
  return { keys: out, redactions };
}
