// `ci-remediator analyze --provider openai` against the local OpenAI-compatible server (OPENAI_BASE_URL).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, runCli } from '../../support/cli.ts';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.ts';
import { modelVerdict } from '../../support/model-fixtures.ts';

let server: OpenAIServer;
let dir: string;
beforeAll(async () => {
  server = await startOpenAIServer();
  dir = await mkdtemp(join(tmpdir(), 'ci-remediator-cli-model-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const LOG = 'examples/logs/gha-docker-rate-limit.log';

describe('ci-remediator analyze --provider openai', () => {
  it('reports the analyzer, model, tokens, injection and the rules verdict beside the merged one', async () => {
    const rules = jsonLines((await runCli(['analyze', '--json', LOG])).stdout)[0]!;
    const keyLine = (rules.keyLine as { text: string }).text;
    server.script({ verdict: modelVerdict({ category: rules.category, riskScore: 55, proposedRemediation: { action: 'notify-only', params: {}, rationale: 'a person should look' } }, keyLine) });
    const run = await runCli(['analyze', '--json', '--provider', 'openai', '--model', 'gpt-4o-mini', LOG], { env: { OPENAI_API_KEY: server.apiKey, OPENAI_BASE_URL: server.baseURL } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [out] = jsonLines(run.stdout);
    expect(out).toMatchObject({
      analyzer: 'openai',
      model: 'gpt-4o-mini',
      injectionSuspected: false,
      riskScore: 55,
      proposedRemediation: { action: 'notify-only' },
      rules: { category: rules.category, riskScore: rules.riskScore, proposedRemediation: rules.proposedRemediation },
    });
    expect((out!.tokens as { input: number }).input).toBeGreaterThan(0);
    expect(server.requests.at(-1)?.model).toBe('gpt-4o-mini');
  });

  it('takes the key from --openai-api-key-file, and prints the fallback when the endpoint refuses it', async () => {
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, 'sk-wrong\n');
    const run = await runCli(['analyze', '--provider', 'openai', '--openai-api-key-file', keyFile, LOG], { env: { OPENAI_BASE_URL: server.baseURL } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Model\s+gpt-4o: not used - the model endpoint refused the API key \(401\): rules only/);
  });

  it('names what is missing on a bad command line', async () => {
    expect(await runCli(['analyze', '--provider', 'openai', LOG])).toMatchObject({ code: 2, stderr: expect.stringContaining('--provider openai needs an API key: set OPENAI_API_KEY or give --openai-api-key-file FILE') });
    expect(await runCli(['analyze', '--provider', 'claude', LOG])).toMatchObject({ code: 2, stderr: expect.stringContaining("Invalid --provider 'claude'. Expected rules or openai.") });
    expect(await runCli(['analyze', '--provider', 'openai', LOG], { env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'ftp://x' } })).toMatchObject({ code: 2, stderr: expect.stringContaining("Invalid OPENAI_BASE_URL 'ftp://x'") });
  });
});
