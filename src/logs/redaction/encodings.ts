/**
 * Secrets in encoded form: base64 (a `kubectl get secret -o yaml`, a docker `auth`, a Basic credential),
 * percent-encoding (a token in a query string, `%3D` glued to it) and JSON string escapes (`\"`, `\n`,
 * `\u003d` in a JSON-in-a-log-line). Each candidate is decoded, scanned like any text, and what the scan
 * finds is mapped back onto the encoded text.
 */

/** 16 base64 characters are 12 bytes, shorter than any secret we detect. */
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/_-])/g;
const MAX_SUFFIXES_PER_RUN = 32;

export interface EncodedCandidate {
  /** Offsets of the encoded run in the scanned text. */
  start: number;
  end: number;
  decoded: string;
  /**
   * For each decoded character, its offset in the scanned text (and one more entry for the end), when the
   * encoding maps characters one to one enough to redact only the secret; absent for base64, whose whole run goes.
   */
  offsets?: number[];
}

/**
 * Runs that decode to printable text. A run may carry a non-base64 prefix glued on by punctuation that is
 * also base64 alphabet (`token-Z2hw...`, `secrets/Z2hw...`), which misaligns decoding; so suffixes starting
 * after such a character are tried too. Binary decodings (git SHAs, digests, UUIDs, random ids) are dropped,
 * which is what keeps this rule from touching them.
 */
export function base64Candidates(text: string): EncodedCandidate[] {
  const candidates: EncodedCandidate[] = [];
  for (const match of text.matchAll(BASE64_RUN)) {
    const run = match[0];
    const starts = [0];
    for (let i = 1; i < run.length - 16 && starts.length <= MAX_SUFFIXES_PER_RUN; i += 1) {
      if ('-_/+'.includes(run[i - 1]!)) starts.push(i);
    }
    for (const offset of starts) {
      const decoded = decodePrintable(run.slice(offset));
      if (decoded !== undefined) {
        candidates.push({ start: match.index + offset, end: match.index + run.length, decoded });
        break;
      }
    }
  }
  return candidates;
}

function decodePrintable(encoded: string): string | undefined {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 12) return undefined;
  let printable = 0;
  for (const byte of bytes) {
    if ((byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d) printable += 1;
  }
  return printable / bytes.length >= 0.95 ? bytes.toString('latin1') : undefined;
}

/** Runs of non-space text; a candidate holds at least one `%XX` or one JSON escape (tested apart: one pattern backtracks). */
const NON_SPACE_RUN = /\S+/g;
const ESCAPE = /%[0-9A-Fa-f]{2}|\\(?:u[0-9A-Fa-f]{4}|["\\/bfnrt])/;

/**
 * Percent-encoded and JSON-escaped runs, decoded with a map back to the text: `%3D` and `\u003d` become `=`,
 * `\n` a newline, `\"` a quote. A run with nothing to decode is not a candidate.
 */
export function escapedCandidates(text: string): EncodedCandidate[] {
  const candidates: EncodedCandidate[] = [];
  for (const match of text.matchAll(NON_SPACE_RUN)) {
    const run = match[0];
    if (!ESCAPE.test(run)) continue;
    let decoded = '';
    const offsets: number[] = [];
    let i = 0;
    while (i < run.length) {
      const at = match.index + i;
      const ch = run[i]!;
      if (ch === '%' && /^[0-9A-Fa-f]{2}$/.test(run.slice(i + 1, i + 3))) {
        decoded += String.fromCharCode(Number.parseInt(run.slice(i + 1, i + 3), 16));
        offsets.push(at);
        i += 3;
      } else if (ch === '\\' && run[i + 1] === 'u' && /^[0-9A-Fa-f]{4}$/.test(run.slice(i + 2, i + 6))) {
        decoded += String.fromCharCode(Number.parseInt(run.slice(i + 2, i + 6), 16));
        offsets.push(at);
        i += 6;
      } else if (ch === '\\' && i + 1 < run.length && '"\\/bfnrt'.includes(run[i + 1]!)) {
        const escaped = run[i + 1]!;
        decoded += ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[escaped] ?? escaped;
        offsets.push(at);
        i += 2;
      } else {
        decoded += ch;
        offsets.push(at);
        i += 1;
      }
    }
    offsets.push(match.index + run.length);
    if (decoded !== run) candidates.push({ start: match.index, end: match.index + run.length, decoded, offsets });
  }
  return candidates;
}
