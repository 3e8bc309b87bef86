import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { OperatorConfigError, parseOperatorConfig } from '../../../src/config/operator-config.ts';

// The Slack settings: tokens from files or the environment, HTTP or Socket Mode, and a message naming the
// key for anything wrong.

const host = { hostname: 'node-1', pid: 42 };
const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseOperatorConfig(args, env, host).config!;
const dir = mkdtempSync(join(tmpdir(), 'operator-config-slack-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const BOT = 'xoxb-1111-2222-abcdefABCDEF';
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const APP = 'xapp-1-A0TEST-3333-abcdef';

describe('Slack settings', () => {
  it('leaves Slack off without a bot token', () => {
    expect(parse([]).slack).toBeUndefined();
  });

  it('uses HTTP with a signing secret, against slack.com by default', () => {
    expect(parse([], { SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SECRET }).slack).toEqual({ botToken: BOT, signingSecret: SECRET, mode: 'http', apiUrl: 'https://slack.com/api/' });
  });

  it('reads files (which win over the environment), the API URL and the default channel', () => {
    const config = parse(
      ['--slack-bot-token-file', file('bot', `${BOT}\n`), '--slack-app-token-file', file('app', APP), '--slack-api-url', 'http://127.0.0.1:9999/api', '--slack-default-channel', '#ci'],
      { SLACK_BOT_TOKEN: 'xoxb-env' },
    );
    expect(config.slack).toEqual({ botToken: BOT, appToken: APP, mode: 'socket', apiUrl: 'http://127.0.0.1:9999/api/', defaultChannel: '#ci' });
    expect(parse([], { SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_API_URL: 'https://proxy.example/slack/', SLACK_DEFAULT_CHANNEL: 'C0123456789' }).slack).toMatchObject({
      apiUrl: 'https://proxy.example/slack/',
      defaultChannel: 'C0123456789',
    });
  });

  it('names the key of a bad value', () => {
    const env = { SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SECRET };
    expect(() => parse([], { SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: SECRET })).toThrow(new OperatorConfigError(
      `Invalid SLACK_BOT_TOKEN: a Slack bot token starts with 'xoxb-' and has no spaces (the app's "Bot User OAuth Token").`,
    ));
    expect(() => parse(['--slack-app-token-file', file('bad-app', 'xoxb-wrong')], env)).toThrow(/^Invalid --slack-app-token-file '.*bad-app': a Slack app-level token starts with 'xapp-'/);
    expect(() => parse([], { ...env, SLACK_SIGNING_SECRET: 'short' })).toThrow(/^Invalid SLACK_SIGNING_SECRET: a Slack signing secret is 16 to 128 letters and digits/);
    expect(() => parse([], { SLACK_BOT_TOKEN: BOT })).toThrow(/^Invalid SLACK_BOT_TOKEN: Slack approvals need --slack-signing-secret-file/);
    expect(() => parse([], { SLACK_SIGNING_SECRET: SECRET })).toThrow('Invalid SLACK_SIGNING_SECRET: Slack also needs a bot token (--slack-bot-token-file or SLACK_BOT_TOKEN).');
    expect(() => parse(['--slack-api-url', 'slack.com/api'], env)).toThrow("Invalid --slack-api-url 'slack.com/api': must be an http(s) URL such as 'https://slack.com/api/'.");
    expect(() => parse(['--slack-default-channel', 'general'], env)).toThrow(/^Invalid --slack-default-channel 'general': must be a Slack channel id/);
    expect(() => parse([], { ...env, SLACK_DEFAULT_CHANNEL: '#General' })).toThrow(/^Invalid SLACK_DEFAULT_CHANNEL '#General'/);
    expect(() => parse(['--slack-bot-token-file', join(dir, 'missing')])).toThrow(/^Invalid --slack-bot-token-file '.*missing': cannot read it \(ENOENT\)/);
  });
});
