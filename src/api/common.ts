import { GO_DURATION, parseDuration } from '../duration.ts';
import { z } from 'zod';
import { clip } from '../text.ts';

/**
 * Schema pieces shared by the custom resources. Every schema here must convert cleanly with
 * `z.toJSONSchema` into an OpenAPI v3 *structural* schema (the CRD generator relies on it): objects,
 * enums, bounded strings with RE2-compatible patterns (the API server evaluates `pattern` with Go's
 * regexp, so no lookarounds or backreferences), bounded numbers and arrays, defaults. Refinements are
 * fine for checks that only this process runs (they are dropped from the JSON schema), but anything the
 * API server must also enforce needs a pattern, a bound, or an `x-kubernetes-validations` rule.
 */

export const API_GROUP = 'ci-remediator.dev';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Kubernetes object names (DNS-1123 subdomain): what `kubectl apply` would accept. */
export const ObjectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    error: 'must be a Kubernetes name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
  });
export type ObjectName = z.infer<typeof ObjectName>;

/** Namespaces are DNS-1123 labels. */
export const NamespaceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    error: 'must be a Kubernetes namespace: lower-case letters, digits and "-", starting and ending with a letter or digit',
  });
export type NamespaceName = z.infer<typeof NamespaceName>;

/**
 * The part of ObjectMeta we read. Not strict on purpose: a document exported with `kubectl get -o yaml`
 * carries uid, resourceVersion, annotations, managedFields… which belong to Kubernetes, not to us; they are
 * dropped rather than rejected. The CRD generator emits no schema for metadata (the API server owns it).
 */
export const ObjectMeta = z.object({
  name: ObjectName,
  namespace: NamespaceName.optional(),
  generation: z.number().int().min(0).optional(),
  labels: z.record(z.string().min(1).max(317), z.string().max(63)).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/**
 * GitHub repositories, `owner/name`, as GitHub defines them: the owner (a user or organization login) is
 * letters, digits and `-`, at most 39 characters, starting with a letter or digit; the name is letters,
 * digits, `.`, `_` and `-`, at most 100 characters, and not made of dots alone (`.`, `..` and `...` are not
 * repositories: GitHub refuses them, and a record naming one would retry forever). The one definition every
 * parser uses (the CRD schema, the CLI's --repo, the GitHub client), so none accepts what another refuses.
 *
 * GitHub compares repositories case-insensitively: `ACME/Web-Shop` and `acme/web-shop` are one repository.
 * repositoryKey() is that identity (record names derive from it); the original casing is kept for display.
 */
const OWNER_PATTERN = '[A-Za-z0-9][A-Za-z0-9-]{0,38}';
// At least one character that is not a dot, written without lookaheads (the API server evaluates it with RE2).
const NAME_PATTERN = '[.]*[A-Za-z0-9_-][A-Za-z0-9._-]*';
const REPOSITORY = new RegExp(`^(${OWNER_PATTERN})/(${NAME_PATTERN})$`);
export const MAX_REPOSITORY_NAME_LENGTH = 100;

/** `{ owner, name }` of a repository, or undefined when `value` is not one (see RepositoryName). */
export function parseRepositoryName(value: string): { owner: string; name: string } | undefined {
  const match = REPOSITORY.exec(value);
  if (!match || match[2]!.length > MAX_REPOSITORY_NAME_LENGTH) return undefined;
  return { owner: match[1]!, name: match[2]! };
}

/** The repository's identity: GitHub treats names case-insensitively, so two casings are one repository. */
export function repositoryKey(repository: string): string {
  return repository.toLowerCase();
}

export const REPOSITORY_FORMAT = "{owner}/{name}, e.g. 'acme/web' (the name may not be '.', '..' or only dots)";

export const RepositoryName = z
  .string()
  .max(140)
  .regex(REPOSITORY, { error: `must be a repository as ${REPOSITORY_FORMAT}` })
  .refine((value) => !REPOSITORY.test(value) || parseRepositoryName(value) !== undefined, {
    error: `must be a repository name of at most ${MAX_REPOSITORY_NAME_LENGTH} characters`,
  });
export type RepositoryName = z.infer<typeof RepositoryName>;

/**
 * A glob over `owner/name` (picomatch syntax: `*`, `?`, `[...]`, `{a,b}`). Exactly one `/`, so a pattern
 * always says something about the owner and the name; a leading `!` is refused because a lone negation
 * would silently match every other repository.
 */
export const RepositoryPattern = z
  .string()
  .min(3)
  .max(140)
  .regex(/^[A-Za-z0-9*?[\]{},._-]+\/[A-Za-z0-9*?[\]{},._-]+$/, {
    error: "must be a repository glob as {owner}/{name}, e.g. 'acme/web', 'acme/*' or '*/*'",
  });
export type RepositoryPattern = z.infer<typeof RepositoryPattern>;

/**
 * A glob over repository-relative paths (picomatch syntax, matched with `dot: true`). Relative and with
 * forward slashes because changed files and components are normalized that way before matching; `!` is
 * refused for the same reason as in repository patterns (exclusions are what `infrastructurePaths` is for).
 */
export const PathPattern = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^!/\s\\]([^\\]*[^\s\\])?$/, {
    error: "must be a relative path glob with forward slashes, e.g. 'src/**' or '**/*.tf' (no leading '/', '!' or spaces, no backslashes)",
  });
export type PathPattern = z.infer<typeof PathPattern>;

/**
 * A web or API root: http(s), a host, an optional path, no query or fragment, e.g. 'https://github.com' or
 * GitHub Enterprise Server's 'https://github.example.com/api/v3'. For settings read by this process (flags,
 * runner variables), not for CRD fields: `trim` is a transform the API server cannot apply.
 */
export const HttpUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^\s/?#]+[^\s?#]*$/, {
    error: "must be an http(s) URL without a query or fragment, such as 'https://github.com' or 'https://github.example.com/api/v3'",
  });

/** A duration string between `min` and `max` (both Go durations, inclusive). */
export function Duration(bounds: { min: string; max: string }) {
  const min = parseDuration(bounds.min);
  const max = parseDuration(bounds.max);
  if (min === undefined || max === undefined) throw new Error(`invalid duration bounds ${bounds.min}..${bounds.max}`);
  return z
    .string()
    .max(32)
    .regex(GO_DURATION.pattern, { error: "must be a duration such as '30m', '24h' or '1h30m' (units: ns, us, ms, s, m, h)" })
    .refine(
      (text) => {
        const ms = parseDuration(text);
        // Not a duration at all is the pattern's message; saying "out of range" too would only confuse.
        return ms === undefined || (ms >= min && ms <= max);
      },
      { error: `must be between ${bounds.min} and ${bounds.max}` },
    );
}

/** A Slack channel: its id (C…/G…, stable across renames) or `#name`. */
export const SlackChannel = z
  .string()
  .min(2)
  .max(81)
  .regex(/^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,20})$/, {
    error: "must be a Slack channel id (e.g. 'C0123456789') or a '#name' (lower case)",
  });
export type SlackChannel = z.infer<typeof SlackChannel>;

/** A Slack user id: what a signed interaction payload carries, so what approvals are checked against. */
export const SlackUserId = z
  .string()
  .regex(/^[UW][A-Z0-9]{2,20}$/, { error: "must be a Slack user id such as 'U0123456789' (display names change; ids do not)" });
export type SlackUserId = z.infer<typeof SlackUserId>;

/** A Slack user group id (S…). */
export const SlackUserGroupId = z
  .string()
  .regex(/^S[A-Z0-9]{2,20}$/, { error: "must be a Slack user group id such as 'S0123456789'" });
export type SlackUserGroupId = z.infer<typeof SlackUserGroupId>;

/** metav1.Condition, as both custom resources report them. */
export const Condition = z.strictObject({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().min(0).optional(),
  lastTransitionTime: z.string().max(64),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, { error: 'must be a CamelCase reason' }),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;

/** One problem in a document: where (a path into the input) and what, as a sentence about the user's value. */
export interface IssueDetail {
  path: PropertyKey[];
  message: string;
}

/**
 * Human sentences for zod issues. Zod's own messages name types, not the user's value; a person fixing a
 * YAML file wants to see what they wrote, so the value at the path is quoted from `input`. An unknown-field
 * issue becomes one detail per field, with the field in the path.
 */
export function issueDetails(issues: readonly z.core.$ZodIssue[], input: unknown): IssueDetail[] {
  return issues.flatMap((issue) => describeIssue(issue, input));
}

/** `spec.approval.timeout: must be …`, one line per problem. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issueDetails(issues, input).map((detail) => `${formatPath(detail.path) || '(document)'}: ${detail.message}`);
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): IssueDetail[] {
  const path = [...issue.path];
  const at = (message: string): IssueDetail[] => [{ path, message }];
  const value = valueAt(input, issue.path);
  const got = value === undefined || (typeof value === 'object' && issue.code === 'custom') ? '' : ` (got ${show(value)})`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }));
    case 'invalid_type':
      if (value === undefined) return at('is required');
      return at(`must be ${article(issue.expected)}${got}`);
    case 'too_big':
    case 'too_small': {
      const limit = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const word = issue.code === 'too_big' ? (issue.inclusive ? 'at most' : 'less than') : issue.inclusive ? 'at least' : 'more than';
      if (issue.origin === 'string') {
        const length = typeof value === 'string' ? ` (got ${value.length})` : '';
        return at(`must be ${word} ${String(limit)} characters long${length}`);
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        const count = Array.isArray(value) ? ` (got ${value.length})` : '';
        return at(`must have ${word} ${String(limit)} ${Number(limit) === 1 ? 'entry' : 'entries'}${count}`);
      }
      return at(`must be ${word} ${String(limit)}${got}`);
    }
    case 'invalid_value':
      return at(`must be ${issue.values.length === 1 ? show(issue.values[0]) : `one of ${issue.values.map(show).join(', ')}`}${got}`);
    case 'not_multiple_of':
      return at(`must be a multiple of ${String(issue.divisor)}${got}`);
    default:
      // invalid_format and custom carry the messages we wrote in the schemas.
      return at(`${issue.message}${got}`);
  }
}

/** `spec.repositories[2]`, `metadata.labels["app"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  if (type === 'int') return 'an integer';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A short, single-line rendering of what the user wrote. */
function show(value: unknown): string {
  if (typeof value === 'string') return `'${clip(value, 60)}'`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Parsed documents are shared (every gate call reads the same policy); frozen, a mutation is an error, not a bug. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
