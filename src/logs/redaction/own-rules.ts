import { CUT_MARK, entropy, isPlaceholder, type Finding, type Rule } from './finding.ts';
import { privateKey } from './private-key.ts';
import { hasVendorPrefix, vendorTokens } from './vendor-tokens.ts';

/**
 * Our own rules: what secretlint's preset misses in CI logs. Three families besides the vendor formats
 * (vendor-tokens.ts) and private keys (private-key.ts): credentials in URLs, values whose name says they are
 * secret (assignments, flags, headers, cookies), and the shapes commands take a password in
 * (`mysql -pX`, `sshpass -p`, `echo X | docker login --password-stdin`). Each says why it exists.
 */

const DATABASE_SCHEMES = new Set([
  'postgres', 'postgresql', 'mysql', 'mysqlx', 'mariadb', 'mongodb', 'mongodb+srv', 'redis', 'rediss',
  'amqp', 'amqps', 'mssql', 'sqlserver', 'oracle', 'cockroachdb', 'clickhouse', 'couchdb', 'neo4j',
  'neo4j+s', 'cassandra', 'memcached', 'nats', 'kafka',
]);

/**
 * Credentials in any URL. The preset's basic-auth rule only knows http(s)/ftp with `[-A-Za-z0-9_]` user and
 * password, and its database rule skips "example-like" passwords (`user:pass`, user equal to password); in a
 * CI log those are still real credentials of some environment, so we redact them. The whole URL up to the end
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
    // Unencoded `/` does occur in pasted passwords, but `host:443/@scope/pkg` is a port and a path.
    if (/^\d+\//.test(password)) continue;
    const scheme = (match.groups?.['scheme'] ?? '').toLowerCase();
    findings.push({
      start: match.index,
      end: match.index + match[0].length,
      type: DATABASE_SCHEMES.has(scheme) ? 'connection-string' : 'url-credentials',
    });
  }
  return findings;
};

// --------------------------------------------------------------------------------------------- names that say secret

/** Words of an identifier: `imagePullSecret` -> image pull secret, `DB_PASS` -> db pass, `--account-key` -> account key. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

const PASSWORD_WORDS = new Set(['password', 'passwd', 'passphrase', 'pass', 'pwd', 'pw']);
const SECRET_WORDS = new Set([
  'secret', 'token', 'credential', 'credentials', 'apikey', 'accesskey', 'secretkey', 'privatekey', 'accountkey',
  'authtoken', 'accesstoken', 'apitoken', 'sessionid', 'sessiontoken', 'clientsecret', 'sig', 'signature', 'auth',
]);
/** `<word> key` names a secret key; `cache key`, `primary key`, `sort key` do not. */
const KEY_QUALIFIERS = new Set([
  'api', 'app', 'access', 'private', 'account', 'master', 'signing', 'encryption', 'secret', 'auth', 'deploy',
  'license', 'service', 'admin', 'client', 'consumer', 'storage', 'subscription', 'webhook', 'shared', 'sas',
  'application', 'ssh', 'gpg', 'pgp', 'sign', 'write', 'read', 'ingest', 'personal',
]);
/**
 * Words that make a name about a secret rather than the secret: `secretName`, `imagePullSecret` (a Secret's
 * name), `SECRET_SCANNING`, `password_reset_url`, `passwordMinLength`, `api_key_header` (a header's name).
 */
const REFERENCE_WORDS = new Set([
  'name', 'names', 'ref', 'refs', 'pull', 'existing', 'scanning', 'manager', 'store', 'provider', 'arn', 'mount',
  'volume', 'rotation', 'type', 'kind', 'url', 'uri', 'endpoint', 'header', 'file', 'path', 'dir', 'env', 'var',
  'length', 'len', 'min', 'max', 'policy', 'prompt', 'hash', 'stdin', 'required', 'enabled', 'disabled', 'id',
  'ids', 'count', 'expiry', 'expires', 'ttl', 'timeout', 'lifetime', 'format', 'field', 'param', 'label', 'key',
  'keys', 'location', 'source', 'backend', 'version', 'length', 'usage', 'regex', 'pattern', 'hint', 'reset',
  'strength', 'complexity', 'confirm', 'change', 'changed', 'forgot', 'check', 'validation', 'at', 'used',
  'limit', 'budget', 'enabled', 'set', 'exists', 'missing', 'error', 'errors', 'provided', 'generated', 'created',
  'updated', 'rotated', 'sha', 'digest', 'checksum', 'algorithm', 'alg', 'method', 'mode', 'scope', 'scopes',
  'issuer', 'audience', 'owner', 'user', 'username', 'email', 'description', 'help', 'placeholder', 'title',
]);

type SecretKind = 'password-assignment' | 'secret-assignment';

/** Every name secretKindOfName can accept contains one of these. */
const SECRET_STEM = /pass|pwd|pw|secret|token|key|auth|sig|credential|session/i;

/** What a value named `name` is, or undefined when the name does not say it is a secret. */
export function secretKindOfName(name: string): SecretKind | undefined {
  // Most names in a log say nothing about secrets; this keeps them from being split into words at all.
  if (!SECRET_STEM.test(name)) return undefined;
  const words = wordsOf(name);
  const last = words.at(-1);
  if (last === undefined) return undefined;
  const previous = words.at(-2);
  // Run together in one word: `PGPASSWORD`, `MYSQL_PWD`, `NPM_AUTHTOKEN`, `clientsecret`.
  const compound = /(?:password|passwd|secret|token)$/.exec(last)?.[0];
  if (compound !== undefined && compound !== last && !words.some((w) => REFERENCE_WORDS.has(w) && w !== last)) {
    return compound === 'password' || compound === 'passwd' ? 'password-assignment' : 'secret-assignment';
  }
  if (words.some((w) => w === 'pull' || w === 'existing' || w === 'scanning')) return undefined;
  if (PASSWORD_WORDS.has(last)) {
    // `PWD=/home/runner/work/...` is the working directory in every environment dump.
    if ((last === 'pwd' || last === 'pw' || last === 'pass') && words.length === 1) return undefined;
    return 'password-assignment';
  }
  if (last === 'key' && previous !== undefined && KEY_QUALIFIERS.has(previous)) return 'secret-assignment';
  if (last === 'id' && previous === 'session') return 'secret-assignment';
  if (SECRET_WORDS.has(last)) return 'secret-assignment';
  if (REFERENCE_WORDS.has(last)) return undefined;
  // `SECRET_KEY_BASE`, `password_value`, `db_password_prod`: a secret word anywhere, and nothing after it
  // that makes the name about the secret rather than the secret.
  if (words.some((w) => w === 'secret' || w === 'password' || w === 'passwd')) {
    return words.includes('secret') ? 'secret-assignment' : 'password-assignment';
  }
  return undefined;
}

/** Words that follow `secret:`/`password:` in CI output without being a value (`secrets: inherit`). */
const NON_VALUES = new Set([
  'inherit', 'true', 'false', 'null', 'none', 'nil', 'undefined', 'required', 'optional', '~', '""', "''", 'enabled',
  'disabled', 'on', 'off', 'yes', 'no', 'redacted', 'masked', 'hidden', 'set', 'unset', 'present', 'missing', 'empty',
  'string', 'secret', 'password', 'token', 'env', 'default', 'auto', 'bearer', 'basic',
]);

/** Whether `value`, named as a secret of `kind`, is one rather than a word that merely follows the name. */
function isSecretValue(value: string, kind: SecretKind): boolean {
  if (value === '' || isPlaceholder(value) || NON_VALUES.has(value.toLowerCase())) return false;
  if (kind === 'password-assignment') return true;
  // A Kubernetes object name (`registry-credentials`, `api-tls-cert`) is a reference to a secret, not one.
  if (value.length < 40 && /^[a-z]+(?:[-.][a-z]+)+$/.test(value)) return false;
  if (/^https?:\/\//i.test(value) && !/@/.test(value)) return false;
  if (/^\d{1,5}$/.test(value)) return false; // ports, counts, seconds
  return value.length >= 6 || entropy(value) >= 2.5;
}

/**
 * A quoted value (JSON-escaped quotes too), or a bare one, which ends where shells, URLs, YAML and connection
 * strings end it.
 */
const VALUE = String.raw`(?:\\"(?<eq>(?:[^"\\\n]|\\[^"\n])+)\\"|"(?<dq>[^"\n]+)"|'(?<sq>[^'\n]+)'|(?<bare>[^\s"'&;,)}\]\\]+))`;

/** The value group that matched, and where it lies in the text (patterns carry the `d` flag). */
function valueSpan(match: RegExpExecArray): { value: string; start: number; end: number } | undefined {
  for (const name of ['eq', 'dq', 'sq', 'bare']) {
    const value = match.groups?.[name];
    const span = match.indices?.groups?.[name];
    if (value !== undefined && span !== undefined) return { value, start: span[0], end: span[1] };
  }
  return undefined;
}

/**
 * Every match of `pattern` whose name group (`key` or `flag`) says secret. A match whose name does not is
 * resumed right after the name, so `"Blob": "AccountName=x;AccountKey=…"` and `--prod --token=…` still let
 * the inner name be seen.
 */
function namedValues(text: string, pattern: RegExp, nameGroup: string, isFlag = false): Finding[] {
  const findings: Finding[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const name = match.groups?.[nameGroup] ?? '';
    // `https://x-access-token:<token>@host`: the user of a URL, whose password the URL rule takes.
    const kind = text.slice(Math.max(0, match.index - 3), match.index) === '://' ? undefined : secretKindOfName(name);
    const span = valueSpan(match);
    // After a flag, a value starting with `-` is the next flag (`--password --verbose`).
    if (kind === undefined || span === undefined || !isSecretValue(span.value, kind) || (isFlag && /^[-=:]/.test(span.value))) {
      pattern.lastIndex = (match.indices?.groups?.[nameGroup]?.[1] ?? match.index) + 1;
      continue;
    }
    findings.push({ start: span.start, end: span.end, type: kind });
  }
  return findings;
}

/**
 * `name = value`, `name: value`, `"name": "value"`, `name => value`, `name := value`, JSON-escaped or not,
 * where the name says secret (secretKindOfName). Covers env dumps (`CODECOV_TOKEN=…`), YAML (`token: …`),
 * JSON (`"auth": "…"` in docker's config.json), query strings (`?sig=…&`), connection strings
 * (`AccountKey=…;`), headers (`X-Api-Key: …`, `PRIVATE-TOKEN: …`) and cookies (`sessionid=…`).
 */
const ASSIGNMENT = new RegExp(
  String.raw`(?<![A-Za-z0-9_.\-])(?<key>[A-Za-z_][A-Za-z0-9_.\-]{0,79})(?:\\?["'])?[ \t]*(?::=|=>|=|:)[ \t]*${VALUE}`,
  'dg',
);
/** Java system properties and Gradle project properties: `-Dsonar.password=…`, `-PnexusPassword=…`. */
const PROPERTY = new RegExp(String.raw`(?<![A-Za-z0-9_])-[DP](?<key>[A-Za-z_][A-Za-z0-9_.\-]{0,79})=${VALUE}`, 'dg');
/** `npm config set //registry/:_authToken X`, `aws configure set aws_secret_access_key X`: a name and its value after `set`. */
const SET_COMMAND = new RegExp(String.raw`\bset[ \t]+(?<key>[A-Za-z_/:.@][A-Za-z0-9_.:/@\-]{0,120})[ \t]+${VALUE}`, 'dg');
/** Prose that quotes a password: `Using password "…"`, `password is '…'`. */
const QUOTED_PASSWORD = /\b(?:password|passwd|passphrase)[ \t]+(?:is[ \t]+)?(?:"(?<dq>[^"\n]{3,})"|'(?<sq>[^'\n]{3,})')/dgi;
const namedAssignment: Rule = (text) => [
  ...namedValues(text, ASSIGNMENT, 'key'),
  ...namedValues(text, PROPERTY, 'key'),
  ...namedValues(text, SET_COMMAND, 'key'),
  ...[...text.matchAll(QUOTED_PASSWORD)].flatMap((match) => {
    const finding = valueFinding(match as RegExpExecArray, 'password-assignment');
    return finding === undefined ? [] : [finding];
  }),
];

const FLAG_VALUE = String.raw`(?:"(?<dq>[^"\n]*)"|'(?<sq>[^'\n]*)'|(?<bare>[^\s"'|;&]+))`;

/** `--password X`, `--password=X`, `--account-key X`, `--token X`, `--client-secret=X`: a flag whose name says secret. */
const FLAG = new RegExp(String.raw`(?<![A-Za-z0-9_-])--(?<flag>[A-Za-z][A-Za-z0-9-]{1,60})(?:[ \t]*[=:][ \t]*|[ \t]+)${FLAG_VALUE}`, 'dg');
const secretFlag: Rule = (text) => namedValues(text, FLAG, 'flag', true);

function valueFinding(match: RegExpExecArray, type: string): Finding | undefined {
  const span = valueSpan(match);
  if (span === undefined || span.value === '' || isPlaceholder(span.value)) return undefined;
  return { start: span.start, end: span.end, type };
}

/** Commands that take a password in a short flag or on stdin; each needs its command, because `-p` alone means port or parents. */
const COMMAND_PASSWORDS: readonly RegExp[] = [
  // mysql -pX (glued; `-p` alone prompts), sshpass -p X / -pX
  new RegExp(String.raw`\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport)\b[^\n|;&]*?[ \t]-p(?!assword)${FLAG_VALUE}`, 'g'),
  new RegExp(String.raw`\bsshpass\b[^\n|;&]*?[ \t]-p[ \t]*${FLAG_VALUE}`, 'g'),
  // docker/podman/helm/oras/... login -p X; twine upload -p X
  new RegExp(String.raw`\b(?:docker|podman|buildah|skopeo|helm|nerdctl|oras|crane|regctl|cf|az)\b[^\n|;&]*?\blogin\b[^\n|;&]*?[ \t]-p[ \t]+${FLAG_VALUE}`, 'g'),
  new RegExp(String.raw`\btwine\b[^\n|;&]*?[ \t]-p[ \t]+${FLAG_VALUE}`, 'g'),
  // ~/.netrc: machine HOST login USER password SECRET
  new RegExp(String.raw`\bmachine[ \t]+\S+[ \t]+login[ \t]+\S+[ \t]+password[ \t]+${FLAG_VALUE}`, 'g'),
  // echo X | docker login --password-stdin (and printf '%s' X | ...)
  new RegExp(String.raw`\b(?:echo|printf)[ \t]+(?:-[neE]+[ \t]+)?(?:'%s\\?n?'[ \t]+|"%s\\?n?"[ \t]+)?${FLAG_VALUE}[ \t]*\|[^\n]*?(?:--password-stdin|\blogin\b)`, 'g'),
];

const commandPasswords: Rule = (text) => {
  const findings: Finding[] = [];
  for (const pattern of COMMAND_PASSWORDS) {
    const indexed = new RegExp(pattern.source, 'dg');
    for (let match = indexed.exec(text); match !== null; match = indexed.exec(text)) {
      const finding = valueFinding(match, 'password-assignment');
      if (finding !== undefined && !/^-/.test(text.slice(finding.start, finding.end))) findings.push(finding);
    }
  }
  return findings;
};

/** `curl -u user:pass`, `--user user:pass`, `wget --http-password`; `-b`/`--cookie` values and Cookie headers. */
const httpClientCredentials: Rule = (text) => {
  const findings: Finding[] = [];
  const user = /\b(?:curl|wget|http|httpie)\b[^\n|;&]*?[ \t](?:-u|--user|--proxy-user|-U)(?:=|[ \t]*)["']?(?<name>[^\s:"']*):(?<secret>[^\s"']+)/g;
  for (const match of text.matchAll(user)) {
    const secret = match.groups?.['secret'] ?? '';
    if (isPlaceholder(secret)) continue;
    const end = match.index + match[0].length;
    findings.push({ start: end - secret.length, end, type: 'password-assignment' });
  }
  const cookie = /(?:\b(?:curl|wget)\b[^\n|;&]*?[ \t](?:-b|--cookie)(?:=|[ \t]+)|(?<![A-Za-z-])(?:set-)?cookie["']?[ \t]*:[ \t]*)["']?(?<value>[^\n"']+)/gi;
  for (const match of text.matchAll(cookie)) {
    const value = match.groups?.['value'] ?? '';
    const valueStart = match.index + match[0].length - value.length;
    // Each `name=value` pair's value; a cookie file path (`-b cookies.txt`) has none.
    for (const pair of value.matchAll(/(?:^|;[ \t]*)[^=;\s]+=(?<v>[^;\s]+)/g)) {
      const v = pair.groups?.['v'] ?? '';
      if (v.length < 4 || isPlaceholder(v)) continue;
      const end = valueStart + pair.index + pair[0].length;
      findings.push({ start: end - v.length, end, type: 'cookie' });
    }
  }
  return findings;
};

/** `Authorization:` headers and bare `Bearer` credentials printed by curl -v, HTTP client debug logs, ... */
const authorizationHeader: Rule = (text) => {
  const findings: Finding[] = [];
  const patterns = [
    /(?<![A-Za-z-])(?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:(?:bearer|basic|token|digest|negotiate|bot|sso-key|apikey|key)[ \t]+)?(?<value>[A-Za-z0-9._~+/=:-]{8,})/gi,
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

/** `::add-mask::VALUE`: the runner hides VALUE from later lines, but the command line itself shows it. */
const addMask: Rule = (text) => {
  const findings: Finding[] = [];
  for (const match of text.matchAll(/::add-mask::(?<value>[^\s]+)/g)) {
    const value = match.groups?.['value'] ?? '';
    if (isPlaceholder(value)) continue;
    const end = match.index + match[0].length;
    findings.push({ start: end - value.length, end, type: 'masked-value' });
  }
  return findings;
};

/**
 * Prose that names a secret and then shows it: `Using cached credential <random>`, `token for upload: <random>`.
 * Only a random-looking run within a few words of the name: mixed case and digits, at least 20 characters,
 * no `-` (which keeps cache keys, package ids and hex digests out), high entropy.
 */
const secretInProse: Rule = (text) => {
  const findings: Finding[] = [];
  const pattern = /\b(?:token|secret|password|passwd|credentials?|api[ _-]?key)\b(?:[^\S\n]+[^\s]{1,20}){0,3}?[^\S\n]*[:=]?[^\S\n]+["']?(?<value>[A-Za-z0-9+/_=]{20,})/gi;
  for (const match of text.matchAll(pattern)) {
    const value = match.groups?.['value'] ?? '';
    if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value) || entropy(value) < 3.5) continue;
    const end = match.index + match[0].length;
    findings.push({ start: end - value.length, end, type: 'secret-in-text' });
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

/**
 * A token-like run that ends at a cut. Whatever it was, what is left can no longer be recognised by its
 * full shape (a `ghp_` token cut to 20 characters, half a JWT), so a cut that lands inside a candidate (a run
 * with letters and digits, or a vendor prefix) is treated as a secret.
 */
const cutCandidate: Rule = (text) => {
  const findings: Finding[] = [];
  for (const match of text.matchAll(new RegExp(`[A-Za-z0-9_+/=.~%-]{6,}${CUT_MARK}`, 'g'))) {
    const run = match[0].slice(0, -1).replace(/^[^A-Za-z0-9]+/, '');
    const mixed = /[A-Za-z]/.test(run) && /[0-9]/.test(run) && run.length >= 8 && entropy(run) >= 2;
    if (!mixed && !hasVendorPrefix(run)) continue;
    findings.push({ start: match.index + match[0].length - 1 - run.length, end: match.index + match[0].length - 1, type: 'truncated-secret' });
  }
  return findings;
};

export const OWN_RULES: readonly Rule[] = [
  urlCredentials,
  namedAssignment,
  secretFlag,
  commandPasswords,
  httpClientCredentials,
  authorizationHeader,
  addMask,
  secretInProse,
  vendorTokens,
  jwt,
  privateKey,
  cutCandidate,
];

export function ownFindings(text: string): Finding[] {
  return OWN_RULES.flatMap((rule) => rule(text));
}
