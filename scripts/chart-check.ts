// `npm run chart:check`: everything CI proves about the chart short of installing it (that is
// test/integration/chart/). In order:
//   1. the generated files (CRD templates, values.schema.json, README.md) match their sources;
//   2. `helm lint --strict` with every example under charts/ci-remediator/ci/;
//   3. the template unit tests (charts/ci-remediator/tests/, helm-unittest);
//   4. every example rendered and applied with `kubectl apply --dry-run=server` to the control plane in
//      KUBECONFIG (or .cluster/kubeconfig), into namespaces that enforce the `restricted` Pod Security Standard;
//      each Deployment's pod template is also submitted as a Pod there, so PodSecurity admission itself judges
//      it (a Deployment only gets warnings, which fail the check too).
// helm and helm-unittest are built once from the Go module proxy (scripts/tools/).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
const CHART = 'charts/ci-remediator';
const RELEASE = 'ci-remediator';
const NAMESPACE = 'ci-remediator';
/** Namespaces the examples name (watch.namespaces); created, labelled restricted, if missing. */
const NAMESPACES = [NAMESPACE, 'team-a'];

function run(command: string, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024, env: process.env });
}

function step(title: string): void {
  console.log(`\n-- ${title}`);
}

function must(result: SpawnSyncReturns<string>, what: string): string {
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function tool(script: string): string {
  return must(run('bash', [`scripts/tools/${script}`, '--path']), `building ${script}`).trim().split('\n').at(-1)!;
}

function main(): void {
  step('generated files');
  must(run(process.execPath, ['scripts/chart.ts', 'check']), 'node scripts/chart.ts check');
  console.log('up to date');

  const helm = tool('helm.sh');
  const unittest = tool('helm-unittest.sh');
  const examples = readdirSync(join(ROOT, CHART, 'ci'))
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => `${CHART}/ci/${name}`);
  if (examples.length === 0) throw new Error(`no values examples under ${CHART}/ci/`);

  step(`helm lint --strict (${examples.length} examples)`);
  for (const example of examples) {
    must(run(helm, ['lint', '--strict', CHART, '--namespace', NAMESPACE, '-f', example]), `helm lint ${example}`);
    console.log(`${example}: lint OK`);
  }

  step('template unit tests (helm-unittest)');
  const tests = must(run(unittest, ['--color=false', CHART]), 'helm-unittest');
  console.log(tests.split('\n').filter((line) => /^(Charts|Test Suites|Tests):/.test(line)).join('\n'));

  step('server-side dry run on the control plane');
  const kubeconfig = process.env.KUBECONFIG ?? join(ROOT, '.cluster', 'kubeconfig');
  if (!existsSync(kubeconfig)) throw new Error(`no control plane: ${kubeconfig} does not exist (start one with \`npm run cluster:up\`)`);
  const kubectl = (args: string[], input?: string) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], input);
  must(kubectl(['apply', '--server-side', '--field-manager=ci-remediator-chart-check', '-f', 'crds/', '-f', 'test/fixtures/chart/monitoring-crds.yaml']), 'applying the CRDs');
  must(kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']), 'waiting for the CRDs');
  for (const namespace of NAMESPACES) {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
      },
    };
    must(kubectl(['apply', '--server-side', '--field-manager=ci-remediator-chart-check', '-f', '-'], JSON.stringify(manifest)), `namespace ${namespace}`);
  }
  // Server-side apply: what Helm 4 itself does, and no last-applied bookkeeping warnings from kubectl.
  const dryRun = (input: string, what: string): { objects: number; warnings: string[] } => {
    const result = kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=ci-remediator-chart-check', '--dry-run=server', '-f', '-'], input);
    const output = must(result, what);
    return { objects: output.trim().split('\n').length, warnings: result.stderr.split('\n').filter((line) => line.startsWith('Warning:')) };
  };
  for (const example of examples) {
    const rendered = must(run(helm, ['template', RELEASE, CHART, '--namespace', NAMESPACE, '-f', example]), `helm template ${example}`);
    checkSecretReferences(example, rendered);
    const objects = dryRun(rendered, `kubectl apply --dry-run=server (${example})`);
    const pods = podsOf(rendered);
    const podRun = dryRun(pods.map((pod) => JSON.stringify(pod)).join('\n'), `the Deployment's pod as a Pod (${example})`);
    const warnings = [...objects.warnings, ...podRun.warnings];
    if (warnings.length > 0) throw new Error(`${example}: the API server warned:\n${warnings.join('\n')}`);
    console.log(`${example}: ${objects.objects} objects and ${pods.length} pod accepted by the API server (restricted Pod Security enforced)`);
  }
}

interface RenderedObject {
  kind?: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template: {
      spec: {
        containers: Array<{ env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }>;
        volumes?: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string }> } }>;
      };
    };
  };
}

/**
 * Every Secret a pod reads (env secretKeyRef, secret volumes' items) is either rendered by the chart with that
 * key, or one the example names as an existingSecret: a reference to nothing would leave the pod unstartable.
 */
function checkSecretReferences(example: string, rendered: string): void {
  const objects = parseAllDocuments(rendered)
    .map((document) => document.toJSON() as RenderedObject | null)
    .filter((object): object is RenderedObject => object !== null);
  const keys = new Map<string, Set<string>>();
  for (const object of objects) if (object.kind === 'Secret') keys.set(object.metadata.name, new Set(Object.keys({ ...object.data, ...object.stringData })));
  const values = parseAllDocuments(readFileSync(join(ROOT, example), 'utf8'))[0]!.toJSON() as unknown;
  const external = new Set<string>();
  const collect = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'existingSecret' && typeof value === 'string' && value !== '') external.add(value);
      else collect(value);
    }
  };
  collect(values);
  const problems: string[] = [];
  let references = 0;
  const check = (secret: string, key: string, where: string): void => {
    references++;
    if (external.has(secret)) return;
    if (!keys.has(secret)) problems.push(`${where}: Secret ${secret} is neither rendered nor an existingSecret`);
    else if (!keys.get(secret)!.has(key)) problems.push(`${where}: Secret ${secret} has no key ${key}`);
  };
  for (const object of objects.filter((candidate) => candidate.kind === 'Deployment')) {
    const pod = object.spec!.template.spec;
    for (const container of pod.containers) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) check(ref.name, ref.key, `env ${variable.name}`);
      }
    }
    for (const volume of pod.volumes ?? []) {
      if (!volume.secret) continue;
      for (const item of volume.secret.items ?? []) check(volume.secret.secretName, item.key, `volume ${volume.name}`);
    }
  }
  if (problems.length > 0) throw new Error(`${example}: unresolved Secret references:\n  ${problems.join('\n  ')}`);
  console.log(`${example}: ${references} Secret references resolve`);
}

/** The pod each Deployment would create, as a Pod object in the Deployment's namespace. */
function podsOf(rendered: string): object[] {
  const pods: object[] = [];
  for (const document of parseAllDocuments(rendered)) {
    const object = document.toJSON() as { kind?: string; metadata?: { name?: string; namespace?: string }; spec?: { template?: { metadata?: object; spec?: object } } } | null;
    if (object?.kind !== 'Deployment') continue;
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...object.spec?.template?.metadata, name: `${object.metadata?.name}-dry-run`, namespace: object.metadata?.namespace },
      spec: object.spec?.template?.spec,
    });
  }
  if (pods.length === 0) throw new Error('the chart rendered no Deployment');
  return pods;
}

try {
  main();
  console.log('\nchart:check passed');
} catch (error) {
  console.error(`\nchart:check failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
