import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { analyzeLog } from '../../../src/report/log-report.ts';
import { DEFAULT_POLICY } from '../../../src/policy/default-policy.ts';
import { openStore, type Store } from '../../../src/store/store.ts';
import { jsonLines, runCli } from '../../support/cli.ts';
import { postgresEngine, type Provisioned } from './engines.ts';

// A test that fails now and then: the same assertion, different timings and temp paths in each run.
const run = (attempt: number) =>
  [
    `2026-11-2${attempt}T10:00:00.0000000Z ##[group]Run npm test`,
    `2026-11-2${attempt}T10:00:01.0000000Z FAIL src/queue/worker.test.ts (${attempt}.2${attempt} s)`,
    `2026-11-2${attempt}T10:00:01.0000000Z   ● worker › drains the queue before shutting down`,
    `2026-11-2${attempt}T10:00:01.0000000Z     expect(received).toBe(expected) // Object.is equality`,
    `2026-11-2${attempt}T10:00:01.0000000Z     Expected: 0`,
    `2026-11-2${attempt}T10:00:01.0000000Z     Received: ${attempt}`,
    `2026-11-2${attempt}T10:00:01.0000000Z       at Object.<anonymous> (src/queue/worker.test.ts:8${attempt}:19)`,
    `2026-11-2${attempt}T10:00:02.0000000Z Tests:       1 failed, 212 passed, 213 total`,
    `2026-11-2${attempt}T10:00:02.0000000Z ##[error]Process completed with exit code 1.`,
    '',
  ].join('\n');

describe('flaky knowledge from the store', () => {
  let db: Provisioned;
  let store: Store;
  beforeAll(async () => {
    db = await postgresEngine.provision();
    store = await openStore(db.config);
  });
  afterAll(async () => {
    await store.close();
    await db.cleanup();
  });

  it('turns a test failure that re-runs fixed before into flaky_test, quoting the history', async () => {
    const history = (fingerprint: string) => store.failureHistory('acme/queue', fingerprint);
    const first = await analyzeLog(Readable.from([run(1)]), { policy: DEFAULT_POLICY, repository: 'acme/queue', history });
    expect(first.analysis.category).toBe('test_failure');

    // The operator records what happened: seen, re-run, and the re-run went green.
    await store.recordFailureSeen('acme/queue', first.analysis.fingerprint, new Date('2026-11-21T10:00:00Z'));
    await store.recordRemediationOutcome('acme/queue', first.analysis.fingerprint, true);

    const second = await analyzeLog(Readable.from([run(2)]), { policy: DEFAULT_POLICY, repository: 'acme/queue', history });
    expect(second.analysis.fingerprint).toBe(first.analysis.fingerprint);
    expect(second.analysis.category).toBe('flaky_test');
    expect(second.analysis.confidence).toBeGreaterThan(first.analysis.confidence);
    expect(second.analysis.reasoning).toMatch(/seen 1 times?, a re-run fixed it 1 times?/);
    expect(second.analysis.proposedRemediation.action).toBe('rerun-failed-jobs');

    // Another repository's history says nothing about this one.
    const elsewhere = await analyzeLog(Readable.from([run(3)]), { policy: DEFAULT_POLICY, repository: 'acme/other', history: (f) => store.failureHistory('acme/other', f) });
    expect(elsewhere.analysis.category).toBe('test_failure');
  });

  it('analyze --record counts each sighting once and shows the history', async () => {
    const file = 'test/fixtures/logs/gha-npm-jest-failure.log';
    const args = ['analyze', '--json', '--record', '--repo', 'acme/storefront', file];
    const monday = new Date('2026-11-23T09:00:00Z');
    const [first] = jsonLines((await runCli(args, { env: db.env, now: monday })).stdout);
    expect(first!.record).toMatchObject({ recorded: true, history: { occurrences: 1 } });
    // The same analysis recorded again (a retried command) is not a second sighting.
    const [retried] = jsonLines((await runCli(args, { env: db.env, now: monday })).stdout);
    expect(retried!.record).toMatchObject({ recorded: false, history: { occurrences: 1 } });
    // A later run is.
    const [tuesday] = jsonLines((await runCli(args, { env: db.env, now: new Date('2026-11-24T09:00:00Z') })).stdout);
    expect(tuesday!.record).toMatchObject({ recorded: true, history: { occurrences: 2 } });
    const audit = await store.queryAudit({ repository: 'acme/storefront' });
    expect(audit.items).toHaveLength(2);
  });
});
