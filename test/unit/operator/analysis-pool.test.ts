import { describe, expect, it } from '@jest/globals';
import type { AnalysisStatus } from '../../../src/api/failure-record.ts';
import { AnalysisPool, AnalysisTimeoutError, signalLeadMs, type AnalysisOutcome } from '../../../operator/controllers/analysis-pool.ts';

// The analysis pool on its own: bounded, a deadline per record, and a slow analysis holds up nobody else.

const ANALYSIS = { analyzer: 'rules', category: 'network_error', riskScore: 20 } as unknown as AnalysisStatus;
const never = () => new Promise<AnalysisStatus>(() => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function poolWith(concurrency: number, deadlineMs: number) {
  const done: string[] = [];
  const waiters = new Map<string, () => void>();
  const pool = new AnalysisPool({
    concurrency,
    deadlineMs,
    onDone: (key) => {
      done.push(key);
      waiters.get(key)?.();
    },
  });
  const settled = (key: string) => new Promise<void>((resolve) => (done.includes(key) ? resolve() : waiters.set(key, resolve)));
  return { pool, done, settled };
}

describe('AnalysisPool', () => {
  it('gives a stuck analysis its deadline, frees the slot, and lets the next record through meanwhile', async () => {
    const { pool, done, settled } = poolWith(1, 200);
    expect(pool.take('ns/stuck', 'u/1', never)).toBe('pending');
    expect(pool.take('ns/next', 'u/1', async () => ANALYSIS)).toBe('pending');
    expect(pool.queued).toBe(1);
    await settled('ns/next');
    expect(done).toEqual(['ns/stuck', 'ns/next']);
    const outcome = pool.take('ns/stuck', 'u/1', never) as Extract<AnalysisOutcome, { ok: false }>;
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBeInstanceOf(AnalysisTimeoutError);
    expect(String(outcome.error)).toContain('did not finish within 200ms');
    expect(pool.take('ns/next', 'u/1', never)).toEqual({ ok: true, analysis: ANALYSIS });
  });

  it('does not make other records wait for a slow one while a slot is free', async () => {
    const { pool, settled } = poolWith(2, 10_000);
    const t0 = Date.now();
    pool.take('ns/slow', 'u/1', async () => {
      await sleep(1_000);
      return ANALYSIS;
    });
    pool.take('ns/fast', 'u/1', async () => ANALYSIS);
    await settled('ns/fast');
    expect(Date.now() - t0).toBeLessThan(500);
    expect(pool.running).toBe(1);
  });

  it('drops the result of an older spec and runs the analysis again for the new one', async () => {
    const { pool, settled } = poolWith(1, 10_000);
    pool.take('ns/r', 'u/1', async () => ANALYSIS);
    await settled('ns/r');
    const newer = { ...ANALYSIS, riskScore: 70 };
    expect(pool.take('ns/r', 'u/2', async () => newer)).toBe('pending');
    await sleep(20);
    expect(pool.take('ns/r', 'u/2', never)).toEqual({ ok: true, analysis: newer });
  });

  it("tells a job to stop before the deadline, so an analyzer that listens answers with its fallback in time", async () => {
    const { pool, settled } = poolWith(1, 500);
    let abortedAfter: number | undefined;
    const started = Date.now();
    // Like the model analyzer: it waits for its model, and on the signal returns the rules verdict.
    pool.take('ns/model', 'u/1', (signal) => new Promise<AnalysisStatus>((resolve) => signal.addEventListener('abort', () => {
      abortedAfter = Date.now() - started;
      resolve({ ...ANALYSIS, fallback: { reason: 'Timeout', message: 'rules only' } });
    })));
    await settled('ns/model');
    expect(abortedAfter).toBeGreaterThanOrEqual(500 - signalLeadMs(500) - 20);
    expect(abortedAfter).toBeLessThan(500);
    expect(pool.take('ns/model', 'u/1', never)).toEqual({ ok: true, analysis: { ...ANALYSIS, fallback: { reason: 'Timeout', message: 'rules only' } } });
    expect(signalLeadMs(120_000)).toBe(2_000);
    expect(signalLeadMs(1_000)).toBe(200);
  });
});
