import { describe, expect, it } from '@jest/globals';
import { createModelAnalyzer, loadModelConfig } from '../../../../src/analysis/model/model-config.ts';

describe('loadModelConfig', () => {
  it('defaults: gpt-4o, 24 h cache, 60 s deadline, no key means no model analyzer', () => {
    const config = loadModelConfig({});
    expect(config).toEqual({ model: 'gpt-4o', cacheTtlMs: 86_400_000, deadlineMs: 60_000 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(createModelAnalyzer(config)).toBeUndefined();
  });

  it('reads the key from a file, the base URL, budgets and durations', () => {
    const config = loadModelConfig(
      { OPENAI_API_KEY: 'env-key', OPENAI_API_KEY_FILE: '/secrets/openai', OPENAI_BASE_URL: 'http://vllm:8000/v1/', CI_REMEDIATOR_MODEL: 'llama-3.1-70b', CI_REMEDIATOR_MODEL_MONTHLY_TOKENS: '5000000', CI_REMEDIATOR_MODEL_CACHE_TTL: '1h', CI_REMEDIATOR_MODEL_DEADLINE: '30s' },
      (path) => (path === '/secrets/openai' ? 'file-key\n' : ''),
    );
    expect(config).toEqual({ apiKey: 'file-key', baseURL: 'http://vllm:8000/v1', model: 'llama-3.1-70b', monthlyTokenBudget: 5_000_000, cacheTtlMs: 3_600_000, deadlineMs: 30_000 });
    expect(createModelAnalyzer(config)?.name).toBe('openai');
  });

  it.each([
    [{ OPENAI_BASE_URL: 'ftp://x' }, 'OPENAI_BASE_URL: OPENAI_BASE_URL must be an http(s) URL'],
    [{ CI_REMEDIATOR_MODEL_DEADLINE: '2h' }, "CI_REMEDIATOR_MODEL_DEADLINE: CI_REMEDIATOR_MODEL_DEADLINE must be a duration between 1s and 600s"],
    [{ CI_REMEDIATOR_MODEL_MONTHLY_TOKENS: '12' }, 'CI_REMEDIATOR_MODEL_MONTHLY_TOKENS'],
  ])('names the bad key %j', (env, message) => {
    expect(() => loadModelConfig(env)).toThrow(message);
  });

  it('names an unreadable key file', () => {
    expect(() =>
      loadModelConfig({ OPENAI_API_KEY_FILE: '/nope' }, () => {
        throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      }),
    ).toThrow('OPENAI_API_KEY_FILE: cannot read /nope (ENOENT)');
  });
});
