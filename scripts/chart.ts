// The chart's generated files, from their one source each:
//   charts/ci-remediator/templates/crd/*.yaml   from crds/ (the CRDs generated from src/api), wrapped in
//                                               `crds.enabled` with the chart's labels and `crds.keep`;
//   charts/ci-remediator/values.schema.json     from values.yaml: each key's type from its default, its
//                                               description from its `# --` comment, `@schema {...}` merged in;
//                                               every object closed (additionalProperties: false) unless
//                                               its @schema says otherwise;
//   charts/ci-remediator/README.md              the values table from the same comments;
//   charts/ci-remediator/files/rbac-rules.yaml  from deploy/rbac/operator.yaml (generated from operator/rbac.ts,
//                                               the operator's one permission declaration) once that exists;
//                                               until then the file is written by hand from the operator's calls.
//
//   node scripts/chart.ts generate   write them
//   node scripts/chart.ts check      exit 1 naming each file that differs (CI)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, parseDocument, stringify, type Node, type Pair, type YAMLMap } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
const CHART = 'charts/ci-remediator';
// Not templates/crds/: helm-unittest (and readers) would take it for Helm's special crds/ directory.
const CRD_TEMPLATES = `${CHART}/templates/crd`;
const GENERATE = 'npm run chart:generate';
const DECLARED_RBAC = 'deploy/rbac/operator.yaml';
const RBAC_RULES = `${CHART}/files/rbac-rules.yaml`;

type Schema = Record<string, unknown>;
interface ValueDoc {
  key: string;
  type: string;
  default: string;
  description: string;
}

export function renderChartFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(join(ROOT, 'crds')).filter((file) => file.endsWith('.yaml')).sort()) {
    files.set(`${CRD_TEMPLATES}/${name}`, crdTemplate(name, readFileSync(join(ROOT, 'crds', name), 'utf8')));
  }
  const valuesText = readFileSync(join(ROOT, CHART, 'values.yaml'), 'utf8');
  const { schema, docs } = schemaFromValues(valuesText);
  files.set(`${CHART}/values.schema.json`, `${JSON.stringify(schema, null, 2)}\n`);
  files.set(`${CHART}/README.md`, readme(docs));
  if (existsSync(join(ROOT, DECLARED_RBAC))) files.set(RBAC_RULES, rbacRulesFromDeclared(readFileSync(join(ROOT, DECLARED_RBAC), 'utf8')));
  return files;
}

function crdTemplate(name: string, text: string): string {
  if (text.includes('{{')) throw new Error(`crds/${name} contains "{{", which Helm would read as a template`);
  const body = text.replace(/^(#.*\n)+/, '');
  const anchor = /^metadata:\n {2}name: [^\n]+\n/m;
  if (!anchor.test(body) || /^ {2}(labels|annotations):/m.test(body.split('\nspec:')[0]!)) {
    throw new Error(`crds/${name}: expected metadata with only a name`);
  }
  const metadata = [
    '  labels:',
    '    {{- include "ci-remediator.labels" . | nindent 4 }}',
    '  {{- if .Values.crds.keep }}',
    '  annotations:',
    '    # Uninstalling the release leaves the CRD, and so every record and policy, in place.',
    '    helm.sh/resource-policy: keep',
    '  {{- end }}',
    '',
  ].join('\n');
  return [
    `{{- /* Generated from crds/${name} by \`${GENERATE}\` (scripts/chart.ts). Do not edit; CI fails on drift. */}}`,
    '{{- if .Values.crds.enabled }}',
    body.replace(anchor, (match) => match + metadata).trimEnd(),
    '{{- end }}',
    '',
  ].join('\n');
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * files/rbac-rules.yaml from the generated RBAC (a ClusterRole for the watched namespaces, a Role for the Lease):
 * the chart's templates bind the first per namespace or cluster-wide, and limit the Lease rules to the chart's
 * Lease by name, which Kubernetes allows for every verb but create.
 */
export function rbacRulesFromDeclared(text: string): string {
  const documents = parseAllDocuments(text).map((document) => document.toJSON() as { kind?: string; rules?: Rule[] } | null);
  const rulesOf = (kind: string): Rule[] => {
    const found = documents.filter((document) => document?.kind === kind);
    if (found.length !== 1) throw new Error(`${DECLARED_RBAC}: expected one ${kind}, found ${found.length}`);
    return (found[0]!.rules ?? []).map(({ apiGroups, resources, verbs }) => ({ apiGroups, resources, verbs }));
  };
  const leaderElection = rulesOf('Role').flatMap((rule) => {
    const named = rule.verbs.filter((verb) => verb !== 'create');
    return [
      ...(named.length > 0 ? [{ ...rule, verbs: named, namedLease: true }] : []),
      ...(rule.verbs.includes('create') ? [{ ...rule, verbs: ['create'] }] : []),
    ];
  });
  const header = [
    `# Generated from ${DECLARED_RBAC} (operator/rbac.ts) by \`${GENERATE}\` (scripts/chart.ts). Do not edit.`,
    '# watched: granted in every watched namespace (a Role and RoleBinding each), or cluster-wide with',
    '#          watch.allNamespaces (a ClusterRole and ClusterRoleBinding).',
    '# leaderElection: granted in the release namespace, where the Lease lives; namedLease rules are limited to',
    '#          the chart\'s Lease by name (create cannot be).',
    '',
  ].join('\n');
  return header + stringify({ watched: rulesOf('ClusterRole'), leaderElection });
}

export function schemaFromValues(text: string): { schema: Schema; docs: ValueDoc[] } {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new Error(`values.yaml: ${document.errors[0]!.message}`);
  const docs: ValueDoc[] = [];
  const root = document.contents;
  if (!isMap(root)) throw new Error('values.yaml: the top level must be a map');
  const schema = objectSchema(root, '', docs);
  return {
    schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'ci-remediator chart values', type: 'object', additionalProperties: false, ...schema },
    docs,
  };
}

/** The `# --` description and `@schema` of a key, from the comment above it. */
function parseComment(comment: string, path: string): { description: string; extra: Schema } {
  // The first key of a map carries the comment block above the map too; only the part from `--` on is the key's.
  const lines = comment.split('\n').map((line) => line.replace(/^ ?/, ''));
  const start = lines.findIndex((line) => line.startsWith('--'));
  if (start === -1) return { description: '', extra: {} };
  const description: string[] = [];
  let extra: Schema = {};
  for (const line of lines.slice(start)) {
    if (line.startsWith('@schema ')) {
      try {
        extra = { ...extra, ...(JSON.parse(line.slice('@schema '.length)) as Schema) };
      } catch (error) {
        throw new Error(`values.yaml ${path}: @schema is not JSON (${(error as Error).message})`);
      }
    } else {
      description.push(line.replace(/^--\s?/, ''));
    }
  }
  return { description: description.join(' ').replace(/\s+/g, ' ').trim(), extra };
}

function objectSchema(map: YAMLMap, prefix: string, docs: ValueDoc[]): Schema {
  const properties: Record<string, Schema> = {};
  for (const [index, pair] of (map.items as Pair<Node, Node>[]).entries()) {
    if (!isScalar(pair.key)) throw new Error(`values.yaml ${prefix}: keys must be plain`);
    const key = String(pair.key.value);
    const path = prefix === '' ? key : `${prefix}.${key}`;
    // The yaml library hangs the comment above a map's first key on the map itself.
    const comment = [index === 0 ? map.commentBefore : undefined, pair.key.commentBefore].filter(Boolean).join('\n');
    const { description, extra } = parseComment(comment, path);
    const value = pair.value;
    if (isMap(value) && !('type' in extra) && Object.keys(extra).length === 0 && description === '') {
      // A group of values: each documented on its own.
      properties[key] = { type: 'object', additionalProperties: false, ...objectSchema(value, path, docs) };
      continue;
    }
    if (description === '') throw new Error(`values.yaml ${path}: no "# --" description above it (every value is documented)`);
    const plain: unknown = value === null ? null : (value as Node & { toJSON(): unknown }).toJSON();
    const base = typeSchema(plain, value, path);
    properties[key] = { description, ...base, ...extra, default: plain };
    docs.push({ key: path, type: String(extra.type ?? base.type ?? 'any'), default: JSON.stringify(plain), description });
  }
  return { properties, required: Object.keys(properties) };
}

function typeSchema(plain: unknown, node: Node | null, path: string): Schema {
  if (typeof plain === 'string') return { type: 'string' };
  if (typeof plain === 'boolean') return { type: 'boolean' };
  if (typeof plain === 'number') return { type: Number.isInteger(plain) ? 'integer' : 'number' };
  if (isSeq(node)) return { type: 'array' };
  // A map with its own @schema (free-form, like podSecurityContext) is open unless the @schema closes it.
  if (isMap(node)) return { type: 'object' };
  throw new Error(`values.yaml ${path}: give a default whose type says what the value is (not null)`);
}

function readme(docs: ValueDoc[]): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  const rows = docs.map((doc) => `| \`${doc.key}\` | ${doc.type} | \`${escape(doc.default)}\` | ${escape(doc.description)} |`);
  const intro = readFileSync(join(ROOT, CHART, 'README.intro.md'), 'utf8').trimEnd();
  return [
    `<!-- Generated by \`${GENERATE}\` (scripts/chart.ts) from README.intro.md and values.yaml. Do not edit. -->`,
    intro,
    '',
    '## Values',
    '',
    'Every value, from `values.yaml` (the schema in `values.schema.json` refuses unknown keys and wrong types).',
    '',
    '| Key | Type | Default | Description |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function main(command: string | undefined): number {
  const files = renderChartFiles();
  if (command === 'generate') {
    rmSync(join(ROOT, CRD_TEMPLATES), { recursive: true, force: true });
    mkdirSync(join(ROOT, CRD_TEMPLATES), { recursive: true });
    for (const [path, content] of files) writeFileSync(join(ROOT, path), content);
    console.log(`wrote ${files.size} chart files`);
    return 0;
  }
  if (command === 'check') {
    const problems: string[] = [];
    for (const [path, content] of files) {
      const onDisk = join(ROOT, path);
      if (!existsSync(onDisk)) problems.push(`${path}: missing`);
      else if (readFileSync(onDisk, 'utf8') !== content) problems.push(`${path}: differs from what the generator writes`);
    }
    const dir = join(ROOT, CRD_TEMPLATES);
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (!files.has(`${CRD_TEMPLATES}/${name}`)) problems.push(`${CRD_TEMPLATES}/${name}: not generated from crds/ (stale?)`);
    }
    if (problems.length > 0) {
      console.error(`The chart's generated files are out of date:\n  ${problems.join('\n  ')}\nRun \`${GENERATE}\` and commit the result.`);
      return 1;
    }
    console.log(`chart files up to date (${files.size} files: CRD templates, values.schema.json, README.md)`);
    return 0;
  }
  console.error('usage: node scripts/chart.ts generate|check');
  return 2;
}

if (import.meta.main) process.exitCode = main(process.argv[2]);
