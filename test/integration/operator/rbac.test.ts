import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RbacAuthorizationV1Api, type V1ClusterRole, type V1Role } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT } from '../../support/cluster-setup.ts';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.ts';
import { createNamespace, createObject, eventsFor, eventually, getObject, kube, POLICIES, RECORDS, type Kube } from '../../support/kube.ts';
import { SlackServer, TEST_BOT_TOKEN, blockActionsPayload, signedInteraction } from '../../support/slack-server.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { auditRows, createPolicy, phaseOf, reportRun, waitPhase } from './fixtures.ts';

// The generated RBAC (deploy/rbac/operator.yaml, from operator/rbac.ts) is all the operator needs: it runs
// here under a ServiceAccount token (TokenRequest) bound to exactly those rules, as a cluster administrator
// would deploy it, and drives a record through analysis, the gate, a re-run on GitHub and its verification.
// An API call the file does not allow would be a 403 and the record would not get there.

let k: Kube;
let namespace: string;
let database: TestDatabase;
let github: GitHubServer;
let operator: OperatorProcess;
let dir: string;
let slack: SlackServer;
const SLACK_SECRET = 'rbacsigningsecret0123456789abcdef';
const ALICE = 'U0ALICE001';
const created: { clusterRole?: string } = {};

beforeAll(async () => {
  k = kube();
  const rbac = k.kc.makeApiClient(RbacAuthorizationV1Api);
  namespace = await createNamespace(k, 'op-rbac');
  database = await createTestDatabase();
  github = await startGitHubServer({ tokens: ['ghs_rbac_token'] });
  await createPolicy(k, namespace, 'auto', { repositories: ['acme/*'], riskThreshold: 70 });
  // A Slack decision reads the record and its policy live (get) and writes through the status subresource.
  slack = await new SlackServer({ users: [{ id: ALICE, name: 'alice' }] }).start();
  await createObject(k, POLICIES, namespace, {
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'RemediationPolicy',
    metadata: { name: 'approve' },
    spec: { repositories: ['acme/approve-rbac'], riskThreshold: 70, protected: true, approval: { approvers: { users: [ALICE] } } },
  });

  const [clusterRole, leaseRole] = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'rbac', 'operator.yaml'), 'utf8')).map((document) => document.toJS()) as [V1ClusterRole, V1Role];
  expect([clusterRole.kind, leaseRole.kind]).toEqual(['ClusterRole', 'Role']);
  // ClusterRoles are cluster-wide: a name of this test's own, with the file's rules unchanged.
  const clusterRoleName = `${clusterRole.metadata!.name}-${namespace}`;
  await rbac.createClusterRole({ body: { ...clusterRole, metadata: { name: clusterRoleName } } });
  created.clusterRole = clusterRoleName;
  await rbac.createNamespacedRole({ namespace, body: { ...leaseRole, metadata: { name: leaseRole.metadata!.name, namespace } } });
  await k.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'operator' } } });
  const subjects = [{ kind: 'ServiceAccount', name: 'operator', namespace }];
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name: 'operator' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName }, subjects },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name: 'operator-leader-election' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaseRole.metadata!.name! }, subjects },
  });
  const token = await k.core.createNamespacedServiceAccountToken({ namespace, name: 'operator', body: { spec: { audiences: [], expirationSeconds: 3600 } } });

  const cluster = k.kc.getCurrentCluster()!;
  dir = mkdtempSync(join(tmpdir(), 'op-rbac-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData ?? Buffer.from(readFileSync(cluster.caFile!)).toString('base64') } }],
      users: [{ name: 'operator', user: { token: token.status!.token } }],
      contexts: [{ name: 'operator', context: { cluster: 'test', user: 'operator', namespace } }],
      'current-context': 'operator',
    }),
  );
  operator = await startOperator({
    kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    identity: 'rbac-1',
    extraArgs: ['--github-api-url', github.url, '--verify-poll-interval', '1s', '--slack-api-url', slack.apiUrl, '--slack-default-channel', '#ci'],
    env: { GITHUB_TOKEN: 'ghs_rbac_token', SLACK_BOT_TOKEN: TEST_BOT_TOKEN, SLACK_SIGNING_SECRET: SLACK_SECRET },
  });
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await github?.close();
  await slack?.stop();
  await database?.drop();
  if (created.clusterRole !== undefined) await k.kc.makeApiClient(RbacAuthorizationV1Api).deleteClusterRole({ name: created.clusterRole });
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the generated RBAC', () => {
  it('is enough for the operator to analyze, gate, execute and verify a record under a ServiceAccount token', async () => {
    const run = github.repo('acme/rbac').addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: 1 } });
    const record = await reportRun(k, namespace, run);

    const ended = await waitPhase(k, namespace, record.metadata.name, ['Succeeded', 'Failed', 'RolledBack'], { timeoutMs: 90_000 });
    expect(phaseOf(ended)).toBe('Succeeded');
    expect(run.reruns).toHaveLength(1);
    const rows = await auditRows(database.url, [record.metadata.uid]);
    expect(rows.filter((row) => row.action === 'transition').map((row) => row.outcome)).toEqual(['Analyzing', 'Analyzed', 'AutoApproved', 'Executing', 'Verifying', 'Succeeded']);
    // Events (a create the file allows) and the Lease (in the Role) were written under the same token.
    const reasons = (await eventsFor(k, namespace, record.metadata.uid)).map((event) => event.reason);
    expect(reasons).toContain('Succeeded');
    // Nothing was refused along the way: a 403 would show in the operator's log.
    expect(operator.logs.filter((line) => JSON.stringify(line).includes('forbidden'))).toEqual([]);
  });

  it('is enough for a Slack approval: the card, the click\'s live reads and the decision\'s status write', async () => {
    const run = github.repo('acme/approve-rbac').addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: 1 } });
    const record = await reportRun(k, namespace, run);
    const card = await eventually(
      async () => {
        const where = ((await getObject(k, RECORDS, namespace, record.metadata.name)).status?.approval as { slack?: { channel: string; ts: string } } | undefined)?.slack;
        if (where === undefined) throw new Error('no card yet');
        const value = JSON.stringify(slack.message(where.channel, where.ts)?.blocks).match(/"value":"(cir1:[^"]+)"/)?.[1];
        if (value === undefined) throw new Error('card without a button');
        return { ...where, value };
      },
      { timeoutMs: 60_000, description: 'approval card' },
    );
    const { body, headers } = signedInteraction(blockActionsPayload({ userId: ALICE, channel: card.channel, messageTs: card.ts, actionId: 'ci_remediator_approve', value: card.value }), SLACK_SECRET);
    const response = await fetch(`http://127.0.0.1:${operator.port}/slack/events`, { method: 'POST', headers, body });
    expect(response.status).toBe(200);
    await response.text();
    const ended = await waitPhase(k, namespace, record.metadata.name, ['Succeeded', 'Failed', 'RolledBack'], { timeoutMs: 60_000 });
    expect(phaseOf(ended)).toBe('Succeeded');
    expect(ended.status?.approval).toMatchObject({ decision: 'approved', decidedBy: ALICE });
    expect(run.reruns).toHaveLength(1);
    expect(operator.logs.filter((line) => JSON.stringify(line).includes('forbidden'))).toEqual([]);
  });
});
