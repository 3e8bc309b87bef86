import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      httpAddress: '127.0.0.1',
      httpPort: 8080,
      metricsAddress: '127.0.0.1',
      metricsPort: 9090,
      ingestMaxConnections: 300,
      ingestMaxBodies: 32,
      ingestHeaderTimeoutMs: 5_000,
      ingestBodyTimeoutMs: 10_000,
      resyncPeriodMs: 600_000,
      maxConcurrentReconciles: 8,
      maxConcurrentAnalyses: 4,
      analysisTimeoutMs: 120_000,
      logLevel: 'info',
      githubApiUrl: 'https://api.github.com',
      verifyPollIntervalMs: 15_000,
      verifyTimeoutMs: 7_200_000,
      // The GitHub sources (src/config/sources-config.ts): both off.
      sourceRepositories: [],
      poll: false,
      pollIntervalMs: 300_000,
      pollBackfillMs: 3_600_000,
      pollRepositories: [],
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
    [['--max-concurrent-analyses', '0'], {}, "Invalid --max-concurrent-analyses '0'"],
    [['--analysis-timeout', 'soon'], {}, "Invalid --analysis-timeout 'soon'"],
    [['--namespace', 'Bad_NS'], {}, 'Invalid --namespace'],
    [[], { CI_REMEDIATOR_WATCH_NAMESPACES: 'ok,Not OK' }, 'Invalid CI_REMEDIATOR_WATCH_NAMESPACES'],
    [[], { CI_REMEDIATOR_LEADER_ELECT: 'maybe' }, "Invalid CI_REMEDIATOR_LEADER_ELECT 'maybe': must be 'true' or 'false'"],
    [[], { CI_REMEDIATOR_LOG_LEVEL: 'loud' }, "Invalid CI_REMEDIATOR_LOG_LEVEL 'loud'"],
    [[], { CI_REMEDIATOR_DATABASE_URL: 'mysql://x' }, 'Invalid CI_REMEDIATOR_DATABASE_URL'],
    [['--renew-deadline', '20s'], {}, 'Invalid --renew-deadline: must be shorter than --lease-duration'],
    [['--retry-period', '10s'], {}, 'Invalid --retry-period: must be shorter than --renew-deadline'],
    [['--bogus'], {}, /^Unknown option '--bogus'\.$/],
    [['--http-port'], {}, /^Option '--http-port' needs a value\.$/],
    [['stray'], {}, /^Unexpected argument 'stray': this command takes options only\.$/],
  ])('refuses %j %j naming the key', (args, env, message) => {
    expect(() => parseOperatorConfig(args, env as NodeJS.ProcessEnv, host)).toThrow(OperatorConfigError);
    expect(() => parseOperatorConfig(args, env as NodeJS.ProcessEnv, host)).toThrow(message);
  });

  it('listens on loopback on a laptop and on every address in a pod, unless told otherwise', () => {
    expect(parse([]).httpAddress).toBe('127.0.0.1');
    expect(parse([], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).httpAddress).toBe('0.0.0.0');
    expect(parse(['--http-address', '0.0.0.0']).httpAddress).toBe('0.0.0.0');
  });

  it('puts /metrics on a port of its own, and bounds the ingest port (flags and defaults)', () => {
    expect(parse([])).toMatchObject({
      metricsAddress: '127.0.0.1',
      metricsPort: 9090,
      ingestMaxConnections: 300,
      ingestMaxBodies: 32,
      ingestHeaderTimeoutMs: 5_000,
      ingestBodyTimeoutMs: 10_000,
    });
    expect(
      parse(['--metrics-port', '0', '--ingest-max-connections', '50', '--ingest-max-bodies', '4', '--ingest-header-timeout', '2s', '--ingest-body-timeout', '3s'], {
        CI_REMEDIATOR_METRICS_ADDRESS: '127.0.0.1',
      }),
    ).toMatchObject({ metricsAddress: '127.0.0.1', metricsPort: 0, ingestMaxConnections: 50, ingestMaxBodies: 4, ingestHeaderTimeoutMs: 2_000, ingestBodyTimeoutMs: 3_000 });
    expect(parse([], { CI_REMEDIATOR_METRICS_PORT: '9100' })).toMatchObject({ metricsPort: 9100 });
    expect(() => parse(['--ingest-body-timeout', '10m'])).toThrow(/Invalid --ingest-body-timeout '10m'/);
  });

  it('answers --help without validating anything else', () => {
    expect(parseOperatorConfig(['--help'], { CI_REMEDIATOR_LOG_LEVEL: 'loud' })).toEqual({ help: true });
  });
});

describe('parseOperatorConfig: the ingest endpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-config-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'from-the-file-0123456789\n');

  it('is off without a secret, and reads the secret from a file (flag) or the environment', () => {
    expect(parse([]).ingestSecret).toBeUndefined();
    expect(parse(['--ingest-secret-file', secretFile]).ingestSecret).toBe('from-the-file-0123456789');
    expect(parse([], { CI_REMEDIATOR_INGEST_SECRET: ' from-the-environment-0123 ' }).ingestSecret).toBe('from-the-environment-0123');
    // The flag wins, as flags do.
    expect(parse(['--ingest-secret-file', secretFile], { CI_REMEDIATOR_INGEST_SECRET: 'from-the-environment-0123' }).ingestSecret).toBe(
      'from-the-file-0123456789',
    );
    expect(parse(['--namespace', 'ci', '--ingest-namespace', 'ci'])).toMatchObject({ ingestNamespace: 'ci' });
  });

  it.each([
    [['--ingest-secret-file', join(dir, 'missing')], {}, `Invalid --ingest-secret-file '${join(dir, 'missing')}': cannot read it (ENOENT)`],
    [[], { CI_REMEDIATOR_INGEST_SECRET: 'short' }, 'Invalid CI_REMEDIATOR_INGEST_SECRET: the secret must be at least 16 characters long (got 5)'],
    [['--namespace', 'a,b', '--ingest-namespace', 'c'], {}, "Invalid --ingest-namespace 'c': must be one of the watched namespaces (a, b)"],
    [[], { CI_REMEDIATOR_INGEST_NAMESPACE: 'Bad' }, "Invalid CI_REMEDIATOR_INGEST_NAMESPACE 'Bad'"],
  ])('refuses %j %j naming the key', (args, env, message) => {
    expect(() => parseOperatorConfig(args, env as NodeJS.ProcessEnv, host)).toThrow(message);
  });

  it('hands the model settings on as the keys the model analyzer reads, flags over the environment, only when one is set', () => {
    expect(parse([]).modelEnv).toBeUndefined();
    const config = parse(['--openai-base-url', 'http://vllm:8000/v1', '--model', 'llama-3.1-70b', '--openai-api-key-file', '/secrets/openai/api-key'], {
      OPENAI_BASE_URL: 'https://api.openai.com/v1',
      OPENAI_API_KEY: 'sk-from-env',
      CI_REMEDIATOR_MODEL_DEADLINE: '30s',
      UNRELATED: 'x',
    });
    expect(config.modelEnv).toEqual({
      OPENAI_BASE_URL: 'http://vllm:8000/v1',
      CI_REMEDIATOR_MODEL: 'llama-3.1-70b',
      OPENAI_API_KEY_FILE: '/secrets/openai/api-key',
      OPENAI_API_KEY: 'sk-from-env',
      CI_REMEDIATOR_MODEL_DEADLINE: '30s',
    });
    expect(Object.isFrozen(config.modelEnv)).toBe(true);
  });
});
