import type { Category, Effort, RemediationAction } from '../taxonomy.ts';

/**
 * The shape of a signature rule, the defaults per category, and the `rule()` shorthand the catalog files
 * (signatures.ts and signatures/*.ts) build their entries with.
 *
 * Each entry says what a family of log lines means. Adding a rule is adding an entry to a catalog file; the
 * analyzer's code does not change. Every entry carries a real log line (`example`) and where it came from, and the unit tests
 * feed each example alone through the analyzer: a rule whose example does not classify to its own category
 * fails the build.
 *
 * `weight` (0-1) is how specific the evidence is: 1 means "this line alone names the failure" (a runner
 * shutdown, a Docker Hub rate limit), 0.3 means "this only says something failed" (an exit code). The analyzer
 * multiplies it by where the line sits (the key line weighs most), so a specific line outside the key line can
 * still beat a vague key line.
 *
 * Patterns never use the `g` or `y` flags: a RegExp with them keeps state between `test()` calls.
 */
export interface Signature {
  /** Stable id, `<category family>.<tool>.<what>`; it feeds the fingerprint, so renaming one changes fingerprints. */
  readonly id: string;
  readonly category: Category;
  /** A line matches the rule when any pattern matches. Applied to single, normalized, redacted lines. */
  readonly patterns: readonly RegExp[];
  readonly weight: number;
  /**
   * Categories whose evidence this rule explains: a root cause that makes other tools fail in their own words
   * (browsers never installed, so every test fails; the registry refused a publish, so npm prints E404). When
   * the rule matches more than in passing, it wins over those categories however many lines they match.
   */
  readonly explains?: readonly Category[];
  /** Overrides the category's base risk when this rule decides (e.g. a corrupt cache is safer than a generic dependency error). */
  readonly risk?: number;
  readonly effort: Effort;
  readonly remediation: RemediationAction;
  /** Why `remediation` fits; shown to the approver. */
  readonly rationale: string;
  readonly description: string;
  /** Short name of the tool for the summary line ("jest", "docker"). */
  readonly tool?: string;
  /**
   * Optional summary template filled from the first matching pattern's named groups, e.g. `{failed} tests failed`.
   * Unfilled placeholders make the template unusable and the key line is used instead.
   */
  readonly summary?: string;
  /** A real log line this rule must match and classify on its own. */
  readonly example: string;
  /** Where the example comes from: `logchunks: <log id>` for the LogChunks data set, else the tool that prints it. */
  readonly exampleSource: string;
  /**
   * Lines that look like `example` but mean something else (a passing summary, another tool's wording); the
   * rule must match none of them. The unit tests check both sides, so a pattern cannot quietly grow too wide.
   * Every rule in the catalog has at least one (a test checks it).
   */
  readonly nearMiss: readonly string[];
}

/** Defaults per category, used when no single rule decides (job conclusion, history, nothing matched). */
export interface CategoryProfile {
  /**
   * Base risk of acting automatically on this class (0-100). Transient classes are cheap to act on (a re-run
   * costs runner minutes, not correctness); classes a person must fix, and above all security findings and
   * deployments, are expensive to get wrong.
   */
  readonly baseRisk: number;
  readonly effort: Effort;
  readonly remediation: RemediationAction;
  readonly rationale: string;
  /** Human name used in summaries when the deciding rule names no tool. */
  readonly label: string;
}

export const RERUN_TRANSIENT =
  'A transient condition outside the code caused this; re-running only the failed jobs is cheap and usually enough.';
export const PERSON_MUST_FIX = 'The failure is in the code or its configuration; a re-run would fail the same way, so a person must fix it.';

export const CATEGORY_PROFILES: Readonly<Record<Category, CategoryProfile>> = Object.freeze({
  network_error: { baseRisk: 15, effort: 'trivial', remediation: 'rerun-failed-jobs', rationale: RERUN_TRANSIENT, label: 'network' },
  infrastructure_error: {
    baseRisk: 20,
    effort: 'trivial',
    remediation: 'rerun-failed-jobs',
    rationale: 'The runner or its host failed, not the code; a re-run gets a fresh runner.',
    label: 'runner',
  },
  flaky_test: {
    baseRisk: 25,
    effort: 'low',
    remediation: 'rerun-failed-jobs',
    rationale: 'The test fails intermittently; a re-run is likely to pass. Track the test so someone stabilizes it.',
    label: 'flaky test',
  },
  cancelled: {
    baseRisk: 35,
    effort: 'trivial',
    remediation: 'notify-only',
    rationale:
      'The run was cancelled (by a person, a newer push in the same concurrency group, or a failing sibling job); re-running a superseded run wastes minutes, so people decide.',
    label: 'cancelled',
  },
  timeout: {
    baseRisk: 40,
    effort: 'low',
    remediation: 'rerun-failed-jobs',
    rationale:
      'The job ran out of time with no failing test or compile error before it, which most often means a stalled runner or a slow external service; one re-run tells a hang from a transient slowdown.',
    label: 'timeout',
  },
  dependency_error: { baseRisk: 45, effort: 'medium', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'dependencies' },
  lint_error: { baseRisk: 55, effort: 'low', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'lint' },
  configuration_error: { baseRisk: 60, effort: 'low', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'configuration' },
  test_failure: { baseRisk: 65, effort: 'medium', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'tests' },
  compilation_error: { baseRisk: 70, effort: 'medium', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'build' },
  deployment_error: {
    baseRisk: 80,
    effort: 'high',
    remediation: 'notify-only',
    rationale: 'A deployment failed part-way; repeating it blindly can leave an environment half-changed, so a person checks first.',
    label: 'deployment',
  },
  security_scan: {
    baseRisk: 85,
    effort: 'high',
    remediation: 'notify-only',
    rationale: 'A security scanner reported findings; they must be triaged by a person, never re-run away.',
    label: 'security scan',
  },
  unknown: {
    baseRisk: 60,
    effort: 'medium',
    remediation: 'notify-only',
    rationale: 'No rule recognized the failure, so nothing is safe to do automatically; a person must look.',
    label: 'CI',
  },
});

export const CACHE_CORRUPT =
  'The restored cache looks corrupt (a truncated archive or a checksum that does not match); clearing the caches and re-running rebuilds it from the source.';
export const TEST_TIMEOUT =
  'A single test ran out of time; that is a hang or a slow dependency inside the test, which a person should look at (failure history can mark it flaky).';
export const CANCELLED_RATIONALE = CATEGORY_PROFILES.cancelled.rationale;
export const SECURITY = CATEGORY_PROFILES.security_scan.rationale;
export const DEPLOY = CATEGORY_PROFILES.deployment_error.rationale;

/** Shorthand for rules that take every default of their category. */
export function rule(
  category: Category,
  fields: Omit<Signature, 'category' | 'effort' | 'remediation' | 'rationale'> &
    Partial<Pick<Signature, 'effort' | 'remediation' | 'rationale'>>,
): Signature {
  const profile = CATEGORY_PROFILES[category];
  return Object.freeze({
    category,
    effort: profile.effort,
    remediation: profile.remediation,
    rationale: profile.rationale,
    ...fields,
  });
}
