import picomatch from 'picomatch';
import { selectPolicy } from '../../src/policy/policy-matcher.ts';
import { POLICY_PLURAL } from '../controllers/remediationpolicy.ts';
import { parsePolicy } from '../controllers/policy-index.ts';
import type { RemediationPolicy } from '../../src/api/remediation-policy.ts';
import { listCustomObjects, type KubeClients } from '../runtime/kube.ts';

/**
 * Which repositories the sources report on: those a valid RemediationPolicy in the records' namespace governs
 * (no policy, no record), and, when the operator has an allowlist (--source-repositories), only those it
 * names. Any replica serves the webhook, and only the leader runs informers, so the policies are listed here
 * from the API server and kept for a few seconds.
 */

const TTL_MS = 10_000;

export class PolicyFilter {
  readonly #clients: KubeClients;
  readonly #namespace: string;
  readonly #allowed: ((repository: string) => boolean) | undefined;
  #cached: { at: number; policies: RemediationPolicy[] } | undefined;

  constructor(clients: KubeClients, namespace: string, allowlist: readonly string[]) {
    this.#clients = clients;
    this.#namespace = namespace;
    this.#allowed = allowlist.length === 0 ? undefined : picomatch([...allowlist], { nocase: true });
  }

  async policies(): Promise<RemediationPolicy[]> {
    if (this.#cached !== undefined && Date.now() - this.#cached.at < TTL_MS) return this.#cached.policies;
    const { items: objects } = await listCustomObjects(this.#clients, POLICY_PLURAL, this.#namespace);
    const policies = objects.flatMap((object) => {
      const parsed = parsePolicy(object);
      return parsed.ok ? [parsed.policy] : [];
    });
    this.#cached = { at: Date.now(), policies };
    return policies;
  }

  /** Why `repository` is not reported on, or undefined when it is. */
  async refusal(repository: string): Promise<string | undefined> {
    if (this.#allowed !== undefined && !this.#allowed(repository)) return 'not in --source-repositories';
    const match = selectPolicy(await this.policies(), repository);
    return match === null ? `no RemediationPolicy in namespace '${this.#namespace}' governs it` : undefined;
  }

  allowed(repository: string): boolean {
    return this.#allowed === undefined || this.#allowed(repository);
  }
}
