import { describe, expect, it } from '@jest/globals';
import { RemediationPolicy, type RemediationPolicyInput } from '../../../src/api/remediation-policy.ts';
import { gate, normalizeRepoPath, type GateInput } from '../../../src/policy/gate.ts';

function policy(spec: Partial<RemediationPolicyInput['spec']> = {}, name = 'default'): RemediationPolicy {
  return RemediationPolicy.parse({
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'RemediationPolicy',
    metadata: { name },
    spec: { repositories: ['*/*'], ...spec },
  });
}

function input(overrides: { riskScore?: number; action?: string; components?: string[]; injectionSuspected?: boolean } = {}, rest: Partial<GateInput> = {}): GateInput {
  return {
    analysis: {
      category: 'network_error',
      riskScore: overrides.riskScore ?? 15,
      components: overrides.components ?? [],
      proposedRemediation: { action: (overrides.action ?? 'rerun-failed-jobs') as 'rerun-failed-jobs', rationale: 'transient' },
      ...(overrides.injectionSuspected === undefined ? {} : { injectionSuspected: overrides.injectionSuspected }),
    },
    rulesFloor: 0,
    repository: 'acme/web',
    policy: policy(),
    ...rest,
  };
}

describe('gate', () => {
  it('runs a low-risk allowed action automatically, and says why', () => {
    expect(gate(input())).toEqual({
      decision: 'auto',
      reasons: ["risk 15 is below the threshold 30 of policy 'default'; rerun-failed-jobs is allowed"],
      policy: 'default',
      riskScore: 15,
      threshold: 30,
      touchesApplicationCode: false,
    });
  });

  it('asks for approval at or above the threshold', () => {
    const result = gate(input({ riskScore: 30 }));
    expect(result.decision).toBe('approval');
    expect(result.reasons).toEqual(["risk 30 is at or above the threshold 30 of policy 'default'"]);
  });

  it('blocks at or above the ceiling', () => {
    const result = gate(input({ riskScore: 90 }));
    expect(result.decision).toBe('blocked');
    expect(result.reasons).toEqual(["risk 90 is at or above the ceiling 90 of policy 'default'", "risk 90 is at or above the threshold 30 of policy 'default'"]);
  });

  it('never lets the analysis lower risk below the rules floor', () => {
    const result = gate(input({ riskScore: 5 }, { rulesFloor: 65 }));
    expect(result.riskScore).toBe(65);
    expect(result.reasons).toEqual(["risk 65 is at or above the threshold 30 of policy 'default'"]);
    expect(gate(input({ riskScore: 70 }, { rulesFloor: 20 })).riskScore).toBe(70);
  });

  it('treats a risk that is not a number as the worst risk, and rounds fractions up', () => {
    expect(gate(input({ riskScore: Number.NaN })).riskScore).toBe(100);
    expect(gate(input({ riskScore: 29.2 })).decision).toBe('approval');
    expect(gate(input({ riskScore: -20 })).riskScore).toBe(0);
  });

  it('blocks an action outside allowedActions, or outside the catalog', () => {
    expect(gate(input({ action: 'clear-caches' }))).toMatchObject({
      decision: 'blocked',
      reasons: ["action 'clear-caches' is not among the allowedActions of policy 'default' (rerun-failed-jobs, notify-only)"],
    });
    expect(gate(input({ action: 'run-shell' })).reasons[0]).toBe(
      "action 'run-shell' is not in the remediation catalog (rerun-failed-jobs, rerun-workflow, clear-caches, notify-only)",
    );
    expect(gate(input({ action: 'clear-caches' }, { policy: policy({ allowedActions: ['clear-caches'] }) })).decision).toBe('auto');
  });

  it('blocks everything while the policy is suspended', () => {
    expect(gate(input({}, { policy: policy({ suspend: true }) }))).toMatchObject({
      decision: 'blocked',
      reasons: ["policy 'default' is suspended: nothing runs automatically while it is suspended"],
    });
  });

  it('asks for approval in a protected repository, however low the risk', () => {
    expect(gate(input({ riskScore: 0 }, { policy: policy({ protected: true }) }))).toMatchObject({
      decision: 'approval',
      reasons: ["repository 'acme/web' is protected by policy 'default': every remediation needs an approval"],
    });
  });

  it('asks for approval when prompt injection is suspected', () => {
    expect(gate(input({ injectionSuspected: true })).decision).toBe('approval');
    expect(gate(input({ injectionSuspected: false })).decision).toBe('auto');
  });

  describe('application code', () => {
    it('asks for approval when components or changed files are application code', () => {
      const fromComponents = gate(input({ components: ['/home/runner/work/web/web/src/cart.ts:12:7'] }));
      expect(fromComponents).toMatchObject({ decision: 'approval', touchesApplicationCode: true });
      expect(fromComponents.reasons).toEqual(["the failure touches application code (src/cart.ts) under applicationCodePaths of policy 'default'"]);
      expect(gate(input({}, { changedFiles: ['internal/db/pool.go'] })).decision).toBe('approval');
    });

    it('does not count infrastructure, tests or paths outside the checkout', () => {
      const result = gate(input({ components: ['src/Dockerfile', 'internal/deploy/main.tf', 'test/cart.test.ts', '/usr/lib/node/x.js'] }, { changedFiles: ['.github/workflows/ci.yml'] }));
      expect(result).toMatchObject({ decision: 'auto', touchesApplicationCode: false });
    });

    it('lists at most three files and counts the rest', () => {
      const files = ['src/a.ts', 'src/b.ts', './src/a.ts', 'src/c.ts', 'lib/d.js', 'app/e.rb'];
      expect(gate(input({ components: files })).reasons[0]).toBe(
        "the failure touches application code (src/a.ts, src/b.ts, src/c.ts and 2 more) under applicationCodePaths of policy 'default'",
      );
    });

    it('matches application paths regardless of case, as a Windows checkout may spell them', () => {
      expect(gate(input({ components: ['D:\\a\\web\\web\\Src\\Cart.cs(10,5)'] })).touchesApplicationCode).toBe(true);
    });

    it('follows the policy’s own globs', () => {
      const custom = policy({ applicationCodePaths: ['services/*/src/**'], infrastructurePaths: [] });
      expect(gate(input({ components: ['services/cart/src/index.ts'] }, { policy: custom })).decision).toBe('approval');
      expect(gate(input({ components: ['src/index.ts'] }, { policy: custom })).decision).toBe('auto');
    });
  });

  it('lists every rule that applied, most severe first', () => {
    const result = gate(
      input(
        { riskScore: 95, action: 'clear-caches', components: ['src/a.ts'], injectionSuspected: true },
        { policy: policy({ protected: true, suspend: true }, 'web') },
      ),
    );
    expect(result.decision).toBe('blocked');
    expect(result.reasons).toEqual([
      "action 'clear-caches' is not among the allowedActions of policy 'web' (rerun-failed-jobs, notify-only)",
      "risk 95 is at or above the ceiling 90 of policy 'web'",
      "policy 'web' is suspended: nothing runs automatically while it is suspended",
      "repository 'acme/web' is protected by policy 'web': every remediation needs an approval",
      "the failure touches application code (src/a.ts) under applicationCodePaths of policy 'web'",
      'the log appears to contain instructions aimed at the analyzer (suspected prompt injection)',
      "risk 95 is at or above the threshold 30 of policy 'web'",
    ]);
  });
});

describe('normalizeRepoPath', () => {
  it.each([
    ['./src/a.ts', 'src/a.ts'],
    ['././src/a.ts', 'src/a.ts'],
    ['src\\app\\main.cs', 'src/app/main.cs'],
    ['/home/runner/work/web/web/src/a.ts', 'src/a.ts'],
    ['/Users/runner/work/web/web/src/a.swift', 'src/a.swift'],
    ['D:\\a\\web\\web\\src\\a.cs', 'src/a.cs'],
    ['C:/a/web/web/src/a.cs', 'src/a.cs'],
    ['/home/travis/build/acme/web/lib/a.rb', 'lib/a.rb'],
    ['/__w/web/web/pkg/a.go', 'pkg/a.go'],
    ['/github/workspace/cmd/main.go', 'cmd/main.go'],
    ['/opt/actions-runner/_work/web/web/app/x.py', 'app/x.py'],
    ['src/a.ts:12', 'src/a.ts'],
    ['src/a.ts:12:5', 'src/a.ts'],
    ['src/a.ts(12,5)', 'src/a.ts'],
    ['src//a/./b.ts', 'src/a/b.ts'],
    ['/usr/lib/python3/x.py', '/usr/lib/python3/x.py'],
    ['  src/a.ts  ', 'src/a.ts'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeRepoPath(raw)).toBe(expected);
  });
});
