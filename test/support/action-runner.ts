import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './cluster-setup.ts';
import type { FakeRun } from './github-server.ts';

/**
 * The bundled action (`node action/dist/index.js`, what a runner executes) run the way a runner runs it: inputs
 * as INPUT_<NAME> variables, the run as GITHUB_* variables, outputs and the job summary in the files
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name. It runs from the committed bundle: run `npm run action:build`
 * after changing anything it imports (`npm run action:check` fails when it is stale).
 */

export const ACTION = join(REPO_ROOT, 'action', 'dist', 'index.js');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the action wrote to GITHUB_OUTPUT, by output name. */
  outputs: Record<string, string>;
  /** What it wrote to GITHUB_STEP_SUMMARY. */
  summary: string;
  /** The process' wall time, start-up included. */
  wallMs: number;
}

export interface ActionRunner {
  /** Runs the bundle with `inputs` and the run variables `vars`; GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are fresh files. */
  run(inputs: Record<string, string>, vars: Record<string, string>): Promise<ActionRun>;
  /** The GITHUB_* variables the runner sets for the reporting job of `run`'s first attempt (a push); `extra` overrides them. */
  runVars(run: FakeRun, extra?: Record<string, string>): Record<string, string>;
}

/** A runner whose files go to `work` and whose GitHub API is `githubUrl` (the local API server). */
export function actionRunner(work: string, githubUrl: string): ActionRunner {
  let runs = 0;
  return {
    async run(inputs, vars) {
      const outputFile = join(work, `output-${++runs}`);
      const summaryFile = join(work, `summary-${runs}`);
      writeFileSync(outputFile, '');
      writeFileSync(summaryFile, '');
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? work,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_ACTIONS: 'true',
        ...vars,
      };
      // As the runner names them: upper case, spaces to underscores, dashes kept (INPUT_GITHUB-TOKEN).
      for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
      const started = Date.now();
      const child = spawn(process.execPath, [ACTION], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (exit) => resolve(exit)));
      return {
        code,
        stdout,
        stderr,
        outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
        summary: readFileSync(summaryFile, 'utf8'),
        wallMs: Date.now() - started,
      };
    },

    runVars(run, extra = {}) {
      const repository = run.repo.fullName;
      const eventPath = join(work, `event-${run.id}.json`);
      writeFileSync(eventPath, JSON.stringify({ pusher: { name: 'octocat' }, sender: { login: 'octocat' } }));
      return {
        GITHUB_REPOSITORY: repository,
        GITHUB_RUN_ID: String(run.id),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: 'report',
        GITHUB_SHA: run.headSha,
        GITHUB_REF: `refs/heads/${run.headBranch}`,
        GITHUB_REF_NAME: run.headBranch,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_WORKFLOW: 'CI',
        GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/ci.yml@refs/heads/${run.headBranch}`,
        GITHUB_ACTOR: 'octocat',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: githubUrl,
        ...extra,
      };
    },
  };
}

/** GITHUB_OUTPUT's `name<<delimiter` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i]!);
    outputs[match[1]!] = value.join('\n');
  }
  return outputs;
}
