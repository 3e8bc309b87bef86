import type { Knex } from 'knex';
import type { StoreMigration } from './index.ts';

const ACTOR_TYPES = ['system', 'slack', 'github', 'user'];

/**
 * The first schema: the audit log, failure history by fingerprint, and per-failure timings.
 * Every filter `ci-remediator audit` offers has an index that ends in (time, id), the keyset the listing
 * pages on, so a filtered page is one index range scan whatever the table size.
 */
export const initial: StoreMigration = {
  name: '0001_initial',

  async up(knex: Knex): Promise<void> {
    await knex.schema.createTable('audit_log', (t) => {
      t.bigIncrements('id').primary();
      t.timestamp('time', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.text('actor').notNullable();
      t.text('actor_type').notNullable();
      t.text('action').notNullable();
      t.text('outcome').notNullable();
      t.text('record_namespace');
      t.text('record_name');
      t.text('record_uid');
      t.text('repository');
      t.text('category');
      t.jsonb('details').notNullable().defaultTo(knex.raw(`'{}'::jsonb`));
      // The writer names the event (record uid + transition, say): a retried write is then a no-op.
      t.text('idempotency_key').notNullable().unique({ indexName: 'audit_log_idempotency_key_key' });
    });
    // DDL takes no bind parameters; these are constants of this file.
    await knex.raw(`alter table audit_log add constraint audit_log_actor_type_check check (actor_type in (${ACTOR_TYPES.map((type) => `'${type}'`).join(', ')}))`);
    await knex.raw('create index audit_log_time_idx on audit_log (time, id)');
    for (const column of ['repository', 'category', 'action', 'actor', 'outcome']) {
      await knex.raw(`create index audit_log_${column}_time_idx on audit_log (${column}, time, id)`);
    }
    await knex.raw('create index audit_log_record_idx on audit_log (record_namespace, record_name, time)');

    await knex.schema.createTable('failure_history', (t) => {
      t.text('repository').notNullable();
      t.text('fingerprint').notNullable();
      t.text('category');
      t.timestamp('first_seen', { useTz: true }).notNullable();
      t.timestamp('last_seen', { useTz: true }).notNullable();
      t.integer('occurrences').notNullable().defaultTo(0);
      t.integer('remediation_attempts').notNullable().defaultTo(0);
      t.integer('remediation_successes').notNullable().defaultTo(0);
      t.text('last_outcome');
      t.timestamp('last_outcome_at', { useTz: true });
      t.primary(['repository', 'fingerprint'], { constraintName: 'failure_history_pkey' });
    });
    await knex.raw('create index failure_history_last_seen_idx on failure_history (last_seen)');

    await knex.schema.createTable('failure_timings', (t) => {
      // namespace/name of the FailureRecord, or the CLI's own key for a recorded analysis.
      t.text('record_key').primary();
      t.text('repository');
      t.text('category');
      t.text('analyzer');
      t.text('model');
      t.smallint('risk_score');
      t.text('gate_decision');
      t.timestamp('failed_at', { useTz: true });
      t.timestamp('detected_at', { useTz: true }).notNullable();
      t.timestamp('analyzed_at', { useTz: true });
      t.timestamp('gated_at', { useTz: true });
      t.timestamp('approval_requested_at', { useTz: true });
      t.timestamp('decided_at', { useTz: true });
      t.timestamp('executed_at', { useTz: true });
      t.timestamp('verified_at', { useTz: true });
      t.text('result');
      t.integer('tokens_input');
      t.integer('tokens_output');
      t.decimal('cost_usd', 12, 6);
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.raw('alter table failure_timings add constraint failure_timings_risk_score_check check (risk_score between 0 and 100)');
    await knex.raw('create index failure_timings_detected_at_idx on failure_timings (detected_at)');
    await knex.raw('create index failure_timings_repository_detected_at_idx on failure_timings (repository, detected_at)');
  },

  async down(knex: Knex): Promise<void> {
    await knex.schema.dropTableIfExists('failure_timings');
    await knex.schema.dropTableIfExists('failure_history');
    await knex.schema.dropTableIfExists('audit_log');
  },
};
