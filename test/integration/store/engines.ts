import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStoreConfig, type StoreConfig } from '../../../src/store/store-config.ts';
import { createTestDatabase } from '../../support/postgres.ts';

/**
 * The two engines the store suite runs on. Each `provision()` gives a fresh, empty database: a throwaway
 * PostgreSQL database, or a PGlite data directory in a temp dir.
 */
export interface Engine {
  name: 'postgres' | 'pglite';
  provision(options?: { applicationName?: string }): Promise<Provisioned>;
}

export interface Provisioned {
  config: StoreConfig;
  /** Environment that selects this database for the CLI. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export const postgresEngine: Engine = {
  name: 'postgres',
  async provision(options = {}) {
    const database = await createTestDatabase();
    const env = { CI_REMEDIATOR_DATABASE_URL: database.url };
    return {
      config: loadStoreConfig(env, { ...(options.applicationName !== undefined && { applicationName: options.applicationName }) }),
      env,
      cleanup: () => database.drop(),
    };
  },
};

export const pgliteEngine: Engine = {
  name: 'pglite',
  async provision() {
    const dir = await mkdtemp(join(tmpdir(), 'ci-remediator-store-'));
    const env = { CI_REMEDIATOR_DATA_DIR: dir };
    return { config: loadStoreConfig(env), env, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
};

export const ENGINES: ReadonlyArray<[Engine['name'], Engine]> = [
  ['postgres', postgresEngine],
  ['pglite', pgliteEngine],
];
