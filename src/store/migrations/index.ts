import type { Knex } from 'knex';
import { initial } from './0001-initial.ts';
import { durationColumns } from './0002-duration-columns.ts';
import { modelUsage } from './0003-model-usage.ts';
import { githubSources } from './0004-github-sources.ts';

export interface StoreMigration {
  /** Recorded in the migrations table; never rename a released migration. */
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, oldest first. Append only. */
export const MIGRATIONS: readonly StoreMigration[] = Object.freeze([initial, durationColumns, modelUsage, githubSources]);

/** Our own table name, so a database shared with another knex application keeps the two histories apart. */
export const MIGRATIONS_TABLE = 'ci_remediator_migrations';

/**
 * Hands knex the migrations as imported modules instead of letting it scan a directory, so they bundle
 * with esbuild into the CLI and the operator image like any other code.
 */
export class BundledMigrationSource implements Knex.MigrationSource<StoreMigration> {
  readonly #migrations: readonly StoreMigration[];

  constructor(migrations: readonly StoreMigration[] = MIGRATIONS) {
    this.#migrations = migrations;
  }

  getMigrations(): Promise<StoreMigration[]> {
    return Promise.resolve([...this.#migrations]);
  }

  getMigrationName(migration: StoreMigration): string {
    return migration.name;
  }

  getMigration(migration: StoreMigration): Promise<Knex.Migration> {
    return Promise.resolve({ up: (knex: Knex) => migration.up(knex), down: (knex: Knex) => migration.down(knex) });
  }
}
