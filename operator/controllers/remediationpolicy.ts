import type { KubernetesObject } from '@kubernetes/client-node';
import type { RemediationPolicyStatus } from '../../src/api/remediation-policy.ts';
import type { Condition } from '../../src/api/common.ts';
import { Reason, setCondition } from '../../src/api/lifecycle.ts';
import { PROVIDER_CONDITION, providerCondition } from '../../src/policy/analysis-provider.ts';
import { resolvePolicy } from '../../src/policy/policy-matcher.ts';
import { describeApiError, isConflict, isNotFound, patchStatus, type KubeClients } from '../runtime/kube.ts';
import { ConflictError, TransientError } from '../runtime/reconcile-errors.ts';
import { splitKey } from '../runtime/work-queue.ts';
import { equalJson, type RecordObject } from './failurerecord.ts';
import type { PolicyIndex } from './policy-index.ts';

/**
 * The RemediationPolicy reconciler: validation beyond the CRD schema (the zod schema's refinements: unique
 * lists, ceiling above threshold...), Ready (Valid / InvalidSpec naming the field), observedGeneration and
 * matchedRecords. Re-gating is not done here but by the event handler in main.ts: a policy change enqueues
 * the records it may affect, and their own reconcile re-evaluates the gate, so the audit row, status and
 * event of a re-gate come from the one place that writes transitions.
 */

export const POLICY_PLURAL = 'remediationpolicies';

type PolicyObject = KubernetesObject & { status?: RemediationPolicyStatus };

export interface RemediationPolicyReconcilerOptions {
  policies: { get(name: string, namespace?: string): PolicyObject | undefined };
  index: PolicyIndex;
  records: { list(namespace?: string): readonly RecordObject[] };
  clients: KubeClients;
  canWrite: () => boolean;
  now?: () => Date;
  /** The analysis providers this operator answers for (configuredProviders: openai with an API key). */
  providers?: ReadonlySet<PolicyAnalysisProvider>;
}

type PolicyAnalysisProvider = Parameters<typeof providerCondition>[0]['provider'];

export class RemediationPolicyReconciler {
  readonly #options: RemediationPolicyReconcilerOptions;

  constructor(options: RemediationPolicyReconcilerOptions) {
    this.#options = options;
  }

  reconcile = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    const object = this.#options.policies.get(name, namespace);
    if (object === undefined || object.metadata?.deletionTimestamp !== undefined) return;
    if (!this.#options.canWrite()) return;
    const now = (this.#options.now ?? (() => new Date()))();
    const generation = object.metadata?.generation ?? 0;
    const parsed = this.#options.index.parse(object);
    const original: RemediationPolicyStatus = object.status ?? {};
    const matched = parsed.ok ? this.#countGoverned(namespace, name) : 0;
    const ready = parsed.ok
      ? { status: 'True' as const, reason: Reason.Valid, message: `the policy is valid and governs ${matched} FailureRecord(s)` }
      : { status: 'False' as const, reason: Reason.InvalidSpec, message: `the policy is ignored by the gate: ${parsed.problems.join('; ')}` };
    const next: RemediationPolicyStatus = {
      ...original,
      observedGeneration: generation,
      conditions: withProviderCondition(setCondition(original.conditions, { type: 'Ready', ...ready, observedGeneration: generation }, now), parsed, generation, now, this.#options.providers),
      matchedRecords: matched,
    };
    if (equalJson(original, next)) return;
    try {
      await patchStatus(this.#options.clients, { plural: POLICY_PLURAL, namespace, name }, object.metadata?.resourceVersion ?? '', next);
    } catch (error) {
      if (isConflict(error)) throw new ConflictError(`${key} changed since it was read`, { cause: error });
      if (isNotFound(error)) return;
      throw new TransientError(`writing ${key} failed: ${describeApiError(error)}`, { cause: error });
    }
  };

  /** Records in the namespace whose most specific valid policy is this one. */
  #countGoverned(namespace: string, name: string): number {
    const policies = this.#options.index.valid(namespace);
    // Records of one repository share the answer; matching is the expensive part.
    const byRepository = new Map<string, boolean>();
    let count = 0;
    for (const record of this.#options.records.list(namespace)) {
      const repository = (record.spec as { repository?: unknown } | undefined)?.repository;
      if (typeof repository !== 'string') continue;
      let governed = byRepository.get(repository);
      if (governed === undefined) {
        governed = resolvePolicy(policies, repository).policy.metadata.name === name;
        byRepository.set(repository, governed);
      }
      if (governed) count++;
    }
    return count;
  }
}

/** AnalysisProvider (src/policy/analysis-provider.ts): whether the provider the policy asks for answers. */
function withProviderCondition(
  conditions: Condition[],
  parsed: ReturnType<PolicyIndex['parse']>,
  generation: number,
  now: Date,
  providers: ReadonlySet<PolicyAnalysisProvider> | undefined,
): Condition[] {
  if (!parsed.ok) return conditions.filter((condition) => condition.type !== PROVIDER_CONDITION);
  return setCondition(conditions, { ...providerCondition(parsed.policy.spec.analysis, providers), observedGeneration: generation }, now);
}
