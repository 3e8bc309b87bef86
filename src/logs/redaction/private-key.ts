import { lineSpans, type Finding, type Rule } from './finding.ts';

/**
 * Private keys in PEM/OpenSSH/PGP armor, including partial and prefixed blocks. secretlint only reports a
 * complete BEGIN..END block whose body passes its validation; an excerpt is a window cut out of a log and may
 * start or end inside a block, and CI tools often prefix every line of a command's output (BuildKit's
 * `#8 0.001 MIIE…`, `kubectl logs --prefix`'s `[pod/web-0/app] `), so the body lines are recognised after the
 * prefix their BEGIN or END line carries. Public blocks (certificates, public keys) are never redacted: a
 * redactor that eats CA bundles makes TLS failures unreadable.
 */

const KEY_BEGIN = /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g;
const KEY_END = /-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g;
/** Armor of anything that is not a private key: certificates, CSRs, public keys, PKCS#7, DH parameters. */
const PUBLIC_BEGIN = /-----BEGIN (?![A-Z0-9 ]*PRIVATE)[A-Z0-9 ]+-----/;
/** The tail of a public BEGIN line whose start was split off (a JSON-escaped block decoded word by word). */
const PUBLIC_OPENER_TAIL = /(?:CERTIFICATE|PUBLIC KEY|REQUEST|PKCS7|X509 CRL|PARAMETERS)-----[ \t]*$/;
const PUBLIC_END = /-----END (?![A-Z0-9 ]*PRIVATE)[A-Z0-9 ]+-----/;
/** A line of a key body (after its prefix): base64 (PEM/OpenSSH), or an RFC 1421 / PGP armor header. */
const KEY_BODY_LINE = /^[ \t]*(?:[A-Za-z0-9+/]+={0,2}|=[A-Za-z0-9+/]{4}|(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):[^\n]*|)[ \t]*$/;
/**
 * Where a block is cut off, its outermost line may share the line with other output (`<key line>"`, a
 * truncated line, a prompt): a line that starts (or, before an END, ends) with 16+ base64 characters is
 * taken whole, and the block stops there.
 */
const KEY_BODY_THEN_OTHER = /^[ \t]*[A-Za-z0-9+/]{16,}/;
const KEY_OTHER_THEN_BODY = /[A-Za-z0-9+/]{16,}={0,2}[ \t]*$/;
/** PEM wraps at 64 columns, OpenSSH at 70, MIME at 76: a run of such lines is key material even without its markers. */
const FULL_WIDTH_PAYLOAD = /(?:^|[^A-Za-z0-9+/=])([A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{70}|[A-Za-z0-9+/]{76})[ \t]*$/;
const LAST_PAYLOAD = /(?:^|[^A-Za-z0-9+/=])[A-Za-z0-9+/]{4,}={0,2}[ \t]*$/;

/** The prefix a tool put before a block's marker, as a pattern: digits vary from line to line (timestamps, step numbers). */
function prefixPattern(prefix: string): RegExp {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/\d+(?:\\\.\d+)?/g, String.raw`\d+(?:\.\d+)?`);
  return new RegExp(`^${escaped}`);
}

/** The shape of a line's prefix, for grouping marker-less body lines: digits normalised, trailing space dropped. */
function prefixShape(prefix: string): string {
  return prefix.replace(/\d+/g, '0').trimEnd();
}

export const privateKey: Rule = (text) => {
  const findings: Finding[] = [];
  const lines = lineSpans(text);
  const lineIndexAt = (offset: number): number => {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const lineText = (i: number): string => text.slice(lines[i]!.start, lines[i]!.end);
  /**
   * The line without the block's prefix. Text before a marker is not always a per-line prefix (`"key": "`
   * before a BEGIN whose body follows on bare lines), so a line without the prefix is taken as it is.
   */
  const payload = (i: number, prefix: RegExp): string | undefined => {
    // A CRLF log keeps its `\r` when it was not normalized (a spec written by hand, a Windows runner's file).
    const line = lineText(i).replace(/\r$/, '');
    const match = prefix.exec(line);
    return match ? line.slice(match[0].length) : line;
  };
  const isBody = (i: number, prefix: RegExp): boolean => {
    const rest = payload(i, prefix);
    return rest !== undefined && KEY_BODY_LINE.test(rest) && !/-----(?:BEGIN|END) /.test(rest);
  };
  const begins = [...text.matchAll(KEY_BEGIN)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const ends = [...text.matchAll(KEY_END)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const pairedEnds = new Set<number>();
  const markerPrefix = (offset: number): RegExp => {
    const line = lines[lineIndexAt(offset)]!;
    return prefixPattern(text.slice(line.start, offset));
  };

  for (const [n, begin] of begins.entries()) {
    const nextBegin = begins[n + 1]?.start ?? Number.POSITIVE_INFINITY;
    const endIndex = ends.findIndex((e) => e.start >= begin.end && e.start < nextBegin);
    if (endIndex >= 0) {
      pairedEnds.add(endIndex);
      findings.push({ start: begin.start, end: ends[endIndex]!.end, type: 'private-key' });
      continue;
    }
    // Unterminated: the rest of the BEGIN line, then every following body line under the same prefix.
    const prefix = markerPrefix(begin.start);
    let i = lineIndexAt(begin.start);
    while (i + 1 < lines.length && isBody(i + 1, prefix)) i += 1;
    if (i + 1 < lines.length) {
      const rest = payload(i + 1, prefix);
      if (rest !== undefined && KEY_BODY_THEN_OTHER.test(rest)) i += 1;
    }
    findings.push({ start: begin.start, end: lines[i]!.end, type: 'private-key' });
  }
  for (const [n, end] of ends.entries()) {
    if (pairedEnds.has(n)) continue;
    const endLine = lineIndexAt(end.start);
    const before = text.slice(lines[endLine]!.start, end.start);
    const prefix = markerPrefix(end.start);
    let i = endLine;
    while (i - 1 >= 0 && isBody(i - 1, prefix)) i -= 1;
    if (i - 1 >= 0) {
      const rest = payload(i - 1, prefix);
      if (rest !== undefined && KEY_OTHER_THEN_BODY.test(rest)) i -= 1;
    }
    // Text before END on its own line is only taken when it is key material or the block continues above.
    const start = i < endLine || /^[ \t]*[A-Za-z0-9+/=]*$/.test(before) ? lines[i]!.start : end.start;
    findings.push({ start, end: end.end, type: 'private-key' });
  }
  findings.push(...markerlessRuns(text, lines));
  return findings;
};

/**
 * Runs of two or more full-width base64 lines under one prefix, with neither marker in view: the middle of a
 * key block cut from both sides. A run that a public block's BEGIN opens or END closes is a certificate body.
 */
function markerlessRuns(text: string, lines: readonly { start: number; end: number }[]): Finding[] {
  const findings: Finding[] = [];
  const lineText = (i: number): string => text.slice(lines[i]!.start, lines[i]!.end).replace(/\r$/, '');
  const fullWidth = (i: number): { shape: string } | undefined => {
    const line = lineText(i);
    const match = FULL_WIDTH_PAYLOAD.exec(line);
    if (!match) return undefined;
    return { shape: prefixShape(line.slice(0, line.lastIndexOf(match[1]!))) };
  };
  for (let i = 0; i < lines.length; ) {
    const first = fullWidth(i);
    if (first === undefined) {
      i += 1;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && fullWidth(j)?.shape === first.shape) j += 1;
    if (j - i < 2) {
      i = j;
      continue;
    }
    // The last line of a body is usually shorter: take it too when it is plain base64.
    const last = j < lines.length && LAST_PAYLOAD.test(lineText(j)) && !/-----/.test(lineText(j)) ? j : j - 1;
    const opener = i > 0 ? lineText(i - 1) : '';
    const closer = last + 1 < lines.length ? lineText(last + 1) : '';
    const isPublic = PUBLIC_BEGIN.test(opener) || PUBLIC_OPENER_TAIL.test(opener) || PUBLIC_END.test(closer) || insidePublicBlock(text, lines[i]!.start);
    if (!isPublic) findings.push({ start: lines[i]!.start, end: lines[last]!.end, type: 'private-key' });
    i = last + 1;
  }
  return findings;
}

/** Whether `offset` lies after a public block's BEGIN whose END (if any) comes later. */
function insidePublicBlock(text: string, offset: number): boolean {
  const before = text.slice(0, offset);
  const lastBegin = Math.max(before.lastIndexOf('-----BEGIN '), -1);
  if (lastBegin < 0) return false;
  const marker = before.slice(lastBegin, before.indexOf('\n', lastBegin) < 0 ? undefined : before.indexOf('\n', lastBegin));
  if (!PUBLIC_BEGIN.test(marker)) return false;
  return !before.slice(lastBegin).includes('-----END ');
}
