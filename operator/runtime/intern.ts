/**
 * Shares equal strings between cached objects. JSON.parse gives every record its own copy of every string,
 * and most of a FailureRecord's strings repeat across records: the namespace, repository, workflow name and
 * path, category, rule, rationale, policy name, condition types, reasons and most messages. With 10,000
 * records cached this halves the cache's heap (bench/operator.ts measures it).
 *
 * The table is bounded: past `maxEntries` it starts over, which costs only sharing (objects already cached
 * keep their strings), never correctness. Long strings (excerpts, reasoning) are left alone: they rarely
 * repeat and would pin memory in the table.
 */
export class StringInterner {
  readonly #maxEntries: number;
  readonly #maxLength: number;
  #table = new Map<string, string>();

  constructor(options: { maxEntries?: number; maxLength?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 50_000;
    this.#maxLength = options.maxLength ?? 512;
  }

  get size(): number {
    return this.#table.size;
  }

  /** A structurally equal copy of a JSON value whose strings are shared with earlier calls. */
  intern<T>(value: T): T {
    return this.#value(value) as T;
  }

  #value(value: unknown): unknown {
    if (typeof value === 'string') return this.#string(value);
    if (Array.isArray(value)) return value.map((item) => this.#value(item));
    if (value === null || typeof value !== 'object') return value;
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = this.#value(item);
    return copy;
  }

  #string(text: string): string {
    if (text.length > this.#maxLength) return text;
    const shared = this.#table.get(text);
    if (shared !== undefined) return shared;
    if (this.#table.size >= this.#maxEntries) this.#table = new Map();
    this.#table.set(text, text);
    return text;
  }
}
