import { z } from 'zod';

/** The fixed failure taxonomy (DESIGN.md): an analyzer returns exactly one of these. */
export const CATEGORIES = [
  'test_failure',
  'flaky_test',
  'compilation_error',
  'lint_error',
  'dependency_error',
  'network_error',
  'infrastructure_error',
  'configuration_error',
  'timeout',
  'cancelled',
  'security_scan',
  'deployment_error',
  'unknown',
] as const;
export const Category = z.enum(CATEGORIES);
export type Category = z.infer<typeof Category>;

/**
 * Classes a re-run can fix. Timeouts and cancellations are transient only sometimes; the analyzer decides
 * per failure (a runner lost vs. a test that hangs), so they are not listed here.
 */
export const TRANSIENT_CATEGORIES: ReadonlySet<Category> = new Set(['network_error', 'infrastructure_error', 'flaky_test']);

export const EFFORTS = ['trivial', 'low', 'medium', 'high'] as const;
export const Effort = z.enum(EFFORTS);
export type Effort = z.infer<typeof Effort>;

/**
 * The remediation catalog. Nothing outside this list is ever executed, whatever an analyzer proposes.
 * `notify-only` changes nothing: it tells people a failure needs them.
 */
export const REMEDIATION_ACTIONS = ['rerun-failed-jobs', 'rerun-workflow', 'clear-caches', 'notify-only'] as const;
export const RemediationAction = z.enum(REMEDIATION_ACTIONS);
export type RemediationAction = z.infer<typeof RemediationAction>;
