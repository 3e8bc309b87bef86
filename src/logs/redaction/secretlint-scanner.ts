/**
 * The adapter to secretlint: its recommended preset (a maintained rule set) as a SecretScanner, loaded once,
 * and its messages turned into findings with our stable type names. Anything inconsistent in a message is an
 * error, so the caller fails closed.
 */
import type { Finding } from './finding.ts';

/** One finding as a scanner reports it; the shape of secretlint's result messages. */
export interface ScanMessage {
  ruleId: string;
  messageId: string;
  /** Half-open [start, end) UTF-16 offsets into the scanned text. */
  range: readonly [number, number];
  data?: Readonly<Record<string, unknown>> | undefined;
}

/** The secret scanner; injectable so tests can exercise the fail-closed paths without patching modules. */
export type SecretScanner = (text: string) => Promise<readonly ScanMessage[]>;

// ---------------------------------------------------------------------------------------------------------
// secretlint: rule and message ids -> our stable type names (they are JSON keys in `redactions`)
// ---------------------------------------------------------------------------------------------------------

const SECRETLINT_RULE_PREFIX = '@secretlint/secretlint-rule-';

const SECRETLINT_MESSAGE_TYPES: Readonly<Record<string, string>> = {
  'aws/AWSAccessKeyID': 'aws-access-key-id',
  'aws/AWSSecretAccessKey': 'aws-secret-access-key',
  'aws/AWSAccountID': 'aws-account-id',
  'github/GITHUB_TOKEN': 'github-token',
  'slack/SLACK_TOKEN': 'slack-token',
  'slack/IncomingWebhook': 'slack-webhook',
  'openai/OPENAI_TOKEN': 'openai-api-key',
  'privatekey/PrivateKey': 'private-key',
  'basicauth/BasicAuth': 'url-credentials',
  'database-connection-string/MongoDBConnection': 'connection-string',
  'database-connection-string/MySQLConnection': 'connection-string',
  'database-connection-string/PostgreSQLConnection': 'connection-string',
};

/** Types for the preset's other rules (npm, stripe, gitlab, ...) derive from the rule id, so they stay stable. */
function typeOfMessage(message: ScanMessage): string {
  const rule = message.ruleId.startsWith(SECRETLINT_RULE_PREFIX)
    ? message.ruleId.slice(SECRETLINT_RULE_PREFIX.length)
    : message.ruleId.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return SECRETLINT_MESSAGE_TYPES[`${rule}/${message.messageId}`] ?? `${rule.toLowerCase()}-secret`;
}

/** Message data fields that hold the secret itself (the others describe it, e.g. GitHub's `typeName`). */
const SECRET_DATA_KEYS = ['KEY', 'TOKEN', 'ID', 'URI', 'URL', 'CREDENTIAL'] as const;

/**
 * Turns a scanner message into findings, refusing anything inconsistent. The secret value in the message data
 * wins over the range when both exist: secretlint's AWS secret-key rule reports the offset of the whole
 * `AWS_SECRET_ACCESS_KEY=` match with the length of the key alone, which would leave the key's tail behind.
 */
export function findingsOfMessage(text: string, message: ScanMessage): Finding[] {
  const range = message.range as unknown;
  if (!Array.isArray(range) || range.length !== 2) {
    throw new Error(`scanner rule ${message.ruleId} reported no range`);
  }
  const [start, end] = range as [unknown, unknown];
  if (
    typeof start !== 'number' ||
    typeof end !== 'number' ||
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    end > text.length ||
    start >= end
  ) {
    throw new Error(`scanner rule ${message.ruleId} reported range [${String(start)}, ${String(end)}] outside a text of ${text.length} characters`);
  }
  const type = typeOfMessage(message);
  const reported = text.slice(start, end);
  for (const key of SECRET_DATA_KEYS) {
    const value = message.data?.[key];
    if (typeof value !== 'string' || value.length === 0 || reported.includes(value)) continue;
    const at = text.indexOf(value, start);
    if (at < 0) {
      throw new Error(`scanner rule ${message.ruleId} reported a secret that is not in the text`);
    }
    const located = { start: at, end: at + value.length, type };
    // Past the range (a long run of spaces after `=`): nothing says which one is right, so both go.
    return at < end ? [located] : [located, { start, end, type }];
  }
  return [{ start, end, type }];
}

let defaultScanner: Promise<SecretScanner> | undefined;

/**
 * Built once, lazily: importing core and the (bundled) preset costs a few tens of milliseconds, which the CLI
 * should only pay when something is redacted.
 */
export function loadDefaultScanner(): Promise<SecretScanner> {
  defaultScanner ??= (async () => {
    const [{ lintSource }, { rules }, { secretLintProfiler }] = await Promise.all([
      import('@secretlint/core'),
      import('@secretlint/secretlint-rule-preset-recommend'),
      import('@secretlint/profiler'),
    ]);
    // secretlint profiles every scan by default, keeping each performance mark and measure for good: in a
    // long-running operator that grew the heap by ~50 KB per record. Nothing here reads the profile.
    secretLintProfiler.setEnabled(false);
    type Config = Parameters<typeof lintSource>[0]['options']['config'];
    // The preset types its rules with the AWS rule's options; the config takes any scanner rule.
    type ConfigRule = Config['rules'][number];
    const config: Config = {
      // The preset's rules are registered one by one rather than through the preset, because secretlint
      // ignores `disabled` on rules nested in a preset, and filter-comments must be off: it honours
      // `secretlint-disable` comments, and a log is attacker-controlled text that could carry one.
      rules: rules
        .filter((rule) => rule.meta.id !== `${SECRETLINT_RULE_PREFIX}filter-comments`)
        .map((rule) => {
          const id = rule.meta.id;
          if (id === `${SECRETLINT_RULE_PREFIX}aws`) {
            // Access key ids are off by default in secretlint; they identify a credential and are redacted here.
            // Account ids are not secrets, and their pattern (`account: 1234-5678-9012`) would eat build output.
            return { id, rule, options: { enableIDScanRule: true }, allowMessageIds: ['AWSAccountID'] } as ConfigRule;
          }
          return { id, rule } as ConfigRule;
        }),
    };
    return async (text: string): Promise<readonly ScanMessage[]> => {
      const result = await lintSource({
        source: { content: text, filePath: 'ci-log.txt', ext: '.txt', contentType: 'text' },
        options: { config, noPhysicFilePath: true },
      });
      return result.messages.map((m) => ({
        ruleId: m.ruleId,
        messageId: m.messageId,
        range: m.range,
        data: m.data as Readonly<Record<string, unknown>> | undefined,
      }));
    };
  })();
  // A failed load is not cached: the caller fails closed now, and a later call may try again.
  defaultScanner.catch(() => {
    defaultScanner = undefined;
  });
  return defaultScanner;
}

