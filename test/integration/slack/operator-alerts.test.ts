import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createSlackClient } from '../../../src/slack/slack-client.ts';
import { OperatorAlerter } from '../../../src/slack/operator-alerts.ts';
import { SlackServer } from '../../support/slack-server.ts';

let slack: SlackServer;

beforeEach(async () => {
  slack = await new SlackServer().start();
});

afterEach(async () => {
  await slack.stop();
});

describe('OperatorAlerter', () => {
  it('alerts at most once per condition per hour, and again at once after the condition cleared', async () => {
    let now = Date.parse('2026-12-04T20:00:00Z');
    const alerter = new OperatorAlerter({ client: createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl }), channel: '#alerts', instance: 'operator-0', now: () => now });
    expect(await alerter.alert('DatabaseUnreachable', 'PostgreSQL at db:5432 has not answered for 61 s.')).toBe(true);
    now += 30 * 60_000;
    expect(await alerter.alert('DatabaseUnreachable', 'still down')).toBe(false);
    expect(await alerter.alert('GitHubCredentialsRefused', 'GitHub answered 401 Bad credentials.')).toBe(true);
    now += 31 * 60_000;
    expect(await alerter.alert('DatabaseUnreachable', 'still down after an hour')).toBe(true);
    alerter.resolve('GitHubCredentialsRefused');
    expect(await alerter.alert('GitHubCredentialsRefused', 'refused again')).toBe(true);
    expect(slack.parents('#alerts').map((message) => message.text)).toEqual([
      ':rotating_light: DatabaseUnreachable: PostgreSQL at db:5432 has not answered for 61 s.',
      ':rotating_light: GitHubCredentialsRefused: GitHub answered 401 Bad credentials.',
      ':rotating_light: DatabaseUnreachable: still down after an hour',
      ':rotating_light: GitHubCredentialsRefused: refused again',
    ]);
  });

  it('tries again on the next occurrence when a post failed', async () => {
    const errors: string[] = [];
    const alerter = new OperatorAlerter({
      client: createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
      channel: '#alerts',
      instance: 'operator-0',
      onError: (condition) => errors.push(condition),
    });
    slack.inject('chat.postMessage', { error: 'not_in_channel' });
    expect(await alerter.alert('SlackCredentialsRefused', 'x')).toBe(false);
    expect(await alerter.alert('SlackCredentialsRefused', 'y')).toBe(true);
    expect(errors).toEqual(['SlackCredentialsRefused']);
  });
});
