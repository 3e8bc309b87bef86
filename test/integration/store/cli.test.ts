import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { run as audit } from '../../../src/cli/commands/audit.ts';
import { run as metrics } from '../../../src/cli/commands/metrics.ts';
import { run as retention } from '../../../src/cli/commands/retention.ts';
import type { CliIO, Command } from '../../../src/cli/io.ts';
import { openStore } from '../../../src/store/store.ts';
import { ENGINES, type Provisioned } from './engines.ts';

const NOW = new Date('2025-06-01T12:00:00Z');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function runner(env: Record<string, string>, cwd: string) {
  return async (command: Command, ...args: string[]): Promise<Ran> => {
    let stdout = '';
    let stderr = '';
    const io: CliIO = {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: Readable.from([]),
      env,
      cwd,
      now: () => NOW,
    };
    const code = await command(args, io);
    return { code, stdout, stderr };
  };
}

describe.each(ENGINES)('store commands on %s', (_name, engine) => {
  let db: Provisioned;
  let dir: string;
  let cli: ReturnType<typeof runner>;

  beforeAll(async () => {
    db = await engine.provision();
    dir = await mkdtemp(join(tmpdir(), 'ci-remediator-cli-'));
    cli = runner(db.env, dir);
    // Seed, then close: the commands open the store themselves (PGlite allows one opener per directory).
    const store = await openStore(db.config);
    try {
      await store.appendAuditBatch(
        Array.from({ length: 7 }, (_, i) => ({
          idempotencyKey: `cli/${i}`,
          time: new Date(NOW.getTime() - (i + 1) * 3_600_000),
          actor: i === 0 ? 'U042' : 'ci-remediator-operator',
          actorType: i === 0 ? ('slack' as const) : ('system' as const),
          action: i === 0 ? 'approve' : 'gate',
          outcome: 'succeeded',
          repository: i < 5 ? 'octo/api' : 'octo/web',
          category: i % 2 === 0 ? 'flaky_test' : 'lint_error',
          record: { namespace: 'ci', name: `fr-${i}` },
          details: { note: i === 1 ? '=cmd|calc' : 'ok, "quoted"' },
        })),
      );
      await store.appendAudit({
        idempotencyKey: 'cli/ancient', time: new Date('2024-01-01T00:00:00Z'), actor: 'x', actorType: 'user', action: 'analyze', outcome: 'analyzed', repository: 'octo/api',
      });
      for (let i = 0; i < 10; i++) {
        const detectedAt = new Date(NOW.getTime() - (i + 1) * 60_000);
        await store.recordTimings({
          recordKey: `ci/fr-${i}`, repository: 'octo/api', category: 'flaky_test', riskScore: i * 10 + 5,
          failedAt: new Date(detectedAt.getTime() - 30_000), detectedAt, analyzedAt: new Date(detectedAt.getTime() + 1_500),
          result: i < 8 ? 'succeeded' : 'failed',
        });
      }
    } finally {
      await store.close();
    }
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await db?.cleanup();
  });

  describe('audit', () => {
    it('prints a table page and the cursor that continues it', async () => {
      const first = await cli(audit, '--repo', 'octo/api', '--since', '30d', '--limit', '3');
      expect(first).toMatchObject({ code: 0, stderr: '' });
      const lines = first.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+OUTCOME\s+REPOSITORY\s+CATEGORY\s+RECORD$/);
      expect(lines[1]).toMatch(/^2025-06-01T11:00:00\.000Z\s+slack:U042\s+approve\s+succeeded\s+octo\/api\s+flaky_test\s+ci\/fr-0$/);
      expect(lines).toHaveLength(5);
      const cursor = /^next cursor: (\S+)$/.exec(lines[4]!)?.[1];
      expect(cursor).toBeDefined();

      const second = await cli(audit, '--repo', 'octo/api', '--since', '30d', '--limit', '3', '--cursor', cursor!);
      expect(second.code).toBe(0);
      expect(second.stdout.trimEnd().split('\n')).toHaveLength(3);
      expect(second.stdout).not.toContain('next cursor');
    });

    it('writes JSON and CSV', async () => {
      const json = await cli(audit, '--format', 'json', '--category', 'lint_error');
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { entries: Array<{ idempotencyKey: string }>; nextCursor: string | null };
      expect(parsed.entries.map((e) => e.idempotencyKey)).toEqual(['cli/1', 'cli/3', 'cli/5']);
      expect(parsed.nextCursor).toBeNull();

      const csv = await cli(audit, '--format', 'csv', '--actor', 'ci-remediator-operator', '--until', '2025-06-01T10:30:00Z', '--limit', '1');
      expect(csv.code).toBe(0);
      const rows = csv.stdout.split('\r\n');
      expect(rows[0]).toBe('id,time,actor_type,actor,action,outcome,repository,category,record_namespace,record_name,record_uid,idempotency_key,details');
      expect(rows[1]).toContain(',cli/1,"{""note"":""=cmd|calc""}"');
      expect(csv.stderr).toMatch(/^next cursor: \S+\n$/);
    });

    it.each([
      [['--since', '9x'], /Invalid --since '9x'\. Expected a duration such as 90d.*or an ISO 8601 date such as 2025-01-31/],
      [['--until', '2025-02-30'], /Invalid --until '2025-02-30'/],
      [['--category', 'flaky'], /Unknown --category 'flaky'\. Expected one of: test_failure, flaky_test, .*unknown\./],
      [['--limit', '0'], /Invalid --limit '0'\. Expected a whole number from 1 to 1000\./],
      [['--format', 'xml'], /Invalid --format 'xml'\. Expected one of: table, json, csv\./],
      [['--repo', 'not a repo'], /Invalid --repo 'not a repo'\. Expected \{owner\}\/\{name\}/],
      [['--since', '1d', '--until', '2d'], /--since .* must be before --until/],
      [['--cursor', 'garbage'], /Invalid cursor 'garbage'/],
      [['--bogus'], /Unknown option '--bogus'/],
    ])('refuses %j with a message naming the value and the expected form', async (args, message) => {
      const ran = await cli(audit, ...args);
      expect(ran.code).toBe(2);
      expect(ran.stdout).toBe('');
      expect(ran.stderr).toMatch(message);
    });
  });

  describe('metrics', () => {
    it('prints rates, durations, counts and a risk histogram of █ bars', async () => {
      const ran = await cli(metrics, '--since', '7d', '--repo', 'octo/api');
      expect(ran).toMatchObject({ code: 0, stderr: '' });
      expect(ran.stdout).toContain('Failures: 10 (repository octo/api, since 2025-05-25T12:00:00.000Z)');
      expect(ran.stdout).toContain('Remediation success rate: 80.0% (8 of 10)');
      expect(ran.stdout).toMatch(/detect\s+10\s+30\.0s\s+30\.0s\s+30\.0s/);
      expect(ran.stdout).toMatch(/analyze\s+10\s+1\.5s\s+1\.5s\s+1\.5s/);
      expect(ran.stdout).toMatch(/approve\s+0\s+-\s+-\s+-/);
      expect(ran.stdout).toMatch(/flaky_test\s+10/);
      const bars = ran.stdout.split('\n').filter((line) => line.includes('│'));
      expect(bars).toHaveLength(10);
      expect(bars[0]).toMatch(/^\s+0-9 │█{40} 1$/);
      expect(bars[9]).toMatch(/^\s+90-100 │█{40} 1$/);
    });

    it('writes JSON', async () => {
      const ran = await cli(metrics, '--format', 'json');
      expect(ran.code).toBe(0);
      const parsed = JSON.parse(ran.stdout) as { failures: number; successRate: number; riskHistogram: unknown[] };
      expect(parsed).toMatchObject({ failures: 10, successRate: 0.8 });
      expect(parsed.riskHistogram).toHaveLength(10);
    });

    it('refuses a malformed --since', async () => {
      const ran = await cli(metrics, '--since', 'yesterday');
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(/Invalid --since 'yesterday'\. Expected a duration/);
    });
  });

  describe('retention', () => {
    it.each([
      [[], /Missing --older-than\. Expected a duration such as 90d\./],
      [['--older-than', '90 days'], /Invalid --older-than '90 days'\. Expected a duration such as 90d/],
      [['--older-than', '0d'], /Invalid --older-than '0d'\. Expected a duration longer than zero/],
    ])('refuses %j', async (args, message) => {
      const ran = await cli(retention, ...args);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(message);
    });

    it('exports then deletes what is older', async () => {
      const ran = await cli(retention, '--older-than', '90d', '--export', 'old.jsonl');
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      expect(ran.stdout).toBe(
        `Exported 1 rows to ${join(dir, 'old.jsonl')}.\n` +
          'Deleted what was older than 2025-03-03T12:00:00.000Z: 1 audit entries, 0 failure timings, 0 failure histories, 0 model usage rows.\n',
      );
      expect(JSON.parse(await readFile(join(dir, 'old.jsonl'), 'utf8'))).toMatchObject({ table: 'audit_log', row: { idempotency_key: 'cli/ancient' } });
      const again = await cli(retention, '--older-than', '90d', '--export', 'old.jsonl');
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/old\.jsonl: the file already exists.*Nothing was deleted\. \[RETENTION_EXPORT_FAILED\]/);
    });
  });
});

describe('store commands with an unreachable database', () => {
  it('fail with exit 1 and name host:port, not the password', async () => {
    const cli = runner({ CI_REMEDIATOR_DATABASE_URL: 'postgresql://ops:hunter2@127.0.0.1:1/ci' }, tmpdir());
    const ran = await cli(audit);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^ci-remediator audit: The store at 127\.0\.0\.1:1\/ci is unavailable .*ECONNREFUSED.*\[STORE_UNAVAILABLE\]\n$/);
    expect(ran.stderr).not.toContain('hunter2');
  });

  it('refuses a URL of another database', async () => {
    const cli = runner({ CI_REMEDIATOR_DATABASE_URL: 'mysql://root:pw@db:3306/ci' }, tmpdir());
    const ran = await cli(metrics);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/scheme 'mysql' is not supported\. Expected postgres:\/\/user:password@host:5432\/database/);
    expect(ran.stderr).not.toContain('pw@');
  });
});
