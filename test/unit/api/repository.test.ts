import { describe, expect, it } from '@jest/globals';
import { parseRepositoryName, RepositoryName, repositoryKey } from '../../../src/api/common.ts';
import { failureRecordName } from '../../../src/api/failure-record.ts';
import { parseRepository as parseFlag } from '../../../src/cli/flags.ts';
import { parseRepository as parseForClient } from '../../../src/github/client.ts';

// One definition of a GitHub repository for the CRD schema, the CLI's --repo and the GitHub client: the three
// used to disagree (the client refused `acme/..`, the schema and the CLI took it).

describe('repository names as GitHub defines them', () => {
  it.each(['acme/.', 'acme/..', 'acme/...', '-acme/web', 'acme/web/extra', 'acme', 'ac me/web', `acme/${'a'.repeat(101)}`, `${'a'.repeat(40)}/web`])(
    'refuses %j everywhere',
    (value) => {
      expect(parseRepositoryName(value)).toBeUndefined();
      expect(RepositoryName.safeParse(value).success).toBe(false);
      expect(() => parseFlag(value)).toThrow(/Invalid --repo .*\{owner\}\/\{name\}/);
      expect(() => parseForClient(value)).toThrow(/Invalid repository/);
    },
  );

  it.each([
    ['acme/web', 'acme', 'web'],
    ['ACME/Web-Shop', 'ACME', 'Web-Shop'],
    ['acme/.github', 'acme', '.github'],
    ['acme/web.app', 'acme', 'web.app'],
    ['a/_', 'a', '_'],
    [`acme/${'a'.repeat(100)}`, 'acme', 'a'.repeat(100)],
  ])('accepts %j everywhere', (value, owner, name) => {
    expect(parseRepositoryName(value)).toEqual({ owner, name });
    expect(RepositoryName.safeParse(value).success).toBe(true);
    expect(parseFlag(value)).toBe(value);
    expect(parseForClient(value)).toEqual({ owner, repo: name });
  });

  it('identifies repositories case-insensitively: one record name for ACME/Web-Shop and acme/web-shop', () => {
    expect(repositoryKey('ACME/Web-Shop')).toBe(repositoryKey('acme/web-shop'));
    expect(failureRecordName('ACME/Web-Shop', 7, 1)).toBe(failureRecordName('acme/web-shop', 7, 1));
  });
});
