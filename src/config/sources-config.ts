import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RepositoryName, RepositoryPattern } from '../api/common.ts';
import { parseDuration } from '../duration.ts';
import { InputError } from '../errors.ts';

/**
 * The settings of the operator's GitHub sources (the webhook receiver and the poller,
 * docs/sources.md), kept apart from operator-config.ts, which only spreads them into its tables: the flags,
 * where each comes from, its schema, its help, and the one cross-check (reading the webhook secret).
 */

export class SourcesConfigError extends InputError {
  override readonly code = 'OPERATOR_CONFIG_INVALID';
}

export const SOURCE_SETTINGS = {
  githubWebhookSecretFile: { flag: '--github-webhook-secret-file', env: undefined },
  sourceRepositories: { flag: '--source-repositories', env: 'CI_REMEDIATOR_SOURCE_REPOSITORIES' },
  poll: { flag: '--poll', env: 'CI_REMEDIATOR_POLL' },
  pollIntervalMs: { flag: '--poll-interval', env: undefined },
  pollBackfillMs: { flag: '--poll-backfill', env: undefined },
  pollRepositories: { flag: '--poll-repositories', env: 'CI_REMEDIATOR_POLL_REPOSITORIES' },
} as const;

export const SOURCE_ARGS = {
  'github-webhook-secret-file': { type: 'string' },
  'source-repositories': { type: 'string' },
  poll: { type: 'boolean' },
  'poll-interval': { type: 'string' },
  'poll-backfill': { type: 'string' },
  'poll-repositories': { type: 'string' },
} as const;

const Duration = (min: number, max: number, words: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text.trim());
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be a duration ${words}` });
      return z.NEVER;
    }
    return Math.round(ms);
  });

const List = (item: typeof RepositoryName | typeof RepositoryPattern) =>
  z
    .string()
    .transform((text) => [...new Set(text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))])
    .pipe(z.array(item));

export const SourcesRawConfig = {
  githubWebhookSecretFile: z.string().trim().min(1).optional(),
  /** Globs; empty: every repository a RemediationPolicy governs. */
  sourceRepositories: List(RepositoryPattern).default([]),
  poll: z
    .string()
    .transform((text, ctx) => {
      const value = text.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(value)) return true;
      if (['false', '0', 'no'].includes(value)) return false;
      ctx.addIssue({ code: 'custom', message: "must be 'true' or 'false'" });
      return z.NEVER;
    })
    .default(false),
  pollIntervalMs: Duration(1_000, 24 * 3_600_000, "from '1s' to '24h', such as '5m'").default(5 * 60_000),
  pollBackfillMs: Duration(0, 7 * 24 * 3_600_000, "from '0s' to '168h', such as '1h'").default(3_600_000),
  /** Repositories (owner/name) the poller may expand the policies' globs to, besides an App's installation. */
  pollRepositories: List(RepositoryName).default([]),
};

export const SOURCES_HELP = `  --github-webhook-secret-file PATH file holding the secret of GitHub's webhook (X-Hub-Signature-256); or the
                                    secret itself in [CI_REMEDIATOR_GITHUB_WEBHOOK_SECRET]. Serves
                                    POST /api/v1/github/webhook (workflow_run, workflow_job); off without it
  --source-repositories GLOBS       [CI_REMEDIATOR_SOURCE_REPOSITORIES] allowlist for the webhook and the poller,
                                    comma-separated owner/name globs (default: all a policy governs)
  --poll, --no-poll                 [CI_REMEDIATOR_POLL] poll GitHub for failed runs (the leader; default false)
  --poll-interval D                 between polls of a repository, jittered (default 5m)
  --poll-backfill D                 how far back the first poll of a repository looks (default 1h)
  --poll-repositories LIST          [CI_REMEDIATOR_POLL_REPOSITORIES] owner/name list the policies' globs are
                                    matched against (besides the GitHub App installation's repositories)
`;

const WEBHOOK_SECRET_ENV = 'CI_REMEDIATOR_GITHUB_WEBHOOK_SECRET';

export interface SourcesConfig {
  /** The webhook's secret; the receiver is off without one. */
  githubWebhookSecret?: string;
}

/** Reads the webhook secret (the file wins over the environment) and checks the poller has credentials. */
export function finishSourcesConfig(
  data: { githubWebhookSecretFile?: string | undefined; poll: boolean },
  env: NodeJS.ProcessEnv,
  hasGitHubAuth: boolean,
): SourcesConfig {
  let secret: string | undefined;
  let where = WEBHOOK_SECRET_ENV;
  if (data.githubWebhookSecretFile !== undefined) {
    where = `--github-webhook-secret-file '${data.githubWebhookSecretFile}'`;
    try {
      secret = readFileSync(data.githubWebhookSecretFile, 'utf8').trim();
    } catch (error) {
      throw new SourcesConfigError(`Invalid ${where}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, { cause: error });
    }
  } else {
    secret = env[WEBHOOK_SECRET_ENV]?.trim() || undefined;
  }
  if (secret !== undefined && secret.length === 0) throw new SourcesConfigError(`Invalid ${where}: the secret is empty.`);
  if ((secret !== undefined || data.poll) && !hasGitHubAuth) {
    throw new SourcesConfigError(
      `Invalid ${secret !== undefined ? where : '--poll'}: the webhook receiver and the poller read runs and logs from GitHub; give a token (--github-token-file or GITHUB_TOKEN) or a GitHub App (--github-app-*).`,
    );
  }
  return secret === undefined ? {} : { githubWebhookSecret: secret };
}
