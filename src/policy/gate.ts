import picomatch from 'picomatch';
import type { Analysis } from '../analysis/types.ts';
import { REMEDIATION_ACTIONS } from '../analysis/taxonomy.ts';
import type { RemediationPolicy } from '../api/remediation-policy.ts';
import { isNoMatchPolicy } from './default-policy.ts';

export interface GateInput {
  analysis: Pick<Analysis, 'category' | 'riskScore' | 'components' | 'proposedRemediation'> & {
    injectionSuspected?: boolean;
    /** Each forces approval whatever the risk (set by the verdict merge, e.g. rules and model disagree). */
    approvalReasons?: readonly string[];
  };
  /** The deterministic rules analyzer's riskScore for the same failure: the lowest risk anyone may claim. */
  rulesFloor: number;
  /** owner/name; only used to word reasons. */
  repository?: string;
  changedFiles?: string[];
  policy: RemediationPolicy;
}

export type GateDecision = 'auto' | 'approval' | 'blocked';

export interface GateResult {
  decision: GateDecision;
  /** Every rule that applied, most severe first, as sentences a person reads in Slack or a job summary. */
  reasons: string[];
  /** metadata.name of the policy that decided. */
  policy: string;
  /** The effective risk: max(analysis, rules floor), clamped to 0-100. */
  riskScore: number;
  threshold: number;
  touchesApplicationCode: boolean;
}

const SEVERITY: Record<GateDecision, number> = { auto: 0, approval: 1, blocked: 2 };
const CATALOG: ReadonlySet<string> = new Set(REMEDIATION_ACTIONS);
/** Reasons name at most this many files; the rest are counted. */
const LISTED_FILES = 3;

/**
 * Decides what may happen to an analyzed failure under a policy. Pure: the same input gives the same
 * result, nothing is read from outside and nothing in the input is changed. The rules, from most severe
 * (docs/spec/remediationpolicy.md, docs/adr/0001-gate-decisions.md):
 *   blocked  - the action is not in the catalog or not in allowedActions; risk at or above riskCeiling;
 *              the policy is suspended;
 *   approval - the policy is protected; the failure touches application code; prompt injection is
 *              suspected; risk at or above riskThreshold (always, for the no-match policy);
 *   auto     - none of the above.
 * Every rule that applies adds a reason; the decision is the most severe of them.
 */
export function gate(input: GateInput): GateResult {
  const { analysis, policy } = input;
  const { spec } = policy;
  const name = policy.metadata.name;
  // An LLM may raise risk, never lower it below what the deterministic rules found.
  const riskScore = Math.max(normalizeRisk(analysis.riskScore), normalizeRisk(input.rulesFloor));
  const action: string = analysis.proposedRemediation.action;

  const applied: { decision: GateDecision; reason: string }[] = [];
  const block = (reason: string) => applied.push({ decision: 'blocked', reason });
  const ask = (reason: string) => applied.push({ decision: 'approval', reason });

  if (!CATALOG.has(action)) {
    block(`action '${action}' is not in the remediation catalog (${REMEDIATION_ACTIONS.join(', ')})`);
  } else if (!(spec.allowedActions as readonly string[]).includes(action)) {
    block(`action '${action}' is not among the allowedActions of policy '${name}' (${spec.allowedActions.join(', ') || 'none'})`);
  }
  if (riskScore >= spec.riskCeiling) {
    block(`risk ${riskScore} is at or above the ceiling ${spec.riskCeiling} of policy '${name}'`);
  }
  if (spec.suspend) {
    block(`policy '${name}' is suspended: nothing runs automatically while it is suspended`);
  }

  if (spec.protected) {
    ask(`${input.repository === undefined ? 'the repository' : `repository '${input.repository}'`} is protected by policy '${name}': every remediation needs an approval`);
  }
  const appFiles = applicationCodeTouched(policy, [...analysis.components, ...(input.changedFiles ?? [])]);
  if (appFiles.length > 0) {
    ask(`the failure touches application code (${listFiles(appFiles)}) under applicationCodePaths of policy '${name}'`);
  }
  if (analysis.injectionSuspected === true) {
    ask('the log appears to contain instructions aimed at the analyzer (suspected prompt injection)');
  }
  for (const reason of analysis.approvalReasons ?? []) ask(reason);
  if (isNoMatchPolicy(policy)) {
    ask(`no RemediationPolicy matches ${input.repository === undefined ? 'the repository' : `repository '${input.repository}'`}, so every remediation needs an approval`);
  } else if (riskScore >= spec.riskThreshold) {
    ask(`risk ${riskScore} is at or above the threshold ${spec.riskThreshold} of policy '${name}'`);
  }

  let decision: GateDecision = 'auto';
  for (const rule of applied) if (SEVERITY[rule.decision] > SEVERITY[decision]) decision = rule.decision;
  const reasons = [...applied]
    // Stable sort: most severe first, rule order within a severity.
    .sort((a, b) => SEVERITY[b.decision] - SEVERITY[a.decision])
    .map((rule) => rule.reason);
  if (decision === 'auto') {
    reasons.push(`risk ${riskScore} is below the threshold ${spec.riskThreshold} of policy '${name}'; ${action} is allowed`);
  }

  return { decision, reasons, policy: name, riskScore, threshold: spec.riskThreshold, touchesApplicationCode: appFiles.length > 0 };
}

/**
 * Risk as an integer 0-100. A value that is not a number (a malformed model answer) counts as the worst
 * risk, and fractions round up, so sanitizing never makes anything more automatic.
 */
function normalizeRisk(value: number): number {
  if (!Number.isFinite(value)) return 100;
  return Math.min(100, Math.max(0, Math.ceil(value)));
}

function listFiles(files: readonly string[]): string {
  const shown = files.slice(0, LISTED_FILES).join(', ');
  return files.length > LISTED_FILES ? `${shown} and ${files.length - LISTED_FILES} more` : shown;
}

/**
 * Normalized paths (deduplicated, in first-seen order) that match applicationCodePaths and not
 * infrastructurePaths. Application globs match case-insensitively and infrastructure globs case-sensitively
 * on purpose: on a case-insensitive checkout (Windows, macOS) `Src/App.cs` is application code, and when in
 * doubt the answer must be "ask a person", never "it was infrastructure".
 */
export function applicationCodeTouched(policy: RemediationPolicy, paths: readonly string[]): string[] {
  const isApplication = matcherFor(policy.spec.applicationCodePaths, true);
  const isInfrastructure = matcherFor(policy.spec.infrastructurePaths, false);
  const touched = new Set<string>();
  for (const raw of paths) {
    const path = normalizeRepoPath(raw);
    if (path === '' || touched.has(path)) continue;
    if (isApplication(path) && !isInfrastructure(path)) touched.add(path);
  }
  return [...touched];
}

// Compiled matchers are cached by glob list (policies change rarely; records are many). Keyed by content, not
// by array identity, so a caller that mutates a policy it parsed itself still gets the right answer; the
// cache is bounded because policies come and go while the operator runs.
const MATCHER_CACHE_LIMIT = 512;
const matchers = new Map<string, (path: string) => boolean>();

function matcherFor(globs: readonly string[], nocase: boolean): (path: string) => boolean {
  const key = `${nocase ? 'i' : 's'}\0${globs.join('\0')}`;
  let matcher = matchers.get(key);
  if (matcher === undefined) {
    matcher = globs.length === 0 ? () => false : picomatch([...globs], { dot: true, nocase });
    if (matchers.size >= MATCHER_CACHE_LIMIT) matchers.clear();
    matchers.set(key, matcher);
  }
  return matcher;
}

/**
 * CI workspaces, so an absolute path from a log becomes the repository-relative path a policy glob talks
 * about. Each pattern ends at the checkout root.
 */
const WORKSPACE_PREFIXES: readonly RegExp[] = [
  /^\/home\/runner\/work\/[^/]+\/[^/]+\//, // GitHub-hosted Linux
  /^\/Users\/runner\/work\/[^/]+\/[^/]+\//, // GitHub-hosted macOS
  /^[A-Za-z]:\/a\/[^/]+\/[^/]+\//, // GitHub-hosted Windows (D:\a\<repo>\<repo>\)
  /^\/__w\/[^/]+\/[^/]+\//, // job containers
  /^\/github\/workspace\//, // Docker container actions
  /^(?:[A-Za-z]:)?(?:\/[^/]+)*\/_work\/[^/]+\/[^/]+\//, // self-hosted and ARC runners (<root>/_work/<repo>/<repo>/)
  /^\/home\/travis\/build\/[^/]+\/[^/]+\//, // Travis CI
  /^\/home\/circleci\/project\//, // CircleCI
  /^\/builds\/[^/]+\/[^/]+\//, // GitLab CI
];

/**
 * A repository-relative path with forward slashes, from what a log or a diff says: backslashes become
 * `/`, a CI workspace prefix is removed, leading `./` and trailing `:line[:col]` / `(line,col)` positions
 * (compiler and stack-trace style) are dropped. Paths outside a known workspace stay absolute and so match
 * no relative glob. The analyzer reuses this for `components`.
 */
export function normalizeRepoPath(path: string): string {
  let out = path.trim().replaceAll('\\', '/');
  for (const prefix of WORKSPACE_PREFIXES) {
    const stripped = out.replace(prefix, '');
    if (stripped !== out) {
      out = stripped;
      break;
    }
  }
  out = out.replace(/\/{2,}/g, '/').replace(/(^|\/)(\.\/)+/g, '$1');
  while (out.startsWith('./')) out = out.slice(2);
  return out.replace(/(?::\d+){1,2}$|\(\d+(?:,\d+)?\)$/, '');
}
