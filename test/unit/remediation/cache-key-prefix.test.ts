import { describe, expect, it } from '@jest/globals';
import { cacheKeyPrefixOf, isLiteralCacheKey } from '../../../src/remediation/cache-key-prefix.ts';

const SHA = '6c1f0e5b2a8d9c3e4f7a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2';

describe('cacheKeyPrefixOf', () => {
  it('drops the trailing hash of the lockfile, keeping the separator', () => {
    expect(cacheKeyPrefixOf([`node-cache-Linux-x64-npm-${SHA}`])).toBe('node-cache-Linux-x64-npm-');
    expect(cacheKeyPrefixOf([`Linux-node-${SHA}`])).toBe('Linux-node-');
    expect(cacheKeyPrefixOf([`setup-python-Linux-x64-24.04-Ubuntu-python-3.12.3-pip-${SHA.slice(0, 40)}`])).toBe(
      'setup-python-Linux-x64-24.04-Ubuntu-python-3.12.3-pip-',
    );
    expect(cacheKeyPrefixOf([`Linux_cargo_${SHA.toUpperCase()}`])).toBe('Linux_cargo_');
  });

  it('keeps a key without a trailing hash whole: the narrowest prefix there is', () => {
    expect(cacheKeyPrefixOf(['Linux-build-v2'])).toBe('Linux-build-v2');
    // Seven hex digits is a version or a short sha, not a lockfile hash.
    expect(cacheKeyPrefixOf(['Linux-gradle-abc1234'])).toBe('Linux-gradle-abc1234');
    // A hash that is the whole key has no family to widen to.
    expect(cacheKeyPrefixOf([SHA])).toBe(SHA);
  });

  it('covers several keys with their common prefix, cut back to a separator', () => {
    expect(cacheKeyPrefixOf([`node-cache-Linux-x64-npm-${SHA}`, `node-cache-Linux-x64-npm-${SHA.slice(1)}`, `node-cache-Linux-x64-yarn-${SHA}`])).toBe(
      'node-cache-Linux-x64-',
    );
    expect(cacheKeyPrefixOf([`Linux-node-modules-${SHA}`, `Linux-node-mono-${SHA}`])).toBe('Linux-node-');
    expect(cacheKeyPrefixOf([`Linux-node-${SHA}`, `Linux-node-${SHA}`])).toBe('Linux-node-');
  });

  it('refuses prefixes too broad to delete by unattended', () => {
    // Shorter than 8 characters.
    expect(cacheKeyPrefixOf([`npm-${SHA}`])).toBeUndefined();
    expect(cacheKeyPrefixOf([`Linux-${SHA}`])).toBeUndefined();
    // Long enough, but one word: every cache of an operating system.
    expect(cacheKeyPrefixOf([`Windows-${SHA}`])).toBeUndefined();
    expect(cacheKeyPrefixOf([`Windows-node-${SHA}`, `Windows-pip-${SHA}`])).toBeUndefined();
    // Nothing in common.
    expect(cacheKeyPrefixOf([`node-cache-Linux-x64-npm-${SHA}`, `Linux-cypress-${SHA}`])).toBeUndefined();
    expect(cacheKeyPrefixOf([])).toBeUndefined();
    expect(cacheKeyPrefixOf(['   '])).toBeUndefined();
  });

  it('derives nothing when any key is not the key GitHub stores (masked, redacted)', () => {
    expect(cacheKeyPrefixOf([`Linux-deps-[REDACTED:github-token]-${SHA}`])).toBeUndefined();
    expect(cacheKeyPrefixOf([`Linux-node-${SHA}`, `Linux-node-***-${SHA}`])).toBeUndefined();
    expect(cacheKeyPrefixOf([`Linux-node-${SHA}`, `Linux-node-\u0000-${SHA}`])).toBeUndefined();
  });

  it('tells literal keys from masked or redacted ones', () => {
    expect(isLiteralCacheKey(`Linux-node-${SHA}`)).toBe(true);
    expect(isLiteralCacheKey('a'.repeat(513))).toBe(false);
    expect(isLiteralCacheKey('')).toBe(false);
  });
});
