import { describe, expect, it } from '@jest/globals';
import {
  SlackRequestVerifier,
  SlackSignatureError,
  slackSignature,
  slackSignedHeaders,
  verifySlackSignature,
  type SlackSignatureFailure,
} from '../../../src/slack/request-verification.ts';

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack): this
// secret, timestamp and slash-command body give exactly this signature.
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const DOC_NOW = new Date(Number(DOC_TIMESTAMP) * 1000 + 30_000);

function failure(call: () => unknown): SlackSignatureFailure {
  try {
    call();
  } catch (error) {
    if (error instanceof SlackSignatureError) return error.reason;
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('Slack request signatures', () => {
  it("reproduces Slack's documented example", () => {
    expect(slackSignature(DOC_BODY, DOC_SECRET, Number(DOC_TIMESTAMP))).toBe(DOC_SIGNATURE);
    expect(verifySlackSignature({ body: DOC_BODY, signingSecret: DOC_SECRET, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, now: DOC_NOW })).toBe(1531420618);
    expect(verifySlackSignature({ body: Buffer.from(DOC_BODY), signingSecret: DOC_SECRET, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE.toUpperCase().replace('V0=', 'v0='), now: DOC_NOW })).toBe(1531420618);
  });

  it('refuses a changed body, a wrong secret, and a re-dated request', () => {
    const base = { body: DOC_BODY, signingSecret: DOC_SECRET, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, now: DOC_NOW };
    expect(failure(() => verifySlackSignature({ ...base, body: DOC_BODY.replace('roadrunner', 'coyote') }))).toBe('signature-mismatch');
    expect(failure(() => verifySlackSignature({ ...base, signingSecret: 'another-secret' }))).toBe('signature-mismatch');
    expect(failure(() => verifySlackSignature({ ...base, timestamp: '1531420619' }))).toBe('signature-mismatch');
  });

  it('accepts 5 minutes either way and nothing beyond', () => {
    const ts = Number(DOC_TIMESTAMP) * 1000;
    const base = { body: DOC_BODY, signingSecret: DOC_SECRET, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE };
    expect(verifySlackSignature({ ...base, now: new Date(ts + 300_000) })).toBe(1531420618);
    expect(verifySlackSignature({ ...base, now: new Date(ts - 300_000) })).toBe(1531420618);
    expect(failure(() => verifySlackSignature({ ...base, now: new Date(ts + 301_000) }))).toBe('timestamp-outside-window');
    expect(failure(() => verifySlackSignature({ ...base, now: new Date(ts - 301_000) }))).toBe('timestamp-outside-window');
  });

  it('names a missing or malformed header', () => {
    const base = { body: DOC_BODY, signingSecret: DOC_SECRET, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, now: DOC_NOW };
    expect(failure(() => verifySlackSignature({ ...base, timestamp: undefined }))).toBe('missing-timestamp');
    expect(failure(() => verifySlackSignature({ ...base, timestamp: 'yesterday' }))).toBe('invalid-timestamp');
    expect(failure(() => verifySlackSignature({ ...base, signature: undefined }))).toBe('missing-signature');
    expect(failure(() => verifySlackSignature({ ...base, signature: 'sha256=abc' }))).toBe('invalid-signature-format');
    expect(failure(() => verifySlackSignature({ ...base, signature: 'v1=' + DOC_SIGNATURE.slice(3) }))).toBe('invalid-signature-format');
    try {
      verifySlackSignature({ ...base, timestamp: undefined });
    } catch (error) {
      expect((error as Error).message).toContain('x-slack-request-timestamp');
    }
  });

  it('refuses the same signed request a second time, and accepts a re-signed one', () => {
    const verifier = new SlackRequestVerifier(DOC_SECRET);
    const now = new Date('2026-12-04T20:00:00Z');
    const headers = slackSignedHeaders('payload=%7B%7D', DOC_SECRET, now);
    const request = { body: 'payload=%7B%7D', timestamp: headers['x-slack-request-timestamp'], signature: headers['x-slack-signature'] };
    verifier.verify(request, now);
    expect(failure(() => verifier.verify(request, new Date(now.getTime() + 1000)))).toBe('replayed');
    const later = new Date(now.getTime() + 2000);
    const again = slackSignedHeaders('payload=%7B%7D', DOC_SECRET, later);
    verifier.verify({ body: 'payload=%7B%7D', timestamp: again['x-slack-request-timestamp'], signature: again['x-slack-signature'] }, later);
  });

  it('does not remember requests that fail verification', () => {
    const verifier = new SlackRequestVerifier(DOC_SECRET);
    const forged = { body: DOC_BODY, timestamp: DOC_TIMESTAMP, signature: 'v0=' + '0'.repeat(64) };
    expect(failure(() => verifier.verify(forged, DOC_NOW))).toBe('signature-mismatch');
    expect(failure(() => verifier.verify(forged, DOC_NOW))).toBe('signature-mismatch');
    verifier.verify({ body: DOC_BODY, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE }, DOC_NOW);
  });
});
