// The model analyzer end to end against a local OpenAI-compatible server, reached by the production
// client (openai through @strands-agents/sdk) via baseURL: tool calls, the merged verdict, the cache.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ModelAnalyzer } from '../../../src/analysis/model/model-analyzer.ts';
import { VerdictCache } from '../../../src/analysis/model/verdict-cache.ts';
import { gate } from '../../../src/policy/gate.ts';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.ts';
import { NETWORK_LOG, floorOf, jobFrom, modelVerdict, policy } from '../../support/model-fixtures.ts';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const now = new Date('2026-12-04T12:00:00Z');

function analyzer(extra: Partial<ConstructorParameters<typeof ModelAnalyzer>[0]> = {}) {
  return new ModelAnalyzer({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 0, ...extra });
}

describe('ModelAnalyzer', () => {
  it('reads a log window with a tool, answers in the schema, and the merged verdict goes to the gate', async () => {
    const job = jobFrom(NETWORK_LOG);
    const floor = floorOf(job);
    const log = `${NETWORK_LOG}\nnpm ERR! A complete log of this run can be found in: /home/runner/.npm/_logs/debug.log\n`;
    server.script({ toolCalls: [{ name: 'read_job_log', arguments: { jobId: 1001, startLine: 1, lines: 20 } }] }, { verdict: modelVerdict() });
    const model = analyzer({ sources: () => ({ jobLog: async () => [log] }) });
    const verdict = await model.analyze([job], { repository: 'acme/app', policy: policy(), now }, floor);

    expect(verdict.fallbackReason).toBeUndefined();
    expect(verdict).toMatchObject({ analyzer: 'openai', model: 'gpt-4o', category: 'network_error', injectionSuspected: false, toolCalls: ['read_job_log'] });
    expect(verdict.riskScore).toBeGreaterThanOrEqual(floor.riskScore);
    expect(verdict.tokens?.input).toBeGreaterThan(0);
    // The tool result reached the model as framed, line-numbered data.
    expect(server.sentText(1)).toContain('<untrusted-data source="log:build#1001">');
    expect(server.sentText(1)).toContain('7 | npm ERR! A complete log of this run');
    expect(server.requests[0]?.tools?.map((t) => t.function.name)).toEqual(
      expect.arrayContaining(['read_job_log', 'read_workflow_file', 'list_changed_files', 'failure_history', 'recent_runs', 'strands_structured_output']),
    );
    const decision = gate({ analysis: verdict, rulesFloor: floor.riskScore, policy: policy() });
    expect(decision.decision).not.toBe('blocked');
  });

  it('redacts a secret in a tool result before the model sees it', async () => {
    const job = jobFrom(NETWORK_LOG);
    const token = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
    server.script({ toolCalls: [{ name: 'read_job_log', arguments: { jobId: 1001, startLine: 1 } }] }, { verdict: modelVerdict() });
    const model = analyzer({ sources: () => ({ jobLog: async () => [`echo token=${token}\n${NETWORK_LOG}\n`] }) });
    await model.analyze([job], { repository: 'acme/app', policy: policy(), now }, floorOf(job));
    expect(server.sentText()).not.toContain(token);
    expect(server.sentText()).toContain('[REDACTED:github-token]');
  });

  it('answers a repeated fingerprint from the cache for 0 tokens', async () => {
    const job = jobFrom(NETWORK_LOG);
    const cache = new VerdictCache();
    const model = analyzer({ cache });
    server.script({ verdict: modelVerdict() });
    const first = await model.analyze([job], { repository: 'acme/app', policy: policy(), now }, floorOf(job));
    const second = await model.analyze([job], { repository: 'acme/app', policy: policy(), now: new Date(now.getTime() + 3_600_000) }, floorOf(job));
    expect(server.requests).toHaveLength(1);
    expect(first.tokens?.input).toBeGreaterThan(0);
    expect(second.tokens).toEqual({ input: 0, output: 0 });
    expect(second.category).toBe(first.category);
    expect(cache.hits).toBe(1);
    // Past the TTL the model is asked again.
    server.script({ verdict: modelVerdict() });
    await model.analyze([job], { repository: 'acme/app', policy: policy(), now: new Date(now.getTime() + 25 * 3_600_000) }, floorOf(job));
    expect(server.requests).toHaveLength(2);
  });

  it('discards a verdict citing a line the model was never shown', async () => {
    const job = jobFrom(NETWORK_LOG);
    server.script({ verdict: modelVerdict({}, 'error: the disk of the runner is full (ENOSPC)') });
    const verdict = await analyzer().analyze([job], { repository: 'acme/app', policy: policy(), now }, floorOf(job));
    expect(verdict.analyzer).toBe('rules');
    expect(verdict.fallbackReason).toMatch(/cited 1 line\(s\) it was never shown/);
  });

  it('replaces an action the policy does not allow with the rules\' action, and notes it', async () => {
    const job = jobFrom(NETWORK_LOG);
    const floor = floorOf(job);
    server.script({ verdict: modelVerdict({ proposedRemediation: { action: 'clear-caches', params: {}, rationale: 'caches' } }) });
    const verdict = await analyzer().analyze([job], { repository: 'acme/app', policy: policy(), now }, floor);
    expect(verdict.proposedRemediation.action).toBe(floor.proposedRemediation.action);
    expect(verdict.mergeNotes?.join('\n')).toMatch(/'clear-caches', which policy 'team' does not allow/);
  });
});
