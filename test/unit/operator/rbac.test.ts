import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { LEADER_ELECTION_RULES, OPERATOR_RULES, RBAC_FILE, renderRbac } from '../../../operator/rbac.ts';

// The committed RBAC file is what operator/rbac.ts generates (the drift check `npm run rbac:check` runs too).
describe('operator/rbac.ts', () => {
  it('matches deploy/rbac/operator.yaml on disk', () => {
    expect(readFileSync(join(import.meta.dirname, '..', '..', '..', RBAC_FILE), 'utf8')).toBe(renderRbac());
  });

  it('grants no wildcard and nothing that deletes', () => {
    for (const rule of [...OPERATOR_RULES, ...LEADER_ELECTION_RULES]) {
      expect([...rule.verbs, ...rule.resources, ...rule.apiGroups]).not.toContain('*');
      expect(rule.verbs).not.toEqual(expect.arrayContaining(['delete']));
      expect(rule.verbs).not.toEqual(expect.arrayContaining(['deletecollection']));
    }
  });
});
