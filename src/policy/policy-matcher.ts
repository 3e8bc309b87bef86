import picomatch from 'picomatch';
import type { RemediationPolicy } from '../api/remediation-policy.ts';
import { NO_MATCH_POLICY } from './default-policy.ts';

export interface PolicyMatch {
  policy: RemediationPolicy;
  /** The repository pattern of `policy` that matched (its most specific one, when several do). */
  pattern: string;
}

/**
 * How specific a repository pattern is, compared field by field (larger wins):
 *  1. exact: the pattern has no glob syntax at all ('acme/web' beats any glob);
 *  2. fewer wildcards: each `*` run, `?`, `[...]` class and `{...}` group counts one ('acme/web-*' beats
 *     'acme/*-*');
 *  3. longer literal part: characters that are not glob syntax, '/' included ('acme/web-*' beats 'acme/*').
 * This is the order a reader expects from "most specific wins" and it is total enough that ties are rare;
 * ties fall to priority and then to namespace/name (see selectPolicy).
 */
export interface Specificity {
  exact: boolean;
  wildcards: number;
  literalLength: number;
}

export function patternSpecificity(pattern: string): Specificity {
  let wildcards = 0;
  let literalLength = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') {
      wildcards++;
      while (pattern[i + 1] === '*') i++;
    } else if (char === '?') {
      wildcards++;
    } else if (char === '[' || char === '{') {
      const close = pattern.indexOf(char === '[' ? ']' : '}', i + 1);
      if (close === -1) {
        // picomatch treats an unclosed bracket as a literal character; so do we.
        literalLength++;
      } else {
        wildcards++;
        i = close;
      }
    } else {
      literalLength++;
    }
  }
  return { exact: wildcards === 0, wildcards, literalLength };
}

/** Negative when `a` is more specific than `b`. */
export function compareSpecificity(a: Specificity, b: Specificity): number {
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  if (a.wildcards !== b.wildcards) return a.wildcards - b.wildcards;
  return b.literalLength - a.literalLength;
}

/**
 * Repository names are case-insensitive on GitHub ('Acme/Web' is 'acme/web'); `dot` because repositories
 * such as 'acme/.github' exist and 'acme/*' should govern them.
 */
const MATCH_OPTIONS: picomatch.PicomatchOptions = { nocase: true, dot: true };

export function repositoryMatches(pattern: string, repository: string): boolean {
  return picomatch.isMatch(repository, pattern, MATCH_OPTIONS);
}

/**
 * The policy that governs `repository`: the one with the most specific matching pattern, then the higher
 * `priority`, then the smaller namespace/name (so the answer never depends on list order). Suspended
 * policies still match: the gate reports "suspended" rather than letting a broader policy take over.
 */
export function selectPolicy(policies: readonly RemediationPolicy[], repository: string): PolicyMatch | null {
  let best: (PolicyMatch & { specificity: Specificity; key: string }) | null = null;
  for (const policy of policies) {
    let own: { pattern: string; specificity: Specificity } | null = null;
    for (const pattern of policy.spec.repositories) {
      if (!repositoryMatches(pattern, repository)) continue;
      const specificity = patternSpecificity(pattern);
      if (own === null || compareSpecificity(specificity, own.specificity) < 0) own = { pattern, specificity };
    }
    if (own === null) continue;
    const candidate = { policy, pattern: own.pattern, specificity: own.specificity, key: policyKey(policy) };
    if (best === null || isBetter(candidate, best)) best = candidate;
  }
  return best === null ? null : { policy: best.policy, pattern: best.pattern };
}

function isBetter(
  a: { policy: RemediationPolicy; specificity: Specificity; key: string },
  b: { policy: RemediationPolicy; specificity: Specificity; key: string },
): boolean {
  const bySpecificity = compareSpecificity(a.specificity, b.specificity);
  if (bySpecificity !== 0) return bySpecificity < 0;
  if (a.policy.spec.priority !== b.policy.spec.priority) return a.policy.spec.priority > b.policy.spec.priority;
  return a.key < b.key;
}

function policyKey(policy: RemediationPolicy): string {
  return `${policy.metadata.namespace ?? ''}/${policy.metadata.name}`;
}

export interface ResolvedPolicy {
  policy: RemediationPolicy;
  /** The matching pattern, or null when no policy matched and the no-match policy applies. */
  pattern: string | null;
}

/**
 * selectPolicy with the safe fallback: when no policy governs the repository, everything needs approval
 * (NO_MATCH_POLICY). Callers that have no policies at all by choice (the CLI without --policy) pass
 * [DEFAULT_POLICY] instead of an empty list.
 */
export function resolvePolicy(policies: readonly RemediationPolicy[], repository: string): ResolvedPolicy {
  return selectPolicy(policies, repository) ?? { policy: NO_MATCH_POLICY, pattern: null };
}
