import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { StoreConfigError } from './errors.ts';

/**
 * Where the store lives. With CI_REMEDIATOR_DATABASE_URL set (postgres:// or postgresql://) it is that
 * PostgreSQL server; otherwise it is PGlite, PostgreSQL compiled to WASM, in a local data directory, so the
 * CLI and a single-replica operator need no server and still run the same migrations and queries.
 */
export type StoreConfig = PostgresStoreConfig | PgliteStoreConfig;

export interface PostgresStoreConfig {
  readonly engine: 'postgres';
  /** Connection URL; holds the password, so it is never printed. */
  readonly url: string;
  /** `host:port/database`, the only form of the URL that appears in messages. */
  readonly target: string;
  /** Shown in pg_stat_activity, so an operator (or a test) can find this process's sessions. */
  readonly applicationName: string;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
}

export interface PgliteStoreConfig {
  readonly engine: 'pglite';
  /** PGlite data directory; null keeps the database in memory (tests, throwaway runs). */
  readonly dataDir: string | null;
}

/** The environment keys the store reads, parsed once. */
export const StoreEnv = z.object({
  CI_REMEDIATOR_DATABASE_URL: z.string().trim().optional(),
  CI_REMEDIATOR_DATA_DIR: z.string().trim().optional(),
  XDG_DATA_HOME: z.string().trim().optional(),
  HOME: z.string().trim().optional(),
});
export type StoreEnv = z.infer<typeof StoreEnv>;

export interface StoreConfigOverrides {
  /** `--data-dir`: wins over CI_REMEDIATOR_DATA_DIR. Ignored when a database URL is configured. */
  dataDir?: string;
  /** Relative data directories resolve against this (the CLI's working directory). */
  cwd?: string;
  applicationName?: string;
  poolMax?: number;
  connectTimeoutMs?: number;
}

const POSTGRES_SCHEMES = new Set(['postgres:', 'postgresql:']);

export function loadStoreConfig(env: NodeJS.ProcessEnv, overrides: StoreConfigOverrides = {}): StoreConfig {
  const parsed = StoreEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreConfigError(`Invalid ${String(issue?.path[0] ?? 'store environment')}: ${issue?.message ?? 'unusable value'}.`);
  }
  const vars = parsed.data;
  const url = emptyToUndefined(vars.CI_REMEDIATOR_DATABASE_URL);
  if (url !== undefined) {
    return Object.freeze({
      engine: 'postgres',
      url,
      target: describePostgresUrl(url),
      applicationName: overrides.applicationName ?? 'ci-remediator',
      poolMax: overrides.poolMax ?? 10,
      connectTimeoutMs: overrides.connectTimeoutMs ?? 10_000,
    });
  }
  const cwd = overrides.cwd ?? process.cwd();
  const chosen = emptyToUndefined(overrides.dataDir) ?? emptyToUndefined(vars.CI_REMEDIATOR_DATA_DIR);
  const base = chosen !== undefined ? resolve(cwd, chosen) : defaultDataDir(vars);
  return Object.freeze({ engine: 'pglite', dataDir: join(base, 'store') });
}

/** `$XDG_DATA_HOME/ci-remediator`, else `~/.local/share/ci-remediator` (the XDG base directory default). */
export function defaultDataDir(vars: Pick<StoreEnv, 'XDG_DATA_HOME' | 'HOME'>): string {
  const xdg = emptyToUndefined(vars.XDG_DATA_HOME);
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'ci-remediator');
  const home = emptyToUndefined(vars.HOME) ?? homedir();
  return join(home, '.local', 'share', 'ci-remediator');
}

/**
 * `host:port/database` for a postgres URL, validating it on the way. Never echoes the input: a URL that
 * fails to parse may still hold a password.
 */
export function describePostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // No `cause`: Node's ERR_INVALID_URL carries the input, password included.
    throw new StoreConfigError('Invalid CI_REMEDIATOR_DATABASE_URL: not a URL. Expected postgres://user:password@host:5432/database.');
  }
  if (!POSTGRES_SCHEMES.has(parsed.protocol)) {
    throw new StoreConfigError(
      `Invalid CI_REMEDIATOR_DATABASE_URL: scheme '${parsed.protocol.replace(/:$/, '')}' is not supported. ` +
        'Expected postgres://user:password@host:5432/database (or postgresql://), or leave it unset for the embedded store.',
    );
  }
  // A Unix socket is given as ?host=/path; the URL host is then empty.
  const host = parsed.searchParams.get('host') ?? (parsed.hostname || 'localhost');
  const port = parsed.port || '5432';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
  return `${host}:${port}/${database}`;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
