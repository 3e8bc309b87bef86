import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { OperatorConfigError, parseOperatorConfig } from '../../../src/config/operator-config.ts';

// The GitHub settings of the remediation executor: where the API is, who acts on it, how verification polls.

const host = { hostname: 'node-1', pid: 42 };
const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseOperatorConfig(args, env, host).config!;
const dir = mkdtempSync(join(tmpdir(), 'operator-config-github-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n';

describe('GitHub settings', () => {
  it('executes nothing without credentials, against api.github.com, polling every 15 s for up to 2 h', () => {
    const config = parse([]);
    expect(config.githubAuth).toBeUndefined();
    expect(config).toMatchObject({ githubApiUrl: 'https://api.github.com', verifyPollIntervalMs: 15_000, verifyTimeoutMs: 7_200_000 });
  });

  it('takes the token from GITHUB_TOKEN, or from --github-token-file (which wins)', () => {
    expect(parse([], { GITHUB_TOKEN: 'ghp_env' }).githubAuth).toEqual({ token: 'ghp_env' });
    const path = file('token', 'ghp_file\n');
    expect(parse(['--github-token-file', path], { GITHUB_TOKEN: 'ghp_env' }).githubAuth).toEqual({ token: 'ghp_file' });
  });

  it('takes a GitHub App from all three flags', () => {
    const key = file('app.pem', PEM);
    const config = parse(['--github-app-id', '123', '--github-app-private-key-file', key, '--github-app-installation-id', '456']);
    expect(config.githubAuth).toEqual({ appId: '123', privateKey: PEM.trim(), installationId: 456 });
  });

  it('names what is wrong with the credentials', () => {
    expect(() => parse(['--github-app-id', '123'])).toThrow(
      new OperatorConfigError('Invalid --github-app-id: a GitHub App also needs --github-app-private-key-file and --github-app-installation-id.'),
    );
    const key = file('app2.pem', PEM);
    const token = file('token2', 'ghp_x');
    expect(() =>
      parse(['--github-app-id', '1', '--github-app-private-key-file', key, '--github-app-installation-id', '2', '--github-token-file', token]),
    ).toThrow(/give either a token or the --github-app-\* flags, not both/);
    expect(() => parse(['--github-app-id', '1', '--github-app-private-key-file', token, '--github-app-installation-id', '2'])).toThrow(/not a PEM private key/);
    expect(() => parse(['--github-token-file', join(dir, 'missing')])).toThrow(/Invalid --github-token-file '.*missing': cannot read it \(ENOENT\)/);
    expect(() => parse([], { GITHUB_TOKEN: 'two words' })).toThrow(/Invalid GITHUB_TOKEN: the token is empty or contains whitespace/);
  });

  it('reads the API URL and the verification timings, flags over environment', () => {
    const config = parse(['--verify-poll-interval', '2s', '--verify-timeout', '10m'], { GITHUB_API_URL: 'https://ghe.example.com/api/v3' });
    expect(config).toMatchObject({ githubApiUrl: 'https://ghe.example.com/api/v3', verifyPollIntervalMs: 2_000, verifyTimeoutMs: 600_000 });
    expect(parse(['--github-api-url', 'http://127.0.0.1:9999'], { GITHUB_API_URL: 'https://x' }).githubApiUrl).toBe('http://127.0.0.1:9999');
    expect(() => parse(['--github-api-url', 'api.github.com'])).toThrow(/Invalid --github-api-url 'api.github.com': must be an http\(s\) URL/);
    expect(() => parse(['--verify-poll-interval', '5m', '--verify-timeout', '2m'])).toThrow(/--verify-poll-interval: must be shorter than --verify-timeout/);
  });
});
