import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import type { Analysis } from '../../../src/analysis/types.ts';
import { connect } from '../../../src/store/connection.ts';
import { InvalidCursorError, RetentionExportError, StoreQueryError, StoreVersionError } from '../../../src/store/errors.ts';
import { openStore, recordAnalysis, type Store } from '../../../src/store/store.ts';
import type { AuditEntryInput } from '../../../src/store/types.ts';
import { ENGINES, type Provisioned } from './engines.ts';

const T0 = Date.parse('2025-03-01T00:00:00Z');
const minutes = (n: number): Date => new Date(T0 + n * 60_000);

function entry(key: string, overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return { idempotencyKey: key, actor: 'ci-remediator-operator', actorType: 'system', action: 'gate', outcome: 'auto', ...overrides };
}

const analysis: Analysis = {
  analyzer: 'rules',
  category: 'network_error',
  riskScore: 15,
  confidence: 0.9,
  effort: 'trivial',
  summary: 'npm ERR! network ETIMEDOUT',
  reasoning: 'matched rule npm-network',
  components: [],
  fingerprint: 'fp-network-1',
  proposedRemediation: { action: 'rerun-failed-jobs', rationale: 'transient network failure' },
  rule: 'npm-network',
};

describe.each(ENGINES)('store on %s', (_name, engine) => {
  let db: Provisioned;
  let store: Store;

  beforeAll(async () => {
    db = await engine.provision();
    store = await openStore(db.config);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await db?.cleanup();
  });

  describe('audit log', () => {
    it('stores an entry once per idempotency key, so a retried write leaves one row', async () => {
      const write = entry('once/1', { repository: 'o/once', details: { reasons: ['risk 10 < 30'] }, record: { namespace: 'ci', name: 'fr-1', uid: 'u-1' } });
      expect(await store.appendAudit(write)).toBe(true);
      expect(await store.appendAudit(write)).toBe(false);
      const page = await store.queryAudit({ repository: 'o/once' });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        actor: 'ci-remediator-operator',
        actorType: 'system',
        record: { namespace: 'ci', name: 'fr-1', uid: 'u-1' },
        details: { reasons: ['risk 10 < 30'] },
        idempotencyKey: 'once/1',
      });
      expect(page.nextCursor).toBeNull();
    });

    it('writes a batch all or nothing, and counts only new entries', async () => {
      const good = [entry('batch/1', { repository: 'o/batch' }), entry('batch/2', { repository: 'o/batch' })];
      const bad = { ...entry('batch/3', { repository: 'o/batch' }), actorType: 'robot' } as unknown as AuditEntryInput;
      await expect(store.appendAuditBatch([...good, bad])).rejects.toBeInstanceOf(StoreQueryError);
      expect((await store.queryAudit({ repository: 'o/batch' })).items).toHaveLength(0);

      expect(await store.appendAuditBatch(good)).toBe(2);
      expect(await store.appendAuditBatch([...good, entry('batch/4', { repository: 'o/batch' })])).toBe(1);
      expect((await store.queryAudit({ repository: 'o/batch' })).items).toHaveLength(3);
    });

    it('filters by every CLI filter and pages through all matches, newest first, without gaps or repeats', async () => {
      const entries: AuditEntryInput[] = [];
      for (let i = 0; i < 45; i++) {
        entries.push(
          entry(`page/${i}`, {
            repository: i % 3 === 0 ? 'o/paged' : 'o/other-paged',
            // Several entries share each timestamp: the id breaks the tie.
            time: minutes(Math.floor(i / 4)),
            category: i % 2 === 0 ? 'timeout' : 'lint_error',
            action: i % 5 === 0 ? 'execute' : 'gate',
            actor: i % 7 === 0 ? 'U123' : 'ci-remediator-operator',
            actorType: i % 7 === 0 ? 'slack' : 'system',
            outcome: i % 4 === 0 ? 'failed' : 'succeeded',
          }),
        );
      }
      await store.appendAuditBatch(entries);

      const all = await collect(store, { repository: 'o/paged' }, 4);
      const expected = entries.filter((e) => e.repository === 'o/paged');
      expect(all.map((e) => e.idempotencyKey).sort()).toEqual(expected.map((e) => e.idempotencyKey).sort());
      const order = all.map((e) => [e.time.getTime(), BigInt(e.id)] as const);
      for (let i = 1; i < order.length; i++) {
        const [prevTime, prevId] = order[i - 1]!;
        const [time, id] = order[i]!;
        expect(prevTime > time || (prevTime === time && prevId > id)).toBe(true);
      }

      const within = entries.filter((e) => e.repository === 'o/paged' || e.repository === 'o/other-paged');
      const count = async (filters: Parameters<Store['queryAudit']>[0]): Promise<number> => (await collect(store, filters, 7)).length;
      expect(await count({ category: 'timeout', since: minutes(0), until: minutes(100) })).toBe(within.filter((e) => e.category === 'timeout').length);
      expect(await count({ action: 'execute', since: minutes(0), until: minutes(100) })).toBe(within.filter((e) => e.action === 'execute').length);
      expect(await count({ actor: 'U123' })).toBe(within.filter((e) => e.actor === 'U123').length);
      expect(await count({ outcome: 'failed', repository: 'o/other-paged' })).toBe(
        within.filter((e) => e.outcome === 'failed' && e.repository === 'o/other-paged').length,
      );
      // since is inclusive, until exclusive: minutes 2..4 hold entries 8..19.
      expect(await count({ since: minutes(2), until: minutes(5), repository: 'o/other-paged' })).toBe(
        within.filter((e) => e.repository === 'o/other-paged' && e.time! >= minutes(2) && e.time! < minutes(5)).length,
      );
    });

    it('keeps microsecond-distinct times apart across pages', async () => {
      // now() in the database has microseconds; a cursor rounding them to milliseconds would skip or repeat rows.
      for (let i = 0; i < 6; i++) await store.appendAudit(entry(`micro/${i}`, { repository: 'o/micro' }));
      const keys = (await collect(store, { repository: 'o/micro' }, 1)).map((e) => e.idempotencyKey);
      expect(keys).toEqual(['micro/5', 'micro/4', 'micro/3', 'micro/2', 'micro/1', 'micro/0']);
    });

    it('rejects a cursor it did not produce', async () => {
      await expect(store.queryAudit({}, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.queryAudit({}, { cursor: Buffer.from('{"v":1,"t":"x","i":"1"}').toString('base64url') })).rejects.toThrow(
        /Invalid cursor/,
      );
    });
  });

  describe('failure history', () => {
    it('counts occurrences and remediation outcomes per repository and fingerprint', async () => {
      expect(await store.failureHistory('o/hist', 'fp-1')).toBeNull();
      await store.recordFailureSeen('o/hist', 'fp-1', minutes(10), 'flaky_test');
      await store.recordFailureSeen('o/hist', 'fp-1', minutes(5));
      await store.recordRemediationOutcome('o/hist', 'fp-1', true);
      await store.recordRemediationOutcome('o/hist', 'fp-1', false);
      expect(await store.failureHistory('o/hist', 'fp-1')).toEqual({ occurrences: 2, rerunAttempts: 2, rerunFixed: 1 });
      // Same fingerprint elsewhere is another failure.
      expect(await store.failureHistory('o/other', 'fp-1')).toBeNull();
    });
  });

  describe('recordAnalysis', () => {
    it('stores the audit entry, history and timings once, however often it is retried', async () => {
      const input = { file: 'job.log', repository: 'o/analyzed', analysis, detectedAt: minutes(60), analyzedAt: minutes(61) };
      const first = await recordAnalysis(store, input);
      expect(first).toMatchObject({ recorded: true, history: { occurrences: 1, rerunAttempts: 0, rerunFixed: 0 } });
      const again = await recordAnalysis(store, input);
      expect(again).toEqual({ ...first, recorded: false });
      const second = await recordAnalysis(store, { ...input, detectedAt: minutes(90), analyzedAt: minutes(91) });
      expect(second.history.occurrences).toBe(2);

      const entries = (await store.queryAudit({ repository: 'o/analyzed' })).items;
      expect(entries).toHaveLength(2);
      expect(entries[0]).toMatchObject({ action: 'analyze', category: 'network_error', details: { file: 'job.log', riskScore: 15, fingerprint: 'fp-network-1' } });
      const metrics = await store.metrics({ repository: 'o/analyzed' });
      expect(metrics.failures).toBe(2);
      expect(metrics.timeToAnalyze).toEqual({ count: 2, meanMs: 60_000, p50Ms: 60_000, p95Ms: 60_000 });
    });
  });

  describe('metrics', () => {
    beforeAll(async () => {
      // 20 failures in o/metrics: detection takes i seconds, risk 5*i, every 4th needs approval (i minutes).
      for (let i = 1; i <= 20; i++) {
        const detectedAt = minutes(1000 + i);
        await store.recordTimings({
          recordKey: `ci/fr-metrics-${i}`,
          repository: 'o/metrics',
          category: i % 2 === 0 ? 'flaky_test' : 'timeout',
          riskScore: i === 20 ? 100 : 5 * i,
          failedAt: new Date(detectedAt.getTime() - i * 1000),
          detectedAt,
        });
        // A later step adds what it learned; what is not given stays.
        await store.recordTimings({
          recordKey: `ci/fr-metrics-${i}`,
          detectedAt,
          analyzedAt: new Date(detectedAt.getTime() + 2000),
          gatedAt: new Date(detectedAt.getTime() + 3000),
          ...(i % 4 === 0 && {
            approvalRequestedAt: new Date(detectedAt.getTime() + 3000),
            decidedAt: new Date(detectedAt.getTime() + 3000 + i * 60_000),
          }),
          executedAt: new Date(detectedAt.getTime() + 3000 + 10_000),
          result: i <= 15 ? 'succeeded' : i <= 18 ? 'failed' : 'rejected',
          tokensInput: 100,
          costUsd: 0.01,
        });
      }
    });

    it('computes success rate, percentiles, counts and the risk histogram in SQL', async () => {
      const m = await store.metrics({ repository: 'o/metrics' });
      expect(m.failures).toBe(20);
      expect(m.remediations).toBe(18);
      expect(m.succeeded).toBe(15);
      expect(m.successRate).toBeCloseTo(15 / 18);
      expect(m.timeToDetect.count).toBe(20);
      expect(m.timeToDetect.meanMs).toBeCloseTo(10_500);
      expect(m.timeToDetect.p50Ms).toBeCloseTo(10_500);
      expect(m.timeToDetect.p95Ms).toBeCloseTo(19_050);
      expect(m.timeToAnalyze).toEqual({ count: 20, meanMs: 2000, p50Ms: 2000, p95Ms: 2000 });
      expect(m.timeToApprove.count).toBe(5);
      expect(m.timeToApprove.p50Ms).toBeCloseTo(12 * 60_000);
      expect(m.byCategory).toEqual([
        { category: 'flaky_test', count: 10 },
        { category: 'timeout', count: 10 },
      ]);
      expect(m.byRepository).toEqual([{ repository: 'o/metrics', count: 20 }]);
      expect(m.riskHistogram).toHaveLength(10);
      expect(m.riskHistogram.map((b) => b.count)).toEqual([1, 2, 2, 2, 2, 2, 2, 2, 2, 3]);
      expect(m.tokens.input).toBe(2000);
      expect(m.costUsd).toBeCloseTo(0.2);
    });

    it('leaves out an interval that runs backwards (clock skew between writers)', async () => {
      const detectedAt = minutes(5000);
      await store.recordTimings({ recordKey: 'ci/fr-skew-1', repository: 'o/skew', detectedAt, analyzedAt: new Date(detectedAt.getTime() + 4000) });
      await store.recordTimings({ recordKey: 'ci/fr-skew-2', repository: 'o/skew', detectedAt, analyzedAt: new Date(detectedAt.getTime() - 60_000) });
      const m = await store.metrics({ repository: 'o/skew' });
      expect(m.failures).toBe(2);
      expect(m.timeToAnalyze).toEqual({ count: 1, meanMs: 4000, p50Ms: 4000, p95Ms: 4000 });
    });

    it('restricts to a window on detection time', async () => {
      const m = await store.metrics({ repository: 'o/metrics', since: minutes(1011) });
      expect(m.failures).toBe(10);
      const empty = await store.metrics({ repository: 'o/nothing-here' });
      expect(empty).toMatchObject({ failures: 0, successRate: null, timeToDetect: { count: 0, meanMs: null, p50Ms: null, p95Ms: null } });
    });
  });

  describe('retention', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ci-remediator-retention-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('exports then deletes exactly what is older than the cutoff', async () => {
      const old = new Date('2020-01-01T00:00:00Z');
      await store.appendAuditBatch([entry('ret/old-1', { time: old, repository: 'o/ret' }), entry('ret/old-2', { time: old, repository: 'o/ret' })]);
      await store.appendAudit(entry('ret/new', { time: new Date('2030-01-01T00:00:00Z'), repository: 'o/ret' }));
      await store.recordTimings({ recordKey: 'ret/old', detectedAt: old, repository: 'o/ret' });
      await store.recordFailureSeen('o/ret', 'fp-old', old);
      const usage = { model: 'gpt-4o', policy: 'ret', repository: 'o/ret', fingerprint: 'fp-old', tokensInput: 100, tokensOutput: 10, costUsd: 0.001, outcome: 'ok' };
      await store.recordModelUsage({ ...usage, at: old });
      await store.recordModelUsage({ ...usage, at: new Date('2030-01-01T00:00:00Z') });
      const cutoff = new Date('2021-01-01T00:00:00Z');
      const path = join(dir, 'export.jsonl');

      const result = await store.retention(cutoff, path);
      expect(result).toEqual({ cutoff, exportPath: path, exported: 5, deleted: { audit: 2, timings: 1, failureHistory: 1, modelUsage: 1 } });
      const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as { table: string; row: Record<string, unknown> });
      expect(lines.map((l) => l.table)).toEqual(['audit_log', 'audit_log', 'failure_timings', 'failure_history', 'model_usage']);
      expect(lines[0]!.row).toMatchObject({ idempotency_key: 'ret/old-1', repository: 'o/ret' });
      expect((await store.queryAudit({ repository: 'o/ret' })).items.map((e) => e.idempotencyKey)).toEqual(['ret/new']);
      expect(await store.failureHistory('o/ret', 'fp-old')).toBeNull();
      // The budgets still see what was spent after the cutoff.
      expect(await store.modelUsageTotals({ since: cutoff, policy: 'ret' })).toMatchObject({ tokensInput: 100, tokensOutput: 10 });
    });

    it('deletes nothing when the export cannot be written', async () => {
      await store.appendAudit(entry('ret/old-3', { time: new Date('2020-01-01T00:00:00Z'), repository: 'o/ret2' }));
      const existing = join(dir, 'taken.jsonl');
      await writeFile(existing, 'earlier export\n');
      await expect(store.retention(new Date('2021-01-01T00:00:00Z'), existing)).rejects.toThrow(RetentionExportError);
      await expect(store.retention(new Date('2021-01-01T00:00:00Z'), existing)).rejects.toThrow(/already exists.*Nothing was deleted/);
      expect(await readFile(existing, 'utf8')).toBe('earlier export\n');
      expect((await store.queryAudit({ repository: 'o/ret2' })).items).toHaveLength(1);
    });
  });

  describe('GitHub sources', () => {
    it('remembers a webhook delivery id once, forgets it on request, and prunes old ones', async () => {
      expect(await store.rememberDelivery({ id: 'd-1', event: 'workflow_run', repository: 'acme/web' })).toBe(true);
      expect(await store.rememberDelivery({ id: 'd-1', event: 'workflow_run' })).toBe(false);
      await store.forgetDelivery('d-1');
      expect(await store.rememberDelivery({ id: 'd-1', event: 'workflow_run' })).toBe(true);
      expect(await store.pruneDeliveries(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.pruneDeliveries(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
      expect(await store.rememberDelivery({ id: 'd-1', event: 'workflow_run' })).toBe(true);
    });

    it("keeps a repository's poll state: ETag, watermark to the millisecond, and the runs at the watermark", async () => {
      expect(await store.pollState('acme/poll')).toBeNull();
      const state = { repository: 'acme/poll', etag: 'W/"abc"', watermark: new Date('2026-01-01T10:00:00.123Z'), seenAtWatermark: ['12/1', '13/2'] };
      await store.savePollState(state);
      expect(await store.pollState('acme/poll')).toEqual(state);
      await store.savePollState({ ...state, etag: null, seenAtWatermark: [] });
      expect(await store.pollState('acme/poll')).toEqual({ ...state, etag: null, seenAtWatermark: [] });
    });
  });

  describe('migrations', () => {
    it('refuses a database migrated by a newer version, naming the unknown migration', async () => {
      const knex: Knex = await connect(db.config);
      // PGlite has one connection: the shared store must let go of the data directory first.
      if (db.config.engine === 'pglite') await store.close();
      try {
        await knex('ci_remediator_migrations').insert({ name: '0099_from_the_future', batch: 99, migration_time: new Date() });
        if (db.config.engine === 'pglite') await knex.destroy();
        const error = await openStore(db.config).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreVersionError);
        expect((error as StoreVersionError).message).toMatch(/newer ci-remediator.*'0099_from_the_future'/);
        expect((error as StoreVersionError).unknownMigrations).toEqual(['0099_from_the_future']);
      } finally {
        if (db.config.engine === 'postgres') await knex.destroy();
      }
    });
  });
});

async function collect(store: Store, filters: Parameters<Store['queryAudit']>[0], limit: number) {
  const items = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.queryAudit(filters, { limit, ...(cursor !== undefined && { cursor }) });
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}
