import { describe, expect, it } from '@jest/globals';
import { OperatorConfigError, parseOperatorConfig } from '../../../src/config/operator-config.ts';

const host = { hostname: 'node-1', pid: 42 };
const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseOperatorConfig(args, env, host).config!;

describe('parseOperatorConfig', () => {
  it('has the documented defaults and freezes the result', () => {
    const config = parse([]);
    expect(config).toEqual({
      namespaces: [],
      leaderElect: true,
      leaderElectionNamespace: 'ci-remediator',
      leaderElectionId: 'ci-remediator-operator',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      identity: 'node-1-42',
      httpAddress: '0.0.0.0',
      httpPort: 8080,
      resyncPeriodMs: 600_000,
      maxConcurrentReconciles: 8,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.namespaces)).toBe(true);
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      KUBECONFIG: '/k',
      CI_REMEDIATOR_WATCH_NAMESPACES: 'a, b',
      CI_REMEDIATOR_DATABASE_URL: 'postgres://db/x',
      CI_REMEDIATOR_LEADER_ELECT: 'false',
      POD_NAMESPACE: 'ops',
      CI_REMEDIATOR_LOG_LEVEL: 'debug',
    };
    expect(parse([], env)).toMatchObject({
      kubeconfig: '/k',
      namespaces: ['a', 'b'],
      databaseUrl: 'postgres://db/x',
      leaderElect: false,
      leaderElectionNamespace: 'ops',
      logLevel: 'debug',
    });
    expect(parse(['--namespace', 'c', '--namespace', 'd,e', '--leader-elect', '--log-level', 'warn'], env)).toMatchObject({
      namespaces: ['c', 'd', 'e'],
      leaderElect: true,
      logLevel: 'warn',
    });
    expect(parse(['--no-leader-elect'])).toMatchObject({ leaderElect: false });
  });

  it('parses durations and numbers', () => {
    expect(
      parse(['--lease-duration', '30s', '--renew-deadline', '20s', '--retry-period', '500ms', '--resync-period', '1h', '--http-port', '0', '--max-concurrent-reconciles', '16']),
    ).toMatchObject({ leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500, resyncPeriodMs: 3_600_000, httpPort: 0, maxConcurrentReconciles: 16 });
  });

  it.each([
    [['--lease-duration', '15'], {}, "Invalid --lease-duration '15': must be a duration such as '15s'"],
    [['--http-port', '70000'], {}, "Invalid --http-port '70000': must be at most 65535"],
    [['--max-concurrent-reconciles', 'four'], {}, "Invalid --max-concurrent-reconciles 'four'"],
    [['--namespace', 'Bad_NS'], {}, 'Invalid --namespace'],
    [[], { CI_REMEDIATOR_WATCH_NAMESPACES: 'ok,Not OK' }, 'Invalid CI_REMEDIATOR_WATCH_NAMESPACES'],
    [[], { CI_REMEDIATOR_LEADER_ELECT: 'maybe' }, "Invalid CI_REMEDIATOR_LEADER_ELECT 'maybe': must be 'true' or 'false'"],
    [[], { CI_REMEDIATOR_LOG_LEVEL: 'loud' }, "Invalid CI_REMEDIATOR_LOG_LEVEL 'loud'"],
    [[], { CI_REMEDIATOR_DATABASE_URL: 'mysql://x' }, 'Invalid CI_REMEDIATOR_DATABASE_URL'],
    [['--renew-deadline', '20s'], {}, 'Invalid --renew-deadline: must be shorter than --lease-duration'],
    [['--retry-period', '10s'], {}, 'Invalid --retry-period: must be shorter than --renew-deadline'],
    [['--bogus'], {}, "Unknown option '--bogus'"],
  ])('refuses %j %j naming the key', (args, env, message) => {
    expect(() => parseOperatorConfig(args, env as NodeJS.ProcessEnv, host)).toThrow(OperatorConfigError);
    expect(() => parseOperatorConfig(args, env as NodeJS.ProcessEnv, host)).toThrow(message);
  });

  it('answers --help without validating anything else', () => {
    expect(parseOperatorConfig(['--help'], { CI_REMEDIATOR_LOG_LEVEL: 'loud' })).toEqual({ help: true });
  });
});
