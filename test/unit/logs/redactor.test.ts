import { describe, expect, it } from '@jest/globals';
import { RedactionError } from '../../../src/errors.ts';
import { redactExtraction, redactText, type ScanMessage, type SecretScanner } from '../../../src/logs/redactor.ts';
import type { Extraction } from '../../../src/logs/types.ts';

// Fake secrets are built at run time so this file holds no string a secret scanner would flag, and so each one
// has the exact shape the detectors expect (secretlint does not verify GitHub's token checksum).
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function chars(length: number, seed: number, alphabet = ALNUM): string {
  let state = seed * 2654435761;
  let out = '';
  for (let i = 0; i < length; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += alphabet[state % alphabet.length];
  }
  return out;
}
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = `${ALNUM}+/`;

const ghp = `ghp_${chars(36, 1)}`;
const gho = `gho_${chars(36, 2)}`;
const ghu = `ghu_${chars(36, 3)}`;
const ghs = `ghs_${chars(36, 4)}`;
const githubPat = `github_pat_${chars(22, 5)}_${chars(59, 6)}`;
const awsKeyId = `AKIA${chars(16, 7, UPPER_DIGITS)}`;
const awsSecret = chars(40, 8, BASE64);
const slackBot = `xoxb-${chars(12, 9, '0123456789')}-${chars(13, 10, '0123456789')}-${chars(24, 11)}`;
const slackWebhookPath = `T${chars(8, 12, UPPER_DIGITS)}/B${chars(10, 13, UPPER_DIGITS)}/${chars(24, 14)}`;
const openaiProject = `sk-proj-${chars(48, 15)}_${chars(40, 16)}-${chars(20, 17)}`;
const openaiMarked = `sk-${chars(20, 18)}T3BlbkFJ${chars(20, 19)}`;
const jwtToken = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"ci-bot","iat":1716239022}')}.${chars(43, 20, `${ALNUM}-_`)}`;
const opensshBody = ['b3BlbnNzaC1rZXktdjEAAAAA', ...Array.from({ length: 5 }, (_, i) => chars(70, 30 + i, BASE64))]
  .join('')
  .match(/.{1,70}/g)!;
const opensshKey = ['-----BEGIN OPENSSH PRIVATE KEY-----', ...opensshBody, '-----END OPENSSH PRIVATE KEY-----'].join('\n');

function b64url(json: string): string {
  return Buffer.from(json).toString('base64url');
}

/** The secret is gone when no 8-character window of it is left anywhere in the output. */
function expectGone(output: string, secret: string): void {
  const width = Math.min(8, secret.length);
  for (let i = 0; i + width <= secret.length; i += 1) {
    const fragment = secret.slice(i, i + width);
    if (output.includes(fragment)) throw new Error(`fragment ${JSON.stringify(fragment)} of the secret survived in:\n${output}`);
  }
}

interface Case {
  name: string;
  line: string;
  /** What must not survive (the credential part, not the URL around it). */
  secrets: string[];
  type: string;
}

const cases: Case[] = [
  { name: 'classic PAT in a clone URL', line: `git clone https://x-access-token:${ghp}@github.com/o/r`, secrets: [ghp], type: 'github-token' },
  { name: 'OAuth token', line: `gh auth login --with-token <<< ${gho}`, secrets: [gho], type: 'github-token' },
  { name: 'user-to-server token', line: `GH_TOKEN=${ghu} gh pr view 12`, secrets: [ghu], type: 'github-token' },
  { name: 'installation token', line: `  token: ${ghs}`, secrets: [ghs], type: 'github-token' },
  { name: 'fine-grained PAT', line: `echo "::debug::using ${githubPat}"`, secrets: [githubPat], type: 'github-token' },
  { name: 'AWS access key id', line: `  AWS_ACCESS_KEY_ID: ${awsKeyId}`, secrets: [awsKeyId], type: 'aws-access-key-id' },
  { name: 'AWS secret access key', line: `+ export AWS_SECRET_ACCESS_KEY=${awsSecret}`, secrets: [awsSecret], type: 'aws-secret-access-key' },
  { name: 'Slack bot token', line: `curl -H "Content-type: application/json" -d @msg.json -H "X-Token: ${slackBot}"`, secrets: [slackBot], type: 'slack-token' },
  { name: 'Slack webhook', line: `Posting to https://hooks.slack.com/services/${slackWebhookPath} failed: 404`, secrets: [slackWebhookPath], type: 'slack-webhook' },
  { name: 'OpenAI project key', line: `OPENAI_API_KEY=${openaiProject} npm test`, secrets: [openaiProject], type: 'openai-api-key' },
  { name: 'OpenAI key with the T3BlbkFJ marker', line: `openai.AuthenticationError: Incorrect API key provided: ${openaiMarked}`, secrets: [openaiMarked], type: 'openai-api-key' },
  { name: 'JWT in an Authorization header', line: `curl -sf -H "Authorization: Bearer ${jwtToken}" https://api.internal/deploy`, secrets: [jwtToken], type: 'jwt' },
  { name: 'OpenSSH private key block', line: `Run echo "$DEPLOY_KEY"\n${opensshKey}\nssh: connect to host`, secrets: opensshBody, type: 'private-key' },
  {
    name: 'credentials in a URL with an encoded password',
    line: `npm ERR! 401 https://ci-deploy:S3cr%2Fet-pa55@npm.pkg.internal.io/@acme%2fui`,
    secrets: ['S3cr%2Fet-pa55'],
    type: 'url-credentials',
  },
  { name: 'credentials in a URL with unencoded reserved characters', line: 'fetching https://bot:p#ss?w0rd!@git.corp.io/r.git', secrets: ['p#ss?w0rd!'], type: 'url-credentials' },
  { name: 'PostgreSQL URL', line: 'DATABASE_URL=postgres://user:pass@host:5432/db', secrets: [':pass@'], type: 'connection-string' },
  {
    name: 'MongoDB URL',
    line: 'MongoServerError: bad auth connecting to mongodb+srv://app:Zq8vW3nLp2@cluster0.ab1cd.mongodb.net/prod',
    secrets: ['Zq8vW3nLp2'],
    type: 'connection-string',
  },
  { name: 'Redis URL', line: 'Error: connect ECONNREFUSED redis://:r3d1s-Pw-77@redis:6379/0', secrets: ['r3d1s-Pw-77'], type: 'connection-string' },
  { name: 'password= assignment', line: 'mysql --host=db --user=ci --password=Tr0ub4dor&3 -e "select 1"', secrets: ['Tr0ub4dor'], type: 'password-assignment' },
  { name: 'password: assignment in YAML', line: '    password: "correct horse battery"', secrets: ['correct horse battery'], type: 'password-assignment' },
  { name: 'secret: assignment', line: 'client_secret: 9f8e7d6c5b4a39281706f5e4d3c2b1a0', secrets: ['9f8e7d6c5b4a39281706f5e4d3c2b1a0'], type: 'secret-assignment' },
  { name: 'API key assignment', line: 'export DATADOG_API_KEY=0a1b2c3d4e5f60718293a4b5c6d7e8f9', secrets: ['0a1b2c3d4e5f60718293a4b5c6d7e8f9'], type: 'secret-assignment' },
  { name: 'opaque Authorization header', line: '> Authorization: token 5f4dcc3b5aa765d61d8327deb882cf99a1', secrets: ['5f4dcc3b5aa765d61d8327deb882cf99a1'], type: 'authorization-header' },
  {
    name: 'base64 of a GitHub token',
    line: `echo ${Buffer.from(ghp).toString('base64')} | base64 -d > ~/.token`,
    secrets: [Buffer.from(ghp).toString('base64'), ghp],
    type: 'github-token-base64',
  },
  {
    name: 'base64 of Basic credentials holding a GitHub token',
    line: `git -c http.extraheader="AUTHORIZATION: basic ${Buffer.from(`x-access-token:${ghs}`).toString('base64')}" fetch`,
    secrets: [Buffer.from(`x-access-token:${ghs}`).toString('base64')],
    type: 'github-token-base64',
  },
  {
    name: 'base64url of a Slack webhook in a Kubernetes secret',
    line: `  webhook-url: ${Buffer.from(`https://hooks.slack.com/services/${slackWebhookPath}`).toString('base64url')}`,
    secrets: [Buffer.from(`https://hooks.slack.com/services/${slackWebhookPath}`).toString('base64url')],
    type: 'slack-webhook-base64',
  },
];

describe('redactText', () => {
  it.each(cases)('redacts $name as $type', async ({ line, secrets, type }) => {
    const { text, redactions } = await redactText(line);
    for (const secret of secrets) expectGone(text, secret);
    expect(text).toContain(`[REDACTED:${type}]`);
    expect(redactions).toEqual({ [type]: 1 });
  });

  it('keeps the text around a secret', async () => {
    const { text } = await redactText(`+ export AWS_SECRET_ACCESS_KEY=${awsSecret}\nError: Process completed with exit code 1.`);
    expect(text).toBe('+ export AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-access-key]\nError: Process completed with exit code 1.');
  });

  it('redacts an AWS secret key far from its name, where secretlint reports a range beside it', async () => {
    const { text } = await redactText(`AWS_SECRET_ACCESS_KEY${' '.repeat(30)}=${' '.repeat(30)}${awsSecret}`);
    expectGone(text, awsSecret);
  });

  it('merges overlapping findings into one marker named after the most specific type', async () => {
    // secretlint's basic-auth rule, our URL rule and the GitHub rule all match this URL.
    const { text, redactions } = await redactText(`fatal: unable to access 'https://x-access-token:${ghs}@github.com/o/r/'`);
    expect(text).toBe("fatal: unable to access '[REDACTED:github-token]/o/r/'");
    expect(redactions).toEqual({ 'github-token': 1 });
  });

  it('counts every occurrence', async () => {
    const { redactions } = await redactText(`a ${ghp}\nb ${ghp}\nc ${gho}\npassword=abc123`);
    expect(redactions).toEqual({ 'github-token': 3, 'password-assignment': 1 });
  });

  it('ignores secretlint-disable comments, which a log could carry to hide a secret', async () => {
    const { text } = await redactText(`// secretlint-disable\n${ghp}\n# secretlint-disable-next-line\n${gho}`);
    expectGone(text, ghp);
    expectGone(text, gho);
  });

  it.each([
    ['a masked password', 'password: ********'],
    ["GitHub's mask", 'Run docker login -u ci -p *** ghcr.io\n  password: ***'],
    ['a secret reference', '  password: ${{ secrets.REGISTRY_PASSWORD }}\n  secrets: inherit\n  DB_PASSWORD=$DB_PASSWORD'],
    ['a password prompt and errors', 'Password: \nFATAL:  password authentication failed for user "ci"\n--password-stdin'],
    ['an image digest', `pulling ghcr.io/acme/api@sha256:${'9c4e2f7a1b3d5c6e'.repeat(4)}`],
    ['git SHAs', 'HEAD is now at 3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a Merge pull request #42 from acme/fix'],
    ['UUIDs', 'request id 123e4567-e89b-12d3-a456-426614174000 trace 9b2f1c3e-7a44-4d2b-8f1e-0c3a5b6d7e8f'],
    ['a URL without credentials', 'GET https://api.github.com/repos/acme/api/actions/runs/123456789/jobs?per_page=100 -> 502'],
    ['a registry URL with a port and a scoped package', 'GET https://registry.npmjs.org:443/@types/node 200'],
    ['a scp-like git remote', 'git@github.com: Permission denied (publickey).'],
    ['the working directory', 'PWD=/home/runner/work/api/api\nHOME=/home/runner'],
    ['a JavaScript syntax error', "SyntaxError: Unexpected token: '}' at line 12"],
    ['a stack trace', '    at Object.<anonymous> (/home/runner/work/api/api/node_modules/jest-circus/build/utils.js:298:28)'],
    ['a long identifier', 'FAIL src/__tests__/PaymentReconciliationServiceIntegrationSpec.test.ts (12.3 s)'],
    ['an npm integrity hash', 'npm ERR! integrity: sha512-Pn6WfyVr9AmmWIvlnnomvbWyfnLhRoxbdGy+8U8JlqNZuRdUp5KSvoXP3kWAyhjpOcbkjuUk0IoDN2gSwe3rkg=='],
    ['an AWS example key', 'aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE'],
    ['a public key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ci@runner'],
  ])('leaves %s unchanged', async (_name, line) => {
    const { text, redactions } = await redactText(line);
    expect(text).toBe(line);
    expect(redactions).toEqual({});
  });

  it('is idempotent', async () => {
    const log = cases.map((c) => c.line).join('\n');
    const once = await redactText(log);
    const twice = await redactText(once.text);
    expect(twice.text).toBe(once.text);
    expect(twice.redactions).toEqual({});
  });

  describe('partial private key blocks (an excerpt is a window cut out of a log)', () => {
    it('redacts a block whose BEGIN line is outside the window', async () => {
      const window = [...opensshBody.slice(2), '-----END OPENSSH PRIVATE KEY-----', 'Error: Load key "/tmp/key": invalid format'].join('\n');
      const { text, redactions } = await redactText(window);
      for (const line of opensshBody.slice(2)) expectGone(text, line);
      expect(text).toBe('[REDACTED:private-key]\nError: Load key "/tmp/key": invalid format');
      expect(redactions).toEqual({ 'private-key': 1 });
    });

    it('redacts a block whose END line is outside the window', async () => {
      const window = ['Run ssh-add - <<< "${{ secrets.DEPLOY_KEY }}"', '-----BEGIN RSA PRIVATE KEY-----', 'Proc-Type: 4,ENCRYPTED', ...opensshBody.slice(0, 3)].join('\n');
      const { text, redactions } = await redactText(window);
      for (const line of opensshBody.slice(0, 3)) expectGone(text, line);
      expect(text).toBe('Run ssh-add - <<< "${{ secrets.DEPLOY_KEY }}"\n[REDACTED:private-key]');
      expect(redactions).toEqual({ 'private-key': 1 });
    });

    it('redacts key lines with neither marker in the window', async () => {
      const { text, redactions } = await redactText(`${opensshBody.slice(1, 4).join('\n')}\nexit status 255`);
      for (const line of opensshBody.slice(1, 4)) expectGone(text, line);
      expect(redactions).toEqual({ 'private-key': 1 });
    });

    it('redacts an encrypted PKCS#8 block, which the preset does not know', async () => {
      const block = ['-----BEGIN ENCRYPTED PRIVATE KEY-----', ...opensshBody.slice(1), '-----END ENCRYPTED PRIVATE KEY-----'].join('\n');
      const { text } = await redactText(`key:\n${block}\ndone`);
      expect(text).toBe('key:\n[REDACTED:private-key]\ndone');
    });
  });
});

describe('fail closed', () => {
  const throwing: SecretScanner = () => Promise.reject(new Error('rule crashed'));
  const reporting =
    (messages: ScanMessage[]): SecretScanner =>
    () =>
      Promise.resolve(messages);

  it('throws RedactionError with the cause when the scanner throws', async () => {
    const error = await redactText(`token ${ghp}`, { scanner: throwing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedactionError);
    expect((error as RedactionError).code).toBe('REDACTION_FAILED');
    expect(((error as RedactionError).cause as Error).message).toBe('rule crashed');
    expect((error as Error).message).not.toContain(ghp);
  });

  it('throws when the scanner reports a range outside the text', async () => {
    const scanner = reporting([{ ruleId: 'x', messageId: 'X', range: [3, 999] }]);
    await expect(redactText('short text', { scanner })).rejects.toBeInstanceOf(RedactionError);
  });

  it('throws when the scanner reports an empty or reversed range', async () => {
    await expect(redactText('short text', { scanner: reporting([{ ruleId: 'x', messageId: 'X', range: [4, 4] }]) })).rejects.toBeInstanceOf(RedactionError);
    await expect(redactText('short text', { scanner: reporting([{ ruleId: 'x', messageId: 'X', range: [5, 2] }]) })).rejects.toBeInstanceOf(RedactionError);
  });

  it('throws when the scanner reports a secret that is not in the text', async () => {
    const scanner = reporting([{ ruleId: '@secretlint/secretlint-rule-github', messageId: 'GITHUB_TOKEN', range: [0, 5], data: { KEY: 'not-in-text' } }]);
    await expect(redactText('short text', { scanner })).rejects.toBeInstanceOf(RedactionError);
  });

  it('throws when the scanner returns something other than a list', async () => {
    const scanner = (() => Promise.resolve(undefined)) as unknown as SecretScanner;
    await expect(redactText('short text', { scanner })).rejects.toBeInstanceOf(RedactionError);
  });

  it('fails the whole extraction, not just one text', async () => {
    const extraction = extractionOf([{ startLine: 1, endLine: 1, text: 'fine' }], null, []);
    await expect(redactExtraction(extraction, { scanner: throwing })).rejects.toBeInstanceOf(RedactionError);
  });

  it('redacts with the default scanner again after a failure elsewhere', async () => {
    await expect(redactText(ghp, { scanner: throwing })).rejects.toBeInstanceOf(RedactionError);
    expect((await redactText(ghp)).text).toBe('[REDACTED:github-token]');
  });
});

function extractionOf(excerpts: Extraction['excerpts'], keyLine: Extraction['keyLine'], signals: Extraction['signals']): Extraction {
  return { keyLine, excerpts, signals, stats: { lines: 100, bytes: 4000, truncatedLines: 0 } };
}

describe('redactExtraction', () => {
  const excerpt = {
    startLine: 10,
    endLine: 13,
    text: ['Run ./deploy.sh', `+ git push https://x-access-token:${ghs}@github.com/acme/api HEAD:main`, 'remote: Permission denied', 'Error: Process completed with exit code 128.'].join('\n'),
  };

  it('redacts the key line, every excerpt and every signal', async () => {
    const extraction = extractionOf(
      [excerpt],
      { line: 11, text: excerpt.text.split('\n')[1]! },
      [
        { line: 11, text: excerpt.text.split('\n')[1]!, score: 9, kind: 'error-annotation' },
        { line: 40, text: `npm ERR! 401 token ${ghp} rejected`, score: 3, kind: 'exit-code' },
      ],
    );
    const { extraction: out, redactions } = await redactExtraction(extraction);
    const everything = JSON.stringify(out);
    expectGone(everything, ghs);
    expectGone(everything, ghp);
    expect(out.keyLine).toEqual({ line: 11, text: '+ git push [REDACTED:github-token]/acme/api HEAD:main' });
    expect(out.signals[1]!.text).toBe('npm ERR! 401 token [REDACTED:github-token] rejected');
    expect(out.stats).toEqual(extraction.stats);
    expect(out.excerpts[0]!.startLine).toBe(10);
    // One secret in the excerpt (also shown as key line and signal) and one on line 40 outside every excerpt.
    expect(redactions).toEqual({ 'github-token': 2 });
  });

  it('counts a line outside the excerpts once even when it is both the key line and a signal', async () => {
    const line = `Error: bad credentials for ${gho}`;
    const extraction = extractionOf([{ startLine: 1, endLine: 1, text: 'Run make' }], { line: 50, text: line }, [{ line: 50, text: line, score: 5, kind: 'error-annotation' }]);
    const { redactions } = await redactExtraction(extraction);
    expect(redactions).toEqual({ 'github-token': 1 });
  });

  it('redacts a line that is only a secret in the context of its excerpt', async () => {
    // A single key body line carries no marker on its own; the excerpt around it shows it is key material.
    const lines = ['-----BEGIN OPENSSH PRIVATE KEY-----', ...opensshBody, '-----END OPENSSH PRIVATE KEY-----'];
    const extraction = extractionOf([{ startLine: 20, endLine: 20 + lines.length - 1, text: lines.join('\n') }], null, [
      { line: 22, text: opensshBody[1]!, score: 1, kind: 'other' },
      { line: 23, text: opensshBody[2]!.slice(0, 30), score: 1, kind: 'other' },
    ]);
    const { extraction: out, redactions } = await redactExtraction(extraction);
    expect(out.signals.map((s) => s.text)).toEqual(['[REDACTED:private-key]', '[REDACTED:private-key]']);
    expect(out.excerpts[0]!.text).toBe('[REDACTED:private-key]');
    expect(redactions).toEqual({ 'private-key': 1 });
  });

  it('leaves an extraction without secrets unchanged', async () => {
    const extraction = extractionOf([{ startLine: 3, endLine: 4, text: 'FAIL src/a.test.ts\n  expected 1 to be 2' }], { line: 4, text: '  expected 1 to be 2' }, []);
    const { extraction: out, redactions } = await redactExtraction(extraction);
    expect(out).toEqual(extraction);
    expect(redactions).toEqual({});
  });
});

describe('redaction in a long-running process', () => {
  it('leaves nothing behind per call (no performance marks piling up)', async () => {
    const { performance } = await import('node:perf_hooks');
    await redactText('warm up: ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8');
    const before = performance.getEntries().length;
    for (let i = 0; i < 200; i++) await redactText(`line ${i}: token ghp_${'x'.repeat(30)}${String(i).padStart(6, '0')}`);
    expect(performance.getEntries().length).toBe(before);
  });
});
