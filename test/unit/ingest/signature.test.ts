import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  ReplayCache,
  ReplayCacheFullError,
  ReplayedRequestError,
  SIGNATURE_HEADER,
  SignatureError,
  TIMESTAMP_HEADER,
  checkTimestamp,
  signBody,
  signedHeaders,
  verifySignature,
  type SignatureFailure,
} from '../../../src/ingest/signature.ts';

const SECRET = 'a-shared-secret-of-some-length';
const BODY = '{"spec":{"repository":"acme/web"}}';
const NOW = new Date('2025-06-01T12:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);

function failure(call: () => unknown): SignatureFailure {
  try {
    call();
  } catch (error) {
    if (error instanceof SignatureError) return error.reason;
    throw error;
  }
  throw new Error('the signature was accepted');
}

describe('signBody', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>", hex, with a sha256= prefix', () => {
    const expected = createHmac('sha256', SECRET).update(`${TS}.${BODY}`).digest('hex');
    expect(signBody(BODY, SECRET, TS)).toBe(`sha256=${expected}`);
    expect(signBody(Buffer.from(BODY), Buffer.from(SECRET), TS)).toBe(`sha256=${expected}`);
  });

  it('gives both headers for a request sent now', () => {
    const headers = signedHeaders(BODY, SECRET, NOW);
    expect(headers[TIMESTAMP_HEADER]).toBe(String(TS));
    expect(headers[SIGNATURE_HEADER]).toBe(signBody(BODY, SECRET, TS));
  });
});

describe('verifySignature', () => {
  const good = { body: BODY, secret: SECRET, timestamp: String(TS), signature: signBody(BODY, SECRET, TS), now: NOW };

  it('accepts a request signed with the secret within the window, and returns its timestamp', () => {
    expect(verifySignature(good)).toBe(TS);
    expect(verifySignature({ ...good, body: Buffer.from(BODY) })).toBe(TS);
    // Upper-case hex is the same signature.
    expect(verifySignature({ ...good, signature: `sha256=${good.signature.slice(7).toUpperCase()}` })).toBe(TS);
    const edge = TS - 300;
    expect(verifySignature({ ...good, timestamp: String(edge), signature: signBody(BODY, SECRET, edge) })).toBe(edge);
  });

  it('refuses a wrong secret, a changed body, or a re-dated signature', () => {
    expect(failure(() => verifySignature({ ...good, secret: 'another secret' }))).toBe('signature-mismatch');
    expect(failure(() => verifySignature({ ...good, body: BODY.replace('web', 'api') }))).toBe('signature-mismatch');
    expect(failure(() => verifySignature({ ...good, timestamp: String(TS - 1) }))).toBe('signature-mismatch');
  });

  it('refuses timestamps more than 5 minutes away, in both directions, naming the skew', () => {
    for (const offset of [-301, 301, -86_400]) {
      const timestamp = TS + offset;
      const call = () => verifySignature({ ...good, timestamp: String(timestamp), signature: signBody(BODY, SECRET, timestamp) });
      expect(failure(call)).toBe('timestamp-outside-window');
      expect(call).toThrow(offset < 0 ? /signed \d+ s old/ : /in the future/);
    }
  });

  it('names a missing or malformed header', () => {
    expect(failure(() => verifySignature({ ...good, timestamp: undefined }))).toBe('missing-timestamp');
    expect(failure(() => verifySignature({ ...good, timestamp: ' ' }))).toBe('missing-timestamp');
    expect(failure(() => verifySignature({ ...good, timestamp: '2025-06-01T12:00:00Z' }))).toBe('invalid-timestamp');
    expect(failure(() => verifySignature({ ...good, timestamp: '-5' }))).toBe('invalid-timestamp');
    expect(failure(() => verifySignature({ ...good, signature: undefined }))).toBe('missing-signature');
    expect(failure(() => verifySignature({ ...good, signature: good.signature.slice('sha256='.length) }))).toBe('invalid-signature-format');
    expect(failure(() => verifySignature({ ...good, signature: `${good.signature}00` }))).toBe('invalid-signature-format');
    expect(failure(() => verifySignature({ ...good, signature: 'sha1=abc' }))).toBe('invalid-signature-format');
    expect(() => verifySignature({ ...good, signature: undefined })).toThrow(SIGNATURE_HEADER);
    expect(() => verifySignature({ ...good, timestamp: undefined })).toThrow(TIMESTAMP_HEADER);
  });

  it('checks the timestamp alone before a body is read', () => {
    expect(checkTimestamp(String(TS + 10), NOW)).toBe(TS + 10);
    expect(failure(() => checkTimestamp(String(TS - 3600), NOW))).toBe('timestamp-outside-window');
  });
});

describe('ReplayCache', () => {
  it('refuses a signature seen before, until its timestamp leaves the window', () => {
    const cache = new ReplayCache();
    const signature = signBody(BODY, SECRET, TS);
    cache.remember(signature, TS, NOW);
    expect(() => cache.remember(signature, TS, new Date(NOW.getTime() + 60_000))).toThrow(ReplayedRequestError);
    expect(() => cache.remember(`sha256=${signature.slice(7).toUpperCase()}`, TS, NOW)).toThrow(ReplayedRequestError);
    // Another signature (same body, re-signed a second later) is a new delivery.
    cache.remember(signBody(BODY, SECRET, TS + 1), TS + 1, NOW);
    // Past the window the timestamp check refuses the request; the entry is no longer needed.
    cache.remember(signature, TS, new Date(NOW.getTime() + 302_000));
  });

  it('forgets a signature whose request had no effect', () => {
    const cache = new ReplayCache();
    const signature = signBody(BODY, SECRET, TS);
    cache.remember(signature, TS, NOW);
    cache.forget(signature);
    expect(() => cache.remember(signature, TS, NOW)).not.toThrow();
  });

  it('stays bounded: expired entries go, and a cache full of live ones refuses instead of forgetting', () => {
    const cache = new ReplayCache({ maxEntries: 3 });
    for (let i = 0; i < 3; i++) cache.remember(`sha256=${i}`, TS, NOW);
    expect(() => cache.remember('sha256=new', TS, NOW)).toThrow(ReplayCacheFullError);
    expect(cache.size).toBe(3);
    // Six minutes later all three have expired and make room.
    const later = new Date(NOW.getTime() + 360_000);
    cache.remember('sha256=new', TS + 360, later);
    expect(cache.size).toBe(1);
    // Entries remembered out of timestamp order still expire when the cache is full.
    const mixed = new ReplayCache({ maxEntries: 2 });
    mixed.remember('sha256=late', TS + 200, NOW);
    mixed.remember('sha256=early', TS - 290, NOW);
    mixed.remember('sha256=third', TS + 30, new Date(NOW.getTime() + 20_000));
    expect(mixed.size).toBe(2);
  });
});
