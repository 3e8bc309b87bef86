import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { Analyzer, JobEvidence, Verdict } from '../../../src/analysis/analyzer.ts';
import { analyzeJobs, evidenceFromLog } from '../../../src/analysis/pipeline.ts';

const NOW = new Date('2026-12-01T00:00:00Z');
const evidence = async (name: string, log: string): Promise<JobEvidence> => (await evidenceFromLog(Readable.from([log]), { name, conclusion: 'failure' })).evidence;
const NETWORK = 'npm ci\nnpm error code ECONNRESET\nnpm error network aborted\n##[error]Process completed with exit code 1.\n';
const COMPILE = "go build ./...\nsrc/main.go:12:5: undefined: fooBar\n##[error]Process completed with exit code 1.\n";

/** An analyzer as a model would plug in: it answers with whatever risk it likes. */
function answering(risk: number, seen: Array<Verdict | undefined>): Analyzer {
  return {
    name: 'openai',
    async analyze(_jobs, _context, floor) {
      seen.push(floor);
      return { ...floor!, analyzer: 'openai', riskScore: risk, model: 'test-model', summary: 'from the model' };
    },
  };
}

describe('analyzeJobs', () => {
  it('lets the riskiest job speak for the failure, named, with every job analysed', async () => {
    const jobs = [await evidence('lint', NETWORK), await evidence('build', COMPILE)];
    const result = await analyzeJobs(jobs, { now: NOW });
    expect(result.jobs.map((a) => a.category)).toEqual(['network_error', 'compilation_error']);
    expect(result.deciding).toBe(1);
    expect(result.verdict.category).toBe('compilation_error');
    expect(result.verdict.summary.startsWith('build: ')).toBe(true);
    expect(result.rules).toEqual(result.verdict);
  });

  it('gives a further analyzer the rules verdict as its floor, and never lets it go below that risk', async () => {
    const jobs = [await evidence('build', COMPILE)];
    const seen: Array<Verdict | undefined> = [];
    const lower = await analyzeJobs(jobs, { now: NOW }, [answering(0, seen)]);
    expect(seen).toEqual([lower.rules]);
    expect(lower.verdict.analyzer).toBe('openai');
    expect(lower.verdict.riskScore).toBe(lower.rules.riskScore);
    const higher = await analyzeJobs(jobs, { now: NOW }, [answering(99, [])]);
    expect(higher.verdict.riskScore).toBe(99);
    expect(higher.rules.riskScore).toBeLessThan(99);
  });

  it('keeps the rules verdict, saying why, when a further analyzer fails', async () => {
    const failing: Analyzer = { name: 'openai', analyze: async () => Promise.reject(new Error('deadline exceeded')) };
    const result = await analyzeJobs([await evidence('test', NETWORK)], { now: NOW }, [failing]);
    expect(result.verdict).toEqual({ ...result.rules, fallbackReason: 'openai: deadline exceeded', fallbackCode: 'error' });
  });
});
