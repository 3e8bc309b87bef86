import type { KubernetesObject } from '@kubernetes/client-node';
import { describeIssues } from '../../src/api/common.ts';
import { RemediationPolicy } from '../../src/api/remediation-policy.ts';
import { resolvePolicy, type ResolvedPolicy } from '../../src/policy/policy-matcher.ts';

/**
 * The policies the gate may use, per namespace, from the policy informer's cache. Each cached object is
 * parsed with the zod schema once (the cache replaces the object on every change, so a WeakMap keyed by
 * the object is exact); an invalid policy is remembered with its problems and ignored by the gate, so a
 * typo in one policy never makes records fall back to a different policy silently.
 */
export type Parsed = { ok: true; policy: RemediationPolicy } | { ok: false; problems: string[] };

export interface PolicySource {
  list(namespace?: string): readonly KubernetesObject[];
}

export class PolicyIndex {
  readonly #source: PolicySource;
  readonly #parsed = new WeakMap<KubernetesObject, Parsed>();

  constructor(source: PolicySource) {
    this.#source = source;
  }

  parse(object: KubernetesObject): Parsed {
    let parsed = this.#parsed.get(object);
    if (parsed === undefined) {
      parsed = parsePolicy(object);
      this.#parsed.set(object, parsed);
    }
    return parsed;
  }

  /** Valid policies in `namespace` (policies are namespaced: a record is governed by its own namespace's). */
  valid(namespace: string): RemediationPolicy[] {
    const out: RemediationPolicy[] = [];
    for (const object of this.#source.list(namespace)) {
      const parsed = this.parse(object);
      if (parsed.ok) out.push(parsed.policy);
    }
    return out;
  }

  resolve(namespace: string, repository: string): ResolvedPolicy {
    return resolvePolicy(this.valid(namespace), repository);
  }
}

export function parsePolicy(object: KubernetesObject): Parsed {
  const { apiVersion, kind, metadata, spec } = object as KubernetesObject & { spec?: unknown };
  // Only what the schema describes: the API server's metadata (uid, managedFields...) is not ours to check.
  const input = {
    apiVersion,
    kind,
    metadata: {
      name: metadata?.name,
      namespace: metadata?.namespace,
      generation: metadata?.generation,
      ...(metadata?.labels !== undefined && { labels: metadata.labels }),
    },
    spec,
  };
  const result = RemediationPolicy.safeParse(input);
  if (result.success) return { ok: true, policy: result.data };
  return { ok: false, problems: describeIssues(result.error.issues, input) };
}
