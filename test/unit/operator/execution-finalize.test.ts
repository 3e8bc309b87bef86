import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { FailureRecordSpec } from '../../../src/api/failure-record.ts';
import { createGitHubClient } from '../../../src/github/client.ts';
import { RemediationExecutor } from '../../../src/remediation/executor.ts';
import type { RecordObject } from '../../../operator/controllers/failurerecord.ts';
import { ExecutionReconciler } from '../../../operator/controllers/execution.ts';
import { PolicyIndex } from '../../../operator/controllers/policy-index.ts';
import { createMetrics } from '../../../operator/runtime/metrics.ts';
import { EventRecorder } from '../../../operator/runtime/events.ts';
import { makeClients } from '../../../operator/runtime/kube.ts';
import { createLogger } from '../../../operator/runtime/logger.ts';
import { TransientError } from '../../../operator/runtime/reconcile-errors.ts';
import { NOOP_NOTIFIER } from '../../../src/notify/notifier.ts';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.ts';

// Deleting a record whose re-run is in progress cancels that run (the rollback), but only from the leader:
// a replica that has just lost its lease calls nothing on GitHub and keeps the finalizer for the next leader.
// Nothing here reaches Kubernetes or the store: the reconciler stops before either is needed.

let github: GitHubServer;

beforeAll(async () => {
  github = await startGitHubServer({ tokens: ['ghs_finalize'] });
});

afterAll(async () => {
  await github.close();
});

function reconciler(canWrite: () => boolean): ExecutionReconciler {
  const kube = new KubeConfig();
  kube.loadFromOptions({
    clusters: [{ name: 'none', server: 'http://127.0.0.1:1' }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  const clients = makeClients(kube);
  const log = createLogger('silent', new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  return new ExecutionReconciler({
    records: { get: () => undefined },
    policies: new PolicyIndex({ list: () => [] }),
    clients,
    store: () => Promise.reject(new Error('the store is not reached in this test')),
    events: new EventRecorder({ clients, component: 'test', instance: 'test', log, canWrite }),
    metrics: createMetrics(),
    notifier: NOOP_NOTIFIER,
    canWrite,
    log,
    executor: new RemediationExecutor(createGitHubClient({ baseUrl: github.url, auth: { token: 'ghs_finalize' }, maxRetries: 0 })),
    pollIntervalMs: 1000,
    verifyTimeoutMs: 60_000,
  });
}

describe('ExecutionReconciler.finalize', () => {
  it('does not cancel the re-run of a deleted record once the lease is lost', async () => {
    const run = github.repo('acme/finalize').addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: 1000 } });
    // The remediation went through: attempt 2 is running when the record is deleted.
    const executor = new RemediationExecutor(createGitHubClient({ baseUrl: github.url, auth: { token: 'ghs_finalize' }, maxRetries: 0 }));
    const target = { repository: run.repo.fullName, runId: run.id, runAttempt: 1, sha: run.headSha };
    await executor.execute('rerun-failed-jobs', target, await executor.observe('rerun-failed-jobs', target));
    const spec = FailureRecordSpec.parse({
      source: 'action',
      repository: run.repo.fullName,
      workflow: { name: 'CI', path: '.github/workflows/ci.yml', runId: run.id, runAttempt: 1, url: `https://github.com/${run.repo.fullName}/actions/runs/${run.id}`, event: 'push' },
      commit: { sha: run.headSha, branch: 'main' },
      failedJobs: [{ id: 1, name: 'test', url: 'https://github.com/acme/finalize/actions/runs/1/job/1', conclusion: 'failure', excerpt: 'Error: boom', excerptStartLine: 1, logBytes: 11 }],
      detectedAt: new Date().toISOString(),
      fingerprint: 'rules:v1:0123456789abcdef0123',
    });
    const record: RecordObject = {
      metadata: { namespace: 'ci', name: 'fr-finalize', uid: 'u-1', deletionTimestamp: new Date() },
      spec,
      status: { phase: 'Verifying', execution: { action: 'rerun-failed-jobs', intentRecordedAt: new Date().toISOString(), newRunAttempt: 2 } },
    };

    const error = await reconciler(() => false).finalize('ci/fr-finalize', record).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/not the leader/);
    expect(github.apiRequests({ method: 'POST', path: `/repos/acme/finalize/actions/runs/${run.id}/cancel` })).toHaveLength(0);
    expect(run.latest).toMatchObject({ number: 2, status: 'in_progress' });
  });
});
