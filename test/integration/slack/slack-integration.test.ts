import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { startHealthServer, type HealthServer } from '../../../operator/http/server.ts';
import { createLogger } from '../../../operator/runtime/logger.ts';
import { createSlackIntegration, type SlackIntegration, type SlackIntegrationOptions } from '../../../operator/slack/slack-integration.ts';
import type { FailureRecord } from '../../../src/api/failure-record.ts';
import { PolicyApproval } from '../../../src/api/remediation-policy.ts';
import { parseOperatorConfig } from '../../../src/config/operator-config.ts';
import type { RecordWithUid } from '../../../src/slack/approval-digest.ts';
import type { SlackThreadRef } from '../../../src/slack/slack-notifier.ts';
import { eventually } from '../../support/eventually.ts';
import { SlackServer, blockActionsPayload, signedInteraction } from '../../support/slack-server.ts';
import { slackRecord } from '../../support/slack-records.ts';

// The one entry point main.ts will use: configuration in, a notifier and the /slack/events route (or a Socket
// Mode connection) out, wired to the operator's callbacks. Against the local Slack server.

const SECRET = 'integrationsigningsecret0123456789';
const ALICE = 'U0ALICE001';
const silent = createLogger('silent', new Writable({ write: (_chunk, _encoding, callback) => callback() }));

let slack: SlackServer;
let integration: SlackIntegration | undefined;
let http: HealthServer | undefined;

beforeEach(async () => {
  slack = await new SlackServer({ users: [{ id: ALICE, name: 'alice', profile: { email: 'alice@acme.example' } }] }).start();
});

afterEach(async () => {
  await integration?.stop();
  await http?.close();
  integration = undefined;
  http = undefined;
  await slack.stop();
});

function options(env: NodeJS.ProcessEnv, store: { record: RecordWithUid; threads: SlackThreadRef[] }): SlackIntegrationOptions {
  const config = parseOperatorConfig([], { SLACK_API_URL: slack.apiUrl, SLACK_DEFAULT_CHANNEL: '#ci', ...env }).config!.slack!;
  return {
    config,
    log: silent,
    registry: new Registry(),
    instance: 'operator-0',
    channelSpacingMs: 0,
    retries: 0,
    channelsFor: () => undefined,
    saveThread: async (_record: FailureRecord, thread: SlackThreadRef) => {
      store.threads.push(thread);
    },
    saveCard: async () => undefined,
    decisions: {
      getRecord: async () => store.record,
      approvalPolicy: async () => ({ name: 'web', approval: PolicyApproval.parse({ approvers: { users: [ALICE] } }) }),
      decide: async (_ref, decision, actor, context) => {
        store.record = { ...store.record, status: { ...store.record.status, phase: 'Approved', approval: { decision, decidedBy: actor.userId, decidedAt: context.at.toISOString() } } };
        return { outcome: 'decided', record: store.record };
      },
      audit: async () => undefined,
    },
  };
}

describe('createSlackIntegration', () => {
  it('HTTP mode: the route answers 503 until started, then a click on the notifier’s card decides', async () => {
    const store = { record: slackRecord(), threads: [] as SlackThreadRef[] };
    integration = await createSlackIntegration(options({ SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: SECRET }, store));
    http = await startHealthServer({ address: '127.0.0.1', port: 0, ready: () => true, registry: new Registry(), routes: integration.routes });
    const url = `http://127.0.0.1:${http.port}/slack/events`;
    expect((await fetch(url, { method: 'POST', body: 'payload=%7B%7D' })).status).toBe(503);
    await integration.start();
    expect(slack.callCount('auth.test')).toBe(1);

    await integration.notifier.notify({ record: store.record, from: 'Analyzed', to: 'AwaitingApproval', reason: 'AwaitingApproval', message: '', actor: 'operator', at: new Date() });
    await integration.notifier.idle();
    const thread = store.threads[0]!;
    const card = slack.replies('#ci', thread.ts)[0]!;
    const value = JSON.stringify(card.blocks).match(/"value":"(cir1:[^"]+)"/)![1]!;
    const request = signedInteraction(blockActionsPayload({ userId: ALICE, channel: card.channel, messageTs: card.ts, actionId: 'ci_remediator_approve', value }), SECRET);
    expect((await fetch(url, { method: 'POST', headers: request.headers, body: request.body })).status).toBe(200);
    await eventually(() => expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Approved by <@U0ALICE001>/), { timeoutMs: 5000 });
    expect(store.record.status?.phase).toBe('Approved');
  });

  it('Socket Mode: opens the connection at start and has no route', async () => {
    const store = { record: slackRecord(), threads: [] as SlackThreadRef[] };
    integration = await createSlackIntegration(options({ SLACK_BOT_TOKEN: slack.token, SLACK_APP_TOKEN: slack.appToken }, store));
    expect(integration.routes).toEqual({});
    await integration.start();
    await eventually(() => expect(slack.connections).toBe(1), { timeoutMs: 5000 });
  });

  it('fails to start when Slack refuses the bot token', async () => {
    const store = { record: slackRecord(), threads: [] as SlackThreadRef[] };
    integration = await createSlackIntegration(options({ SLACK_BOT_TOKEN: 'xoxb-revoked-token', SLACK_SIGNING_SECRET: SECRET }, store));
    await expect(integration.start()).rejects.toThrow(/invalid_auth/);
  });
});
