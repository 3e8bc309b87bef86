import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Token accounting for one analysis and the budgets around it. The estimate uses o200k_base (gpt-4o's
 * encoding); other models tokenize differently, but the estimate only has to bound what is sent, and the
 * provider's own usage figures are what gets recorded.
 */

/** Tokens of `text` as gpt-4o counts them. Log text may contain `<|im_start|>`: it is counted as text. */
export function estimateTokens(text: string): number {
  return countTokens(text, { disallowedSpecial: new Set() });
}

/** USD per million tokens. Unknown models cost 0: a self-hosted endpoint bills nothing we can know. */
export interface ModelPrice {
  input: number;
  output: number;
}

export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
});

export function estimateCostUsd(model: string, tokens: { input: number; output: number }, prices: Readonly<Record<string, ModelPrice>> = DEFAULT_PRICES): number {
  // Dated snapshots (gpt-4o-2024-08-06) cost what their family costs.
  const price = prices[model] ?? prices[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')];
  if (price === undefined) return 0;
  return (tokens.input * price.input + tokens.output * price.output) / 1_000_000;
}

/**
 * The input tokens one record may still spend: the excerpt and prompt first, then each tool result. A tool
 * result that does not fit is cut to what does, and once nothing fits the tool says so instead of reading.
 */
export class RecordBudget {
  #used = 0;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  get remaining(): number {
    return Math.max(0, this.limit - this.#used);
  }

  /** Counts `text` if it fits; false (and nothing counted) when it does not. */
  tryCharge(text: string): boolean {
    const tokens = estimateTokens(text);
    if (tokens > this.remaining) return false;
    this.#used += tokens;
    return true;
  }

  /** Counts a number of tokens already known. */
  chargeTokens(tokens: number): number {
    this.#used += tokens;
    return tokens;
  }

  /** Counts unconditionally (the fixed part of the prompt, which is sent whatever the budget says). */
  charge(text: string): number {
    const tokens = estimateTokens(text);
    this.#used += tokens;
    return tokens;
  }

  /**
   * The longest prefix of whole lines of `text` that fits in `tokens` (binary search on lines: the
   * tokenizer is the expensive part, so it runs log2(lines) times, not once per line).
   */
  static fitLines(text: string, tokens: number): string {
    if (estimateTokens(text) <= tokens) return text;
    const lines = text.split('\n');
    let low = 0;
    let high = lines.length;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (estimateTokens(lines.slice(0, mid).join('\n')) <= tokens) low = mid;
      else high = mid - 1;
    }
    return lines.slice(0, low).join('\n');
  }
}

/** Usage of the model as the store keeps it (src/store, table model_usage). */
export interface ModelUsageEntry {
  at: Date;
  model: string;
  /** metadata.name of the policy the record fell under; '' without one (the CLI). */
  policy: string;
  repository?: string;
  fingerprint?: string;
  tokensInput: number;
  tokensOutput: number;
  costUsd: number;
  /** `ok`, or the fallback reason's short code. */
  outcome: string;
}

export interface ModelUsageTotals {
  calls: number;
  tokensInput: number;
  tokensOutput: number;
  costUsd: number;
}

/** What the analyzer needs of the store to enforce budgets; the Store implements it. */
export interface ModelUsageLedger {
  recordModelUsage(entry: ModelUsageEntry): Promise<void>;
  modelUsageTotals(filters: { since: Date; policy?: string }): Promise<ModelUsageTotals>;
}

/** 00:00 UTC of `now`'s day: daily budgets reset at midnight UTC, so every replica agrees. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function startOfUtcMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
