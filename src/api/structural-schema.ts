import { z } from 'zod';

/**
 * zod → the OpenAPI v3 *structural* schema the Kubernetes API server requires of a CRD
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema),
 * and the checks that a schema is structural and bounded. Anything that cannot be expressed structurally is an
 * error naming the path, rather than a CRD the API server refuses (or accepts with weaker checks). The CRD
 * documents built from these schemas are in crd.ts.
 */

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps we emit. */
export interface JSONSchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  title?: string;
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maximum?: number;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  items?: JSONSchemaProps;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  example?: unknown;
  externalDocs?: { description?: string; url?: string };
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

/** A CEL rule, as `.meta({ 'x-kubernetes-validations': [...] })` attaches it to a zod schema. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export class CrdSchemaError extends Error {
  readonly code = 'CRD_SCHEMA';
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path || '(root)'}: ${message}`);
    this.name = 'CrdSchemaError';
    this.path = path;
  }
}

type Json = Record<string, unknown>;

/** Keys of JSONSchemaProps, in the order we emit them (a stable order keeps the generated YAML diffable). */
const KEY_ORDER = [
  'description',
  'title',
  'type',
  'format',
  'enum',
  'default',
  'nullable',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'items',
  'minProperties',
  'maxProperties',
  'required',
  'properties',
  'additionalProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'example',
  'externalDocs',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set(KEY_ORDER);
/** JSON Schema keywords with no meaning for the API server, dropped on conversion. */
const DROPPED_KEYS: ReadonlySet<string> = new Set(['$schema', '$id', 'id', '$defs', 'definitions', 'examples', '$comment']);
/**
 * Map key constraints have no structural equivalent; zod still enforces them in-process. Dropping them is
 * deliberate, not an oversight, so it is not an error.
 */
const IN_PROCESS_ONLY_KEYS: ReadonlySet<string> = new Set(['propertyNames']);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * A zod schema as a structural OpenAPI v3 schema: `$ref`s inlined, `additionalProperties: false` dropped
 * (the API server prunes unknown fields instead, and `kubectl apply` reports them as unknown), nullable
 * unions folded into `nullable: true`, `const` as a one-value `enum`, integer formats set, and every
 * `.meta()` extension (`x-kubernetes-validations`, `x-kubernetes-list-type`, …) kept where it was attached.
 * The input side is converted (`io: 'input'`): that is what users write and the API server validates, with
 * zod defaults as CRD defaults.
 */
export function toStructuralSchema(schema: z.ZodType): JSONSchemaProps {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' }) as Json;
  const defs = { ...asJson(json.$defs), ...asJson(json.definitions), ...asJson(asJson(json.components).schemas) };
  return convert(json, '', defs, []);
}

function asJson(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function convert(input: Json, path: string, defs: Json, resolving: string[]): JSONSchemaProps {
  let node: Json = { ...input };

  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (ref === '#') throw new CrdSchemaError(path, 'recursive schema (refers to the root) cannot be inlined');
    const name = /^#\/(?:\$defs|definitions|components\/schemas)\/(.+)$/.exec(ref)?.[1];
    const target = name === undefined ? undefined : defs[decodeURIComponent(name)];
    if (target === undefined) throw new CrdSchemaError(path, `unresolvable $ref '${ref}'`);
    // Structural schemas cannot refer to themselves; a recursive zod schema has no CRD form.
    if (resolving.includes(ref)) throw new CrdSchemaError(path, `recursive schema (${ref}) cannot be inlined`);
    const { $ref: _ref, ...siblings } = node;
    return convert({ ...asJson(target), ...siblings }, path, defs, [...resolving, ref]);
  }

  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(node[key])) node = foldUnion(node, key, path);
  }
  if (Array.isArray(node.allOf)) {
    const parts = node.allOf as Json[];
    if (parts.length !== 1) throw new CrdSchemaError(path, 'intersections (allOf) are not structural; use one object schema');
    const { allOf: _allOf, ...rest } = node;
    node = { ...parts[0], ...rest };
  }
  if (node.not !== undefined) throw new CrdSchemaError(path, "'not' is not supported in a CRD schema");

  if (Array.isArray(node.type)) {
    const types = (node.type as string[]).filter((type) => type !== 'null');
    if (types.length !== 1) throw new CrdSchemaError(path, `a field must have one type, got ${(node.type as string[]).join(' | ')}`);
    if (types.length !== (node.type as string[]).length) node.nullable = true;
    node.type = types[0];
  }
  if (node.type === 'null') throw new CrdSchemaError(path, "type 'null' is not allowed; use nullable");
  if ('const' in node) {
    node.enum = [node.const];
    delete node.const;
  }
  // Draft 2019+ numeric exclusive bounds → OpenAPI 3.0 boolean form.
  if (typeof node.exclusiveMinimum === 'number') {
    node.minimum = node.exclusiveMinimum;
    node.exclusiveMinimum = true;
  }
  if (typeof node.exclusiveMaximum === 'number') {
    node.maximum = node.exclusiveMaximum;
    node.exclusiveMaximum = true;
  }
  if (node.type === 'integer' && node.format === undefined) {
    const min = typeof node.minimum === 'number' ? node.minimum : -Infinity;
    const max = typeof node.maximum === 'number' ? node.maximum : Infinity;
    node.format = min >= INT32_MIN && max <= INT32_MAX ? 'int32' : 'int64';
  }

  const out: Json = {};
  const extra: string[] = [];
  for (const key of Object.keys(node)) {
    if (DROPPED_KEYS.has(key) || IN_PROCESS_ONLY_KEYS.has(key)) continue;
    if (!KNOWN_KEYS.has(key)) extra.push(key);
  }
  if (extra.length > 0) throw new CrdSchemaError(path, `no CRD equivalent for ${extra.map((k) => `'${k}'`).join(', ')}`);

  for (const key of KEY_ORDER) {
    const value = node[key];
    if (value === undefined) continue;
    switch (key) {
      case 'properties': {
        const properties: Record<string, JSONSchemaProps> = {};
        for (const [name, child] of Object.entries(asJson(value))) {
          properties[name] = convert(asJson(child), join(path, name), defs, resolving);
        }
        out.properties = properties;
        break;
      }
      case 'items':
        if (Array.isArray(value)) throw new CrdSchemaError(path, 'tuples are not structural; use a list of one item schema');
        out.items = convert(asJson(value), `${path}[]`, defs, resolving);
        break;
      case 'additionalProperties':
        if (value === false) break; // closed objects: the API server prunes unknown fields instead
        if (node.properties !== undefined || value === true || Object.keys(asJson(value)).length === 0) {
          // A loose object or a map of anything: keep what the user wrote rather than prune it.
          out['x-kubernetes-preserve-unknown-fields'] = true;
          break;
        }
        out.additionalProperties = convert(asJson(value), `${path}[*]`, defs, resolving);
        break;
      case 'required':
        if ((value as string[]).length > 0) out.required = [...(value as string[])];
        break;
      default:
        out[key] = value;
    }
  }
  if (out.type === undefined && out['x-kubernetes-int-or-string'] !== true && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    if (Object.keys(out).every((key) => key === 'description' || key === 'default')) {
      // z.unknown() / z.any(): structural schemas accept untyped data only when told to keep it.
      out['x-kubernetes-preserve-unknown-fields'] = true;
    } else {
      throw new CrdSchemaError(path, 'every field needs a type');
    }
  }
  // Reorder: preserve-unknown-fields may have been added after the fixed-order pass.
  return Object.fromEntries(KEY_ORDER.filter((key) => out[key] !== undefined).map((key) => [key, out[key]])) as JSONSchemaProps;
}

/** `X | null` → X with nullable; a union of string enums → one enum. Anything else has no structural form. */
function foldUnion(node: Json, key: 'anyOf' | 'oneOf', path: string): Json {
  const branches = node[key] as Json[];
  const isNull = (b: Json) => b.type === 'null' || (Array.isArray(b.enum) && b.enum.length === 1 && b.enum[0] === null);
  const rest = branches.filter((b) => !isNull(b));
  const { [key]: _union, ...siblings } = node;
  const nullable = rest.length !== branches.length ? { nullable: true } : {};
  if (rest.length === 1) return { ...rest[0], ...siblings, ...nullable };
  const scalarEnums = rest.every((b) => Array.isArray(b.enum) || 'const' in b) && new Set(rest.map((b) => b.type)).size === 1;
  if (scalarEnums) {
    const values = rest.flatMap((b) => (Array.isArray(b.enum) ? b.enum : [b.const]));
    return { type: rest[0]?.type, enum: [...new Set(values)], ...siblings, ...nullable };
  }
  throw new CrdSchemaError(path, `unions (${key}) are not structural; use one object with optional fields, or an enum`);
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/**
 * Problems that make a schema non-structural or that the API server refuses, one `path: problem` per line.
 * Empty for a good schema. Follows "Specifying a structural schema" and the apiextensions validation rules
 * (forbidden keywords, list and map types, CEL rule shape).
 */
export function structuralViolations(schema: JSONSchemaProps, path = ''): string[] {
  const problems: string[] = [];
  walkStructure(schema as Json, path, { inJunctor: false, inMetadata: false }, problems, true);
  return problems;
}

interface WalkContext {
  inJunctor: boolean;
  inMetadata: boolean;
}

const FORBIDDEN_KEYS = ['$ref', '$schema', 'id', '$id', 'definitions', '$defs', 'dependencies', 'additionalItems', 'patternProperties', 'const'];
const JUNCTOR_FORBIDDEN = ['description', 'type', 'default', 'additionalProperties', 'nullable'];
const TYPES: ReadonlySet<unknown> = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

function walkStructure(node: Json, path: string, ctx: WalkContext, problems: string[], isRoot: boolean): void {
  const at = (message: string) => problems.push(`${path || '(root)'}: ${message}`);
  for (const key of Object.keys(node)) {
    if (FORBIDDEN_KEYS.includes(key)) at(`'${key}' is not allowed`);
    else if (!KNOWN_KEYS.has(key)) at(`unknown keyword '${key}'`);
  }
  const preserve = node['x-kubernetes-preserve-unknown-fields'];
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  if (preserve !== undefined && preserve !== true) at('x-kubernetes-preserve-unknown-fields must be true or absent');

  if (ctx.inJunctor) {
    for (const key of JUNCTOR_FORBIDDEN) if (key in node && !intOrString) at(`'${key}' must not be set inside allOf/anyOf/oneOf/not`);
  } else if (node.type === undefined) {
    if (!intOrString && preserve !== true) at('type is required');
  } else if (!TYPES.has(node.type)) {
    at(`type must be one of object, array, string, integer, number, boolean (got ${JSON.stringify(node.type)})`);
  }
  if (isRoot && node.type !== undefined && node.type !== 'object') at('the root must be an object');
  if (node.uniqueItems === true) at('uniqueItems: true is forbidden (quadratic validation)');
  if (ctx.inMetadata && node.default !== undefined) at('defaults are forbidden in metadata');

  const properties = node.properties === undefined ? undefined : asJson(node.properties);
  if (node.additionalProperties !== undefined) {
    if (node.additionalProperties === false) at('additionalProperties: false is forbidden (unknown fields are pruned)');
    if (properties !== undefined && Object.keys(properties).length > 0) at('additionalProperties and properties are mutually exclusive');
  }
  if (properties !== undefined && node.type !== undefined && node.type !== 'object') at(`properties on a ${String(node.type)}`);
  if (node.items !== undefined) {
    if (Array.isArray(node.items)) at('items must be one schema, not a list');
    else if (node.type !== undefined && node.type !== 'array') at(`items on a ${String(node.type)}`);
  }
  if (!ctx.inJunctor && node.type === 'array' && node.items === undefined) at('a list needs an items schema');
  checkListType(node, at);
  checkValidations(node, at);

  if (properties !== undefined) {
    for (const [name, child] of Object.entries(properties)) {
      const childPath = join(path, name);
      if (isRoot && name === 'metadata') {
        checkMetadata(asJson(child), childPath, problems);
        continue;
      }
      walkStructure(asJson(child), childPath, ctx, problems, false);
    }
  }
  if (node.items !== undefined && !Array.isArray(node.items)) walkStructure(asJson(node.items), `${path}[]`, ctx, problems, false);
  if (node.additionalProperties !== undefined && typeof node.additionalProperties === 'object') {
    walkStructure(asJson(node.additionalProperties), `${path}[*]`, ctx, problems, false);
  }
  const junctors: [string, Json[]][] = [];
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(node[key])) junctors.push([key, node[key] as Json[]]);
  }
  if (node.not !== undefined) junctors.push(['not', [asJson(node.not)]]);
  for (const [key, branches] of junctors) {
    branches.forEach((branch, i) => {
      const branchPath = `${path}.${key}[${i}]`;
      walkStructure(branch, branchPath, { ...ctx, inJunctor: true }, problems, false);
      // Rule 2: what a junctor says about a field must also be declared outside it.
      for (const name of Object.keys(asJson(branch.properties))) {
        if (properties?.[name] === undefined) problems.push(`${branchPath}: field '${name}' must also be declared outside ${key}`);
      }
      if (branch.items !== undefined && node.items === undefined) problems.push(`${branchPath}: items must also be declared outside ${key}`);
    });
  }
}

/** Rule 4: the API server owns metadata; a CRD may only restrict name and generateName. */
function checkMetadata(node: Json, path: string, problems: string[]): void {
  if (node.type !== 'object') problems.push(`${path}: type must be object`);
  for (const name of Object.keys(asJson(node.properties))) {
    if (name !== 'name' && name !== 'generateName') problems.push(`${path}.${name}: only metadata.name and metadata.generateName may be restricted`);
  }
  for (const key of Object.keys(node)) {
    if (key !== 'type' && key !== 'properties' && key !== 'description') problems.push(`${path}: '${key}' is not allowed on metadata`);
  }
}

function checkListType(node: Json, at: (message: string) => void): void {
  const listType = node['x-kubernetes-list-type'];
  const keys = node['x-kubernetes-list-map-keys'];
  const items = node.items === undefined || Array.isArray(node.items) ? undefined : asJson(node.items);
  if (listType !== undefined && node.type !== 'array') at('x-kubernetes-list-type needs type array');
  if (listType !== undefined && !['atomic', 'set', 'map'].includes(listType as string)) at(`unknown x-kubernetes-list-type ${JSON.stringify(listType)}`);
  if (keys !== undefined && listType !== 'map') at('x-kubernetes-list-map-keys needs x-kubernetes-list-type: map');
  if (listType === 'set' && items !== undefined) {
    if (items.nullable === true) at('items of a set cannot be nullable');
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') at('object items of a set must be x-kubernetes-map-type: atomic');
  }
  if (listType === 'map') {
    if (!Array.isArray(keys) || keys.length === 0) at('x-kubernetes-list-type: map needs x-kubernetes-list-map-keys');
    if (items?.type !== 'object') at('items of a map list must be objects');
    const required = new Set(Array.isArray(items?.required) ? (items.required as string[]) : []);
    for (const key of Array.isArray(keys) ? (keys as string[]) : []) {
      const property = asJson(items?.properties)[key];
      if (property === undefined) at(`map key '${key}' is not a property of the items`);
      else {
        const keySchema = asJson(property);
        if (keySchema.type === 'object' || keySchema.type === 'array') at(`map key '${key}' must be a scalar`);
        if (!required.has(key) && keySchema.default === undefined) at(`map key '${key}' must be required or have a default`);
        if (keySchema.nullable === true) at(`map key '${key}' cannot be nullable`);
      }
    }
  }
  if (node['x-kubernetes-map-type'] !== undefined && node.type !== 'object') at('x-kubernetes-map-type needs type object');
}

function checkValidations(node: Json, at: (message: string) => void): void {
  const rules = node['x-kubernetes-validations'];
  if (rules === undefined) return;
  if (!Array.isArray(rules)) {
    at('x-kubernetes-validations must be a list');
    return;
  }
  rules.forEach((entry: unknown, i) => {
    const rule = asJson(entry);
    if (typeof rule.rule !== 'string' || rule.rule.trim() === '') at(`x-kubernetes-validations[${i}]: rule is required`);
    if (typeof rule.message === 'string' && /[\r\n]/.test(rule.message)) at(`x-kubernetes-validations[${i}]: message must be one line`);
    if (typeof rule.rule === 'string' && /[\r\n]/.test(rule.rule) && typeof rule.message !== 'string') {
      at(`x-kubernetes-validations[${i}]: a multi-line rule needs a message`);
    }
  });
}

/**
 * Strings, lists and maps with no upper bound, one path per line. The API server estimates the cost of
 * every CEL rule from these bounds (without them a string counts as the whole 3 MB request) and refuses
 * rules over budget, so everything under a rule that reads it must be bounded. An enum bounds a string.
 */
export function unboundedPaths(schema: JSONSchemaProps, path = ''): string[] {
  const found: string[] = [];
  const visit = (node: JSONSchemaProps, at: string) => {
    if (node['x-kubernetes-preserve-unknown-fields'] === true) found.push(`${at}: unknown fields are kept (no bound)`);
    if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined) found.push(`${at}: string without maxLength`);
    if (node.type === 'array' && node.maxItems === undefined) found.push(`${at}: list without maxItems`);
    if (node.type === 'object' && typeof node.additionalProperties === 'object' && node.maxProperties === undefined) {
      found.push(`${at}: map without maxProperties`);
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) visit(child, join(at, name));
    if (node.items !== undefined) visit(node.items, `${at}[]`);
    if (typeof node.additionalProperties === 'object') visit(node.additionalProperties, `${at}[*]`);
  };
  visit(schema, path);
  return found;
}

/** The schema node a simple printer-column JSONPath points at (`.status.conditions[?(@.type=="Ready")].status`). */
export function schemaAtJsonPath(root: JSONSchemaProps, jsonPath: string): JSONSchemaProps | undefined {
  const segments = jsonPath.replace(/^\./, '').split(/\.(?![^[]*\])/);
  let node: JSONSchemaProps | undefined = root;
  for (const segment of segments) {
    const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(segment);
    if (match === null || node === undefined) return undefined;
    node = node.properties?.[match[1] ?? ''];
    // Each index or filter steps into the list's items.
    for (let brackets = (match[2] ?? '').match(/\[/g)?.length ?? 0; brackets > 0 && node !== undefined; brackets--) node = node.items;
  }
  return node;
}
