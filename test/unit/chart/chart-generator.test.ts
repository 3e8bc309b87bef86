import { describe, expect, it } from '@jest/globals';
import { schemaFromValues } from '../../../scripts/chart.ts';

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
