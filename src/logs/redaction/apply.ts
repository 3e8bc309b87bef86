/**
 * Detection over a batch of texts and the apply step: every detector's findings (secretlint, our own rules,
 * and both again over the decoded form of encoded runs), merged where they overlap into one marker per
 * occurrence, named after the most specific finding, and counted once.
 */
import { findingsOfMessage, type SecretScanner } from './secretlint-scanner.ts';
import { redactionMarker, type Finding } from './finding.ts';
import { base64Candidates, escapedCandidates, type EncodedCandidate } from './encodings.ts';
import { ownFindings } from './own-rules.ts';

// ---------------------------------------------------------------------------------------------------------
// Detection, merging, replacement
// ---------------------------------------------------------------------------------------------------------

/**
 * When findings overlap they become one marker, named after the most specific finding: a GitHub token inside
 * URL credentials is reported as `github-token`.
 */
function rankOf(type: string): number {
  if (type.endsWith('-base64')) return 3;
  switch (type) {
    case 'private-key':
      return 1;
    case 'jwt':
      return 2;
    case 'connection-string':
      return 4;
    case 'url-credentials':
      return 5;
    case 'authorization-header':
      return 6;
    case 'password-assignment':
    case 'secret-assignment':
    case 'cookie':
    case 'masked-value':
    case 'secret-in-text':
      return 7;
    case 'truncated-secret':
      return 8;
    default:
      return 0; // vendor-specific tokens
  }
}

/** Separates texts scanned in one batch; findings that cross it are clipped to each side (over-redaction only). */
const BATCH_SEPARATOR = '\n\n';

/** Runs the scanner once over several texts and returns the findings of each, in that text's offsets. */
async function scanBatch(texts: readonly string[], scanner: SecretScanner): Promise<Finding[][]> {
  const perText: Finding[][] = texts.map(() => []);
  const offsets: number[] = [];
  let offset = 0;
  for (const text of texts) {
    offsets.push(offset);
    offset += text.length + BATCH_SEPARATOR.length;
  }
  const combined = texts.join(BATCH_SEPARATOR);
  if (combined.trim() === '') return perText;
  const messages = await scanner(combined);
  if (!Array.isArray(messages)) throw new Error('scanner returned no message list');
  for (const message of messages) {
    for (const finding of findingsOfMessage(combined, message)) {
      for (const [i, text] of texts.entries()) {
        const start = Math.max(finding.start, offsets[i]!);
        const end = Math.min(finding.end, offsets[i]! + text.length);
        if (start < end) perText[i]!.push({ start: start - offsets[i]!, end: end - offsets[i]!, type: finding.type });
      }
    }
  }
  return perText;
}

/** Encodings nest (a percent-encoded base64 credential); two levels cover what CI logs show. */
const MAX_DECODE_DEPTH = 2;

/** All findings of each text: scanner, own rules, and the same over the decoded form of encoded runs. */
export async function detect(texts: readonly string[], scanner: SecretScanner, depth = 0): Promise<Finding[][]> {
  const direct = await scanBatch(texts, scanner);
  const perText = texts.map((text, i) => [...direct[i]!, ...ownFindings(text)]);
  if (depth >= MAX_DECODE_DEPTH) return perText;
  const flat: { textIndex: number; candidate: EncodedCandidate }[] = [];
  for (const [textIndex, text] of texts.entries()) {
    for (const candidate of [...escapedCandidates(text), ...base64Candidates(text)]) flat.push({ textIndex, candidate });
  }
  if (flat.length === 0) return perText;
  const decodedFindings = await detect(flat.map((c) => c.candidate.decoded), scanner, depth + 1);
  for (const [n, { textIndex, candidate }] of flat.entries()) {
    const inner = decodedFindings[n]!;
    if (inner.length === 0) continue;
    const { offsets } = candidate;
    if (offsets === undefined) {
      // base64: the decoded bytes do not map onto characters, so the whole run goes.
      const best = inner.reduce((a, b) => (rankOf(b.type) < rankOf(a.type) ? b : a));
      perText[textIndex]!.push({ start: candidate.start, end: candidate.end, type: best.type.endsWith('-base64') ? best.type : `${best.type}-base64` });
      continue;
    }
    for (const finding of inner) {
      perText[textIndex]!.push({ start: offsets[finding.start]!, end: offsets[finding.end]!, type: finding.type });
    }
  }
  return perText;
}

export function merge(findings: readonly Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Finding[] = [];
  for (const finding of sorted) {
    const last = merged.at(-1);
    if (last && finding.start < last.end) {
      last.end = Math.max(last.end, finding.end);
      if (rankOf(finding.type) < rankOf(last.type)) last.type = finding.type;
    } else {
      merged.push({ ...finding });
    }
  }
  return merged;
}

export function apply(text: string, spans: readonly Finding[]): string {
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + redactionMarker(span.type);
    at = span.end;
  }
  return out + text.slice(at);
}

/** Adds `more`'s counts per type to `counts` (which it returns): redactions found in two texts, together. */
export function addCounts(counts: Record<string, number>, more: Readonly<Record<string, number>>): Record<string, number> {
  for (const [type, count] of Object.entries(more)) counts[type] = (counts[type] ?? 0) + count;
  return counts;
}

export function countInto(counts: Record<string, number>, spans: readonly Finding[]): void {
  for (const span of spans) counts[span.type] = (counts[span.type] ?? 0) + 1;
}

