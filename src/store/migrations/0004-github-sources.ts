import type { Knex } from 'knex';
import type { StoreMigration } from './index.ts';

/**
 * What the operator's GitHub sources remember across restarts and replicas:
 *  - `github_deliveries`: every webhook delivery id accepted (X-GitHub-Delivery), so a replayed delivery is
 *    refused by whichever replica receives it;
 *  - `github_poll_state`: per repository, the ETag of the last run listing (an unchanged listing costs a
 *    304) and the watermark: the newest `updated_at` of the completed runs already reported, with the run
 *    attempts at exactly that second, so a restart neither misses a run nor reports one twice.
 */
export const githubSources: StoreMigration = {
  name: '0004_github_sources',

  async up(knex: Knex): Promise<void> {
    await knex.schema.createTable('github_deliveries', (table) => {
      table.text('delivery_id').primary();
      table.text('event').notNullable();
      table.text('repository');
      table.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      table.index(['received_at'], 'github_deliveries_received_at');
    });
    await knex.schema.createTable('github_poll_state', (table) => {
      table.text('repository').primary();
      table.text('etag');
      table.timestamp('watermark', { useTz: true }).notNullable();
      table.jsonb('seen_at_watermark').notNullable().defaultTo('[]');
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
  },

  async down(knex: Knex): Promise<void> {
    await knex.schema.dropTable('github_poll_state');
    await knex.schema.dropTable('github_deliveries');
  },
};
