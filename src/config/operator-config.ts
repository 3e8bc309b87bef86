import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { HttpUrl, NamespaceName, SlackChannel } from '../api/common.ts';
import { parseDuration } from '../duration.ts';
import { argsErrorMessage, InputError } from '../errors.ts';
import { MIN_SECRET_LENGTH } from '../ingest/signature.ts';
import { finishSourcesConfig, SOURCE_ARGS, SOURCE_SETTINGS, SOURCES_HELP, SourcesRawConfig, type SourcesConfig } from './sources-config.ts';

/**
 * The operator's settings, from flags and environment (flags win), parsed once into a frozen object. A bad
 * value fails at start with a message naming the flag or environment key, so a typo in a Helm value is a
 * crash-looping pod with a readable log line instead of an operator that runs with a surprise default.
 */

export class OperatorConfigError extends InputError {
  override readonly code = 'OPERATOR_CONFIG_INVALID';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Each setting: its flag, its environment key (if any), and where the message should point. */
const SOURCES = {
  kubeconfig: { flag: '--kubeconfig', env: 'KUBECONFIG' },
  namespaces: { flag: '--namespace', env: 'CI_REMEDIATOR_WATCH_NAMESPACES' },
  databaseUrl: { flag: '--database-url', env: 'CI_REMEDIATOR_DATABASE_URL' },
  dataDir: { flag: '--data-dir', env: 'CI_REMEDIATOR_DATA_DIR' },
  leaderElect: { flag: '--leader-elect', env: 'CI_REMEDIATOR_LEADER_ELECT' },
  leaderElectionNamespace: { flag: '--leader-election-namespace', env: 'POD_NAMESPACE' },
  leaderElectionId: { flag: '--leader-election-id', env: undefined },
  leaseDurationMs: { flag: '--lease-duration', env: undefined },
  renewDeadlineMs: { flag: '--renew-deadline', env: undefined },
  retryPeriodMs: { flag: '--retry-period', env: undefined },
  identity: { flag: '--identity', env: undefined },
  httpAddress: { flag: '--http-address', env: undefined },
  httpPort: { flag: '--http-port', env: undefined },
  metricsAddress: { flag: '--metrics-address', env: 'CI_REMEDIATOR_METRICS_ADDRESS' },
  metricsPort: { flag: '--metrics-port', env: 'CI_REMEDIATOR_METRICS_PORT' },
  ingestMaxConnections: { flag: '--ingest-max-connections', env: undefined },
  ingestMaxBodies: { flag: '--ingest-max-bodies', env: undefined },
  ingestHeaderTimeoutMs: { flag: '--ingest-header-timeout', env: undefined },
  ingestBodyTimeoutMs: { flag: '--ingest-body-timeout', env: undefined },
  resyncPeriodMs: { flag: '--resync-period', env: undefined },
  maxConcurrentReconciles: { flag: '--max-concurrent-reconciles', env: undefined },
  maxConcurrentAnalyses: { flag: '--max-concurrent-analyses', env: 'CI_REMEDIATOR_MAX_CONCURRENT_ANALYSES' },
  analysisTimeoutMs: { flag: '--analysis-timeout', env: 'CI_REMEDIATOR_ANALYSIS_TIMEOUT' },
  logLevel: { flag: '--log-level', env: 'CI_REMEDIATOR_LOG_LEVEL' },
  ingestSecretFile: { flag: '--ingest-secret-file', env: undefined },
  ingestNamespace: { flag: '--ingest-namespace', env: 'CI_REMEDIATOR_INGEST_NAMESPACE' },
  githubApiUrl: { flag: '--github-api-url', env: 'GITHUB_API_URL' },
  githubTokenFile: { flag: '--github-token-file', env: undefined },
  githubAppId: { flag: '--github-app-id', env: undefined },
  githubAppPrivateKeyFile: { flag: '--github-app-private-key-file', env: undefined },
  githubAppInstallationId: { flag: '--github-app-installation-id', env: undefined },
  verifyPollIntervalMs: { flag: '--verify-poll-interval', env: undefined },
  verifyTimeoutMs: { flag: '--verify-timeout', env: undefined },
  ...SOURCE_SETTINGS,
} as const satisfies Record<string, { flag: string; env: string | undefined }>;
type Key = keyof typeof SOURCES;

const DurationMs = (min: string, max: string) => {
  const lo = parseDuration(min)!;
  const hi = parseDuration(max)!;
  return z
    .string()
    .transform((text, ctx) => {
      const ms = parseDuration(text.trim());
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: "must be a duration such as '15s', '2m' or '1h30m'" });
        return z.NEVER;
      }
      if (ms < lo || ms > hi) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}` });
        return z.NEVER;
      }
      return Math.round(ms);
    });
};

const Bool = z.string().transform((text, ctx) => {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  ctx.addIssue({ code: 'custom', message: "must be 'true' or 'false'" });
  return z.NEVER;
});

const Integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));

/** Raw strings in, typed values out; one field per key of SOURCES. */
const RawConfig = z.object({
  kubeconfig: z.string().trim().min(1).optional(),
  namespaces: z.array(NamespaceName).default([]),
  databaseUrl: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, { error: "must be a postgres:// or postgresql:// URL" })
    .optional(),
  dataDir: z.string().trim().min(1).optional(),
  leaderElect: Bool.default(true),
  leaderElectionNamespace: NamespaceName.default('ci-remediator'),
  leaderElectionId: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: 'must be a Kubernetes object name (lower case, digits, "-" and ".")' })
    .max(253)
    .default('ci-remediator-operator'),
  leaseDurationMs: DurationMs('1s', '10m').default(15_000),
  renewDeadlineMs: DurationMs('500ms', '10m').default(10_000),
  retryPeriodMs: DurationMs('100ms', '5m').default(2_000),
  identity: z.string().trim().min(1).max(128).optional(),
  /** Unset: 0.0.0.0 in a pod (the Service and probes reach it), 127.0.0.1 elsewhere (a laptop trial). */
  httpAddress: z.string().trim().min(1).optional(),
  httpPort: Integer(0, 65535).default(8080),
  // A port of its own, so a Service or NetworkPolicy can expose the ingest port without exposing metrics.
  metricsAddress: z.string().trim().min(1).optional(),
  metricsPort: Integer(0, 65535).default(9090),
  ingestMaxConnections: Integer(1, 100_000).default(300),
  ingestMaxBodies: Integer(1, 4096).default(32),
  ingestHeaderTimeoutMs: DurationMs('100ms', '1m').default(5_000),
  ingestBodyTimeoutMs: DurationMs('100ms', '5m').default(10_000),
  resyncPeriodMs: DurationMs('1s', '24h').default(600_000),
  maxConcurrentReconciles: Integer(1, 256).default(8),
  maxConcurrentAnalyses: Integer(1, 256).default(4),
  analysisTimeoutMs: DurationMs('1s', '30m').default(120_000),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ingestSecretFile: z.string().trim().min(1).optional(),
  ingestNamespace: NamespaceName.optional(),
  githubApiUrl: HttpUrl.default('https://api.github.com'),
  githubTokenFile: z.string().trim().min(1).optional(),
  githubAppId: z.string().trim().regex(/^\d+$/, { error: 'must be the numeric App id' }).optional(),
  githubAppPrivateKeyFile: z.string().trim().min(1).optional(),
  githubAppInstallationId: Integer(1, Number.MAX_SAFE_INTEGER).optional(),
  verifyPollIntervalMs: DurationMs('1s', '10m').default(15_000),
  verifyTimeoutMs: DurationMs('1m', '24h').default(2 * 60 * 60 * 1000),
  ...SourcesRawConfig,
});

/** Where the ingest endpoint's HMAC secret may be given instead of --ingest-secret-file. */
const INGEST_SECRET_ENV = 'CI_REMEDIATOR_INGEST_SECRET';

export type OperatorConfig = Readonly<
  Omit<
    z.output<typeof RawConfig>,
    'namespaces' | 'identity' | 'httpAddress' | 'metricsAddress' | 'ingestSecretFile' | 'githubTokenFile' | 'githubAppId' | 'githubAppPrivateKeyFile' | 'githubAppInstallationId'
  > & {
    httpAddress: string;
    metricsAddress: string;
    /** Empty: all namespaces. */
    namespaces: readonly string[];
    identity: string;
    /** The signing secret of POST /api/v1/failures; the endpoint answers 404 without one. */
    ingestSecret?: string;
    /** GitHub credentials for executing remediations; without them AutoApproved records wait (and say why). */
    githubAuth?: GitHubAuthConfig;
    /** Slack notifications and approvals; without them records awaiting approval say SlackNotConfigured. */
    slack?: SlackConfig;
    /**
     * The model analyzer's settings as environment keys (src/analysis/model/model-config.ts parses them, in
     * operator/cli.ts, so the model libraries load only when one is set), the flags below written over them.
     */
    modelEnv?: Readonly<Record<string, string>>;
  } & SourcesConfig
>;

export type GitHubAuthConfig = { token: string } | { appId: string; privateKey: string; installationId: number };

/** Where a GitHub token comes from when --github-token-file is not given. */
const GITHUB_TOKEN_ENV = 'GITHUB_TOKEN';

export const OPERATOR_HELP = `Usage: ci-remediator operator [options]

Runs the Kubernetes operator: watches FailureRecords and RemediationPolicies, analyzes and gates records,
executes and verifies the remediations the policy allows on GitHub, and writes status, events and the audit
trail. Flags win over the environment variables in brackets.

Options:
  --kubeconfig PATH                 [KUBECONFIG] kubeconfig file; in-cluster configuration when neither is set
  --namespace NS                    [CI_REMEDIATOR_WATCH_NAMESPACES] namespace to watch; repeatable or
                                    comma-separated (default: all namespaces)
  --database-url URL                [CI_REMEDIATOR_DATABASE_URL] PostgreSQL for the audit trail
  --data-dir DIR                    [CI_REMEDIATOR_DATA_DIR] embedded store (PGlite) when no database URL
  --leader-elect, --no-leader-elect [CI_REMEDIATOR_LEADER_ELECT] take a Lease before acting (default true)
  --leader-election-namespace NS    [POD_NAMESPACE] namespace of the Lease (default ci-remediator; must exist)
  --leader-election-id NAME         Lease name (default ci-remediator-operator)
  --lease-duration D                how long a Lease holds without renewal (default 15s)
  --renew-deadline D                how long the leader tries to renew before giving up (default 10s)
  --retry-period D                  between election attempts (default 2s)
  --identity ID                     this replica's holder identity (default <hostname>-<pid>)
  --http-address ADDR               health and ingest address (default 0.0.0.0 in a pod, 127.0.0.1
                                    elsewhere: KUBERNETES_SERVICE_HOST tells them apart)
  --http-port N                     health, ingest and Slack events port; 0 picks a free one (default 8080)
  --metrics-address ADDR            [CI_REMEDIATOR_METRICS_ADDRESS] /metrics (and health) address (default:
                                    as --http-address)
  --metrics-port N                  [CI_REMEDIATOR_METRICS_PORT] /metrics port, never the ingest port;
                                    0 picks a free one (default 9090)
  --ingest-max-connections N        open connections on the ingest port; more are refused (default 300)
  --ingest-max-bodies N             request bodies read at once before their signature is checked; more
                                    are answered 503 (default 32)
  --ingest-header-timeout D         time to send the request headers (default 5s)
  --ingest-body-timeout D           time to send the request body, answered 408 after (default 10s)
  --resync-period D                 re-reconcile everything this often, with jitter (default 10m)
  --max-concurrent-reconciles N     FailureRecord reconciles in parallel, for gating and approvals and,
                                    separately, for execution (default 8)
  --max-concurrent-analyses N       [CI_REMEDIATOR_MAX_CONCURRENT_ANALYSES] analyses in parallel, on a pool
                                    of their own so a slow analyzer holds up no gating (default 4)
  --analysis-timeout D              [CI_REMEDIATOR_ANALYSIS_TIMEOUT] deadline of one record's analysis; past
                                    it the record says AnalysisFailed and is retried with backoff (default 2m)
  --log-level L                     [CI_REMEDIATOR_LOG_LEVEL] ${LOG_LEVELS.join(', ')} (default info)
  --ingest-secret-file PATH         file holding the HMAC secret of POST /api/v1/failures (the action's
                                    endpoint mode); or the secret itself in [${INGEST_SECRET_ENV}].
                                    Without either the endpoint is off (404)
  --ingest-namespace NS             [CI_REMEDIATOR_INGEST_NAMESPACE] where ingested records go when the
                                    request names none (default: the watched namespace, if only one)
  --github-api-url URL              [GITHUB_API_URL] GitHub REST API root (default https://api.github.com;
                                    GitHub Enterprise Server: https://HOST/api/v3)
  --github-token-file PATH          file holding the token that executes remediations; or the token itself
                                    in [GITHUB_TOKEN]. Without a token or an App, nothing is executed
  --github-app-id ID                execute as a GitHub App instead (with the two flags below)
  --github-app-private-key-file PATH  the App's PEM private key
  --github-app-installation-id N    the App's installation on the repositories' organization
  --verify-poll-interval D          how often a re-run is checked while it runs (default 15s)
  --verify-timeout D                how long a re-run is followed before the record ends inconclusive (default 2h)
${SOURCES_HELP}  --slack-bot-token-file PATH       file holding the Slack bot token (xoxb-…); or the token itself in
                                    [SLACK_BOT_TOKEN]. Without one, nothing is posted to Slack
  --slack-signing-secret-file PATH  file holding the Slack app's signing secret, which verifies clicks
                                    arriving at POST /slack/events; or [SLACK_SIGNING_SECRET]
  --slack-app-token-file PATH       file holding an app-level token (xapp-…): receive clicks over Socket
                                    Mode instead of HTTP; or [SLACK_APP_TOKEN]
  --slack-api-url URL               [SLACK_API_URL] Slack Web API root (default https://slack.com/api/)
  --slack-default-channel CHANNEL   [SLACK_DEFAULT_CHANNEL] where messages go that the policy does not route
                                    (a channel id such as C0123456789, or #name)
  --openai-api-key-file PATH        [OPENAI_API_KEY_FILE] file holding the API key of the model analyzer; or the
                                    key itself in [OPENAI_API_KEY]. Without one, policies with
                                    analysis.provider openai are analysed by the rules (ProviderNotAvailable)
  --openai-base-url URL             [OPENAI_BASE_URL] OpenAI-compatible API root (Azure OpenAI, vLLM, Ollama,
                                    LiteLLM; default https://api.openai.com/v1)
  --model NAME                      [CI_REMEDIATOR_MODEL] default model; a policy's analysis.model wins (default gpt-4o)
  --model-monthly-tokens N          [CI_REMEDIATOR_MODEL_MONTHLY_TOKENS] tokens all records may spend per month
                                    (UTC); past it, rules only (default: no cap)
  -h, --help                        Show this help

Endpoints: /healthz, /readyz, POST /api/v1/failures (with an ingest secret) and POST /slack/events (with a
Slack signing secret) on --http-port; /metrics, /healthz and /readyz on --metrics-port. SIGTERM or SIGINT:
finish in-flight work, release the Lease, exit 0.
Exit status: 0 after a clean shutdown, 1 on a fatal error, 2 for a bad flag or environment value.
`;

export interface ParsedOperatorArgs {
  help: boolean;
  config?: OperatorConfig;
}

/**
 * Parses flags and environment. Throws OperatorConfigError naming the flag (or the environment key when the
 * value came from there) and the expected form.
 */
export function parseOperatorConfig(args: readonly string[], env: NodeJS.ProcessEnv, defaults: { hostname?: string; pid?: number } = {}): ParsedOperatorArgs {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string', multiple: true },
        'database-url': { type: 'string' },
        'data-dir': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'leader-election-namespace': { type: 'string' },
        'leader-election-id': { type: 'string' },
        'lease-duration': { type: 'string' },
        'renew-deadline': { type: 'string' },
        'retry-period': { type: 'string' },
        identity: { type: 'string' },
        'http-address': { type: 'string' },
        'http-port': { type: 'string' },
        'metrics-address': { type: 'string' },
        'metrics-port': { type: 'string' },
        'ingest-max-connections': { type: 'string' },
        'ingest-max-bodies': { type: 'string' },
        'ingest-header-timeout': { type: 'string' },
        'ingest-body-timeout': { type: 'string' },
        'resync-period': { type: 'string' },
        'max-concurrent-reconciles': { type: 'string' },
        'max-concurrent-analyses': { type: 'string' },
        'analysis-timeout': { type: 'string' },
        'log-level': { type: 'string' },
        'ingest-secret-file': { type: 'string' },
        'ingest-namespace': { type: 'string' },
        'github-api-url': { type: 'string' },
        'github-token-file': { type: 'string' },
        'github-app-id': { type: 'string' },
        'github-app-private-key-file': { type: 'string' },
        'github-app-installation-id': { type: 'string' },
        'verify-poll-interval': { type: 'string' },
        'verify-timeout': { type: 'string' },
        ...SLACK_OPTIONS,
        ...SOURCE_ARGS,
        ...MODEL_OPTIONS,
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new OperatorConfigError(argsErrorMessage(error), { cause: error });
  }
  if (values.help === true) return { help: true };

  // Which source each value came from, so the message points at what the user actually wrote.
  const origin: Partial<Record<Key, string>> = {};
  const raw: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(SOURCES) as [Key, { flag: string; env: string | undefined }][]) {
    const flagValue = values[source.flag.slice(2)];
    const envValue = source.env === undefined ? undefined : emptyToUndefined(env[source.env]);
    if (flagValue !== undefined) {
      origin[key] = source.flag;
      raw[key] = typeof flagValue === 'boolean' ? String(flagValue) : flagValue;
    } else if (envValue !== undefined) {
      origin[key] = source.env;
      raw[key] = envValue;
    }
  }
  if (raw.namespaces !== undefined) {
    const list = Array.isArray(raw.namespaces) ? (raw.namespaces as string[]) : [raw.namespaces as string];
    raw.namespaces = [...new Set(list.flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== ''))];
  }

  const parsed = RawConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path[0] as Key;
    const where = origin[key] ?? SOURCES[key]?.flag ?? String(key);
    const shown = valueAt(raw, issue.path);
    throw new OperatorConfigError(`Invalid ${where}${shown === undefined ? '' : ` '${shown}'`}: ${issue.message}.`);
  }
  const data = parsed.data;
  if (data.renewDeadlineMs >= data.leaseDurationMs) {
    throw new OperatorConfigError(`Invalid ${origin.renewDeadlineMs ?? '--renew-deadline'}: must be shorter than --lease-duration.`);
  }
  if (data.retryPeriodMs >= data.renewDeadlineMs) {
    throw new OperatorConfigError(`Invalid ${origin.retryPeriodMs ?? '--retry-period'}: must be shorter than --renew-deadline.`);
  }
  const identity = data.identity ?? `${defaults.hostname ?? hostname()}-${defaults.pid ?? process.pid}`;
  const { ingestSecretFile, githubTokenFile, githubAppId, githubAppPrivateKeyFile, githubAppInstallationId, ...settings } = data;
  const ingestSecret = readIngestSecret(ingestSecretFile, env);
  const githubAuth = readGitHubAuth({ githubTokenFile, githubAppId, githubAppPrivateKeyFile, githubAppInstallationId }, env);
  const slack = readSlackConfig(values, env);
  if (data.verifyPollIntervalMs >= data.verifyTimeoutMs) {
    throw new OperatorConfigError(`Invalid ${origin.verifyPollIntervalMs ?? '--verify-poll-interval'}: must be shorter than --verify-timeout.`);
  }
  if (data.ingestNamespace !== undefined && data.namespaces.length > 0 && !data.namespaces.includes(data.ingestNamespace)) {
    throw new OperatorConfigError(
      `Invalid ${origin.ingestNamespace ?? '--ingest-namespace'} '${data.ingestNamespace}': must be one of the watched namespaces (${data.namespaces.join(', ')}).`,
    );
  }
  const defaultAddress = emptyToUndefined(env.KUBERNETES_SERVICE_HOST) !== undefined ? '0.0.0.0' : '127.0.0.1';
  return {
    help: false,
    config: Object.freeze({
      ...settings,
      // In a pod the kubelet's probes and the Service reach the pod's IP; on a laptop nothing outside should
      // reach the ingest endpoint, so only loopback.
      httpAddress: data.httpAddress ?? defaultAddress,
      metricsAddress: data.metricsAddress ?? data.httpAddress ?? defaultAddress,
      namespaces: Object.freeze([...data.namespaces]),
      identity,
      ...(ingestSecret !== undefined && { ingestSecret }),
      ...(githubAuth !== undefined && { githubAuth }),
      ...(slack !== undefined && { slack }),
      ...finishSourcesConfig(data, env, githubAuth !== undefined),
      ...modelEnvOf(values, env),
    }),
  };
}

// ---- Model analysis ------------------------------------------------------------------------------------
// The flags of the model analyzer map onto the environment keys src/analysis/model/model-config.ts reads
// (flags win); their values are checked there, and a bad one names the flag it came from (operator/cli.ts).

const MODEL_OPTIONS = {
  'openai-api-key-file': { type: 'string' },
  'openai-base-url': { type: 'string' },
  model: { type: 'string' },
  'model-monthly-tokens': { type: 'string' },
} as const;

/** Environment key of each model flag. */
export const MODEL_FLAGS: Readonly<Record<keyof typeof MODEL_OPTIONS, string>> = Object.freeze({
  'openai-api-key-file': 'OPENAI_API_KEY_FILE',
  'openai-base-url': 'OPENAI_BASE_URL',
  model: 'CI_REMEDIATOR_MODEL',
  'model-monthly-tokens': 'CI_REMEDIATOR_MODEL_MONTHLY_TOKENS',
});

/** Every environment key the model analyzer reads. */
const MODEL_ENV_KEYS = [
  'OPENAI_API_KEY',
  'OPENAI_API_KEY_FILE',
  'OPENAI_BASE_URL',
  'CI_REMEDIATOR_MODEL',
  'CI_REMEDIATOR_MODEL_MONTHLY_TOKENS',
  'CI_REMEDIATOR_MODEL_CACHE_TTL',
  'CI_REMEDIATOR_MODEL_DEADLINE',
  'CI_REMEDIATOR_MODEL_MAX_TURNS',
] as const;

function modelEnvOf(values: Record<string, unknown>, env: NodeJS.ProcessEnv): { modelEnv?: Readonly<Record<string, string>> } {
  const out: Record<string, string> = {};
  for (const key of MODEL_ENV_KEYS) {
    const value = emptyToUndefined(env[key]);
    if (value !== undefined) out[key] = value;
  }
  for (const [flag, key] of Object.entries(MODEL_FLAGS)) {
    const value = values[flag];
    if (typeof value === 'string') out[key] = value;
  }
  // A key file given as a flag wins over a key in the environment, as the file key does (model-config.ts).
  return Object.keys(out).length === 0 ? {} : { modelEnv: Object.freeze(out) };
}

/** The file wins over the environment, like every flag; surrounding whitespace (a trailing newline) is not part of it. */
function readIngestSecret(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  let secret: string | undefined;
  let where: string;
  if (file !== undefined) {
    where = `--ingest-secret-file '${file}'`;
    secret = readSecretFile('--ingest-secret-file', file);
  } else {
    where = INGEST_SECRET_ENV;
    secret = emptyToUndefined(env[INGEST_SECRET_ENV])?.trim();
    if (secret === undefined) return undefined;
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new OperatorConfigError(`Invalid ${where}: the secret must be at least ${MIN_SECRET_LENGTH} characters long (got ${secret.length}).`);
  }
  return secret;
}

/**
 * A token (--github-token-file, else GITHUB_TOKEN) or an App (all three --github-app-* flags), not both: which
 * identity acts on GitHub must never be a guess.
 */
function readGitHubAuth(
  flags: { githubTokenFile?: string; githubAppId?: string; githubAppPrivateKeyFile?: string; githubAppInstallationId?: number },
  env: NodeJS.ProcessEnv,
): GitHubAuthConfig | undefined {
  const appFlags = [
    ['--github-app-id', flags.githubAppId],
    ['--github-app-private-key-file', flags.githubAppPrivateKeyFile],
    ['--github-app-installation-id', flags.githubAppInstallationId],
  ] as const;
  const given = appFlags.filter(([, value]) => value !== undefined);
  if (given.length > 0) {
    const missing = appFlags.filter(([, value]) => value === undefined).map(([flag]) => flag);
    if (missing.length > 0) throw new OperatorConfigError(`Invalid ${given[0]![0]}: a GitHub App also needs ${missing.join(' and ')}.`);
    if (flags.githubTokenFile !== undefined) {
      throw new OperatorConfigError('Invalid --github-token-file: give either a token or the --github-app-* flags, not both.');
    }
    const privateKey = readSecretFile('--github-app-private-key-file', flags.githubAppPrivateKeyFile!);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
      throw new OperatorConfigError(`Invalid --github-app-private-key-file '${flags.githubAppPrivateKeyFile}': not a PEM private key.`);
    }
    return { appId: flags.githubAppId!, privateKey, installationId: flags.githubAppInstallationId! };
  }
  const token = flags.githubTokenFile !== undefined ? readSecretFile('--github-token-file', flags.githubTokenFile) : emptyToUndefined(env[GITHUB_TOKEN_ENV])?.trim();
  if (token === undefined) return undefined;
  if (token === '' || /\s/.test(token)) {
    throw new OperatorConfigError(`Invalid ${flags.githubTokenFile !== undefined ? '--github-token-file' : GITHUB_TOKEN_ENV}: the token is empty or contains whitespace.`);
  }
  return { token };
}

function readSecretFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new OperatorConfigError(`Invalid ${flag} '${file}': cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, { cause: error });
  }
}

// ---- Slack ---------------------------------------------------------------------------------------------
// One block on purpose: the Slack settings are read here and nowhere else, and the rest of the file only
// spreads SLACK_OPTIONS into the flag table and calls readSlackConfig.

export interface SlackConfig {
  botToken: string;
  /** HTTP mode: verifies POST /slack/events. */
  signingSecret?: string;
  /** Socket Mode (an app-level token): clicks arrive over a WebSocket the operator opens; no inbound URL. */
  appToken?: string;
  /** `http` with a signing secret, `socket` with an app token (which wins when both are given). */
  mode: 'http' | 'socket';
  apiUrl: string;
  defaultChannel?: string;
}

const SLACK_OPTIONS = {
  'slack-bot-token-file': { type: 'string' },
  'slack-signing-secret-file': { type: 'string' },
  'slack-app-token-file': { type: 'string' },
  'slack-api-url': { type: 'string' },
  'slack-default-channel': { type: 'string' },
} as const;

const SLACK_DEFAULT_API_URL = 'https://slack.com/api/';

/** A file flag, else its environment key: the secret and where it came from (for messages). */
function slackSecret(values: Record<string, unknown>, flag: keyof typeof SLACK_OPTIONS, envKey: string, env: NodeJS.ProcessEnv): { value: string; where: string } | undefined {
  const file = values[flag];
  if (typeof file === 'string') return { value: readSecretFile(`--${flag}`, file), where: `--${flag} '${file}'` };
  const fromEnv = emptyToUndefined(env[envKey])?.trim();
  return fromEnv === undefined ? undefined : { value: fromEnv, where: envKey };
}

function readSlackConfig(values: Record<string, unknown>, env: NodeJS.ProcessEnv): SlackConfig | undefined {
  const botToken = slackSecret(values, 'slack-bot-token-file', 'SLACK_BOT_TOKEN', env);
  const signingSecret = slackSecret(values, 'slack-signing-secret-file', 'SLACK_SIGNING_SECRET', env);
  const appToken = slackSecret(values, 'slack-app-token-file', 'SLACK_APP_TOKEN', env);
  const apiUrlFlag = typeof values['slack-api-url'] === 'string' ? { value: values['slack-api-url'], where: '--slack-api-url' } : undefined;
  const apiUrlEnv = emptyToUndefined(env.SLACK_API_URL);
  const apiUrl = apiUrlFlag ?? (apiUrlEnv === undefined ? undefined : { value: apiUrlEnv, where: 'SLACK_API_URL' });
  const channelFlag = typeof values['slack-default-channel'] === 'string' ? { value: values['slack-default-channel'], where: '--slack-default-channel' } : undefined;
  const channelEnv = emptyToUndefined(env.SLACK_DEFAULT_CHANNEL);
  const channel = channelFlag ?? (channelEnv === undefined ? undefined : { value: channelEnv.trim(), where: 'SLACK_DEFAULT_CHANNEL' });

  if (botToken === undefined) {
    const stray = signingSecret ?? appToken ?? channel ?? apiUrl;
    if (stray !== undefined) throw new OperatorConfigError(`Invalid ${stray.where}: Slack also needs a bot token (--slack-bot-token-file or SLACK_BOT_TOKEN).`);
    return undefined;
  }
  if (!/^xoxb-[A-Za-z0-9-]+$/.test(botToken.value)) {
    throw new OperatorConfigError(`Invalid ${botToken.where}: a Slack bot token starts with 'xoxb-' and has no spaces (the app's "Bot User OAuth Token").`);
  }
  if (appToken !== undefined && !/^xapp-[A-Za-z0-9-]+$/.test(appToken.value)) {
    throw new OperatorConfigError(`Invalid ${appToken.where}: a Slack app-level token starts with 'xapp-' and has no spaces (Basic Information > App-Level Tokens, scope connections:write).`);
  }
  if (signingSecret !== undefined && !/^[A-Za-z0-9]{16,128}$/.test(signingSecret.value)) {
    throw new OperatorConfigError(`Invalid ${signingSecret.where}: a Slack signing secret is 16 to 128 letters and digits (Basic Information > App Credentials).`);
  }
  if (signingSecret === undefined && appToken === undefined) {
    throw new OperatorConfigError(
      `Invalid ${botToken.where}: Slack approvals need --slack-signing-secret-file (SLACK_SIGNING_SECRET) for clicks over HTTP, or --slack-app-token-file (SLACK_APP_TOKEN) for Socket Mode.`,
    );
  }
  let url = SLACK_DEFAULT_API_URL;
  if (apiUrl !== undefined) {
    const parsed = HttpUrl.safeParse(apiUrl.value);
    if (!parsed.success) throw new OperatorConfigError(`Invalid ${apiUrl.where} '${apiUrl.value}': must be an http(s) URL such as 'https://slack.com/api/'.`);
    url = parsed.data.endsWith('/') ? parsed.data : `${parsed.data}/`;
  }
  if (channel !== undefined && !SlackChannel.safeParse(channel.value).success) {
    throw new OperatorConfigError(`Invalid ${channel.where} '${channel.value}': must be a Slack channel id (e.g. 'C0123456789') or a '#name' (lower case).`);
  }
  return Object.freeze({
    botToken: botToken.value,
    ...(signingSecret !== undefined && { signingSecret: signingSecret.value }),
    ...(appToken !== undefined && { appToken: appToken.value }),
    mode: appToken !== undefined ? 'socket' : 'http',
    apiUrl: url,
    ...(channel !== undefined && { defaultChannel: channel.value }),
  });
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function valueAt(raw: Record<string, unknown>, path: readonly PropertyKey[]): string | undefined {
  let current: unknown = raw;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return typeof current === 'string' ? current : undefined;
}
