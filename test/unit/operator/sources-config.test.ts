import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { OPERATOR_HELP, parseOperatorConfig } from '../../../src/config/operator-config.ts';

// The webhook receiver's and the poller's settings, parsed with the operator's (docs/sources.md).

const dir = mkdtempSync(join(tmpdir(), 'sources-config-'));
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, "It's a Secret to Everybody\n");
const token = { GITHUB_TOKEN: 'ghp_0123456789abcdef' };
const parse = (args: string[], env: NodeJS.ProcessEnv = token) => parseOperatorConfig(args, env, { hostname: 'h', pid: 1 }).config!;

describe('the GitHub sources settings', () => {
  it('reads the webhook secret from its file, and the poller settings', () => {
    const config = parse([
      '--github-webhook-secret-file', secretFile,
      '--poll', '--poll-interval', '2m', '--poll-backfill', '30m',
      '--poll-repositories', 'acme/web, acme/api',
      '--source-repositories', 'acme/*',
    ]);
    expect(config).toMatchObject({
      githubWebhookSecret: "It's a Secret to Everybody",
      poll: true,
      pollIntervalMs: 120_000,
      pollBackfillMs: 1_800_000,
      pollRepositories: ['acme/web', 'acme/api'],
      sourceRepositories: ['acme/*'],
    });
    expect(parse([], { ...token, CI_REMEDIATOR_GITHUB_WEBHOOK_SECRET: 's3cret', CI_REMEDIATOR_POLL: 'true' })).toMatchObject({ githubWebhookSecret: 's3cret', poll: true });
  });

  it.each([
    [['--poll-interval', 'often'], token, "Invalid --poll-interval 'often': must be a duration from '1s' to '24h', such as '5m'."],
    [['--poll-backfill', '30d'], token, "Invalid --poll-backfill '30d': must be a duration from '0s' to '168h', such as '1h'."],
    [['--poll-repositories', 'acme'], token, 'Invalid --poll-repositories'],
    [['--github-webhook-secret-file', join(dir, 'missing')], token, `Invalid --github-webhook-secret-file '${join(dir, 'missing')}': cannot read it (ENOENT).`],
    [['--poll'], {}, 'Invalid --poll: the webhook receiver and the poller read runs and logs from GitHub; give a token'],
    [[], { CI_REMEDIATOR_POLL: 'maybe' }, "Invalid CI_REMEDIATOR_POLL 'maybe': must be 'true' or 'false'."],
  ])('refuses %j %j naming the key', (args, env, message) => {
    expect(() => parse(args, env)).toThrow(message);
  });

  it('documents every flag in the help', () => {
    for (const flag of ['--github-webhook-secret-file', '--source-repositories', '--poll,', '--poll-interval', '--poll-backfill', '--poll-repositories']) {
      expect(OPERATOR_HELP).toContain(flag);
    }
  });
});
