import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { signedHeaders } from '../../../src/ingest/signature.ts';
import { helm, helmBinary, operatorFromDeployment } from '../../support/chart.ts';
import { startPrivateControlPlane, type PrivateControlPlane } from '../../support/cluster-setup.ts';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.ts';
import { eventually, getObject, isNotFound, kube, readLease, RECORDS, statusCode, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { failureRecord, phaseOf } from '../operator/fixtures.ts';

// The chart as a platform team uses it, on a real kube-apiserver: `helm install`, then the operator running
// with exactly what the Deployment would give its pod (its arguments, its environment with the Secret values
// resolved from the cluster, its credential files) and a token of the chart's ServiceAccount (TokenRequest),
// so every call it makes is judged by the chart's own RBAC. The control plane runs no kubelet, so the pod
// itself never starts; the operator runs beside it as the pod would. Then `helm upgrade` with changed values
// and `helm uninstall`, which keeps the CRDs and so the records.

const execFileAsync = promisify(execFile);
const RELEASE = 'ci-remediator';
const NAMESPACE = 'ci-remediator';
const TEAM = 'team-payments';
const FULLNAME = 'ci-remediator';
const TOKEN = 'ghs_chart_install_token_0123456789';
const INGEST_SECRET = 'chart-ingest-secret-0123456789abcdef';
const POD_NAME = `${FULLNAME}-7d9f8b6c5-x2x4q`;
const SECOND_POD_NAME = `${FULLNAME}-7d9f8b6c5-m8k2z`;

let cluster: PrivateControlPlane;
let admin: Kube;
let database: TestDatabase;
let github: GitHubServer;
let helmPath: string;
let operator: OperatorProcess;
let scratch: string;

const helmRun = (args: string[]): Promise<string> => helm(helmPath, cluster.kubeconfig, args);

const kubectl = (args: string[]): Promise<string> => execFileAsync('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args]).then((result) => result.stdout);

/** docs/install.md's values (credentials from the Secrets of its step 2), pointed at the local servers. */
function installArgs(): string[] {
  return [
    '--namespace', NAMESPACE,
    '--set', 'database.existingSecret=ci-remediator-db',
    '--set', 'github.auth=token',
    '--set', 'github.existingSecret=ci-remediator-github',
    '--set', `github.apiUrl=${github.url}`,
    // Inline, the other way: stored in the chart's own Secret.
    '--set', 'ingest.enabled=true',
    '--set', `ingest.secret=${INGEST_SECRET}`,
    '--set', 'defaultPolicy.enabled=true',
    // Short verification polls, so the re-run is judged within the test.
    '--set', 'operator.verifyPollInterval=1s',
  ];
}

beforeAll(async () => {
  // helm is built once per machine from the Go module proxy (about 2 minutes cold, cached after).
  helmPath = await helmBinary();
  cluster = await startPrivateControlPlane();
  admin = kube(cluster.kubeconfig);
  // startPrivateControlPlane applies crds/ itself; the chart must install them, so start without them.
  await execFileAsync('kubectl', ['--kubeconfig', cluster.kubeconfig, 'delete', 'crd', '--all', '--wait=true', '--timeout=120s']);
  for (const name of [NAMESPACE, TEAM]) {
    await admin.core.createNamespace({ body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
  }
  database = await createTestDatabase();
  github = await startGitHubServer({ tokens: [TOKEN] });
  scratch = mkdtempSync(join(tmpdir(), 'chart-install-'));
}, 600_000);

afterAll(async () => {
  await killAllOperators();
  await github?.close();
  await database?.drop();
  await cluster?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// -------------------------------------------------------------------------------------------------- tests

describe('the Helm chart on a real control plane', () => {
  let serviceAccountConfig: string;

  it('installs: CRDs, ServiceAccount, namespaced RBAC, Services, the credentials Secret and the default policy', async () => {
    // docs/install.md, step 2.
    await kubectl(['-n', NAMESPACE, 'create', 'secret', 'generic', 'ci-remediator-db', `--from-literal=url=${database.url}`]);
    await kubectl(['-n', NAMESPACE, 'create', 'secret', 'generic', 'ci-remediator-github', `--from-literal=token=${TOKEN}`]);
    const output = await helmRun(['install', RELEASE, 'charts/ci-remediator', ...installArgs()]);
    expect(output).toContain('STATUS: deployed');
    // NOTES.txt tells what to do next.
    expect(output).toContain(`kubectl -n ${NAMESPACE} get lease ci-remediator-operator`);

    const apps = admin.kc.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: FULLNAME, namespace: NAMESPACE });
    expect(deployment.spec?.replicas).toBe(2);
    const rbac = admin.kc.makeApiClient(RbacAuthorizationV1Api);
    const role = await rbac.readNamespacedRole({ name: FULLNAME, namespace: NAMESPACE });
    expect(role.rules?.flatMap((rule) => rule.verbs)).not.toContain('*');
    // Namespaced by default: nothing cluster-wide.
    const clusterRoles = await rbac.listClusterRole({ labelSelector: `app.kubernetes.io/instance=${RELEASE}` });
    expect(clusterRoles.items).toEqual([]);
    const services = await admin.core.listNamespacedService({ namespace: NAMESPACE });
    expect(services.items.map((service) => service.metadata?.name).sort()).toEqual([FULLNAME, `${FULLNAME}-metrics`]);
    const policy = await getObject(admin, 'remediationpolicies', NAMESPACE, 'default');
    expect(policy.spec.allowedActions).toEqual(['rerun-failed-jobs', 'notify-only']);
  }, 120_000);

  it('gates a record and re-runs it to green with the Deployment\'s environment, under the chart\'s RBAC only', async () => {
    const replica = await operatorFromDeployment(admin, NAMESPACE, FULLNAME, POD_NAME, scratch);
    serviceAccountConfig = replica.kubeconfig;
    expect(replica.pod.env.NODE_OPTIONS).toBe('--max-old-space-size=128 --max-semi-space-size=2');
    expect(replica.options.namespaces).toEqual([NAMESPACE]);
    operator = await startOperator(replica.options);
    await waitReady(operator);
    // Leader election in the release namespace, through the Lease Role the chart grants.
    // docs/install.md, step 4 (and the release's NOTES).
    await eventually(async () => expect(await kubectl(['-n', NAMESPACE, 'get', 'lease', 'ci-remediator-operator', '-o', 'jsonpath={.spec.holderIdentity}{"\\n"}'])).toBe(`${POD_NAME}\n`), {
      timeoutMs: 30_000,
      description: 'the Lease held by the operator',
    });

    // Reported through the ingest endpoint, as the action's endpoint mode does: the operator creates the
    // record with the ServiceAccount's token.
    const run = github.repo('acme/chart-web').addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: 1 } });
    const { spec } = failureRecord({ repository: run.repo.fullName });
    const workflow = spec.workflow as Record<string, unknown>;
    workflow.runId = run.id;
    workflow.runAttempt = 1;
    // Links must be on the GitHub the operator is configured for (here the local server, as for GitHub Enterprise).
    const web = new URL(github.url).origin;
    workflow.url = `${web}/${run.repo.fullName}/actions/runs/${run.id}/attempts/1`;
    for (const job of spec.failedJobs as Array<Record<string, unknown>>) job.url = `${web}/${run.repo.fullName}/actions/runs/${run.id}/job/${String(job.id)}`;
    (spec.commit as Record<string, unknown>).sha = run.headSha;
    (spec.commit as Record<string, unknown>).branch = run.headBranch;
    const body = JSON.stringify({ spec });
    const reply = await fetch(`http://127.0.0.1:${operator.port}/api/v1/failures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedHeaders(body, INGEST_SECRET, new Date()) },
      body,
    });
    const answer = (await reply.json()) as { name: string; namespace: string };
    expect([reply.status, answer.namespace]).toEqual([201, NAMESPACE]);

    await eventually(async () => expect(phaseOf(await getObject(admin, RECORDS, NAMESPACE, answer.name))).toBe('Succeeded'), {
      timeoutMs: 60_000,
      description: 'the record re-run to green',
    });
    expect(github.apiRequests({ method: 'POST', path: new RegExp(`/actions/runs/${run.id}/rerun-failed-jobs$`) })).toHaveLength(1);
    // Its Events were written (core/v1 create, granted by the Role).
    const events = await admin.core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: `involvedObject.name=${answer.name}` });
    expect(events.items.map((event) => event.reason)).toContain('Succeeded');
    // Nothing the operator asked for was refused.
    expect(operator.logs.filter((line) => /forbidden/i.test(JSON.stringify(line)))).toEqual([]);
  }, 180_000);

  it('hands the Lease to the second replica when the leader stops, under the same RBAC', async () => {
    const standby = await startOperator((await operatorFromDeployment(admin, NAMESPACE, FULLNAME, SECOND_POD_NAME, scratch)).options);
    await waitReady(standby);
    expect((await readLease(admin, NAMESPACE, 'ci-remediator-operator'))?.spec?.holderIdentity).toBe(POD_NAME);
    // SIGTERM, as the kubelet sends in a rolling update: the leader releases the Lease on its way out.
    expect(await operator.stop()).toEqual({ code: 0, signal: null });
    await eventually(async () => expect((await readLease(admin, NAMESPACE, 'ci-remediator-operator'))?.spec?.holderIdentity).toBe(SECOND_POD_NAME), {
      timeoutMs: 30_000,
      description: 'the standby leading',
    });
    operator = standby;
    expect(standby.logs.filter((line) => /forbidden/i.test(JSON.stringify(line)))).toEqual([]);
  }, 120_000);

  it('grants the ServiceAccount nothing beyond the operator\'s needs', async () => {
    const asOperator = kube(serviceAccountConfig);
    const review = asOperator.kc.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, resource: string, namespace: string, group = ''): Promise<boolean> =>
      (await review.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, group, namespace } } } })).status!.allowed;
    expect(await can('list', 'failurerecords', NAMESPACE, 'ci-remediator.dev')).toBe(true);
    expect(await can('list', 'secrets', NAMESPACE)).toBe(false);
    expect(await can('delete', 'failurerecords', NAMESPACE, 'ci-remediator.dev')).toBe(false);
    expect(await can('update', 'remediationpolicies', NAMESPACE, 'ci-remediator.dev')).toBe(false);
    // Not watched (yet): no access in another namespace.
    expect(await can('list', 'failurerecords', TEAM, 'ci-remediator.dev')).toBe(false);
    const custom = asOperator.kc.makeApiClient(CustomObjectsApi);
    await expect(custom.listNamespacedCustomObject({ group: 'ci-remediator.dev', version: 'v1alpha1', plural: RECORDS, namespace: TEAM })).rejects.toMatchObject({ code: 403 });
  }, 60_000);

  it('upgrades with changed values: another watched namespace gets its Role, the Deployment its new settings', async () => {
    const output = await helmRun([
      'upgrade', RELEASE, 'charts/ci-remediator', ...installArgs(),
      '--set', `watch.namespaces={${NAMESPACE},${TEAM}}`,
      '--set', 'operator.logLevel=debug',
      '--set', 'sizing.expectedRecords=20000',
    ]);
    expect(output).toContain('STATUS: deployed');
    const apps = admin.kc.makeApiClient(AppsV1Api);
    const container = (await apps.readNamespacedDeployment({ name: FULLNAME, namespace: NAMESPACE })).spec!.template.spec!.containers[0]!;
    const env = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value]));
    expect(env).toMatchObject({
      CI_REMEDIATOR_WATCH_NAMESPACES: `${NAMESPACE},${TEAM}`,
      CI_REMEDIATOR_LOG_LEVEL: 'debug',
      NODE_OPTIONS: '--max-old-space-size=158 --max-semi-space-size=2',
    });
    expect(container.resources?.limits?.memory).toBe('286Mi');
    const asOperator = kube(serviceAccountConfig).kc.makeApiClient(CustomObjectsApi);
    const list = (await asOperator.listNamespacedCustomObject({ group: 'ci-remediator.dev', version: 'v1alpha1', plural: RECORDS, namespace: TEAM })) as { items: unknown[] };
    expect(list.items).toEqual([]);
    // The default policy follows the watched namespaces.
    expect((await getObject(admin, 'remediationpolicies', TEAM, 'default')).spec.repositories).toEqual(['*/*']);
  }, 120_000);

  it('watches every namespace after an upgrade to watch.allNamespaces, through a ClusterRole', async () => {
    await operator.stop();
    await helmRun([
      'upgrade', RELEASE, 'charts/ci-remediator', ...installArgs(),
      // A default policy needs named namespaces; the ones created so far stay (hooks outlive their values).
      '--set', 'defaultPolicy.enabled=false',
      '--set', 'watch.allNamespaces=true',
    ]);
    const rbac = admin.kc.makeApiClient(RbacAuthorizationV1Api);
    expect((await rbac.readClusterRoleBinding({ name: FULLNAME })).subjects).toEqual([{ kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE }]);
    expect(await isNotFound(() => rbac.readNamespacedRole({ name: FULLNAME, namespace: TEAM }))).toBe(true);

    const replica = await operatorFromDeployment(admin, NAMESPACE, FULLNAME, POD_NAME, scratch);
    expect(replica.pod.env.CI_REMEDIATOR_WATCH_NAMESPACES).toBe('');
    expect(replica.options.namespaces).toEqual([]);
    operator = await startOperator(replica.options);
    await waitReady(operator);
    // Created by a runner with its own credentials (the action's Kubernetes mode), in a namespace no Role covers.
    const run = github.repo('acme/chart-payments').addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: 1 } });
    const record = failureRecord({ repository: run.repo.fullName });
    const spec = record.spec as { workflow: Record<string, unknown>; commit: Record<string, unknown> };
    spec.workflow.runId = run.id;
    spec.workflow.url = `https://github.com/${run.repo.fullName}/actions/runs/${run.id}/attempts/1`;
    spec.commit.sha = run.headSha;
    spec.commit.branch = run.headBranch;
    await admin.custom.createNamespacedCustomObject({ group: 'ci-remediator.dev', version: 'v1alpha1', plural: RECORDS, namespace: TEAM, body: record });
    await eventually(async () => expect(phaseOf(await getObject(admin, RECORDS, TEAM, record.metadata.name))).toBe('Succeeded'), {
      timeoutMs: 60_000,
      description: 'the record in another namespace re-run to green',
    });
    expect(operator.logs.filter((line) => /forbidden/i.test(JSON.stringify(line)))).toEqual([]);
  }, 180_000);

  it('uninstalls the operator and its RBAC but keeps the CRDs, and so the records', async () => {
    await operator.stop();
    const records = (await admin.custom.listNamespacedCustomObject({ group: 'ci-remediator.dev', version: 'v1alpha1', plural: RECORDS, namespace: NAMESPACE })) as { items: unknown[] };
    expect(records.items).toHaveLength(1);

    const output = await helmRun(['uninstall', RELEASE, '--namespace', NAMESPACE]);
    expect(output).toMatch(/uninstalled/);
    expect(output).toMatch(/These resources were kept due to the resource policy:[\s\S]*CustomResourceDefinition/);
    const apps = admin.kc.makeApiClient(AppsV1Api);
    expect(await isNotFound(() => apps.readNamespacedDeployment({ name: FULLNAME, namespace: NAMESPACE }))).toBe(true);
    expect(await isNotFound(() => admin.core.readNamespacedServiceAccount({ name: FULLNAME, namespace: NAMESPACE }))).toBe(true);
    const rbac = admin.kc.makeApiClient(RbacAuthorizationV1Api);
    expect(await isNotFound(() => rbac.readClusterRole({ name: FULLNAME }))).toBe(true);
    expect(await isNotFound(() => rbac.readNamespacedRole({ name: `${FULLNAME}-leader-election`, namespace: NAMESPACE }))).toBe(true);
    const after = (await admin.custom.listNamespacedCustomObject({ group: 'ci-remediator.dev', version: 'v1alpha1', plural: RECORDS, namespace: NAMESPACE })) as { items: unknown[] };
    expect(after.items).toHaveLength(1);
    // The ServiceAccount's token no longer opens anything (401 once the deleted account is noticed, 403 before).
    const core = kube(serviceAccountConfig).kc.makeApiClient(CoreV1Api);
    const refused = await core.listNamespacedEvent({ namespace: NAMESPACE }).then(
      () => 200,
      (error: unknown) => statusCode(error),
    );
    expect([401, 403]).toContain(refused);
  }, 120_000);
});
