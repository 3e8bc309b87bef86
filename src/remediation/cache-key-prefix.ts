import { MAX_CACHE_KEY_LENGTH } from '../logs/cache-key-collector.ts';
import { REDACTION_MARKER_PREFIX } from '../logs/redactor.ts';

/**
 * The key prefix clear-caches deletes by, derived from the cache keys the failed jobs' logs say were
 * restored (`spec.failedJobs[].cacheKeys`, collected by src/logs/cache-key-collector.ts).
 *
 * Keys usually end in a hash of the lockfile (`node-cache-Linux-x64-npm-<sha256>`, `Linux-node-${{
 * hashFiles('**\/package-lock.json') }}`). The prefix drops that hash, so it covers the whole family: with
 * only the exact key gone, the re-run's restore-keys would restore a sibling of the same family, which may be
 * broken the same way. Keys of several families (a matrix, setup-node next to actions/cache) share the
 * common start of their prefixes, cut back to a separator so a shared half word does not widen it further.
 *
 * The keys are log text, and a log is untrusted: any step can print `Cache restored from key: x`. Deleting by
 * a prefix derived from them is still safe, which is why no person has to vet it:
 * - the delete is scoped to the record's repository (GitHub's cache API offers nothing wider) and touches
 *   caches only: no code, no artifacts, no settings. The worst case is a cold cache the re-run rebuilds,
 *   and whoever can print lines into the log already runs code in the workflow, which can evict caches by
 *   itself (saving caches past the repository's quota evicts the least recently used);
 * - a prefix must be at least MIN_PREFIX_LENGTH characters and more than one word (or twice as long), so it
 *   names a cache family, not "everything on Windows"; the executor re-checks every listed key against it
 *   and refuses a prefix that matches more than 50 caches (preconditions.ts);
 * - a key the runner masked (`***`) or the redactor changed is not the key GitHub stores, so no prefix is
 *   derived when any key is one of those: a prefix made from the rest could miss the cache that is broken.
 * Without a prefix the proposal carries no `keyPrefix`, and the executor refuses clear-caches saying so.
 */

/** Shorter prefixes are too broad to delete by unattended (`Linux-`, `npm-`, `v1-`). */
const MIN_PREFIX_LENGTH = 8;
/** A trailing hash segment: 8 or more hex digits after a separator, as hashFiles() and the setup-* actions append. */
const TRAILING_HASH = /(?<=[-_.:/])[0-9a-f]{8,}$/i;
const SEPARATORS = new Set(['-', '_', '.', ':', '/']);
const WORDS = /[^-_.:/\s]+/g;
const CONTROL = /\p{Cc}/u;

/** The prefix to delete caches by, or undefined when the keys give none narrow enough (or there are none). */
export function cacheKeyPrefixOf(keys: readonly string[]): string | undefined {
  const prefixes = new Set<string>();
  for (const raw of keys) {
    const key = raw.trim();
    if (!isLiteralCacheKey(key)) return undefined;
    prefixes.add(key.replace(TRAILING_HASH, ''));
  }
  if (prefixes.size === 0) return undefined;
  let prefix = commonPrefix([...prefixes]);
  if (prefixes.size > 1) prefix = toSeparator(prefix);
  prefix = prefix.trimEnd();
  return isNarrow(prefix) ? prefix : undefined;
}

/** Whether `key` is one GitHub can store as printed: not masked by the runner, not redacted, no control characters. */
export function isLiteralCacheKey(key: string): boolean {
  return key !== '' && key.length <= MAX_CACHE_KEY_LENGTH && !key.includes(REDACTION_MARKER_PREFIX) && !key.includes('***') && !CONTROL.test(key);
}

/** Long enough, and more than one word (`Windows-` is long enough but names every cache of a platform) unless long in itself. */
function isNarrow(prefix: string): boolean {
  if (prefix.length < MIN_PREFIX_LENGTH) return false;
  return (prefix.match(WORDS)?.length ?? 0) >= 2 || prefix.length >= 2 * MIN_PREFIX_LENGTH;
}

function commonPrefix(values: readonly string[]): string {
  let prefix = values[0]!;
  for (const value of values.slice(1)) {
    let length = 0;
    while (length < prefix.length && length < value.length && prefix[length] === value[length]) length++;
    prefix = prefix.slice(0, length);
  }
  return prefix;
}

/** Cuts back to just after the last separator (the whole string when it ends in one; empty when it has none). */
function toSeparator(prefix: string): string {
  for (let end = prefix.length; end > 0; end--) if (SEPARATORS.has(prefix[end - 1]!)) return prefix.slice(0, end);
  return '';
}
