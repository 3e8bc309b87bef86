import { describe, expect, it } from '@jest/globals';
import { ListWatch, type KubernetesObject, type Watch } from '@kubernetes/client-node';
import { ResilientInformer, type InformerFactory, type WatchEvent } from '../../../operator/runtime/informer.ts';
import { eventually as waitFor } from '../../support/eventually.ts';

/**
 * The wrapper is tested around client-node's real informer (ListWatch); only the list/watch source under it
 * is scripted, so these tests pin down how the library behaves too (it stops on errors other than 410).
 */

type Done = (err: unknown) => void;
type Callback = (phase: string, object: KubernetesObject) => void;

class ScriptedSource {
  lists = 0;
  watches = 0;
  listResults: (() => Promise<{ items: KubernetesObject[]; metadata: { resourceVersion: string } }>)[] = [];
  current: { callback: Callback; done: Done; params: Record<string, unknown> } | undefined;
  params: Record<string, unknown>[] = [];

  list = async () => {
    this.lists++;
    const next = this.listResults.shift();
    if (next === undefined) throw new Error('no scripted list result');
    return next();
  };

  watch = {
    watch: async (_path: string, params: Record<string, unknown>, callback: Callback, done: Done) => {
      this.watches++;
      this.params.push({ ...params });
      this.current = { callback, done, params };
      return new AbortController();
    },
  };

  factory: InformerFactory<KubernetesObject> = (path, list) => new ListWatch(path, this.watch as unknown as Watch, list, false);
}

const obj = (name: string, resourceVersion: string): KubernetesObject => ({ metadata: { name, namespace: 'ns', resourceVersion } });
const listOf = (resourceVersion: string, ...items: KubernetesObject[]) => async () => ({ items, metadata: { resourceVersion } });

/** In-process waits are short: poll often, give up after 2 s. */
const eventually = (check: () => void) => waitFor(check, { timeoutMs: 2000, intervalMs: 5 });

function make(source: ScriptedSource, extra: { resyncPeriodMs?: number; onResync?: (objects: readonly KubernetesObject[]) => void } = {}) {
  const events: [WatchEvent, string][] = [];
  const warnings: object[] = [];
  const informer = new ResilientInformer<KubernetesObject>({
    name: 'test',
    path: '/apis/x/v1/things',
    list: source.list,
    factory: source.factory,
    backoff: { baseMs: 10, maxMs: 40 },
    resyncPeriodMs: extra.resyncPeriodMs ?? 0,
    onEvent: (event, object) => events.push([event, object.metadata?.name ?? '']),
    ...(extra.onResync !== undefined && { onResync: extra.onResync }),
    log: { warn: (details) => warnings.push(details), info: () => undefined },
    random: () => 0,
  });
  return { informer, events, warnings };
}

describe('ResilientInformer', () => {
  it('is synced once the first list has been delivered to the cache and the handlers', async () => {
    const source = new ScriptedSource();
    source.listResults.push(listOf('10', obj('a', '5'), obj('b', '6')));
    const { informer, events } = make(source);
    expect(informer.synced).toBe(false);
    informer.start();
    await informer.waitForSync();
    expect(events).toEqual([
      ['add', 'a'],
      ['add', 'b'],
    ]);
    expect(informer.get('a', 'ns')?.metadata?.resourceVersion).toBe('5');
    expect(informer.list('ns')).toHaveLength(2);
    await eventually(() => expect(source.watches).toBe(1));
    expect(source.params[0]?.resourceVersion).toBe('10');
    await informer.stop();
  });

  it('restarts the watch after an error the library gives up on, resuming from the last resourceVersion', async () => {
    const source = new ScriptedSource();
    source.listResults.push(listOf('10', obj('a', '5')));
    const { informer, events, warnings } = make(source);
    informer.start();
    await informer.waitForSync();
    await eventually(() => expect(source.watches).toBe(1));
    source.current!.callback('MODIFIED', obj('a', '11'));
    source.current!.done(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    await eventually(() => expect(source.watches).toBe(2));
    expect(informer.restarts).toBe(1);
    expect(warnings).toHaveLength(1);
    // No relist: the watch resumes where it was.
    expect(source.lists).toBe(1);
    expect(source.params[1]?.resourceVersion).toBe('11');
    expect(events).toEqual([
      ['add', 'a'],
      ['update', 'a'],
    ]);
    await informer.stop();
  });

  it("waits out kube-apiserver's 429 while a watch cache initializes, without a warning or a growing backoff", async () => {
    const source = new ScriptedSource();
    source.listResults.push(listOf('10', obj('a', '5')));
    const { informer, warnings } = make(source);
    informer.start();
    await informer.waitForSync();
    await eventually(() => expect(source.watches).toBe(1));
    // What the watch of a custom resource gets on its first request after the API server starts.
    source.current!.done(Object.assign(new Error('Too Many Requests'), { statusCode: 429 }));
    await waitFor(() => expect(source.watches).toBe(2), { timeoutMs: 3000, intervalMs: 20 });
    expect(warnings).toEqual([]);
    expect(source.params[1]?.resourceVersion).toBe('10');
    await informer.stop();
  });

  it('keeps retrying a failing list with growing delays until it succeeds', async () => {
    const source = new ScriptedSource();
    const refused = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    source.listResults.push(refused, refused, refused, listOf('3', obj('a', '2')));
    const { informer, warnings } = make(source);
    const started = Date.now();
    informer.start();
    await informer.waitForSync();
    // Delays 10, 20, 40 ms before the 2nd, 3rd and 4th list.
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(source.lists).toBe(4);
    expect(warnings.map((w) => (w as { retryInMs: number }).retryInMs)).toEqual([10, 20, 40]);
    await informer.stop();
  });

  it('relists on 410 Gone and reports objects that disappeared meanwhile as deleted', async () => {
    const source = new ScriptedSource();
    source.listResults.push(listOf('10', obj('a', '5'), obj('b', '6')), listOf('20', obj('a', '15')));
    const { informer, events } = make(source);
    informer.start();
    await informer.waitForSync();
    await eventually(() => expect(source.watches).toBe(1));
    source.current!.done(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await eventually(() => expect(source.watches).toBe(2));
    expect(source.lists).toBe(2);
    expect(informer.restarts).toBe(0);
    expect(source.params[1]?.resourceVersion).toBe('20');
    expect(events).toEqual([
      ['add', 'a'],
      ['add', 'b'],
      ['delete', 'b'],
      ['update', 'a'],
    ]);
    await informer.stop();
  });

  it('relists when the watch stream itself reports 410 and then closes', async () => {
    const source = new ScriptedSource();
    source.listResults.push(listOf('10', obj('a', '5')), listOf('30', obj('a', '5')));
    const { informer } = make(source);
    informer.start();
    await informer.waitForSync();
    await eventually(() => expect(source.watches).toBe(1));
    source.current!.callback('ERROR', { metadata: {}, code: 410 } as unknown as KubernetesObject);
    source.current!.done(null);
    await eventually(() => expect(source.lists).toBe(2));
    await informer.stop();
  });

  it('hands every cached object to the controller on resync', async () => {
    const source = new ScriptedSource();
    source.listResults.push(listOf('10', obj('a', '5'), obj('b', '6')));
    const resyncs: string[][] = [];
    const { informer } = make(source, { resyncPeriodMs: 20, onResync: (objects) => resyncs.push(objects.map((o) => o.metadata?.name ?? '')) });
    informer.start();
    await eventually(() => expect(resyncs.length).toBeGreaterThanOrEqual(2));
    expect(resyncs[0]).toEqual(['a', 'b']);
    await informer.stop();
  });

  it('does not restart after stop()', async () => {
    const source = new ScriptedSource();
    source.listResults.push(listOf('10'));
    const { informer } = make(source);
    informer.start();
    await informer.waitForSync();
    await eventually(() => expect(source.watches).toBe(1));
    const { done } = source.current!;
    await informer.stop();
    done(new Error('connection reset'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(source.watches).toBe(1);
  });
});
