import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throwaway PostgreSQL database per test file, created through an admin connection and dropped after,
 * so test files never see each other's rows and can run in parallel. PostgreSQL being down is a failure
 * of the test run, with a message saying how to start it: a skipped store suite would hide a broken store.
 */

export const ADMIN_URL = process.env.CI_REMEDIATOR_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  /** URL of the throwaway database (the admin URL with the database swapped). */
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ci_remediator_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Ends every session of `applicationName` the way an administrator or a failover would; returns how many. */
export async function terminateBackends(applicationName: string, options: { activeOnly?: boolean } = {}): Promise<number> {
  const result = await withAdmin((client) =>
    client.query<{ terminated: boolean }>(
      `select pg_terminate_backend(pid) as terminated from pg_stat_activity
        where application_name = $1 and pid <> pg_backend_pid() ${options.activeOnly ? `and state = 'active'` : ''}`,
      [applicationName],
    ),
  );
  return result.rows.filter((row) => row.terminated).length;
}

/** Sessions of `applicationName` currently running a statement. */
export async function activeBackends(applicationName: string): Promise<number> {
  const result = await withAdmin((client) =>
    client.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where application_name = $1 and state = 'active'`, [applicationName]),
  );
  return result.rows[0]?.n ?? 0;
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000, application_name: 'ci-remediator-tests-admin' });
  try {
    await client.connect();
  } catch (error) {
    const target = new URL(ADMIN_URL);
    throw new Error(
      `PostgreSQL is not reachable at ${target.hostname}:${target.port || '5432'} (CI_REMEDIATOR_TEST_PG_ADMIN_URL): ` +
        `${error instanceof Error ? error.message : String(error)}. The store tests need it: start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.',
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
