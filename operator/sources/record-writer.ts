import { API_GROUP, API_VERSION } from '../../src/api/common.ts';
import { failureRecordName, type FailureRecordSpec, type FailureSource } from '../../src/api/failure-record.ts';
import { statusCodeOf } from '../../src/api/kube-errors.ts';
import { setCondition } from '../../src/api/lifecycle.ts';
import { errorMessage } from '../../src/errors.ts';
import { createFailureRecord } from '../../src/ingest/ingest-request.ts';
import { redactFailureRecordSpec } from '../../src/logs/redaction/failure-record-spec.ts';
import type { Store } from '../../src/store/index.ts';
import type { Condition } from '../../src/api/common.ts';
import type { Logger } from '../runtime/logger.ts';
import { FIELD_MANAGER, patchStatus, type KubeClients } from '../runtime/kube.ts';

/**
 * Creates the record a source built, the same way the action and the ingest endpoint do
 * (src/ingest/ingest-request.ts: deterministic name, AlreadyExists is success), then says what happened in the
 * audit trail (which source came first: the existing record's `spec.source`) and, when a log could not be
 * read, on the record itself (condition LogsRead=False), so a record without an excerpt explains itself.
 */

export const LOGS_READ_CONDITION = 'LogsRead';
export const LOG_UNAVAILABLE_REASON = 'LogUnavailable';
const PLURAL = 'failurerecords';
const CONFLICT_RETRIES = 5;

export interface WrittenRecord {
  name: string;
  namespace: string;
  created: boolean;
  /** The source whose report made the record (this one when `created`). */
  firstSource: FailureSource;
}

export interface RecordWriterOptions {
  clients: KubeClients;
  store: () => Promise<Store>;
  log: Logger;
}

export class RecordWriter {
  readonly #options: RecordWriterOptions;

  constructor(options: RecordWriterOptions) {
    this.#options = options;
  }

  async write(
    built: FailureRecordSpec,
    namespace: string,
    facts: { logProblems: ReadonlyArray<{ job: string; problem: string }>; deliveryId?: string },
  ): Promise<WrittenRecord> {
    const { clients, log } = this.#options;
    // Every text field through the redactor before the spec is stored (it is immutable once created): the
    // same function the action and the ingest endpoint run, so all three sources store the same record.
    const { spec } = await redactFailureRecordSpec(built);
    const result = await createFailureRecord(clients.custom, spec, namespace, FIELD_MANAGER);
    let firstSource: FailureSource = spec.source;
    if (!result.created) firstSource = (await this.#existing(result.name, namespace))?.spec?.source ?? spec.source;
    if (result.created && facts.logProblems.length > 0) await this.#markLogsUnavailable(result.name, namespace, facts.logProblems);
    await this.#audit(spec, { ...result, firstSource }, facts.deliveryId);
    log.info(
      { name: result.name, namespace, repository: spec.repository, source: spec.source, created: result.created, firstSource },
      result.created ? `${spec.source}: record created` : `${spec.source}: record already reported by ${firstSource}`,
    );
    return { ...result, firstSource };
  }

  async #existing(name: string, namespace: string): Promise<{ spec?: FailureRecordSpec; status?: { conditions?: Condition[] }; metadata?: { resourceVersion?: string } } | undefined> {
    try {
      return (await this.#options.clients.custom.getNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: PLURAL, namespace, name })) as {
        spec?: FailureRecordSpec;
        metadata?: { resourceVersion?: string };
      };
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Read, add the condition, write with the resourceVersion precondition; the reconciler's writes keep it (setCondition keeps other types). */
  async #markLogsUnavailable(name: string, namespace: string, problems: ReadonlyArray<{ job: string; problem: string }>): Promise<void> {
    const message = problems.map((p) => `${p.job}: ${p.problem}`).join('; ').slice(0, 1024);
    for (let attempt = 1; ; attempt++) {
      const current = await this.#existing(name, namespace);
      if (current?.metadata?.resourceVersion === undefined) return;
      const conditions = setCondition(current.status?.conditions, { type: LOGS_READ_CONDITION, status: 'False', reason: LOG_UNAVAILABLE_REASON, message }, new Date());
      try {
        await patchStatus(this.#options.clients, { plural: PLURAL, namespace, name }, current.metadata.resourceVersion, { conditions });
        return;
      } catch (error) {
        if (statusCodeOf(error) !== 409 || attempt >= CONFLICT_RETRIES) {
          this.#options.log.warn({ name, namespace, err: errorMessage(error) }, 'could not note the unavailable log on the record');
          return;
        }
      }
    }
  }

  async #audit(spec: FailureRecordSpec, written: Omit<WrittenRecord, never>, deliveryId: string | undefined): Promise<void> {
    const name = failureRecordName(spec.repository, spec.workflow.runId, spec.workflow.runAttempt);
    try {
      const store = await this.#options.store();
      await store.appendAudit({
        idempotencyKey: `${written.namespace}/${name}/reported/${spec.source}`,
        actor: `github-${spec.source}`,
        actorType: 'github',
        action: 'report',
        outcome: written.created ? 'created' : 'already-reported',
        record: { namespace: written.namespace, name },
        repository: spec.repository,
        details: {
          source: spec.source,
          firstSource: written.firstSource,
          runId: spec.workflow.runId,
          runAttempt: spec.workflow.runAttempt,
          ...(deliveryId !== undefined && { deliveryId }),
        },
      });
    } catch (error) {
      // The record exists either way; its own transitions are audited by the reconciler, which waits for the store.
      this.#options.log.warn({ name, err: errorMessage(error) }, 'report not audited: the store is unavailable');
    }
  }
}
