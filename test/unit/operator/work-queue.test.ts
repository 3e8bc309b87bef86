import { describe, expect, it } from '@jest/globals';
import { backoffDelay, jittered } from '../../../operator/runtime/backoff.ts';
import { WorkQueue } from '../../../operator/runtime/work-queue.ts';
import { eventually as waitFor } from '../../support/eventually.ts';

/** A promise the test resolves by hand, to hold a reconcile "in flight". */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** In-process waits are short: poll often, give up after 2 s. */
const eventually = (check: () => void) => waitFor(check, { timeoutMs: 2000, intervalMs: 5 });

const BACKOFF = { baseMs: 5, maxMs: 40 };

describe('WorkQueue', () => {
  it('collapses adds of a waiting key into one reconcile', async () => {
    const queue = new WorkQueue({ concurrency: 1, backoff: BACKOFF });
    const seen: string[] = [];
    const hold = gate();
    queue.start(async (key) => {
      seen.push(key);
      if (key === 'ns/first') await hold.promise;
    });
    queue.add('ns/first');
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.depth).toBe(2);
    hold.open();
    await eventually(() => expect(seen).toEqual(['ns/first', 'ns/a', 'ns/b']));
  });

  it('never runs one key twice at once, and runs it again when it was added while running', async () => {
    const queue = new WorkQueue({ concurrency: 4, backoff: BACKOFF });
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const hold = gate();
    queue.start(async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await hold.promise;
      running--;
    });
    queue.add('ns/x');
    await tick();
    queue.add('ns/x');
    queue.add('ns/x');
    await tick();
    expect(runs).toBe(1);
    hold.open();
    await eventually(() => expect(runs).toBe(2));
    expect(maxRunning).toBe(1);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    const queue = new WorkQueue({ concurrency: 2, backoff: BACKOFF });
    const hold = gate();
    let running = 0;
    let maxRunning = 0;
    queue.start(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await hold.promise;
      running--;
    });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(`ns/${key}`);
    await tick();
    expect(queue.processing).toBe(2);
    expect(queue.depth).toBe(2);
    hold.open();
    await eventually(() => expect(queue.processing + queue.depth).toBe(0));
    expect(maxRunning).toBe(2);
  });

  it('retries a failing key with growing delays, capped, and forget() starts over', async () => {
    const delays: number[] = [];
    const queue = new WorkQueue({ concurrency: 1, backoff: { baseMs: 1, maxMs: 8 }, random: () => 0 });
    for (let i = 0; i < 6; i++) delays.push(queue.addRateLimited('ns/bad'));
    expect(delays).toEqual([1, 2, 4, 8, 8, 8]);
    expect(queue.failures('ns/bad')).toBe(6);
    queue.forget('ns/bad');
    expect(queue.addRateLimited('ns/bad')).toBe(1);
    await queue.shutdown(10);
  });

  it('delivers a rate-limited key after its delay', async () => {
    const queue = new WorkQueue({ concurrency: 1, backoff: { baseMs: 20, maxMs: 20 }, random: () => 0 });
    const at: number[] = [];
    queue.start(async () => {
      at.push(Date.now());
    });
    const started = Date.now();
    queue.addRateLimited('ns/x');
    expect(queue.depth).toBe(0);
    await eventually(() => expect(at).toHaveLength(1));
    expect(at[0]! - started).toBeGreaterThanOrEqual(15);
  });

  it('keeps the earlier of two delayed adds, and add() overrides a delay', async () => {
    const queue = new WorkQueue({ concurrency: 1, backoff: BACKOFF });
    const seen: number[] = [];
    queue.start(async () => {
      seen.push(Date.now());
    });
    const started = Date.now();
    queue.addAfter('ns/x', 30);
    queue.addAfter('ns/x', 5000);
    await eventually(() => expect(seen).toHaveLength(1));
    expect(seen[0]! - started).toBeLessThan(1000);
    queue.addAfter('ns/y', 5000);
    queue.add('ns/y');
    await eventually(() => expect(seen).toHaveLength(2));
    await queue.shutdown(10);
  });

  it('on shutdown starts nothing new and waits for what is in flight', async () => {
    const queue = new WorkQueue({ concurrency: 1, backoff: BACKOFF });
    const hold = gate();
    const seen: string[] = [];
    let finished = false;
    queue.start(async (key) => {
      seen.push(key);
      await hold.promise;
      finished = true;
    });
    queue.add('ns/a');
    queue.add('ns/b');
    await tick();
    const drained = queue.shutdown(1000);
    queue.add('ns/c');
    setTimeout(hold.open, 20);
    await expect(drained).resolves.toBe(true);
    expect(finished).toBe(true);
    expect(seen).toEqual(['ns/a']);
  });

  it('gives up waiting after the shutdown timeout', async () => {
    const queue = new WorkQueue({ concurrency: 1, backoff: BACKOFF });
    queue.start(() => new Promise<void>(() => undefined));
    queue.add('ns/stuck');
    await tick();
    await expect(queue.shutdown(20)).resolves.toBe(false);
  });

  it('reports handler errors and keeps going', async () => {
    const errors: string[] = [];
    const queue = new WorkQueue({ concurrency: 1, backoff: BACKOFF, onError: (key) => errors.push(key) });
    const seen: string[] = [];
    queue.start(async (key) => {
      seen.push(key);
      if (key === 'ns/a') throw new Error('boom');
    });
    queue.add('ns/a');
    queue.add('ns/b');
    await eventually(() => expect(seen).toEqual(['ns/a', 'ns/b']));
    expect(errors).toEqual(['ns/a']);
  });
});

describe('backoff', () => {
  it('doubles from the base up to the cap, with bounded jitter', () => {
    const options = { baseMs: 100, maxMs: 1000, jitter: 0.5 };
    expect([1, 2, 3, 4, 5, 50, 5000].map((n) => backoffDelay(n, options, () => 0))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(backoffDelay(2, options, () => 0.999)).toBeCloseTo(299.9);
    expect(backoffDelay(100, options, () => 0.999)).toBeLessThanOrEqual(1500);
  });

  it('jitters a period both ways', () => {
    expect(jittered(1000, 0.1, () => 0)).toBe(900);
    expect(jittered(1000, 0.1, () => 0.5)).toBe(1000);
    expect(jittered(1000, 0.1, () => 1)).toBe(1100);
  });
});
