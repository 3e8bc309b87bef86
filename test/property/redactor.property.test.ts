import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { redactText } from '../../src/logs/redactor.ts';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');
const word = (alphabet: string[], min: number, max = min) => fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const alnum = (min: number, max = min) => word(ALNUM, min, max);
const upperDigits = (n: number) => word('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.split(''), n);
const digits = (min: number, max = min) => word('0123456789'.split(''), min, max);
const base64Chars = (n: number) => word([...ALNUM, '+', '/'], n);
/** Passwords: distinctive enough (12+ characters) that random surrounding text never contains one by chance. */
const password = word([...ALNUM, '!', '#', '*', '_', '-', '.', '~'], 12, 24).filter((p) => !/^[*xX.]+$/.test(p));
const base64url = (s: string) => Buffer.from(s).toString('base64url');

const keyLine = (n: number) => base64Chars(n);
const opensshBody = fc.array(keyLine(70), { minLength: 3, maxLength: 6 }).map((lines) => ['b3BlbnNzaC1rZXktdjE' + lines[0]!.slice(19), ...lines.slice(1)]);

interface Sample {
  /** The text placed into the log. */
  text: string;
  /** What must not survive redaction. */
  secret: string;
}

const githubToken = fc
  .tuple(fc.constantFrom('ghp', 'gho', 'ghu', 'ghs', 'ghr'), alnum(36))
  .map(([prefix, body]) => `${prefix}_${body}`);

const samples: fc.Arbitrary<Sample> = fc.oneof(
  githubToken.map((t) => ({ text: t, secret: t })),
  fc.tuple(alnum(22), alnum(59)).map(([a, b]) => `github_pat_${a}_${b}`).map((t) => ({ text: t, secret: t })),
  fc.tuple(fc.constantFrom('AKIA', 'ASIA'), upperDigits(16)).map(([p, b]) => ({ text: `${p}${b}`, secret: `${p}${b}` })),
  base64Chars(40).map((k) => ({ text: `AWS_SECRET_ACCESS_KEY=${k}`, secret: k })),
  fc.tuple(fc.constantFrom('xoxb', 'xoxp'), digits(10, 13), digits(10, 13), alnum(24)).map(([p, a, b, c]) => ({ text: `${p}-${a}-${b}-${c}`, secret: c })),
  fc.tuple(upperDigits(8), upperDigits(10), alnum(24)).map(([t, b, s]) => ({ text: `https://hooks.slack.com/services/T${t}/B${b}/${s}`, secret: s })),
  fc.tuple(alnum(40, 120), alnum(10, 40)).map(([a, b]) => ({ text: `sk-proj-${a}-${b}`, secret: a })),
  fc.tuple(alnum(8, 40), alnum(20, 80)).map(([sub, sig]) => {
    const token = `${base64url('{"alg":"RS256","typ":"JWT"}')}.${base64url(`{"sub":"${sub}"}`)}.${sig}`;
    return { text: token, secret: token.split('.')[1]! };
  }),
  opensshBody.map((body) => ({ text: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...body, '-----END OPENSSH PRIVATE KEY-----'].join('\n'), secret: body[1]! })),
  opensshBody.map((body) => ({ text: ['-----BEGIN RSA PRIVATE KEY-----', ...body].join('\n'), secret: body.at(-1)! })),
  opensshBody.map((body) => ({ text: [...body, '-----END PRIVATE KEY-----'].join('\n'), secret: body[0]! })),
  fc.tuple(fc.constantFrom('https', 'http', 'ssh', 'ftp'), alnum(3, 12), password).map(([s, u, p]) => ({ text: `${s}://${u}:${p}@host.example.io/path`, secret: p })),
  fc.tuple(fc.constantFrom('postgres', 'postgresql', 'mysql', 'mongodb', 'mongodb+srv', 'redis'), alnum(3, 12), password).map(([s, u, p]) => ({ text: `${s}://${u}:${p}@db:5432/app`, secret: p })),
  fc.tuple(fc.constantFrom('password', 'PASSWORD', 'DB_PASSWORD', 'db.password', '--password', '"password"'), fc.constantFrom('=', ': ', ' = '), password).map(([k, op, p]) => ({ text: `${k}${op}${p}`, secret: p })),
  fc.tuple(fc.constantFrom('secret', 'CLIENT_SECRET', 'api_key', 'X_API_KEY', 'access_token'), fc.constantFrom('=', ': '), password).map(([k, op, p]) => ({ text: `${k}${op}${p}`, secret: p })),
  fc.tuple(fc.constantFrom('Bearer', 'token', 'Basic'), alnum(20, 60)).map(([scheme, v]) => ({ text: `Authorization: ${scheme} ${v}`, secret: v })),
  githubToken.map((t) => ({ text: Buffer.from(t).toString('base64'), secret: Buffer.from(t).toString('base64') })),
  githubToken.map((t) => ({ text: Buffer.from(`x-access-token:${t}`).toString('base64url'), secret: t.slice(4) })),
);

/** Random printable text, sometimes several lines, around the secret. */
const surrounding = fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }).map((lines) => lines.join('\n'));
/** What ends a token in a real log; a secret glued to more token characters is a different string. */
const separator = fc.constantFrom(' ', '\n', '\t', '"', "'", ' (', ') ', '\n  ');

describe('redactor properties', () => {
  it('never lets a secret survive, whatever surrounds it', async () => {
    await fc.assert(
      fc.asyncProperty(surrounding, separator, samples, separator, surrounding, async (before, open, sample, close, after) => {
        fc.pre(!before.includes(sample.secret) && !after.includes(sample.secret));
        const { text, redactions } = await redactText(`${before}${open}${sample.text}${close}${after}`);
        expect(text).not.toContain(sample.secret);
        expect(Object.values(redactions).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent', async () => {
    await fc.assert(
      fc.asyncProperty(surrounding, separator, samples, separator, surrounding, async (before, open, sample, close, after) => {
        const once = await redactText(`${before}${open}${sample.text}${close}${after}`);
        const twice = await redactText(once.text);
        expect(twice.text).toBe(once.text);
        expect(twice.redactions).toEqual({});
      }),
      { numRuns: 200 },
    );
  });

  it('leaves random text without secrets unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        expect((await redactText(text)).text).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
