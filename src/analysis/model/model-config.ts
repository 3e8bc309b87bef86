import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from '../../duration.ts';
import { InputError } from '../../errors.ts';
import { DEFAULT_DEADLINE_MS, DEFAULT_MODEL, ModelAnalyzer, type ModelAnalyzerOptions } from './model-analyzer.ts';
import { DEFAULT_VERDICT_TTL_MS, VerdictCache } from './verdict-cache.ts';

/**
 * The model analyzer's settings from the environment, for the operator (and anything else that runs it
 * unattended). Parsed once into a frozen object; a bad value names its key. The CLI takes the same key and
 * base URL (src/cli/model-analysis.ts).
 */

export class ModelConfigError extends InputError {
  override readonly code = 'MODEL_CONFIG_INVALID';
}

const Duration = (key: string, min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text.trim());
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${key} must be a duration between ${min / 1000}s and ${max / 1000}s, such as '30s' or '24h'` });
      return z.NEVER;
    }
    return ms;
  });

export const ModelEnv = z.object({
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** A mounted Secret; wins over OPENAI_API_KEY. */
  OPENAI_API_KEY_FILE: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/, error: 'OPENAI_BASE_URL must be an http(s) URL such as https://api.openai.com/v1' }).optional(),
  CI_REMEDIATOR_MODEL: z.string().min(1).max(128).default(DEFAULT_MODEL),
  CI_REMEDIATOR_MODEL_MONTHLY_TOKENS: z.coerce.number().int().min(1000).optional(),
  CI_REMEDIATOR_MODEL_CACHE_TTL: Duration('CI_REMEDIATOR_MODEL_CACHE_TTL', 0, 30 * 86_400_000).optional(),
  CI_REMEDIATOR_MODEL_DEADLINE: Duration('CI_REMEDIATOR_MODEL_DEADLINE', 1_000, 600_000).optional(),
  CI_REMEDIATOR_MODEL_MAX_TURNS: z.coerce.number().int().min(1).max(20).optional(),
});

export interface ModelConfig {
  /** Absent: no policy may use `provider: openai`; such records are analyzed by rules, with the reason. */
  apiKey?: string;
  baseURL?: string;
  model: string;
  monthlyTokenBudget?: number;
  cacheTtlMs: number;
  deadlineMs: number;
  maxTurns?: number;
}

export function loadModelConfig(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): Readonly<ModelConfig> {
  const parsed = ModelEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelConfigError(`${issue?.path.join('.') ?? 'environment'}: ${issue?.message ?? 'invalid'}`);
  }
  const values = parsed.data;
  let apiKey = values.OPENAI_API_KEY;
  if (values.OPENAI_API_KEY_FILE !== undefined) {
    try {
      apiKey = readFile(values.OPENAI_API_KEY_FILE).trim();
    } catch (error) {
      throw new ModelConfigError(`OPENAI_API_KEY_FILE: cannot read ${values.OPENAI_API_KEY_FILE} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    if (apiKey === '') throw new ModelConfigError(`OPENAI_API_KEY_FILE: ${values.OPENAI_API_KEY_FILE} is empty`);
  }
  return Object.freeze({
    ...(apiKey !== undefined && { apiKey }),
    ...(values.OPENAI_BASE_URL !== undefined && { baseURL: values.OPENAI_BASE_URL.replace(/\/$/, '') }),
    model: values.CI_REMEDIATOR_MODEL,
    ...(values.CI_REMEDIATOR_MODEL_MONTHLY_TOKENS !== undefined && { monthlyTokenBudget: values.CI_REMEDIATOR_MODEL_MONTHLY_TOKENS }),
    cacheTtlMs: values.CI_REMEDIATOR_MODEL_CACHE_TTL ?? DEFAULT_VERDICT_TTL_MS,
    deadlineMs: values.CI_REMEDIATOR_MODEL_DEADLINE ?? DEFAULT_DEADLINE_MS,
    ...(values.CI_REMEDIATOR_MODEL_MAX_TURNS !== undefined && { maxTurns: values.CI_REMEDIATOR_MODEL_MAX_TURNS }),
  });
}

/** The analyzer for a configuration, or undefined without an API key. `deps` are the store and the tools' sources. */
export function createModelAnalyzer(config: Readonly<ModelConfig>, deps: Pick<ModelAnalyzerOptions, 'usage' | 'sources' | 'fetch'> = {}): ModelAnalyzer | undefined {
  if (config.apiKey === undefined) return undefined;
  return new ModelAnalyzer({
    apiKey: config.apiKey,
    ...(config.baseURL !== undefined && { baseURL: config.baseURL }),
    model: config.model,
    ...(config.monthlyTokenBudget !== undefined && { monthlyTokenBudget: config.monthlyTokenBudget }),
    deadlineMs: config.deadlineMs,
    ...(config.maxTurns !== undefined && { maxTurns: config.maxTurns }),
    ...(config.cacheTtlMs > 0 && { cache: new VerdictCache({ ttlMs: config.cacheTtlMs }) }),
    ...deps,
  });
}
