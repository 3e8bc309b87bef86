// Budgets are enforced before the call from the usage the store keeps: per record (maxInputTokens), per
// policy per UTC day, operator-wide per month. Over budget, the rules verdict stands and says why.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ModelAnalyzer } from '../../../src/analysis/model/model-analyzer.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { renderText } from '../../../src/cli/commands/metrics.ts';
import { pgliteEngine, type Provisioned } from '../store/engines.ts';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.ts';
import { NETWORK_LOG, floorOf, jobFrom, modelVerdict, policy } from '../../support/model-fixtures.ts';

let server: OpenAIServer;
let provisioned: Provisioned;
let store: Store;
beforeAll(async () => {
  server = await startOpenAIServer();
  provisioned = await pgliteEngine.provision();
  store = await openStore(provisioned.config);
});
afterAll(async () => {
  await store.close();
  await provisioned.cleanup();
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const job = jobFrom(NETWORK_LOG);
const floor = floorOf(job);

describe('model budgets', () => {
  it('records tokens and cost per call, enforces the daily budget of the policy, and resets the next UTC day', async () => {
    const daily = policy({ analysis: { provider: 'openai', dailyTokenBudget: 3000 } });
    const analyzer = new ModelAnalyzer({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 0, usage: store });
    const day = new Date('2026-12-04T10:00:00Z');
    server.respond(() => ({ verdict: modelVerdict() }));

    const first = await analyzer.analyze([job], { repository: 'acme/app', policy: daily, now: day }, floor);
    expect(first.analyzer).toBe('openai');
    const used = await store.modelUsageTotals({ since: new Date('2026-12-04T00:00:00Z'), policy: 'team' });
    expect(used).toMatchObject({ calls: 1, tokensInput: first.tokens?.input, tokensOutput: first.tokens?.output });
    expect(used.costUsd).toBeGreaterThan(0);

    // Keep calling until the day's budget is spent: then rules only, and no request reaches the model.
    let verdict = first;
    for (let i = 0; i < 10 && verdict.fallbackReason === undefined; i++) verdict = await analyzer.analyze([job], { repository: 'acme/app', policy: daily, now: day }, floor);
    expect(verdict.analyzer).toBe('rules');
    expect(verdict.fallbackReason).toMatch(/policy 'team' has used \d+ of its daily 3000 tokens: rules only until 00:00 UTC/);
    const requests = server.requests.length;
    await analyzer.analyze([job], { repository: 'acme/app', policy: daily, now: day }, floor);
    expect(server.requests.length).toBe(requests);

    const nextDay = await analyzer.analyze([job], { repository: 'acme/app', policy: daily, now: new Date('2026-12-05T00:00:01Z') }, floor);
    expect(nextDay.analyzer).toBe('openai');

    const metrics = await store.metrics({});
    expect(metrics.models?.[0]).toMatchObject({ model: 'gpt-4o', calls: expect.any(Number) });
    expect(renderText(metrics, {})).toMatch(/Model usage:\n\s+model\s+calls\s+input\s+output\s+cost\n\s+gpt-4o\s+\d+/);
  });

  it('enforces the operator-wide monthly budget across policies', async () => {
    const analyzer = new ModelAnalyzer({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 0, usage: store, monthlyTokenBudget: 1000 });
    const verdict = await analyzer.analyze([job], { repository: 'acme/app', policy: policy(), now: new Date('2026-12-20T10:00:00Z') }, floor);
    expect(verdict.fallbackReason).toMatch(/the operator has used \d+ of its monthly 1000 tokens: rules only until the 1st \(UTC\)/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a prompt over the record cap before any call, and cuts tool results to what is left', async () => {
    const tight = policy({ analysis: { provider: 'openai', maxInputTokens: 1000 } });
    const longLog = Array.from({ length: 400 }, (_, i) => `npm ERR! network retry ${i}: request to https://registry.npmjs.org/pkg-${i} failed, reason: socket hang up`).join('\n');
    const bigJob = jobFrom(longLog);
    const refused = await new ModelAnalyzer({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 0 }).analyze([bigJob], { policy: tight, now: new Date() }, floorOf(bigJob));
    expect(refused.fallbackReason).toMatch(/over the policy's maxInputTokens 1000: rules only/);
    expect(server.requests).toHaveLength(0);

    // The excerpt fits, the tool result does not: it is cut, and the model is told so.
    server.script({ toolCalls: [{ name: 'read_job_log', arguments: { jobId: 1001, startLine: 1, lines: 200 } }] }, { verdict: modelVerdict() });
    const analyzer = new ModelAnalyzer({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 0, sources: () => ({ jobLog: async () => [longLog] }) });
    await analyzer.analyze([job], { repository: 'acme/app', policy: policy({ analysis: { provider: 'openai', maxInputTokens: 2500 } }), now: new Date() }, floor);
    const toolMessage = server.requests[1]?.messages.find((m) => m.role === 'tool');
    expect(JSON.stringify(toolMessage)).toContain('[cut: the rest did not fit the input-token budget]');
    expect(analyzer.lastReport?.estimatedInputTokens).toBeLessThan(2500);
  });
});
