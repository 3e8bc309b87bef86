import type { Knex } from 'knex';
import type { StoreMigration } from './index.ts';

/**
 * One row per call of the model: tokens and estimated cost by model, with the policy it was charged to. The
 * model analyzer reads the day's and the month's sums before each call to enforce the per-policy daily and
 * the operator-wide monthly budgets, so the sums run on an index by time (and policy).
 */
export const modelUsage: StoreMigration = {
  name: '0003_model_usage',

  async up(knex: Knex): Promise<void> {
    await knex.schema.createTable('model_usage', (t) => {
      t.bigIncrements('id').primary();
      t.timestamp('at', { useTz: true }).notNullable();
      t.text('model').notNullable();
      // '' when no policy applied (the CLI): a budget query by policy never matches it by accident.
      t.text('policy').notNullable().defaultTo('');
      t.text('repository');
      t.text('fingerprint');
      t.integer('tokens_input').notNullable();
      t.integer('tokens_output').notNullable();
      t.decimal('cost_usd', 12, 6).notNullable().defaultTo(0);
      t.text('outcome').notNullable();
    });
    await knex.raw('create index model_usage_at_idx on model_usage (at)');
    await knex.raw('create index model_usage_policy_at_idx on model_usage (policy, at)');
  },

  async down(knex: Knex): Promise<void> {
    await knex.schema.dropTable('model_usage');
  },
};
