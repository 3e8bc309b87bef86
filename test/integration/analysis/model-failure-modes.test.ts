// Every way the model can fail leaves the rules verdict standing, with the reason, within the deadline.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ModelAnalyzer, type ModelAnalyzerOptions } from '../../../src/analysis/model/model-analyzer.ts';
import { startOpenAIServer, type OpenAIServer, type Step } from '../../support/openai-server.ts';
import { NETWORK_LOG, floorOf, jobFrom, modelVerdict, policy } from '../../support/model-fixtures.ts';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.respond(() => ({ status: 500, message: 'unscripted' }));
});

const now = new Date('2026-12-04T12:00:00Z');
const job = jobFrom(NETWORK_LOG);
const floor = floorOf(job);

async function analyzeWith(steps: Step[], options: Partial<ModelAnalyzerOptions> = {}, signal?: AbortSignal) {
  server.script(...steps);
  const model = new ModelAnalyzer({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 0, ...options });
  const started = performance.now();
  const verdict = await model.analyze([job], { repository: 'acme/app', policy: policy(), now, ...(signal && { signal }) }, floor);
  return { verdict, ms: performance.now() - started, report: model.lastReport };
}

function expectRulesStand(verdict: Awaited<ReturnType<typeof analyzeWith>>['verdict'], reason: RegExp) {
  expect(verdict.analyzer).toBe('rules');
  expect(verdict.category).toBe(floor.category);
  expect(verdict.riskScore).toBe(floor.riskScore);
  expect(verdict.proposedRemediation).toEqual(floor.proposedRemediation);
  expect(verdict.fallbackReason).toMatch(reason);
}

describe('ModelAnalyzer failure modes', () => {
  it('401: a wrong API key', async () => {
    const model = new ModelAnalyzer({ apiKey: 'sk-wrong', baseURL: server.baseURL, maxRetries: 0 });
    const verdict = await model.analyze([job], { policy: policy(), now }, floor);
    expectRulesStand(verdict, /refused the API key \(401\)/);
  });

  it('429 honours Retry-After and then succeeds', async () => {
    const { verdict, ms } = await analyzeWith([{ status: 429, headers: { 'retry-after': '1' } }, { verdict: modelVerdict() }], { maxRetries: 2 });
    expect(verdict.analyzer).toBe('openai');
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(server.requests).toHaveLength(2);
  });

  it('429 past the bounded retries', async () => {
    const limited: Step = { status: 429, headers: { 'retry-after-ms': '50' } };
    const { verdict } = await analyzeWith([limited, limited, limited], { maxRetries: 2 });
    expectRulesStand(verdict, /429 \(rate limited\)/);
    expect(server.requests).toHaveLength(3);
  });

  it('5xx after the retries', async () => {
    const { verdict } = await analyzeWith([{ status: 503, headers: { 'retry-after-ms': '10' } }, { status: 502, headers: { 'retry-after-ms': '10' } }], { maxRetries: 1 });
    expectRulesStand(verdict, /failed \(502\) after the retries/);
  });

  it('a request that times out', async () => {
    const { verdict, ms } = await analyzeWith([{ delayMs: 5_000, then: { verdict: modelVerdict() } }], { requestTimeoutMs: 300 });
    expectRulesStand(verdict, /timed out/);
    expect(ms).toBeLessThan(3_000);
  });

  it('the record\'s deadline (AbortSignal from the context) cuts a slow model short', async () => {
    const { verdict, ms } = await analyzeWith([{ delayMs: 10_000, then: { verdict: modelVerdict() } }], {}, AbortSignal.timeout(400));
    expectRulesStand(verdict, /deadline passed/);
    expect(ms).toBeLessThan(3_000);
  });

  it('the analyzer\'s own deadline when the caller gives none', async () => {
    const { verdict, ms } = await analyzeWith([{ delayMs: 10_000, then: { verdict: modelVerdict() } }], { deadlineMs: 400 });
    expectRulesStand(verdict, /did not answer within 0 s|did not answer within/);
    expect(ms).toBeLessThan(3_000);
  });

  it('malformed JSON from the endpoint', async () => {
    const { verdict } = await analyzeWith([{ malformed: 'stream' }]);
    expectRulesStand(verdict, /malformed JSON/);
  });

  it('schema-invalid verdicts after the SDK\'s retries', async () => {
    const invalid: Step = { verdict: modelVerdict({ category: 'cosmic_rays', riskScore: 'low' }) };
    const { verdict } = await analyzeWith([invalid, invalid, invalid, invalid, invalid, invalid, invalid], { maxTurns: 3 });
    expectRulesStand(verdict, /failed the schema on every try within 3 turns/);
  });

  it('a refusal', async () => {
    const refusal: Step = { refusal: 'I cannot help with that.' };
    const { verdict } = await analyzeWith([refusal, refusal, refusal]);
    expectRulesStand(verdict, /no valid verdict \(a refusal/);
  });

  it('a model that never stops calling tools', async () => {
    server.respond(() => ({ toolCalls: [{ name: 'failure_history', arguments: {} }] }));
    const { verdict, report } = await analyzeWith([], { maxTurns: 3 });
    expectRulesStand(verdict, /still calling tools after 3 turns/);
    expect(server.requests.length).toBeLessThanOrEqual(4);
    expect(report?.toolCalls.length).toBeGreaterThan(0);
  });
});
