import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { actionRunner, type ActionRunner } from '../../support/action-runner.ts';
import { helm, helmBinary, operatorFromDeployment } from '../../support/chart.ts';
import { REPO_ROOT, startPrivateControlPlane, type PrivateControlPlane } from '../../support/cluster-setup.ts';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.ts';
import { createObject, kube, POLICIES, type Kube } from '../../support/kube.ts';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.ts';
import { startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { SlackServer } from '../../support/slack-server.ts';

/**
 * Everything `npm run e2e` runs the product on, started the way a platform team would set it up: a
 * kube-apiserver of its own, a PostgreSQL database, the local GitHub, Slack and OpenAI servers, the Helm chart
 * installed from docs/install.md's steps with every integration enabled, and the operator started with exactly
 * what the chart's Deployment gives its pod and a token of the chart's ServiceAccount (the control plane has no
 * kubelet, so the pod itself never starts; test/support/chart.ts).
 */

const execFileAsync = promisify(execFile);

export const NAMESPACE = 'ci-remediator';
const RELEASE = 'ci-remediator';
const FULLNAME = 'ci-remediator';
export const POD_NAME = `${FULLNAME}-6f7c9d8b5-e2e01`;

/** The Slack user allowed to approve (approval.approvers.users of the policies that ask for a person). */
export const APPROVER = { id: 'U0APPROVER1', name: 'dana' };
export const APPROVAL_CHANNEL = '#approvals';
export const ESCALATION_CHANNEL = '#alerts';
export const RESULTS_CHANNEL = '#ci';

export interface Environment {
  admin: Kube;
  cluster: PrivateControlPlane;
  database: TestDatabase;
  github: GitHubServer;
  slack: SlackServer;
  openai: OpenAIServer;
  operator: OperatorProcess;
  runner: ActionRunner;
  /** The workflow's token, what the action reads the run with. */
  workflowToken: string;
  ingestSecret: string;
  slackSigningSecret: string;
  /** `helm install`'s output. */
  installOutput: string;
  close(): Promise<void>;
}

/** Prints a step the way .ci/run does, so a slow start does not look like a hang. */
export function say(message: string): void {
  process.stdout.write(`[e2e] ${message}\n`);
}

/** `onClose` gets the cleanup at once, so a run interrupted while this is still starting can stop what it started. */
export async function startEnvironment(onClose?: (close: () => Promise<void>) => void, signal?: AbortSignal): Promise<Environment> {
  const closers: Array<() => Promise<void> | void> = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) {
      try {
        await closer();
      } catch (error) {
        process.stderr.write(`[e2e] cleanup: ${String(error)}\n`);
      }
    }
  };
  onClose?.(close);
  try {
    say('building the CLI bundle the operator runs (npm run build)');
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-cli.mjs')], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    say('helm (scripts/tools/helm.sh; built once from the Go module proxy) and a control plane of its own');
    const helmPath = await helmBinary();
    // The chart installs the CRDs itself: it refuses to adopt ones it does not own.
    const starting = startPrivateControlPlane({ crds: false }).catch((error: unknown) => {
      // Its ports are picked free just before the daemons bind them; on a busy machine another process can
      // take one in between. One more try with fresh ports (not after Ctrl-C); a second failure is real.
      if (signal?.aborted === true) throw error;
      say(`the control plane did not start, trying once more: ${String(error).split('\n')[0]}`);
      return startPrivateControlPlane({ crds: false });
    });
    // Registered before it is up: an interrupted run waits for the start to end, then stops the daemons.
    closers.push(async () => (await starting.catch(() => undefined))?.destroy());
    const cluster = await starting;
    const admin = kube(cluster.kubeconfig);
    const database = await createTestDatabase();
    closers.push(() => database.drop());
    const scratch = mkdtempSync(join(tmpdir(), 'ci-remediator-e2e-'));
    closers.push(() => rmSync(scratch, { recursive: true, force: true }));

    const workflowToken = `ghs_${randomBytes(18).toString('hex')}`;
    const operatorToken = `ghs_${randomBytes(18).toString('hex')}`;
    const ingestSecret = `ingest-${randomBytes(16).toString('hex')}`;
    const slackSigningSecret = randomBytes(16).toString('hex');
    const github = await startGitHubServer({ tokens: [workflowToken, operatorToken] });
    closers.push(() => github.close());
    const slack = await new SlackServer({ users: [{ id: APPROVER.id, name: APPROVER.name, real_name: 'Dana Approver' }] }).start();
    closers.push(() => slack.stop());
    const openai = await startOpenAIServer();
    closers.push(() => openai.close());
    say(`GitHub ${github.url}, Slack ${slack.apiUrl}, OpenAI ${openai.baseURL}, PostgreSQL database ${database.name}, kube-apiserver ${cluster.server}`);

    // docs/install.md, step 2: the namespace and the credentials a platform team creates.
    const kubectl = (args: string[]): Promise<unknown> => execFileAsync('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args]);
    await admin.core.createNamespace({ body: { metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
    await kubectl(['-n', NAMESPACE, 'create', 'secret', 'generic', 'ci-remediator-db', `--from-literal=url=${database.url}`]);
    await kubectl(['-n', NAMESPACE, 'create', 'secret', 'generic', 'ci-remediator-github', `--from-literal=token=${operatorToken}`]);

    // Step 3, with every integration on, each pointed at its local server. Short verification polls, so a
    // re-run is judged within seconds.
    say('helm install charts/ci-remediator');
    const installOutput = await helm(helmPath, cluster.kubeconfig, [
      'install', RELEASE, 'charts/ci-remediator', '--namespace', NAMESPACE,
      '--set', 'database.existingSecret=ci-remediator-db',
      '--set', 'github.auth=token',
      '--set', 'github.existingSecret=ci-remediator-github',
      '--set', `github.apiUrl=${github.url}`,
      '--set', 'ingest.enabled=true',
      '--set', `ingest.secret=${ingestSecret}`,
      '--set', 'slack.enabled=true',
      '--set', `slack.botToken=${slack.token}`,
      '--set', `slack.signingSecret=${slackSigningSecret}`,
      '--set', `slack.apiUrl=${slack.apiUrl}`,
      '--set', `slack.defaultChannel=${RESULTS_CHANNEL}`,
      '--set', 'openai.enabled=true',
      '--set', `openai.apiKey=${openai.apiKey}`,
      '--set', `openai.baseUrl=${openai.baseURL}`,
      '--set', 'openai.model=gpt-4o-mini',
      '--set', 'operator.verifyPollInterval=1s',
    ]);
    if (!installOutput.includes('STATUS: deployed')) throw new Error(`helm install did not deploy:\n${installOutput}`);

    // The operator as the Deployment's pod would run, under the chart's ServiceAccount.
    const replica = await operatorFromDeployment(admin, NAMESPACE, FULLNAME, POD_NAME, scratch);
    const operator = await startOperator(replica.options);
    closers.push(async () => void (await operator.stop()));
    await waitReady(operator);
    say(`operator ${POD_NAME} ready on 127.0.0.1:${operator.port} as system:serviceaccount:${NAMESPACE}:${replica.pod.serviceAccount}`);

    return {
      admin,
      cluster,
      database,
      github,
      slack,
      openai,
      operator,
      runner: actionRunner(scratch, github.url),
      workflowToken,
      ingestSecret,
      slackSigningSecret,
      installOutput,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A RemediationPolicy in the release namespace, applied as the platform team would. */
export async function applyPolicy(env: Environment, name: string, spec: Record<string, unknown>): Promise<void> {
  await createObject(env.admin, POLICIES, NAMESPACE, { apiVersion: 'ci-remediator.dev/v1alpha1', kind: 'RemediationPolicy', metadata: { name }, spec });
}
