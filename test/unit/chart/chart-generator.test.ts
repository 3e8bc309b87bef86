import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { rbacRulesFromDeclared, schemaFromValues } from '../../../scripts/chart.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

// The chart's values.schema.json and README come from values.yaml's comments (scripts/chart.ts). What a chart
// author notices: an undocumented value is refused, @schema keywords land in the schema, groups are closed.

describe('schemaFromValues', () => {
  it('types each value from its default, keeps its description and merges @schema', () => {
    const { schema, docs } = schemaFromValues(
      [
        'group:',
        '  # -- How many.',
        '  # @schema {"minimum": 1}',
        '  count: 2',
        '  # -- A name.',
        '  name: x',
        '# -- Free-form labels.',
        '# @schema {"additionalProperties": {"type": "string"}}',
        'labels: {}',
      ].join('\n'),
    );
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['group', 'labels'],
      properties: {
        group: {
          type: 'object',
          additionalProperties: false,
          required: ['count', 'name'],
          properties: {
            count: { type: 'integer', minimum: 1, default: 2, description: 'How many.' },
            name: { type: 'string', default: 'x', description: 'A name.' },
          },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
      },
    });
    expect(docs.map((doc) => doc.key)).toEqual(['group.count', 'group.name', 'labels']);
  });

  it('refuses a value without a description, naming it', () => {
    expect(() => schemaFromValues('group:\n  # -- Documented.\n  a: 1\n  b: 2\n')).toThrow('values.yaml group.b: no "# --" description above it');
  });

  it('refuses @schema that is not JSON, naming the value', () => {
    expect(() => schemaFromValues('# -- A value.\n# @schema {minimum: 1}\na: 1\n')).toThrow(/values\.yaml a: @schema is not JSON/);
  });

  it('refuses a null default (its type would be a guess)', () => {
    expect(() => schemaFromValues('# -- A value.\na: null\n')).toThrow('values.yaml a: give a default whose type says what the value is');
  });
});

describe('rbacRulesFromDeclared', () => {
  // The generated RBAC of the operator's permission declaration (operator/rbac.ts, on another branch), as it was
  // when this chart was written: test/fixtures/chart/operator-rbac.yaml.
  const declared = readFileSync(join(ROOT, 'test/fixtures/chart/operator-rbac.yaml'), 'utf8');
  const triples = (rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>): string[] =>
    rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)))).sort();

  it('keeps the ClusterRole as the watched rules and limits the Lease rules by name, except create', () => {
    const rules = parse(rbacRulesFromDeclared(declared)) as { watched: Rule[]; leaderElection: Array<Rule & { namedLease?: boolean }> };
    expect(rules.leaderElection).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], namedLease: true },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    expect(triples(rules.watched)).toContain('ci-remediator.dev/failurerecords/status:patch');
  });

  it('grants what the chart grants today, no more and no less', () => {
    const generated = parse(rbacRulesFromDeclared(declared)) as { watched: Rule[]; leaderElection: Rule[] };
    const current = parse(readFileSync(join(ROOT, 'charts/ci-remediator/files/rbac-rules.yaml'), 'utf8')) as { watched: Rule[]; leaderElection: Rule[] };
    expect(triples(generated.watched)).toEqual(triples(current.watched));
    expect(triples(generated.leaderElection)).toEqual(triples(current.leaderElection));
  });

  it('refuses a declaration without its ClusterRole, naming the file', () => {
    expect(() => rbacRulesFromDeclared('kind: Role\nrules: []\n')).toThrow('deploy/rbac/operator.yaml: expected one ClusterRole, found 0');
  });
});

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
