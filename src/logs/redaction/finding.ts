/**
 * The vocabulary every redaction rule shares: what a finding is, what a placeholder is, and the marker that
 * replaces a secret. Kept apart from the rules so the scanner adapter, our own rules, the encoding scan and
 * the apply step depend on it and not on each other.
 */

/** A span of text to redact: half-open [start, end) UTF-16 offsets, and the kind of secret it is. */
export interface Finding {
  start: number;
  end: number;
  type: string;
}

/** One detector over a text. Pure: the same text gives the same findings. */
export type Rule = (text: string) => Finding[];

export const REDACTION_MARKER_PREFIX = '[REDACTED:';

export function redactionMarker(type: string): string {
  return `${REDACTION_MARKER_PREFIX}${type}]`;
}

/** Values that are already masked or are references to a secret rather than the secret itself. */
export function isPlaceholder(value: string): boolean {
  return (
    value.startsWith(REDACTION_MARKER_PREFIX) ||
    /^[*xX•.#-]+$/.test(value) || // GitHub's `***` mask, `********`, `xxxx`, `----`
    /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(value) || // $VAR, ${VAR}
    /^\$?\{\{/.test(value) || // ${{ secrets.X }}, {{ .Values.x }}: a bare value stops at the first space
    /^%[A-Za-z_]+%$/.test(value) ||
    /^<[^<>]*>$/.test(value) ||
    /^\$\(.*\)$/.test(value) ||
    /^\[[^\]]*\]$/.test(value) || // [hidden], [masked], [secure]
    /^(?:process\.env|import\.meta\.env|os\.environ|System\.getenv|ENV|env|secrets|vars|config|settings)[.[(]/.test(value) // code reading a secret
  );
}

export interface LineSpan {
  start: number;
  end: number;
}

export function lineSpans(text: string): LineSpan[] {
  const spans: LineSpan[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      spans.push({ start, end: text.length });
      return spans;
    }
    spans.push({ start, end: nl });
    start = nl + 1;
  }
}

/** Shannon entropy in bits per character: what separates `a1B9xQ...` from `registry-credentials`. */
export function entropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * The mark a cut leaves where it lands inside a token-like run (log-normalizer's line limit, the extractor's
 * byte budget): what is left of a cut token no longer has the token's full shape, so the redactor treats a
 * candidate run that ends at this mark as a secret (own-rules.ts, `cutCandidate`).
 */
export const CUT_MARK = '…';

const TOKEN_CHAR = /[A-Za-z0-9_+/=.~%-]/;

/** Whether cutting `text` at `at` splits a token-like run (the characters on both sides belong to one). */
export function cutsInsideToken(text: string, at: number): boolean {
  return at > 0 && at < text.length && TOKEN_CHAR.test(text[at - 1]!) && TOKEN_CHAR.test(text[at]!);
}
