/**
 * Redaction: every piece of text derived from a CI log passes through here before it leaves the process
 * (LLM, Slack, custom resource, database). Secrets are replaced with `[REDACTED:<type>]` and counted per type,
 * once per occurrence.
 *
 * The jobs live under ./redaction/: the secretlint adapter (a maintained rule set, first), our own rules for
 * what it misses in CI logs (vendor formats after gitleaks' rule set, names that say secret, password flags,
 * private keys in prefixed and partial blocks, cuts), the scan of encoded runs (base64, percent, JSON
 * escapes), and the apply step that merges and counts. Any failure throws RedactionError and the caller
 * emits nothing: a half-redacted excerpt is worse than none.
 */
import { RedactionError, errorMessage } from '../errors.ts';
import { apply, countInto, detect, merge } from './redaction/apply.ts';
import { lineSpans, type Finding } from './redaction/finding.ts';
import { loadDefaultScanner, type SecretScanner } from './redaction/secretlint-scanner.ts';
import type { Excerpt, Extraction, Signal } from './types.ts';

export { addCounts } from './redaction/apply.ts';
export { CUT_MARK, REDACTION_MARKER_PREFIX, redactionMarker } from './redaction/finding.ts';
export type { ScanMessage, SecretScanner } from './redaction/secretlint-scanner.ts';

export interface RedactOptions {
  /** Defaults to secretlint with the recommended preset, loaded once on first use. */
  scanner?: SecretScanner;
}

export interface RedactedText {
  text: string;
  /** Count of redacted secrets per type, e.g. `{ "github-token": 2 }`. Types with no finding are absent. */
  redactions: Record<string, number>;
}

export interface RedactedExtraction {
  extraction: Extraction;
  redactions: Record<string, number>;
}

async function withFailClosed<T>(work: (scanner: SecretScanner) => Promise<T>, options: RedactOptions | undefined): Promise<T> {
  try {
    const scanner = options?.scanner ?? (await loadDefaultScanner());
    return await work(scanner);
  } catch (error) {
    if (error instanceof RedactionError) throw error;
    throw new RedactionError(`Redaction failed, so nothing derived from the log is emitted: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/**
 * Replaces every secret in `text` with `[REDACTED:<type>]`. Idempotent: redacted text comes back unchanged
 * with no counts. Throws RedactionError on any internal failure.
 */
export function redactText(text: string, options?: RedactOptions): Promise<RedactedText> {
  return withFailClosed(async (scanner) => {
    const [findings] = await detect([text], scanner);
    const spans = merge(findings!);
    const redactions: Record<string, number> = {};
    countInto(redactions, spans);
    return { text: apply(text, spans), redactions };
  }, options);
}

/**
 * redactText over several independent texts with one scan (the scanner's cost is per call, not per byte):
 * each text's findings stay its own, as if each had been redacted alone.
 */
export function redactTexts(texts: readonly string[], options?: RedactOptions): Promise<RedactedText[]> {
  return withFailClosed(async (scanner) => {
    const findings = await detect(texts, scanner);
    return texts.map((text, i) => {
      const spans = merge(findings[i]!);
      const redactions: Record<string, number> = {};
      countInto(redactions, spans);
      return { text: apply(text, spans), redactions };
    });
  }, options);
}

/**
 * Redacts the key line, every excerpt and every signal. Counts are of distinct occurrences in the log: the
 * excerpts are counted, and a key line or signal only when its line lies outside every excerpt (once per line).
 * A line inside an excerpt also gets the excerpt's findings on that line, so context only the whole window
 * shows (a key body line between BEGIN and END) cannot survive in the line's own copy.
 */
export function redactExtraction(extraction: Extraction, options?: RedactOptions): Promise<RedactedExtraction> {
  return withFailClosed(async (scanner) => {
    const lineTexts = [
      ...(extraction.keyLine ? [extraction.keyLine] : []),
      ...extraction.signals.map((s) => ({ line: s.line, text: s.text })),
    ];
    const texts = [...extraction.excerpts.map((e) => e.text), ...lineTexts.map((l) => l.text)];
    const findings = await detect(texts, scanner);
    const redactions: Record<string, number> = {};

    const excerptSpans = extraction.excerpts.map((_, i) => merge(findings[i]!));
    const excerpts: Excerpt[] = extraction.excerpts.map((excerpt, i) => {
      countInto(redactions, excerptSpans[i]!);
      return { ...excerpt, text: apply(excerpt.text, excerptSpans[i]!) };
    });

    const countedLines = new Set<number>();
    const redactLine = (line: number, text: string, own: readonly Finding[]): string => {
      const inside = extraction.excerpts.findIndex((e) => line >= e.startLine && line <= e.endLine);
      if (inside < 0) {
        const spans = merge(own);
        if (!countedLines.has(line)) {
          countedLines.add(line);
          countInto(redactions, spans);
        }
        return apply(text, spans);
      }
      const excerpt = extraction.excerpts[inside]!;
      const lines = lineSpans(excerpt.text);
      const original = lines[line - excerpt.startLine];
      const fromExcerpt: Finding[] = [];
      if (original && excerpt.text.slice(original.start, original.end).startsWith(text)) {
        for (const span of excerptSpans[inside]!) {
          const start = Math.max(span.start, original.start);
          const end = Math.min(span.end, original.start + text.length);
          if (start < end) fromExcerpt.push({ start: start - original.start, end: end - original.start, type: span.type });
        }
      }
      return apply(text, merge([...own, ...fromExcerpt]));
    };

    const base = extraction.excerpts.length;
    let next = base;
    const keyLine = extraction.keyLine
      ? { ...extraction.keyLine, text: redactLine(extraction.keyLine.line, extraction.keyLine.text, findings[next++]!) }
      : null;
    const signals: Signal[] = extraction.signals.map((signal) => ({
      ...signal,
      text: redactLine(signal.line, signal.text, findings[next++]!),
    }));

    return { extraction: { ...extraction, keyLine, excerpts, signals }, redactions };
  }, options);
}
