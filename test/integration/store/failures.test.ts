import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { StoreQueryError, StoreUnavailableError } from '../../../src/store/errors.ts';
import { loadStoreConfig } from '../../../src/store/store-config.ts';
import { openStore, type Store } from '../../../src/store/store.ts';
import type { AuditEntryInput } from '../../../src/store/types.ts';
import { terminateBackends, withAdmin } from '../../support/postgres.ts';
import { eventually } from '../../support/eventually.ts';
import { postgresEngine, type Provisioned } from './engines.ts';

// Connection loss only exists with a server: these run on PostgreSQL.
describe('store failures on postgres', () => {
  it('names host:port/database, never the password, when the server is unreachable', async () => {
    const config = loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: 'postgres://alice:s3cret-pw@127.0.0.1:1/audit' });
    const error = await openStore(config).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/^The store at 127\.0\.0\.1:1\/audit is unavailable \(opening the store\): .*ECONNREFUSED/);
    expect((error as Error).message).not.toContain('s3cret-pw');
    expect((error as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
  });

  it('says when the database does not exist', async () => {
    const url = new URL(process.env.CI_REMEDIATOR_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    url.pathname = '/ci_remediator_no_such_database';
    const error = await openStore(loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: url.toString() })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/ci_remediator_no_such_database.*does not exist/);
  });

  describe('connection dropped mid-write', () => {
    const applicationName = `ci-remediator-test-${process.pid}-${Date.now()}`;
    let db: Provisioned;
    let store: Store;
    let count: (prefix: string) => Promise<number>;

    beforeAll(async () => {
      db = await postgresEngine.provision({ applicationName });
      store = await openStore(db.config);
      const url = db.env.CI_REMEDIATOR_DATABASE_URL!;
      count = async (prefix) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const result = await client.query<{ n: number }>('select count(*)::int as n from audit_log where idempotency_key like $1', [`${prefix}%`]);
          return result.rows[0]!.n;
        } finally {
          await client.end();
        }
      };
    }, 60_000);

    afterAll(async () => {
      await store?.close();
      await db?.cleanup();
    });

    it('fails a batch with StoreUnavailableError, commits none of it, and a retry stores each row once', async () => {
      const batch: AuditEntryInput[] = Array.from({ length: 100_000 }, (_, i) => ({
        idempotencyKey: `mid/${i}`,
        actor: 'ci-remediator-operator',
        actorType: 'system',
        action: 'gate',
        outcome: 'auto',
        repository: `o/r${i % 50}`,
        details: { i },
      }));
      const write = store.appendAuditBatch(batch).then(() => undefined, (e: unknown) => e);
      // Wait until the batch's transaction is open on the server, then end the session as a failover would.
      await eventually(
        () =>
          withAdmin(async (client) => {
            const r = await client.query(`select 1 from pg_stat_activity where application_name = $1 and state in ('active', 'idle in transaction')`, [applicationName]);
            if (r.rowCount === 0) throw new Error('the batch has no open transaction yet');
          }),
        { timeoutMs: 10_000, intervalMs: 5, description: "the batch's transaction on the server" },
      );
      expect(await terminateBackends(applicationName)).toBeGreaterThan(0);
      const error = await write;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/127\.0\.0\.1:5432\/ci_remediator_test_\w+ is unavailable \(appending to the audit log\)/);
      expect(await count('mid/')).toBe(0);

      expect(await store.appendAuditBatch(batch)).toBe(100_000);
      expect(await store.appendAuditBatch(batch)).toBe(0);
      expect(await count('mid/')).toBe(100_000);
    }, 60_000);

    it('recovers from sessions ended while idle; retrying a failed write leaves exactly one row', async () => {
      expect(await store.appendAudit({ idempotencyKey: 'idle/warm', actor: 'a', actorType: 'user', action: 'a', outcome: 'o' })).toBe(true);
      await terminateBackends(applicationName);
      const write: AuditEntryInput = { idempotencyKey: 'idle/1', actor: 'a', actorType: 'user', action: 'a', outcome: 'o' };
      let attempts = 0;
      for (;;) {
        attempts++;
        try {
          await store.appendAudit(write);
          break;
        } catch (error) {
          // The pool may hand out the dead session once; that must surface as unavailability, not vanish.
          expect(error).toBeInstanceOf(StoreUnavailableError);
          if (attempts > 3) throw error;
        }
      }
      await store.appendAudit(write);
      expect(await count('idle/1')).toBe(1);
    });

    it('reports a rejected statement as StoreQueryError, not as unavailability', async () => {
      const bad = { idempotencyKey: 'bad/1', actor: 'a', actorType: 'robot', action: 'a', outcome: 'o' } as unknown as AuditEntryInput;
      await expect(store.appendAudit(bad)).rejects.toBeInstanceOf(StoreQueryError);
      await expect(store.appendAudit(bad)).rejects.toThrow(/audit_log_actor_type_check/);
    });
  });
});
