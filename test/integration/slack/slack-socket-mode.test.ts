import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { App } from '@slack/bolt';
import { createLogger } from '../../../operator/runtime/logger.ts';
import { createSlackApp } from '../../../operator/slack/slack-app.ts';
import { DedupingSocketModeReceiver } from '../../../operator/slack/socket-mode-receiver.ts';
import { PolicyApproval } from '../../../src/api/remediation-policy.ts';
import { recordDigest, type RecordWithUid } from '../../../src/slack/approval-digest.ts';
import type { ClickAudit, InteractionOutcome } from '../../../src/slack/interaction-handler.ts';
import { approvalCard } from '../../../src/slack/messages.ts';
import { createSlackClient } from '../../../src/slack/slack-client.ts';
import { eventually } from '../../support/eventually.ts';
import { SlackServer, blockActionsPayload } from '../../support/slack-server.ts';
import { slackRecord } from '../../support/slack-records.ts';

// Socket Mode: the operator opens the WebSocket (apps.connections.open with the app-level token) and the
// same App and click handler as over HTTP decide; a redelivered envelope is acknowledged and decided once.

const ALICE = 'U0ALICE001';
const silent = createLogger('silent', new Writable({ write: (_chunk, _encoding, callback) => callback() }));

let slack: SlackServer;
let receiver: DedupingSocketModeReceiver | undefined;
let app: App | undefined;

beforeEach(async () => {
  slack = await new SlackServer({ users: [{ id: ALICE, name: 'alice', profile: { email: 'alice@acme.example' } }] }).start();
});

afterEach(async () => {
  await app?.stop().catch(() => undefined);
  await slack.stop();
});

describe('Socket Mode', () => {
  it('receives a click over the WebSocket, acknowledges it, and processes a redelivery once', async () => {
    let record: RecordWithUid = slackRecord();
    const decisions: string[] = [];
    const audits: ClickAudit[] = [];
    const outcomes: InteractionOutcome[] = [];
    receiver = new DedupingSocketModeReceiver({ appToken: slack.appToken, slackApiUrl: slack.apiUrl, log: silent, autoReconnect: false });
    const client = createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl });
    app = await createSlackApp({
      receiver,
      botToken: slack.token,
      slackApiUrl: slack.apiUrl,
      client,
      log: silent,
      decisions: {
        getRecord: async () => record,
        approvalPolicy: async () => ({ name: 'web', approval: PolicyApproval.parse({ approvers: { users: [ALICE] } }) }),
        decide: async (_ref, decision, actor, context) => {
          if (record.status?.phase !== 'AwaitingApproval' || recordDigest(record) !== context.expectedDigest) return { outcome: 'already-decided' };
          decisions.push(`${decision} by ${actor.userId}`);
          record = { ...record, status: { ...record.status, phase: 'Approved', approval: { decidedBy: actor.userId, decision, decidedAt: context.at.toISOString() } } };
          return { outcome: 'decided', record };
        },
        audit: async (entry) => {
          audits.push(entry);
        },
      },
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    await app.start();
    await eventually(() => expect(slack.connections).toBe(1), { timeoutMs: 5000 });
    expect(slack.callCount('apps.connections.open')).toBe(1);

    const card = approvalCard(record);
    const posted = await client.chat.postMessage({ channel: '#ci', ...card });
    const value = JSON.stringify(card.blocks).match(/"value":"(cir1:[^"]+)"/)![1]!;
    const payload = blockActionsPayload({ userId: ALICE, channel: posted.channel!, messageTs: posted.ts!, actionId: 'ci_remediator_approve', value });
    const envelope = slack.deliver(payload);
    slack.deliver(payload, { envelopeId: envelope });

    await eventually(() => expect(slack.acks).toEqual([envelope, envelope]), { timeoutMs: 5000 });
    await eventually(() => expect(slack.message(posted.channel!, posted.ts!)!.text).toMatch(/^Approved by <@U0ALICE001>/), { timeoutMs: 5000 });
    expect(decisions).toEqual([`approved by ${ALICE}`]);
    expect(outcomes).toHaveLength(1);
    expect(audits).toHaveLength(1);
    expect(receiver.duplicates).toBe(1);
  });

  it('fails to start with a bot token where the app-level token belongs', async () => {
    receiver = new DedupingSocketModeReceiver({ appToken: slack.token, slackApiUrl: slack.apiUrl, log: silent, autoReconnect: false });
    app = await createSlackApp({
      receiver,
      botToken: slack.token,
      slackApiUrl: slack.apiUrl,
      client: createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl }),
      log: silent,
      decisions: {
        getRecord: async () => undefined,
        approvalPolicy: async () => undefined,
        decide: async () => ({ outcome: 'record-gone' }),
        audit: async () => undefined,
      },
    });
    await expect(app.start()).rejects.toThrow(/not_allowed_token_type/);
    app = undefined;
  });
});
