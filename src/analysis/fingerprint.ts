import { createHash } from 'node:crypto';
import type { Category } from './taxonomy.ts';
import { stripWorkspacePrefixes } from './components.ts';

/**
 * Failure fingerprints: the key under which the store keeps a failure's history (how often it was seen, how
 * often a re-run fixed it). Two runs of the same failure must get the same key, so everything that changes
 * from run to run without changing the failure is normalized away first.
 */

/** Bumped when normalization changes, so old and new keys never collide silently. */
export const FINGERPRINT_VERSION = 'v1';
const PREFIX = `rules:${FINGERPRINT_VERSION}:`;
const HEX_CHARS = 20;

// Placeholders use characters the later rules never touch, so a rule cannot rewrite an earlier rule's output.
const REDACTED = /\[REDACTED:[\w-]+\]/g;
const REDACTED_HOLD = '\u2039R\u203a';
const NORMALIZERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '‹uuid›'],
  // ISO-8601 and common log timestamps, then bare clock times.
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, '‹ts›'],
  [/\b\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?/g, '‹ts›'],
  [/\b\d{1,2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}/g, '‹ts›'],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s?[AP]M)?\b/g, '‹ts›'],
  // Temporary paths: runner temp, /tmp, macOS per-user temp, Windows temp.
  [
    /(?:\/home\/runner\/work\/_temp|\/__w\/_temp|\/tmp|\/private\/var\/folders|\/var\/folders|[A-Za-z]:\\Users\\[^\\\s]+\\AppData\\Local\\Temp|[A-Za-z]:\\a\\_temp)(?:[\\/][^\s'"`,:;)\]]*)?/g,
    '‹tmp›',
  ],
  // 0x addresses, then commit/object/build hashes: 7+ hex characters mixing digits and letters.
  [/\b0x[0-9a-f]+\b/gi, '‹hex›'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, '‹hex›'],
  // Durations: compound first (1m2s, 10m0s), then 12.3s, 250ms, "in 506.01 seconds".
  [/\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?s\b/g, '‹dur›'],
  [/\b\d+(?:\.\d+)?\s?(?:ms|msec|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)\b/gi, '‹dur›'],
  // Every remaining number: counts, line:col, ports, pids, attempt numbers, IP octets.
  [/\d+/g, '‹n›'],
];

/** Normalizes one line so that run-to-run noise (numbers, hashes, temp paths, times) does not change it. */
export function normalizeForFingerprint(text: string): string {
  const kept: string[] = [];
  // Redaction markers carry the secret *type*, which is stable and meaningful; keep them verbatim.
  let out = text.replace(REDACTED, (m) => {
    kept.push(m);
    return REDACTED_HOLD;
  });
  out = out
    .split(/(\s+)/)
    .map((token) => (token.includes('/') || token.includes('\\') ? stripWorkspacePrefixesInToken(token) : token))
    .join('');
  for (const [pattern, replacement] of NORMALIZERS) out = out.replace(pattern, replacement);
  out = out.replace(/\s+/g, ' ').trim();
  let i = 0;
  return out.replaceAll(REDACTED_HOLD, () => kept[i++] ?? '[REDACTED]');
}

function stripWorkspacePrefixesInToken(token: string): string {
  // A token may wrap the path in quotes or brackets; keep the wrapper, normalize the path inside.
  return token.replace(/(?:[A-Za-z]:)?[\\/][^\s'"`()[\]]*/g, (path) => stripWorkspacePrefixes(path.replace(/\\/g, '/')));
}

export interface FingerprintInput {
  category: Category;
  /** The deciding rule's id, or a pseudo id ('none') when no rule decided. */
  ruleId: string;
  keyLine: string | null;
  /** The lines that carried the decision, in any order: they are normalized and sorted before hashing. */
  evidence: readonly string[];
}

/** `rules:v1:<20 hex>`: sha256 over category, rule, normalized key line and normalized evidence. */
export function computeFingerprint(input: FingerprintInput): string {
  const evidence = [...new Set(input.evidence.map(normalizeForFingerprint))].sort();
  const material = [
    FINGERPRINT_VERSION,
    input.category,
    input.ruleId,
    input.keyLine === null ? '' : normalizeForFingerprint(input.keyLine),
    ...evidence,
  ].join('\n');
  return PREFIX + createHash('sha256').update(material, 'utf8').digest('hex').slice(0, HEX_CHARS);
}
