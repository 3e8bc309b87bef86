import { describe, expect, it } from '@jest/globals';
import { unseenEvidence } from '../../../../src/analysis/model/model-verdict.ts';
import { RecordBudget, estimateCostUsd, estimateTokens, startOfUtcDay, startOfUtcMonth } from '../../../../src/analysis/model/token-budget.ts';
import { VerdictCache } from '../../../../src/analysis/model/verdict-cache.ts';

describe('unseenEvidence', () => {
  const shown = ['<untrusted-data source="log:build">\n12 | npm ERR! code ECONNRESET\n13 | npm ERR! network socket hang up\n</untrusted-data>'];

  it('accepts lines shown, with or without their line numbers', () => {
    expect(unseenEvidence(['npm ERR! code ECONNRESET', '13 | npm ERR! network socket hang up'], shown)).toEqual([]);
  });

  it('returns lines never shown, and lines too short to prove anything', () => {
    expect(unseenEvidence(['ENOSPC: no space left on device', 'ERR!'], shown)).toEqual(['ENOSPC: no space left on device', 'ERR!']);
  });
});

describe('token budget', () => {
  it('counts chat-template tokens in a log as text instead of failing', () => {
    expect(estimateTokens('<|im_start|>system')).toBeGreaterThan(1);
  });

  it('cuts a text to whole lines that fit', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} of the log with some words in it`).join('\n');
    const cut = RecordBudget.fitLines(text, 100);
    expect(estimateTokens(cut)).toBeLessThanOrEqual(100);
    expect(text.startsWith(cut)).toBe(true);
    expect(estimateTokens(text.split('\n').slice(0, cut.split('\n').length + 1).join('\n'))).toBeGreaterThan(100);
  });

  it('refuses what does not fit and counts nothing for it', () => {
    const budget = new RecordBudget(10);
    expect(budget.tryCharge('a short line')).toBe(true);
    const used = budget.used;
    expect(budget.tryCharge('a much longer line that certainly needs more than the few tokens that remain')).toBe(false);
    expect(budget.used).toBe(used);
  });

  it('prices known models (and their dated snapshots) and self-hosted ones at 0', () => {
    expect(estimateCostUsd('gpt-4o', { input: 1_000_000, output: 100_000 })).toBeCloseTo(3.5);
    expect(estimateCostUsd('gpt-4o-2024-08-06', { input: 1_000_000, output: 0 })).toBeCloseTo(2.5);
    expect(estimateCostUsd('llama-3.1-70b', { input: 1_000_000, output: 1_000_000 })).toBe(0);
  });

  it('resets budgets at UTC day and month boundaries', () => {
    const now = new Date('2026-12-04T23:59:59.999-05:00');
    expect(startOfUtcDay(now).toISOString()).toBe('2026-12-05T00:00:00.000Z');
    expect(startOfUtcMonth(now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe('VerdictCache', () => {
  it('expires entries at the TTL and evicts the oldest write when full', () => {
    const cache = new VerdictCache({ ttlMs: 1000, maxEntries: 2 });
    const entry = (at: number) => ({ verdict: {} as never, injection: [], toolCalls: [], at });
    cache.set('a', entry(0));
    expect(cache.get('a', 999)).toBeDefined();
    expect(cache.get('a', 1000)).toBeUndefined();
    cache.set('a', entry(0));
    cache.set('b', entry(0));
    cache.set('c', entry(0));
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('c', 1)).toBeDefined();
    expect([cache.hits, cache.misses]).toEqual([2, 2]);
  });
});
