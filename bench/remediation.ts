// Remediation benchmark: GitHub API calls per remediation (target <= 3 plus verification polls, which are
// conditional and mostly answered 304) and the time from a record's creation to Succeeded, for
// rerun-failed-jobs on the real control plane against the local GitHub API server. Prints figures, asserts
// nothing.
//
//   node bench/remediation.ts [--records 20] [--after-polls 4] [--poll-interval 1s] [--no-build]
//
// Uses the shared control plane (.cluster/, started if needed) and a throwaway PostgreSQL database on
// 127.0.0.1:5432. Each record reports a run of its own whose re-run completes after `--after-polls` reads.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { clusterUp } from '../scripts/cluster/harness.mjs';
import { applyCrds, REPO_ROOT } from '../test/support/cluster-setup.ts';
import { startGitHubServer, type FakeRun } from '../test/support/github-server.ts';
import { createNamespace, eventually, getObject, GROUP, kube, pool, RECORDS, VERSION, type CustomObject } from '../test/support/kube.ts';
import { startOperator, waitReady } from '../test/support/operator-process.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { createPolicy, failureRecord } from '../test/integration/operator/fixtures.ts';
import { median, percentile } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '20' },
    'after-polls': { type: 'string', default: '4' },
    'poll-interval': { type: 'string', default: '1s' },
    'no-build': { type: 'boolean', default: false },
  },
});
const RECORDS_COUNT = Number(values.records);
const AFTER_POLLS = Number(values['after-polls']);

const kubeconfig = clusterUp().kubeconfig;
await applyCrds(kubeconfig);
if (!values['no-build']) execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-cli.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });

const k = kube(kubeconfig);
const namespace = await createNamespace(k, 'bench-remediation');
const database = await createTestDatabase();
const github = await startGitHubServer({ tokens: ['ghs_bench'] });
await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 60 });
const operator = await startOperator({
  kubeconfig,
  namespaces: [namespace],
  databaseUrl: database.url,
  leaderElectionNamespace: namespace,
  identity: 'bench-remediation',
  extraArgs: ['--github-api-url', github.url, '--verify-poll-interval', values['poll-interval']],
  env: { GITHUB_TOKEN: 'ghs_bench' },
});

try {
  await waitReady(operator);
  const repo = github.repo('acme/bench');
  const runs: FakeRun[] = Array.from({ length: RECORDS_COUNT }, () =>
    repo.addRun({ jobs: [{ name: 'build', conclusion: 'success' }, { name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: AFTER_POLLS } }),
  );
  const startedAt = new Map<string, number>();
  const created = await pool(runs, 8, async (run) => {
    const body = failureRecord({ repository: repo.fullName });
    const spec = body.spec as { workflow: Record<string, unknown>; commit: Record<string, unknown> };
    spec.workflow.runId = run.id;
    spec.commit.sha = run.headSha;
    spec.commit.branch = run.headBranch;
    startedAt.set(body.metadata.name, performance.now());
    return (await k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, body })) as CustomObject;
  });

  const finishedAt = new Map<string, number>();
  const phases = new Map<string, string>();
  await eventually(
    async () => {
      await pool(created, 8, async (record) => {
        const name = record.metadata.name;
        if (finishedAt.has(name)) return;
        const phase = String((await getObject(k, RECORDS, namespace, name)).status?.phase ?? '');
        if (['Succeeded', 'Failed', 'RolledBack'].includes(phase)) {
          finishedAt.set(name, performance.now());
          phases.set(name, phase);
        }
      });
      if (finishedAt.size < created.length) throw new Error(`${created.length - finishedAt.size} of ${created.length} records not finished`);
    },
    { timeoutMs: 300_000, intervalMs: 200, description: 'all remediations finished' },
  );

  const perRun = runs.map((run) => {
    const requests = github.apiRequests({ path: new RegExp(`^/repos/${repo.fullName}/actions/runs/${run.id}(/|$)`) });
    const polls = requests.filter((request) => /\/attempts\/\d+$/.test(request.path));
    return {
      calls: requests.length - polls.length,
      mutating: requests.filter((request) => request.method !== 'GET').length,
      polls: polls.length,
      notModified: polls.filter((request) => request.status === 304).length,
      reruns: run.reruns.length,
    };
  });
  const durations = created.map((record) => finishedAt.get(record.metadata.name)! - startedAt.get(record.metadata.name)!);
  const sum = (pick: (entry: (typeof perRun)[number]) => number) => perRun.reduce((total, entry) => total + pick(entry), 0);
  const succeeded = [...phases.values()].filter((phase) => phase === 'Succeeded').length;

  console.log(`remediation benchmark: ${RECORDS_COUNT} rerun-failed-jobs remediations, re-runs complete after ${AFTER_POLLS} reads, poll every ${values['poll-interval']}`);
  console.log(`  succeeded                 ${succeeded} / ${RECORDS_COUNT}`);
  console.log(`  re-runs on GitHub         ${sum((entry) => entry.reruns)} (exactly one per remediation: ${perRun.every((entry) => entry.reruns === 1)})`);
  console.log(`  calls per remediation     ${(sum((entry) => entry.calls) / RECORDS_COUNT).toFixed(2)} (max ${Math.max(...perRun.map((entry) => entry.calls))}; of which mutating ${(sum((entry) => entry.mutating) / RECORDS_COUNT).toFixed(2)}) + verification polls`);
  console.log(`  polls per remediation     ${(sum((entry) => entry.polls) / RECORDS_COUNT).toFixed(2)}, ${(sum((entry) => entry.notModified) / RECORDS_COUNT).toFixed(2)} answered 304 (free of rate limit)`);
  console.log(`  create -> Succeeded       median ${median(durations).toFixed(0)} ms, p95 ${percentile(durations, 0.95).toFixed(0)} ms`);
} finally {
  await operator.stop('SIGTERM');
  await github.close();
  await database.drop();
}
