/**
 * Redaction: every piece of text derived from a CI log passes through here before it leaves the process
 * (LLM, Slack, custom resource, database). Secrets are replaced with `[REDACTED:<type>]` and counted per type.
 *
 * Detection is secretlint's recommended preset first (a maintained rule set), plus a few rules of our own for
 * what the preset does not cover in CI logs; each own rule says why it exists. Any failure throws
 * RedactionError and the caller emits nothing: a half-redacted excerpt is worse than none.
 */
import { RedactionError, errorMessage } from '../errors.ts';
import type { Excerpt, Extraction, Signal } from './types.ts';

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

export interface RedactOptions {
  /** Defaults to secretlint with the recommended preset, loaded once on first use. */
  scanner?: SecretScanner;
}

export interface RedactedText {
  text: string;
  /** Count of redacted secrets per type, e.g. `{ "github-token": 2 }`. Types with no finding are absent. */
  redactions: Record<string, number>;
}

export interface RedactedExtraction {
  extraction: Extraction;
  redactions: Record<string, number>;
}

interface Finding {
  start: number;
  end: number;
  type: string;
}

export const REDACTION_MARKER_PREFIX = '[REDACTED:';

export function redactionMarker(type: string): string {
  return `${REDACTION_MARKER_PREFIX}${type}]`;
}

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
function findingsOfMessage(text: string, message: ScanMessage): Finding[] {
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
function loadDefaultScanner(): Promise<SecretScanner> {
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

// ---------------------------------------------------------------------------------------------------------
// Our own rules: only what the preset misses in CI logs
// ---------------------------------------------------------------------------------------------------------

/** Values that are already masked or are references to a secret rather than the secret itself. */
function isPlaceholder(value: string): boolean {
  return (
    value.startsWith(REDACTION_MARKER_PREFIX) ||
    /^[*xX•.]+$/.test(value) || // GitHub's `***` mask, `********`, `xxxx`
    /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(value) || // $VAR, ${VAR}
    /^\$?\{\{/.test(value) || // ${{ secrets.X }}, {{ .Values.x }}: a bare value stops at the first space
    /^%[A-Za-z_]+%$/.test(value) ||
    /^<[^<>]*>$/.test(value) ||
    /^\$\(.*\)$/.test(value)
  );
}

const DATABASE_SCHEMES = new Set([
  'postgres', 'postgresql', 'mysql', 'mysqlx', 'mariadb', 'mongodb', 'mongodb+srv', 'redis', 'rediss',
  'amqp', 'amqps', 'mssql', 'sqlserver', 'oracle', 'cockroachdb', 'clickhouse', 'couchdb', 'neo4j',
  'neo4j+s', 'cassandra', 'memcached', 'nats', 'kafka',
]);

type Rule = (text: string) => Finding[];

/**
 * Credentials in any URL. The preset's basic-auth rule only knows http(s)/ftp with `[-A-Za-z0-9_]` user and
 * password, and its database rule skips "example-like" passwords (`user:pass`, user equal to password); in a
 * CI log those are still real credentials of some environment, so we redact them. Unencoded reserved
 * characters in the password are accepted for the same reason. The whole URL up to the end
 * of the authority is replaced, like secretlint does, so the result cannot be re-read as `scheme://x:y@`.
 */
const urlCredentials: Rule = (text) => {
  const findings: Finding[] = [];
  const pattern =
    /(?<![A-Za-z0-9+.-])(?:jdbc:)?(?<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30}):\/\/(?<user>[^\s/?#@:[\]"'<>`]*):(?<password>[^\s[\]"'<>`]+)@[^\s/?#"'<>`[\]]*/g;
  for (const match of text.matchAll(pattern)) {
    const password = match.groups?.['password'] ?? '';
    const user = match.groups?.['user'] ?? '';
    if (isPlaceholder(password) || isPlaceholder(user)) continue;
    // Unencoded `/`, `?`, `#` do occur in pasted passwords, but `host:443/@scope/pkg` is a port and a path.
    if (/^\d+[/?#]/.test(password)) continue;
    const scheme = (match.groups?.['scheme'] ?? '').toLowerCase();
    findings.push({
      start: match.index,
      end: match.index + match[0].length,
      type: DATABASE_SCHEMES.has(scheme) ? 'connection-string' : 'url-credentials',
    });
  }
  return findings;
};

/** A quoted value (spaces allowed) or a bare one, which ends where shells, URLs and connection strings end it. */
const ASSIGNMENT_VALUE = String.raw`(?:"(?<dq>[^"\n]+)"|'(?<sq>[^'\n]+)'|(?<bare>[^\s"'&;,)}\]]+))`;
/** Words that follow `secret:`/`password:` in CI output without being a value (`secrets: inherit`). */
const NON_VALUES = new Set(['inherit', 'true', 'false', 'null', 'none', 'nil', 'undefined', 'required', 'optional', '~', '""', "''"]);

function assignmentRule(keyPattern: string, type: string): Rule {
  // The key may be quoted (JSON, YAML) and prefixed (`DB_PASSWORD`, `--password`, `client_secret`); suffixes
  // like `_FILE`/`_PATH` name where a secret lives, not the secret.
  const pattern = new RegExp(
    String.raw`(?<![A-Za-z0-9_./-])(?<key>[A-Za-z0-9_.-]*(?:${keyPattern})[A-Za-z0-9_.-]*)["']?[ \t]*(?::|=>|=)[ \t]*${ASSIGNMENT_VALUE}`,
    'gi',
  );
  return (text) => {
    const findings: Finding[] = [];
    for (const match of text.matchAll(pattern)) {
      const key = match.groups?.['key'] ?? '';
      const quoted = match.groups?.['dq'] ?? match.groups?.['sq'];
      const value = quoted ?? match.groups?.['bare'] ?? '';
      if (/[_.-](?:file|path|dir|env|var|name|length|len|policy|prompt|hash|stdin|required|min|max)$/i.test(key)) continue;
      if (isPlaceholder(value) || NON_VALUES.has(value.toLowerCase())) continue;
      const end = match.index + match[0].length - (quoted === undefined ? 0 : 1);
      findings.push({ start: end - value.length, end, type });
    }
    return findings;
  };
}

/**
 * `password=`/`secret:` assignments: the preset has no generic keyword rule. `pwd` is left out on purpose:
 * `PWD=/home/runner/work/...` is in every environment dump.
 */
const passwordAssignment = assignmentRule('password|passwd|passphrase', 'password-assignment');
const secretAssignment = assignmentRule(
  String.raw`secret|api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|private[_-]?token|session[_-]?token`,
  'secret-assignment',
);

/** `Authorization:` headers and bare `Bearer` credentials printed by curl -v, HTTP client debug logs, ... */
const authorizationHeader: Rule = (text) => {
  const findings: Finding[] = [];
  const patterns = [
    /(?<![A-Za-z-])(?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest|negotiate|bot)[ \t]+)?(?<value>[A-Za-z0-9._~+/=:-]{8,})/gi,
    /(?<![A-Za-z])bearer[ \t]+(?<value>[A-Za-z0-9._~+/-]{16,}=*)/gi,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const value = match.groups?.['value'] ?? '';
      if (isPlaceholder(value)) continue;
      const end = match.index + match[0].length;
      findings.push({ start: end - value.length, end, type: 'authorization-header' });
    }
  }
  return findings;
};

/**
 * OpenAI keys: the preset only matches keys carrying the `T3BlbkFJ` marker; project, service-account and
 * admin keys issued without it, and legacy 48-character keys, are caught here.
 */
const openaiKey: Rule = (text) => {
  const findings: Finding[] = [];
  const pattern = /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,}(?![A-Za-z0-9_-]))/g;
  for (const match of text.matchAll(pattern)) {
    findings.push({ start: match.index, end: match.index + match[0].length, type: 'openai-api-key' });
  }
  return findings;
};

/** JWTs: the preset has no JWT rule. Header and payload are base64url JSON objects, so both start with `eyJ`. */
const jwt: Rule = (text) => {
  const findings: Finding[] = [];
  const pattern = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
  for (const match of text.matchAll(pattern)) {
    findings.push({ start: match.index, end: match.index + match[0].length, type: 'jwt' });
  }
  return findings;
};

const KEY_BEGIN = /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g;
const KEY_END = /-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g;
/** A line of a key body: base64 (PEM/OpenSSH), or an RFC 1421 / PGP armor header. */
const KEY_BODY_LINE = /^[ \t]*(?:[A-Za-z0-9+/]+={0,2}|(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):[^\n]*|)[ \t]*$/;
/**
 * Where a block is cut off, its outermost line may share the line with other output (`<key line>"`, a
 * truncated line, a prompt): a line that starts (or, before an END, ends) with 16+ base64 characters is
 * taken whole, and the block stops there.
 */
const KEY_BODY_THEN_OTHER = /^[ \t]*[A-Za-z0-9+/]{16,}/;
const KEY_OTHER_THEN_BODY = /[A-Za-z0-9+/]{16,}={0,2}[ \t]*$/;
/** PEM wraps at 64 columns, OpenSSH at 70: a run of such lines is key material even without its markers. */
const KEY_FULL_WIDTH_LINE = /^[ \t]*(?:[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{70})[ \t]*$/;

/**
 * Private keys, including partial blocks. The preset only reports a complete BEGIN..END block whose body
 * passes its validation; an excerpt is a window cut out of a log and may start or end inside a block, so
 * here: BEGIN..END pairs, a BEGIN without END (to the end of its body lines), an END without BEGIN (back to
 * the start of its body lines), and runs of full-width key lines with neither marker.
 */
const privateKey: Rule = (text) => {
  const findings: Finding[] = [];
  const lines = lineSpans(text);
  const lineIndexAt = (offset: number): number => {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const lineText = (i: number): string => text.slice(lines[i]!.start, lines[i]!.end);
  const isBody = (i: number): boolean => KEY_BODY_LINE.test(lineText(i));
  const begins = [...text.matchAll(KEY_BEGIN)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const ends = [...text.matchAll(KEY_END)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const pairedEnds = new Set<number>();

  for (const [n, begin] of begins.entries()) {
    const nextBegin = begins[n + 1]?.start ?? Number.POSITIVE_INFINITY;
    const endIndex = ends.findIndex((e) => e.start >= begin.end && e.start < nextBegin);
    if (endIndex >= 0) {
      pairedEnds.add(endIndex);
      findings.push({ start: begin.start, end: ends[endIndex]!.end, type: 'private-key' });
      continue;
    }
    // Unterminated: the rest of the BEGIN line, then every following body line.
    let i = lineIndexAt(begin.start);
    while (i + 1 < lines.length && isBody(i + 1)) i += 1;
    if (i + 1 < lines.length && KEY_BODY_THEN_OTHER.test(lineText(i + 1))) i += 1;
    findings.push({ start: begin.start, end: lines[i]!.end, type: 'private-key' });
  }
  for (const [n, end] of ends.entries()) {
    if (pairedEnds.has(n)) continue;
    const endLine = lineIndexAt(end.start);
    const prefix = text.slice(lines[endLine]!.start, end.start);
    let i = endLine;
    while (i - 1 >= 0 && isBody(i - 1)) i -= 1;
    if (i - 1 >= 0 && KEY_OTHER_THEN_BODY.test(lineText(i - 1))) i -= 1;
    // Text before END on its own line is only taken when it is key material or the block continues above.
    const start = i < endLine || /^[ \t]*[A-Za-z0-9+/=]*$/.test(prefix) ? lines[i]!.start : end.start;
    findings.push({ start, end: end.end, type: 'private-key' });
  }
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && KEY_FULL_WIDTH_LINE.test(text.slice(lines[j]!.start, lines[j]!.end))) j += 1;
    if (j - i >= 2) {
      // The last line of a body is usually shorter: take it too when it is plain base64.
      const last = j < lines.length && /^[ \t]*[A-Za-z0-9+/]+={0,2}[ \t]*$/.test(text.slice(lines[j]!.start, lines[j]!.end)) ? j : j - 1;
      findings.push({ start: lines[i]!.start, end: lines[last]!.end, type: 'private-key' });
      i = last + 1;
    } else {
      i = j + 1;
    }
  }
  return findings;
};

function lineSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      spans.push({ start, end: text.length });
      return spans;
    }
    spans.push({ start, end: nl });
    start = nl + 1;
  }
}

const OWN_RULES: readonly Rule[] = [urlCredentials, passwordAssignment, secretAssignment, authorizationHeader, openaiKey, jwt, privateKey];

// ---------------------------------------------------------------------------------------------------------
// Base64-encoded secrets
// ---------------------------------------------------------------------------------------------------------

/** 16 base64 characters are 12 bytes, shorter than any secret we detect. */
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/_-])/g;
const MAX_SUFFIXES_PER_RUN = 32;

interface Base64Candidate {
  /** Offsets of the encoded run in the scanned text. */
  start: number;
  end: number;
  decoded: string;
}

/**
 * Runs that decode to printable text. A run may carry a non-base64 prefix glued on by punctuation that is
 * also base64 alphabet (`token-Z2hw...`, `secrets/Z2hw...`), which misaligns decoding; so suffixes starting
 * after such a character are tried too. Binary decodings (git SHAs, digests, UUIDs, random ids) are dropped,
 * which is what keeps this rule from touching them.
 */
function base64Candidates(text: string): Base64Candidate[] {
  const candidates: Base64Candidate[] = [];
  for (const match of text.matchAll(BASE64_RUN)) {
    const run = match[0];
    const starts = [0];
    for (let i = 1; i < run.length - 16 && starts.length <= MAX_SUFFIXES_PER_RUN; i += 1) {
      if ('-_/+'.includes(run[i - 1]!)) starts.push(i);
    }
    for (const offset of starts) {
      const decoded = decodePrintable(run.slice(offset));
      if (decoded !== undefined) {
        candidates.push({ start: match.index + offset, end: match.index + run.length, decoded });
        break;
      }
    }
  }
  return candidates;
}

function decodePrintable(encoded: string): string | undefined {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 12) return undefined;
  let printable = 0;
  for (const byte of bytes) {
    if ((byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d) printable += 1;
  }
  return printable / bytes.length >= 0.95 ? bytes.toString('latin1') : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Detection, merging, replacement
// ---------------------------------------------------------------------------------------------------------

/**
 * When findings overlap they become one marker, named after the most specific finding: a GitHub token inside
 * URL credentials is reported as `github-token`.
 */
function rankOf(type: string): number {
  if (type.endsWith('-base64')) return 3;
  switch (type) {
    case 'private-key':
      return 1;
    case 'jwt':
      return 2;
    case 'connection-string':
      return 4;
    case 'url-credentials':
      return 5;
    case 'authorization-header':
      return 6;
    case 'password-assignment':
    case 'secret-assignment':
      return 7;
    default:
      return 0; // vendor-specific tokens
  }
}

/** Separates texts scanned in one batch; findings that cross it are clipped to each side (over-redaction only). */
const BATCH_SEPARATOR = '\n\n';

/** Runs the scanner once over several texts and returns the findings of each, in that text's offsets. */
async function scanBatch(texts: readonly string[], scanner: SecretScanner): Promise<Finding[][]> {
  const perText: Finding[][] = texts.map(() => []);
  const offsets: number[] = [];
  let offset = 0;
  for (const text of texts) {
    offsets.push(offset);
    offset += text.length + BATCH_SEPARATOR.length;
  }
  const combined = texts.join(BATCH_SEPARATOR);
  if (combined.trim() === '') return perText;
  const messages = await scanner(combined);
  if (!Array.isArray(messages)) throw new Error('scanner returned no message list');
  for (const message of messages) {
    for (const finding of findingsOfMessage(combined, message)) {
      for (const [i, text] of texts.entries()) {
        const start = Math.max(finding.start, offsets[i]!);
        const end = Math.min(finding.end, offsets[i]! + text.length);
        if (start < end) perText[i]!.push({ start: start - offsets[i]!, end: end - offsets[i]!, type: finding.type });
      }
    }
  }
  return perText;
}

function ownFindings(text: string): Finding[] {
  return OWN_RULES.flatMap((rule) => rule(text));
}

/** All findings of each text: scanner, own rules, and the base64 forms of what either detects. */
async function detect(texts: readonly string[], scanner: SecretScanner): Promise<Finding[][]> {
  const direct = await scanBatch(texts, scanner);
  const candidates = texts.map((text) => base64Candidates(text));
  const flat = candidates.flatMap((list, textIndex) => list.map((candidate) => ({ textIndex, candidate })));
  const decodedFindings = flat.length > 0 ? await scanBatch(flat.map((c) => c.candidate.decoded), scanner) : [];
  return texts.map((text, textIndex) => {
    const findings = [...direct[textIndex]!, ...ownFindings(text)];
    for (const [n, { textIndex: owner, candidate }] of flat.entries()) {
      if (owner !== textIndex) continue;
      const inner = [...decodedFindings[n]!, ...ownFindings(candidate.decoded)];
      if (inner.length === 0) continue;
      const best = inner.reduce((a, b) => (rankOf(b.type) < rankOf(a.type) ? b : a));
      findings.push({ start: candidate.start, end: candidate.end, type: `${best.type}-base64` });
    }
    return findings;
  });
}

function merge(findings: readonly Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Finding[] = [];
  for (const finding of sorted) {
    const last = merged.at(-1);
    if (last && finding.start < last.end) {
      last.end = Math.max(last.end, finding.end);
      if (rankOf(finding.type) < rankOf(last.type)) last.type = finding.type;
    } else {
      merged.push({ ...finding });
    }
  }
  return merged;
}

function apply(text: string, spans: readonly Finding[]): string {
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + redactionMarker(span.type);
    at = span.end;
  }
  return out + text.slice(at);
}

/** Adds `more`'s counts per type to `counts` (which it returns): redactions found in two texts, together. */
export function addCounts(counts: Record<string, number>, more: Readonly<Record<string, number>>): Record<string, number> {
  for (const [type, count] of Object.entries(more)) counts[type] = (counts[type] ?? 0) + count;
  return counts;
}

function countInto(counts: Record<string, number>, spans: readonly Finding[]): void {
  for (const span of spans) counts[span.type] = (counts[span.type] ?? 0) + 1;
}

async function withFailClosed<T>(work: (scanner: SecretScanner) => Promise<T>, options: RedactOptions | undefined): Promise<T> {
  try {
    const scanner = options?.scanner ?? (await loadDefaultScanner());
    return await work(scanner);
  } catch (error) {
    if (error instanceof RedactionError) throw error;
    throw new RedactionError(`Redaction failed, so nothing derived from the log is emitted: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/**
 * Replaces every secret in `text` with `[REDACTED:<type>]`. Idempotent: redacted text comes back unchanged
 * with no counts. Throws RedactionError on any internal failure.
 */
export function redactText(text: string, options?: RedactOptions): Promise<RedactedText> {
  return withFailClosed(async (scanner) => {
    const [findings] = await detect([text], scanner);
    const spans = merge(findings!);
    const redactions: Record<string, number> = {};
    countInto(redactions, spans);
    return { text: apply(text, spans), redactions };
  }, options);
}

/**
 * Redacts the key line, every excerpt and every signal. Counts are of distinct occurrences in the log: the
 * excerpts are counted, and a key line or signal only when its line lies outside every excerpt (once per line).
 * A line inside an excerpt also gets the excerpt's findings on that line, so context only the whole window
 * shows (a key body line between BEGIN and END) cannot survive in the line's own copy.
 */
export function redactExtraction(extraction: Extraction, options?: RedactOptions): Promise<RedactedExtraction> {
  return withFailClosed(async (scanner) => {
    const lineTexts = [
      ...(extraction.keyLine ? [extraction.keyLine] : []),
      ...extraction.signals.map((s) => ({ line: s.line, text: s.text })),
    ];
    const texts = [...extraction.excerpts.map((e) => e.text), ...lineTexts.map((l) => l.text)];
    const findings = await detect(texts, scanner);
    const redactions: Record<string, number> = {};

    const excerptSpans = extraction.excerpts.map((_, i) => merge(findings[i]!));
    const excerpts: Excerpt[] = extraction.excerpts.map((excerpt, i) => {
      countInto(redactions, excerptSpans[i]!);
      return { ...excerpt, text: apply(excerpt.text, excerptSpans[i]!) };
    });

    const countedLines = new Set<number>();
    const redactLine = (line: number, text: string, own: readonly Finding[]): string => {
      const inside = extraction.excerpts.findIndex((e) => line >= e.startLine && line <= e.endLine);
      if (inside < 0) {
        const spans = merge(own);
        if (!countedLines.has(line)) {
          countedLines.add(line);
          countInto(redactions, spans);
        }
        return apply(text, spans);
      }
      const excerpt = extraction.excerpts[inside]!;
      const lines = lineSpans(excerpt.text);
      const original = lines[line - excerpt.startLine];
      const fromExcerpt: Finding[] = [];
      if (original && excerpt.text.slice(original.start, original.end).startsWith(text)) {
        for (const span of excerptSpans[inside]!) {
          const start = Math.max(span.start, original.start);
          const end = Math.min(span.end, original.start + text.length);
          if (start < end) fromExcerpt.push({ start: start - original.start, end: end - original.start, type: span.type });
        }
      }
      return apply(text, merge([...own, ...fromExcerpt]));
    };

    const base = extraction.excerpts.length;
    let next = base;
    const keyLine = extraction.keyLine
      ? { ...extraction.keyLine, text: redactLine(extraction.keyLine.line, extraction.keyLine.text, findings[next++]!) }
      : null;
    const signals: Signal[] = extraction.signals.map((signal) => ({
      ...signal,
      text: redactLine(signal.line, signal.text, findings[next++]!),
    }));

    return { extraction: { ...extraction, keyLine, excerpts, signals }, redactions };
  }, options);
}
