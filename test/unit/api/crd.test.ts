import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { failureRecordCrd, remediationPolicyCrd, renderCrdFiles, type CustomResourceDefinition } from '../../../src/api/crd.ts';
import {
  CrdSchemaError,
  schemaAtJsonPath,
  structuralViolations,
  toStructuralSchema,
  unboundedPaths,
  type JSONSchemaProps,
} from '../../../src/api/structural-schema.ts';

const root = new URL('../../../', import.meta.url);
const schemaOf = (crd: CustomResourceDefinition): JSONSchemaProps => crd.spec.versions[0]!.schema.openAPIV3Schema;
const property = (schema: JSONSchemaProps, path: string): JSONSchemaProps | undefined => schemaAtJsonPath(schema, path);

const Tree = z.strictObject({
  name: z.string(),
  get children() {
    return z.array(Tree).optional();
  },
});

describe('toStructuralSchema', () => {
  it('turns zod constructs into their structural forms', () => {
    const schema = toStructuralSchema(
      z.strictObject({
        nullableName: z.string().max(10).nullable(),
        labels: z.record(z.string().max(63), z.string().max(63)).meta({ maxProperties: 8 }),
        fixed: z.literal('v1'),
        small: z.number().int().min(0).max(100),
        big: z.number().int().min(1),
        ratio: z.number().min(0).max(1),
        positive: z.number().gt(0),
        either: z.union([z.literal('a'), z.literal('b')]),
        anything: z.unknown(),
        loose: z.looseObject({ keep: z.string().max(5) }),
        withDefault: z.string().max(5).default('x'),
      }),
    );
    const props = schema.properties!;
    expect(schema).not.toHaveProperty('additionalProperties');
    expect(props.nullableName).toEqual({ type: 'string', nullable: true, maxLength: 10 });
    expect(props.labels).toEqual({ type: 'object', maxProperties: 8, additionalProperties: { type: 'string', maxLength: 63 } });
    expect(props.fixed).toEqual({ type: 'string', enum: ['v1'] });
    expect(props.small).toMatchObject({ type: 'integer', format: 'int32' });
    expect(props.big).toMatchObject({ type: 'integer', format: 'int64' });
    expect(props.ratio).toEqual({ type: 'number', minimum: 0, maximum: 1 });
    expect(props.positive).toEqual({ type: 'number', minimum: 0, exclusiveMinimum: true });
    expect(props.either).toEqual({ type: 'string', enum: ['a', 'b'] });
    expect(props.anything).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(props.loose).toMatchObject({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(props.loose).not.toHaveProperty('additionalProperties');
    expect(props.withDefault).toEqual({ type: 'string', default: 'x', maxLength: 5 });
    expect(schema.required).not.toContain('withDefault');
    expect(structuralViolations(schema)).toEqual([]);
  });

  it('keeps x-kubernetes extensions attached with .meta()', () => {
    const schema = toStructuralSchema(
      z
        .strictObject({ tags: z.array(z.string().max(5)).max(3).meta({ 'x-kubernetes-list-type': 'set' }), a: z.number(), b: z.number() })
        .meta({ 'x-kubernetes-validations': [{ rule: 'self.a <= self.b', message: 'a must not exceed b' }] }),
    );
    expect(schema['x-kubernetes-validations']).toEqual([{ rule: 'self.a <= self.b', message: 'a must not exceed b' }]);
    expect(schema.properties?.tags?.['x-kubernetes-list-type']).toBe('set');
  });

  it('inlines schemas that zod emits as $ref', () => {
    const Item = z.strictObject({ n: z.number() }).meta({ id: 'Item' });
    const schema = toStructuralSchema(z.strictObject({ a: Item, b: z.array(Item).max(2) }));
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(schema.properties?.b?.items).toEqual({ type: 'object', required: ['n'], properties: { n: { type: 'number' } } });
  });

  it.each([
    ['a union of objects', z.strictObject({ pick: z.union([z.strictObject({ a: z.string() }), z.strictObject({ b: z.string() })]) }), 'pick: unions'],
    ['a tuple of mixed types', z.strictObject({ pair: z.tuple([z.string(), z.number()]) }), 'pair[]: unions'],
    ['a recursive schema', Tree, 'children[]: recursive schema'],
  ])('refuses %s, naming the field', (_name, schema, message) => {
    expect(() => toStructuralSchema(schema)).toThrow(CrdSchemaError);
    expect(() => toStructuralSchema(schema)).toThrow(message);
  });
});

describe('structuralViolations', () => {
  it.each<[string, JSONSchemaProps | Record<string, unknown>, string]>([
    ['a field without type', { type: 'object', properties: { a: { maxLength: 3 } } }, 'a: type is required'],
    ['a $ref', { type: 'object', properties: { a: { $ref: '#/$defs/A' } } }, "a: '$ref' is not allowed"],
    ['additionalProperties: false', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, 'additionalProperties: false is forbidden'],
    ['a map with properties', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }, 'mutually exclusive'],
    ['uniqueItems', { type: 'object', properties: { a: { type: 'array', items: { type: 'string' }, uniqueItems: true } } }, 'a: uniqueItems'],
    ['type null', { type: 'object', properties: { a: { type: 'null' } } }, 'a: type must be one of'],
    ['a default inside anyOf', { type: 'object', properties: { a: { type: 'string', anyOf: [{ default: 'x' }] } } }, "a.anyOf[0]: 'default' must not be set"],
    ['a field only inside oneOf', { type: 'object', properties: {}, oneOf: [{ properties: { b: { type: 'string' } } }] }, "field 'b' must also be declared outside"],
    ['a list without items', { type: 'object', properties: { a: { type: 'array' } } }, 'a: a list needs an items schema'],
    ['a restricted metadata field', { type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }, 'metadata.labels: only metadata.name'],
    ['propertyNames', { type: 'object', properties: { a: { type: 'object', propertyNames: { maxLength: 3 } } } }, "a: unknown keyword 'propertyNames'"],
    [
      'a map-list key that is optional',
      { type: 'object', properties: { a: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', properties: { k: { type: 'string' } } } } } },
      "map key 'k' must be required",
    ],
    ['a set of objects that are not atomic', { type: 'object', properties: { a: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object' } } } }, 'must be x-kubernetes-map-type: atomic'],
    ['an empty CEL rule', { type: 'object', 'x-kubernetes-validations': [{ rule: ' ' }] }, 'rule is required'],
  ])('reports %s', (_name, schema, message) => {
    expect(structuralViolations(schema as JSONSchemaProps).join('\n')).toContain(message);
  });
});

describe.each([
  ['FailureRecord', failureRecordCrd(), 'failurerecords', ['fr']],
  ['RemediationPolicy', remediationPolicyCrd(), 'remediationpolicies', ['rp']],
])('the %s CRD', (kind, crd, plural, shortNames) => {
  const version = crd.spec.versions[0]!;

  it('is a namespaced ci-remediator.dev/v1alpha1 kind with its short names and category', () => {
    expect(crd.metadata.name).toBe(`${plural}.ci-remediator.dev`);
    expect(crd.spec.names).toMatchObject({ kind, plural, shortNames, categories: ['ci-remediator'] });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  it('has a structural schema', () => {
    expect(structuralViolations(schemaOf(crd))).toEqual([]);
  });

  it('leaves metadata to the API server', () => {
    expect(schemaOf(crd).properties?.metadata).toEqual({ type: 'object' });
  });
});

describe('the FailureRecord CRD', () => {
  const crd = failureRecordCrd();
  const schema = schemaOf(crd);

  it('bounds every string, list and map, so the API server can cost the immutability rule', () => {
    expect(unboundedPaths(schema.properties!.spec!, 'spec')).toEqual([]);
    expect(unboundedPaths(schema.properties!.status!, 'status')).toEqual([]);
  });

  it('keeps the spec immutable with CEL', () => {
    expect(schema.properties?.spec?.['x-kubernetes-validations']).toEqual([expect.objectContaining({ rule: 'self == oldSelf' })]);
  });

  it('validates what the API server can check itself', () => {
    expect(property(schema, '.spec.repository')).toMatchObject({ type: 'string', maxLength: 140, pattern: expect.any(String) });
    expect(property(schema, '.spec.source')?.enum).toEqual(['action', 'webhook', 'poller']);
    expect(property(schema, '.spec.failedJobs')).toMatchObject({ minItems: 1, maxItems: 50 });
    expect(property(schema, '.spec.failedJobs[*].excerpt')).toMatchObject({ maxLength: 16384 });
    expect(property(schema, '.spec.workflow.runId')).toMatchObject({ type: 'integer', format: 'int64', minimum: 1 });
    expect(property(schema, '.spec.detectedAt')).toMatchObject({ format: 'date-time' });
    expect(property(schema, '.status.analysis.riskScore')).toMatchObject({ minimum: 0, maximum: 100 });
    expect(property(schema, '.status.analysis.category')?.enum).toContain('flaky_test');
    expect(property(schema, '.status.conditions')).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
  });

  it('shows Repository, Category, Risk, Phase and Age in kubectl get', () => {
    const columns = crd.spec.versions[0]!.additionalPrinterColumns.filter((column) => !column.priority);
    expect(columns).toEqual([
      { name: 'Repository', type: 'string', jsonPath: '.spec.repository' },
      { name: 'Category', type: 'string', jsonPath: '.status.analysis.category' },
      { name: 'Risk', type: 'integer', jsonPath: '.status.analysis.riskScore' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
  });
});

describe('the RemediationPolicy CRD', () => {
  const crd = remediationPolicyCrd();
  const schema = schemaOf(crd);

  it('carries the cross-field rule and the set semantics of the zod schema', () => {
    expect(schema.properties?.spec?.['x-kubernetes-validations']).toEqual([expect.objectContaining({ rule: 'self.riskCeiling >= self.riskThreshold' })]);
    expect(property(schema, '.spec.allowedActions')?.['x-kubernetes-list-type']).toBe('set');
    expect(property(schema, '.spec.riskThreshold')).toMatchObject({ default: 30, minimum: 0, maximum: 100 });
  });

  it('shows Repositories, Threshold, Matched, Ready and Age in kubectl get', () => {
    const columns = crd.spec.versions[0]!.additionalPrinterColumns.filter((column) => !column.priority);
    expect(columns.map((column) => [column.name, column.jsonPath])).toEqual([
      ['Repositories', '.spec.repositories'],
      ['Threshold', '.spec.riskThreshold'],
      ['Matched', '.status.matchedRecords'],
      ['Ready', '.status.conditions[?(@.type=="Ready")].status'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
  });
});

describe('crds/', () => {
  it.each(renderCrdFiles().map((file) => [file.path, file.content]))('%s matches the generator (run `npm run crds:generate`)', (path, content) => {
    expect(readFileSync(new URL(path, root), 'utf8')).toBe(content);
  });

  it('says it is generated, and by what', () => {
    for (const file of renderCrdFiles()) expect(file.content).toMatch(/^# Generated from src\/api\/.+ by `npm run crds:generate`.*Do not edit/);
  });

  it('parses back to the documents the builder made', () => {
    const [fr, rp] = renderCrdFiles().map((file) => parse(file.content) as unknown);
    expect(fr).toEqual(failureRecordCrd());
    expect(rp).toEqual(remediationPolicyCrd());
  });
});
