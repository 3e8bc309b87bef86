import { z } from 'zod';
import { HttpUrl, RepositoryName } from '../api/common.ts';
import { InputError } from '../errors.ts';

/**
 * The workflow run a report is about, from the variables every GitHub Actions runner sets
 * (https://docs.github.com/actions/reference/variables-reference) and the event payload at GITHUB_EVENT_PATH.
 * Pure: the caller reads the environment and the event file; a missing or malformed variable is an
 * InputError naming it, because a report about the wrong run is worse than none.
 */

export class RunContextError extends InputError {
  override readonly code = 'RUN_CONTEXT_INVALID';
}

export interface RunContext {
  repository: string;
  runId: number;
  runAttempt: number;
  /** GITHUB_JOB: the YAML key of the job running the reporter. */
  job: string;
  workflowName: string;
  /** Repository-relative path of the workflow file. */
  workflowPath: string;
  event: string;
  /** GITHUB_SHA: for pull requests the merge commit; the head commit is in `headSha` when known. */
  sha: string;
  headSha: string;
  branch?: string;
  author?: string;
  pullRequest?: { number: number; url: string; baseBranch?: string };
  serverUrl: string;
  apiUrl: string;
  runUrl: string;
}

const PositiveInt = z
  .string()
  .trim()
  .regex(/^[1-9]\d{0,15}$/, { error: 'must be a positive integer' })
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER));
const Sha = z.string().trim().regex(/^[0-9a-f]{40}$/, { error: 'must be a full lower-case commit SHA' });
/** Without a trailing slash: URLs are built by appending `/path`. */
const RootUrl = HttpUrl.transform((url) => url.replace(/\/+$/, ''));

const Env = z.object({
  GITHUB_REPOSITORY: RepositoryName,
  GITHUB_RUN_ID: PositiveInt,
  GITHUB_RUN_ATTEMPT: PositiveInt.default(1),
  GITHUB_JOB: z.string().trim().min(1, { error: 'is required' }),
  GITHUB_SHA: Sha,
  GITHUB_REF: z.string().trim().optional(),
  GITHUB_REF_NAME: z.string().trim().optional(),
  GITHUB_HEAD_REF: z.string().trim().optional(),
  GITHUB_EVENT_NAME: z
    .string()
    .trim()
    .regex(/^[a-z][a-z_]*$/, { error: "must be a GitHub event name such as 'push'" }),
  GITHUB_WORKFLOW: z.string().trim().min(1, { error: 'is required' }),
  GITHUB_WORKFLOW_REF: z.string().trim().optional(),
  GITHUB_ACTOR: z.string().trim().optional(),
  GITHUB_SERVER_URL: RootUrl.default('https://github.com'),
  GITHUB_API_URL: RootUrl.default('https://api.github.com'),
});

/** Every runner variable the run context reads (docs/action.md lists them; a test keeps the two in step). */
export const RUN_CONTEXT_VARIABLES: readonly string[] = Object.freeze(Object.keys(Env.shape));

/** What the context reads from the event payload; everything optional, since payloads differ per event. */
export interface EventPayload {
  pull_request?: { number?: number; html_url?: string; base?: { ref?: string }; head?: { ref?: string; sha?: string }; user?: { login?: string } };
  pusher?: { name?: string };
  sender?: { login?: string };
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment']);

export function runContextFromEnv(env: NodeJS.ProcessEnv, event: EventPayload = {}): RunContext {
  const raw = Object.fromEntries(Object.keys(Env.shape).map((key) => [key, emptyToUndefined(env[key])]));
  const parsed = Env.safeParse(raw);
  if (!parsed.success) {
    // Every problem at once: someone setting these by hand (a local trial) should not learn them one per attempt.
    const missing: string[] = [];
    const invalid: string[] = [];
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      const value = raw[key];
      if (value === undefined) missing.push(key);
      else invalid.push(`${key} '${value.slice(0, 80)}' ${issue.message}`);
    }
    const parts = [
      ...(missing.length > 0 ? [`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (a GitHub Actions runner sets ${missing.length === 1 ? 'it' : 'them'}; docs/action.md lists every variable, for a local run)`] : []),
      ...invalid,
    ];
    throw new RunContextError(`${parts.join('; ')}.`);
  }
  const vars = parsed.data;
  const repository = vars.GITHUB_REPOSITORY;
  const pr = PULL_REQUEST_EVENTS.has(vars.GITHUB_EVENT_NAME) ? event.pull_request : undefined;
  const pullRequest =
    pr?.number !== undefined && Number.isSafeInteger(pr.number) && pr.number > 0
      ? {
          number: pr.number,
          url: pr.html_url ?? `${vars.GITHUB_SERVER_URL}/${repository}/pull/${pr.number}`,
          ...(pr.base?.ref ? { baseBranch: pr.base.ref } : {}),
        }
      : undefined;
  const headSha = pr?.head?.sha !== undefined && /^[0-9a-f]{40}$/.test(pr.head.sha) ? pr.head.sha : vars.GITHUB_SHA;
  const branch = pullRequest ? (vars.GITHUB_HEAD_REF ?? pr?.head?.ref) : vars.GITHUB_REF?.startsWith('refs/heads/') ? vars.GITHUB_REF_NAME : undefined;
  const author = pr?.user?.login ?? event.pusher?.name ?? event.sender?.login ?? vars.GITHUB_ACTOR;
  return {
    repository,
    runId: vars.GITHUB_RUN_ID,
    runAttempt: vars.GITHUB_RUN_ATTEMPT,
    job: vars.GITHUB_JOB,
    workflowName: vars.GITHUB_WORKFLOW,
    workflowPath: workflowPath(vars.GITHUB_WORKFLOW_REF, repository, vars.GITHUB_WORKFLOW),
    event: vars.GITHUB_EVENT_NAME,
    sha: vars.GITHUB_SHA,
    headSha,
    ...(branch ? { branch } : {}),
    ...(author ? { author } : {}),
    ...(pullRequest ? { pullRequest } : {}),
    serverUrl: vars.GITHUB_SERVER_URL,
    apiUrl: vars.GITHUB_API_URL,
    runUrl: `${vars.GITHUB_SERVER_URL}/${repository}/actions/runs/${vars.GITHUB_RUN_ID}/attempts/${vars.GITHUB_RUN_ATTEMPT}`,
  };
}

/**
 * `acme/web/.github/workflows/ci.yml@refs/heads/main` -> `.github/workflows/ci.yml`. Older runners (and GHES
 * before 3.6) do not set GITHUB_WORKFLOW_REF; then the path is unknown and the workflow's name stands in as a
 * file name under .github/workflows, which is right for workflows without a `name:`.
 */
export function workflowPath(workflowRef: string | undefined, repository: string, workflowName: string): string {
  if (workflowRef) {
    const withoutRef = workflowRef.split('@')[0] ?? '';
    const prefix = `${repository}/`;
    const path = withoutRef.toLowerCase().startsWith(prefix.toLowerCase()) ? withoutRef.slice(prefix.length) : withoutRef.split('/').slice(2).join('/');
    if (/^[^/\s][^\s]*$/.test(path)) return path;
  }
  const file = workflowName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'workflow';
  return `.github/workflows/${/\.ya?ml$/.test(file) ? file : `${file}.yml`}`;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The part of GitHub's `workflow-run` object (REST, or a `workflow_run` webhook) a report is built from. */
export interface RunObject {
  id: number;
  name?: string | null;
  path: string;
  run_attempt?: number;
  event: string;
  head_sha: string;
  head_branch: string | null;
  html_url: string;
  actor?: { login: string } | null;
  triggering_actor?: { login: string } | null;
  pull_requests?: ReadonlyArray<{ number: number; base: { ref: string } }> | null;
  repository: { full_name: string };
}

/**
 * The same RunContext the action builds from the runner's variables, built from the run itself (the operator's
 * webhook receiver and poller have no runner): the runner's GITHUB_WORKFLOW is the run's name,
 * GITHUB_WORKFLOW_REF its path, GITHUB_SERVER_URL the origin of its html_url, GITHUB_REF_NAME / GITHUB_HEAD_REF
 * its head branch, GITHUB_ACTOR its actor. `apiUrl` is where the operator talks to GitHub.
 */
export function runContextFromRun(run: RunObject, apiUrl: string): RunContext {
  const repository = RepositoryName.parse(run.repository.full_name);
  const runAttempt = run.run_attempt ?? 1;
  const marker = `/${repository}/actions/runs/`;
  const at = run.html_url.toLowerCase().indexOf(marker.toLowerCase());
  if (at < 0) throw new RunContextError(`The run's html_url '${run.html_url.slice(0, 200)}' does not name ${repository}'s run ${run.id}.`);
  const serverUrl = run.html_url.slice(0, at).replace(/\/+$/, '');
  const workflowName = run.name?.trim() || run.path;
  const pr = PULL_REQUEST_EVENTS.has(run.event) ? run.pull_requests?.[0] : undefined;
  const pullRequest =
    pr !== undefined ? { number: pr.number, url: `${serverUrl}/${repository}/pull/${pr.number}`, ...(pr.base.ref ? { baseBranch: pr.base.ref } : {}) } : undefined;
  const author = run.triggering_actor?.login ?? run.actor?.login;
  const branch = run.head_branch ?? undefined;
  return {
    repository,
    runId: run.id,
    runAttempt,
    job: '',
    workflowName,
    workflowPath: workflowPath(`${repository}/${run.path}`, repository, workflowName),
    event: run.event,
    sha: run.head_sha,
    headSha: run.head_sha,
    ...(branch ? { branch } : {}),
    ...(author ? { author } : {}),
    ...(pullRequest ? { pullRequest } : {}),
    serverUrl,
    apiUrl: apiUrl.replace(/\/+$/, ''),
    runUrl: `${serverUrl}/${repository}/actions/runs/${run.id}/attempts/${runAttempt}`,
  };
}
