/**
 * Durations as people write them: a sequence of number-and-unit parts (`1h30m`). One parser, two
 * grammars: Go's `time.ParseDuration` syntax (what Flux and cert-manager users write in a resource or
 * configuration: fractions, units ns to h, no days) and the calendar syntax of the CLI's store commands
 * (`--older-than 90d`: whole numbers, units s to w).
 */

export interface DurationGrammar {
  /** The whole text; the CRD schema quotes it as the field's pattern. */
  pattern: RegExp;
  /** One number-and-unit part (global). */
  part: RegExp;
  /** Milliseconds per unit. */
  units: Readonly<Record<string, number>>;
}

export const GO_DURATION: DurationGrammar = {
  pattern: /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/,
  part: /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g,
  units: { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 },
};

export const CALENDAR_DURATION: DurationGrammar = {
  pattern: /^(?:\d+[smhdw])+$/,
  part: /(\d+)([smhdw])/g,
  units: { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 },
};

/** Milliseconds in `text` under `grammar` (Go's by default), or undefined when it is not such a duration. */
export function parseDuration(text: string, grammar: DurationGrammar = GO_DURATION): number | undefined {
  if (!grammar.pattern.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(grammar.part)) total += Number(amount) * (grammar.units[unit ?? ''] ?? Number.NaN);
  return Number.isFinite(total) && total <= Number.MAX_SAFE_INTEGER ? total : undefined;
}
