// `npm run github:local [-- <log file>]`: the action, tried without GitHub. Starts the local GitHub API server
// the tests use (test/support/github-server.ts: GitHub's documented routes and shapes, its log host on another
// origin), seeded with one failed workflow run whose failed job's log is <log file> (default
// examples/logs/gha-docker-rate-limit.log), and writes .github-local/action.env: every variable a runner sets
// for the reporting job and every input, dry run on. Then, in another shell:
//
//   node --env-file=.github-local/action.env action/dist/index.js
//
// runs the committed bundle, exactly what a runner executes: it lists the run's jobs, downloads the failed
// job's log, prints the FailureRecord it would create (YAML) and writes the job summary to
// .github-local/summary.html. Variables already in the environment win over the file (node --env-file), so
//
//   env INPUT_DRY-RUN=false INPUT_KUBECONFIG=$KUBECONFIG INPUT_NAMESPACE=ci-remediator \
//     node --env-file=.github-local/action.env action/dist/index.js
//
// creates the record in the cluster KUBECONFIG points at. Stops on Ctrl-C (or SIGTERM).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startGitHubServer } from '../test/support/github-server.ts';

const ROOT = resolve(import.meta.dirname, '..');
const logFile = resolve(process.argv[2] ?? join(ROOT, 'examples', 'logs', 'gha-docker-rate-limit.log'));
// GITHUB_LOCAL_DIR: where the files go (the tests use a temporary directory).
const work = resolve(process.env.GITHUB_LOCAL_DIR ?? join(ROOT, '.github-local'));
const REPOSITORY = 'acme/web';
const TOKEN = 'ghp_localTrialToken0000000000000000000';

let log: string;
try {
  log = readFileSync(logFile, 'utf8');
} catch (error) {
  console.error(`github:local: cannot read the log ${logFile}: ${(error as Error).message}`);
  process.exit(2);
}

// Log URLs stay valid for ten minutes, long enough to run the action a few times by hand.
const server = await startGitHubServer({ tokens: [TOKEN], logUrlTtlMs: 10 * 60_000 });
const run = server.repo(REPOSITORY).addRun({
  name: 'CI',
  path: '.github/workflows/ci.yml',
  jobs: [
    { name: 'lint', conclusion: 'success' },
    {
      name: 'build',
      conclusion: 'failure',
      steps: [{ name: 'Set up job', conclusion: 'success' }, { name: 'Build image', conclusion: 'failure' }],
      log,
    },
    // The reporting job itself: still running while it reports, so never reported.
    { name: 'report-failure', status: 'in_progress' },
  ],
});
server.repo(REPOSITORY).setCommitFiles(run.headSha, ['Dockerfile', '.github/workflows/ci.yml']);

mkdirSync(work, { recursive: true });
const eventPath = join(work, 'event.json');
const summaryPath = join(work, 'summary.html');
const outputPath = join(work, 'output.txt');
writeFileSync(eventPath, JSON.stringify({ pusher: { name: 'octocat' }, sender: { login: 'octocat' } }, null, 2));
writeFileSync(summaryPath, '');
writeFileSync(outputPath, '');
const vars: Record<string, string> = {
  // What a runner sets for the reporting job (docs/action.md, "Variables").
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: REPOSITORY,
  GITHUB_RUN_ID: String(run.id),
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'report-failure',
  GITHUB_WORKFLOW: run.name,
  GITHUB_WORKFLOW_REF: `${REPOSITORY}/${run.path}@refs/heads/${run.headBranch}`,
  GITHUB_EVENT_NAME: 'push',
  GITHUB_EVENT_PATH: eventPath,
  GITHUB_SHA: run.headSha,
  GITHUB_REF: `refs/heads/${run.headBranch}`,
  GITHUB_REF_NAME: run.headBranch,
  GITHUB_ACTOR: 'octocat',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_API_URL: server.url,
  GITHUB_STEP_SUMMARY: summaryPath,
  GITHUB_OUTPUT: outputPath,
  // The inputs, as a runner passes them (INPUT_<NAME>, dashes kept).
  'INPUT_GITHUB-TOKEN': TOKEN,
  'INPUT_DRY-RUN': 'true',
  INPUT_MODE: 'kubernetes',
};
const envFile = join(work, 'action.env');
writeFileSync(envFile, `${Object.entries(vars).map(([name, value]) => `${name}=${value}`).join('\n')}\n`);

console.log(`github:local: GitHub API at ${server.url}, run ${REPOSITORY} #${run.id} with failed job 'build' (log: ${logFile})`);
console.log(`github:local: wrote ${envFile}; in another shell:`);
const shown = relative(process.cwd(), envFile);
console.log(`  node --env-file=${shown.startsWith('..') ? envFile : shown} action/dist/index.js`);
console.log('github:local: ready (Ctrl-C stops it)');

const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
