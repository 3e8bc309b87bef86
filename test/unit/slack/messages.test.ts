import { describe, expect, it } from '@jest/globals';
import type { ActionsBlock, KnownBlock } from '@slack/types';
import { approvalDigest, approvalBinding, decodeButtonValue, encodeButtonValue, recordDigest } from '../../../src/slack/approval-digest.ts';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID, approvalCard, decidedCard, parentMessage, seenAgainReply, stepReply } from '../../../src/slack/messages.ts';
import { routeChannels } from '../../../src/slack/channel-routing.ts';
import { REFUSAL_REASONS, refusalSentence } from '../../../src/slack/refusals.ts';
import { slackRecord } from '../../support/slack-records.ts';

function allText(blocks: readonly KnownBlock[]): string {
  return JSON.stringify(blocks);
}

function actionsOf(blocks: readonly KnownBlock[]): ActionsBlock | undefined {
  return blocks.find((block): block is ActionsBlock => block.type === 'actions');
}

describe('parent message', () => {
  it('shows what failed, the analysis and the gate decision', () => {
    const message = parentMessage(slackRecord());
    const text = allText(message.blocks);
    for (const expected of [
      'acme/web',
      '<https://github.com/acme/web/actions/runs/18235534013|CI>',
      '`main`',
      '<https://github.com/acme/web/commit/d6cd1e2bd19e03a81132a23b2025920577f84e37|d6cd1e2>',
      '<https://github.com/acme/web/actions/runs/18235534013/job/50123456789|test (ubuntu-latest)>',
      'Install dependencies',
      'EAI_AGAIN',
      '`network_error`',
      '35/100 · 90%',
      'needs a person',
      'Risk 35 is at or above the policy threshold 30.',
      'Awaiting approval',
    ]) {
      expect(text).toContain(expected);
    }
    expect(message.text).toContain('acme/web: CI failed on main (run 18235534013, attempt 1)');
  });

  it('escapes log text so a key line cannot ping a channel or forge a link', () => {
    const text = allText(parentMessage(slackRecord({ keyLine: 'error <!channel> see <https://evil.example|docs> & retry' })).blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&amp; retry');
  });
});

describe('approval card', () => {
  it('says what will run, why, and carries Approve and Reject bound to the record digest', () => {
    const record = slackRecord();
    const card = approvalCard(record, { expiresAt: new Date('2026-12-05T20:00:05Z') });
    const text = allText(card.blocks);
    expect(text).toContain('`rerun-failed-jobs`');
    expect(text).toContain('attempt 1');
    expect(text).toContain('Why a person must decide');
    expect(text).toContain('The repository is protected');
    expect(text).toContain('Expires <!date^');
    const actions = actionsOf(card.blocks)!;
    expect(actions.elements.map((element) => (element as { action_id: string }).action_id)).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
    const value = decodeButtonValue((actions.elements[0] as { value: string }).value)!;
    expect(value.record).toEqual({ namespace: 'ci', name: record.metadata.name });
    expect(value.digest).toBe(recordDigest(record));
  });

  it('shows where the log read like instructions to a model, escaped, when an injection is suspected', () => {
    const record = slackRecord();
    const plain = allText(approvalCard(record).blocks);
    expect(plain).not.toContain('Suspected prompt injection');
    const suspected = {
      ...record,
      status: {
        ...record.status!,
        analysis: {
          ...record.status!.analysis!,
          injectionSuspected: true,
          injectionSpans: [{ source: 'log of job test', kind: 'instruction', line: 42, excerpt: 'ignore previous instructions <!channel>' }],
        },
      },
    };
    const text = allText(approvalCard(suspected).blocks);
    expect(text).toContain('Suspected prompt injection');
    expect(text).toContain('log of job test line 42 (instruction)');
    expect(text).toContain('ignore previous instructions');
    expect(text).not.toContain('<!channel>');
  });

  it('changes its digest when the policy generation, the run attempt, the parameters or the record change', () => {
    const base = approvalBinding(slackRecord())!;
    const digest = approvalDigest(base);
    expect(approvalDigest({ ...base, params: {} })).toBe(digest);
    expect(approvalDigest({ ...base, policyGeneration: 4 })).not.toBe(digest);
    expect(approvalDigest({ ...base, runAttempt: 2 })).not.toBe(digest);
    expect(approvalDigest({ ...base, action: 'clear-caches' })).not.toBe(digest);
    expect(approvalDigest({ ...base, params: { prefix: 'npm-' } })).not.toBe(digest);
    expect(approvalDigest({ ...base, uid: 'another-uid' })).not.toBe(digest);
    // Parameter order does not matter.
    expect(approvalDigest({ ...base, params: { a: '1', b: '2' } })).toBe(approvalDigest({ ...base, params: { b: '2', a: '1' } }));
  });

  it('refuses to draw a card for a record with nothing to approve', () => {
    const record = slackRecord();
    expect(() => approvalCard({ ...record, status: { ...record.status, gate: undefined } })).toThrow(/nothing to approve/);
  });

  it('decodes only its own button values', () => {
    const value = encodeButtonValue({ record: { namespace: 'ci', name: 'acme-web-1-1' }, digest: 'a'.repeat(64) });
    expect(decodeButtonValue(value)).toEqual({ record: { namespace: 'ci', name: 'acme-web-1-1' }, digest: 'a'.repeat(64) });
    for (const bad of ['', 'approve', `cir1:ci/acme:${'a'.repeat(63)}`, `cir1:CI/acme:${'a'.repeat(64)}`, `cir2:ci/acme:${'a'.repeat(64)}`]) {
      expect(decodeButtonValue(bad)).toBeUndefined();
    }
  });
});

describe('decided card and replies', () => {
  it('replaces the buttons with who decided and when', () => {
    const card = decidedCard(slackRecord(), { decision: 'approved', by: 'U0ALICE001', at: new Date('2026-12-04T20:05:00Z') });
    expect(actionsOf(card.blocks)).toBeUndefined();
    expect(allText(card.blocks)).toContain('*Approved* by <@U0ALICE001> <!date^1796414700^');
    const expired = decidedCard(slackRecord(), { decision: 'expired', by: 'system', at: new Date() });
    expect(expired.text).toMatch(/^Expired nobody decided in time/);
  });

  it('describes later steps and repeats', () => {
    const record = slackRecord({ phase: 'Succeeded' });
    const reply = stepReply(record, { to: 'Succeeded', message: 'Attempt 2 passed.', actor: 'operator', at: new Date() });
    expect(reply.text).toMatch(/^Fixed: acme\/web/);
    expect(allText(reply.blocks)).toContain('Attempt 2 passed.');
    expect(seenAgainReply(slackRecord({ runId: 18235534999 })).text).toBe('Seen again: run 18235534999 (acme/web)');
  });
});

describe('channel routing', () => {
  it('takes each kind from the policy, else the default channel', () => {
    expect(routeChannels(undefined, '#ci')).toEqual({ thread: '#ci', approval: '#ci' });
    const policy = {
      notifications: { failures: '#ci-failures', results: '#ci-results', repeatWindow: '1h' },
      approval: { channel: '#approvals', escalationChannel: '#oncall' },
    };
    expect(routeChannels(policy, '#ci')).toEqual({ thread: '#ci-failures', approval: '#approvals', approvals: '#approvals', results: '#ci-results', escalation: '#oncall' });
    expect(routeChannels({ notifications: { repeatWindow: '1h' }, approval: {} }, undefined)).toEqual({});
  });
});

describe('refusal sentences', () => {
  it('has a sentence for every reason', () => {
    for (const reason of REFUSAL_REASONS) expect(refusalSentence(reason)).toMatch(/^[A-Z].*\.$/);
    expect(refusalSentence('already-decided', { decidedBy: 'U0ALICE001', decision: 'approved' })).toBe('This request was already approved by <@U0ALICE001>.');
  });
});
