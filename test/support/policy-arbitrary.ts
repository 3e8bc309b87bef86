import fc from 'fast-check';
import { REMEDIATION_ACTIONS } from '../../src/analysis/taxonomy.ts';
import { RemediationPolicy } from '../../src/api/remediation-policy.ts';

/** Generators the gate's property tests share. */

export const risk = fc.integer({ min: 0, max: 100 });

/** Policies as a user could write them (parsed with the schema, so threshold <= ceiling holds). */
export const policyArb = fc
  .record({
    threshold: risk,
    ceilingGap: fc.integer({ min: 0, max: 100 }),
    protected: fc.boolean(),
    suspend: fc.boolean(),
    allowedActions: fc.subarray([...REMEDIATION_ACTIONS]),
    applicationCodePaths: fc.option(fc.subarray(['src/**', 'lib/**', 'app/**', 'internal/**']), { nil: undefined }),
  })
  .map((p) =>
    RemediationPolicy.parse({
      apiVersion: 'ci-remediator.dev/v1alpha1',
      kind: 'RemediationPolicy',
      metadata: { name: 'p' },
      spec: {
        repositories: ['*/*'],
        riskThreshold: p.threshold,
        riskCeiling: Math.min(100, p.threshold + p.ceilingGap),
        protected: p.protected,
        suspend: p.suspend,
        allowedActions: p.allowedActions,
        ...(p.applicationCodePaths === undefined ? {} : { applicationCodePaths: p.applicationCodePaths }),
      },
    }),
  );

