import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import knexFactory, { type Knex } from 'knex';
import { StoreError, StoreQueryError, StoreUnavailableError, StoreVersionError } from './errors.ts';
import { BundledMigrationSource, MIGRATIONS, MIGRATIONS_TABLE } from './migrations/index.ts';
import type { StoreConfig } from './store-config.ts';

/**
 * Opens a knex instance on the configured engine. Both engines speak PostgreSQL's dialect (knex's `pg`
 * client and knex-pglite, which subclasses it), so everything above this file is engine-agnostic.
 */
export async function connect(config: StoreConfig): Promise<Knex> {
  // knex prints migration failures and pool warnings to the console itself; every failure also reaches the
  // caller as a thrown error, which is the one place that reports it.
  const log = { warn: silent, error: silent, deprecate: silent, debug: silent };
  if (config.engine === 'postgres') {
    return knexFactory({
      client: 'pg',
      connection: {
        connectionString: config.url,
        application_name: config.applicationName,
        connectionTimeoutMillis: config.connectTimeoutMs,
        keepAlive: true,
      },
      // min 0: an idle CLI or operator holds no sessions the server might reap.
      pool: { min: 0, max: config.poolMax },
      acquireConnectionTimeout: config.connectTimeoutMs + 5_000,
      log,
    });
  }
  if (config.dataDir !== null) {
    try {
      await mkdir(config.dataDir, { recursive: true });
    } catch (error) {
      throw new StoreUnavailableError(`Cannot create the embedded store directory ${config.dataDir}: ${reasonOf(error)}`, { cause: error });
    }
  }
  limitWasmCompilation();
  // Loaded only here so a PostgreSQL deployment never pays for the WASM build.
  const [{ default: ClientPglite }, { PGlite }] = await Promise.all([import('knex-pglite'), import('@electric-sql/pglite')]);
  const pglite = new PGlite(config.dataDir ?? undefined, { startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS] });
  return knexFactory({
    client: ClientPglite,
    dialect: 'postgres',
    // knex-pglite takes a ready-made instance, which is how the settings above reach it.
    connection: { pglite } as unknown as Knex.StaticConnectionConfig,
    log,
  });
}

/**
 * PGlite runs PostgreSQL's stock settings, sized for a server: 128 MB of shared buffers, allocated inside the
 * WASM heap, for an audit trail of a few MB. 16 MB holds the whole working set of a trial; a real deployment
 * uses PostgreSQL. (Measured by `npm run bench:store-memory`; docs/store.md has the figures.)
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=16MB', '-c', 'wal_buffers=1MB', '-c', 'temp_buffers=2MB', '-c', 'maintenance_work_mem=8MB'];

let wasmLimited = false;

/**
 * PGlite's WASM module is about 10 MB of code. V8 compiles it at once with its baseline compiler (Liftoff),
 * then recompiles the hot functions with TurboFan on background threads: that second compilation is what
 * took the operator to 1.1 GB RSS while it opened the store, and left ~300 MB behind. The store is
 * I/O-bound (every statement ends in a file write), so baseline code is fast enough. The flags apply to WASM
 * compiled from now on in this process, and PGlite's is the only WASM the CLI and the operator load.
 */
function limitWasmCompilation(): void {
  if (wasmLimited) return;
  wasmLimited = true;
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}

/** Brings the schema to this build's latest migration, refusing a schema from a newer build. */
export async function migrateToLatest(knex: Knex, where: string): Promise<void> {
  await refuseNewerSchema(knex, where);
  try {
    await knex.migrate.latest({ migrationSource: new BundledMigrationSource(), tableName: MIGRATIONS_TABLE });
  } catch (error) {
    // A newer replica may have migrated between our check and knex's; say so rather than "corrupt".
    await refuseNewerSchema(knex, where);
    throw error;
  }
}

async function refuseNewerSchema(knex: Knex, where: string): Promise<void> {
  if (!(await knex.schema.hasTable(MIGRATIONS_TABLE))) return;
  const rows: Array<{ name: string }> = await knex(MIGRATIONS_TABLE).select('name').orderBy('id');
  const known = new Set(MIGRATIONS.map((migration) => migration.name));
  const unknown = rows.map((row) => row.name).filter((name) => !known.has(name));
  if (unknown.length === 0) return;
  const latest = MIGRATIONS.at(-1)?.name ?? '(none)';
  throw new StoreVersionError(
    `The store at ${where} was migrated by a newer ci-remediator: it has migration ${unknown.map((n) => `'${n}'`).join(', ')}, ` +
      `which this version (latest migration '${latest}') does not know. Upgrade ci-remediator, or point it at another database.`,
    unknown,
  );
}

// Connection-level failures: the server is not there, refused us, or went away (class 08, admin shutdown
// 57P01 as sent by pg_terminate_backend, crash 57P02, starting up 57P03, too many connections 53300,
// missing database 3D000, authentication 28xxx).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  '57P01', '57P02', '57P03', '53300', '3D000', '28P01', '28000',
]);
const UNAVAILABLE_MESSAGES =
  /connection terminated|connection (?:is )?closed|connection ended|timeout acquiring a connection|timeout exceeded when trying to connect|encountered a connection error|not queryable|pglite is closed|server closed the connection/i;

export function isUnavailable(error: unknown): boolean {
  // Duck-typed, not instanceof: errors from node:net can come from another realm (jest's vm, workers).
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors, cause } = error as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  if (Array.isArray(errors) && errors.some(isUnavailable)) return true;
  // 08P01 is a protocol violation: our bug, not the network's.
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || (code.startsWith('08') && code !== '08P01'))) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  return cause !== undefined && cause !== error && isUnavailable(cause);
}

/**
 * Turns whatever a driver threw into a StoreError naming where the store is. Our own errors pass through.
 * `secret` (the URL's password) is scrubbed from the reason, in case a driver ever echoes it.
 */
export function toStoreError(error: unknown, where: string, doing: string, secret?: string): StoreError {
  if (error instanceof StoreError) return error;
  let reason = reasonOf(error);
  if (secret) reason = reason.split(secret).join('***');
  if (isUnavailable(error)) {
    return new StoreUnavailableError(`The store at ${where} is unavailable (${doing}): ${reason}`, { cause: error });
  }
  return new StoreQueryError(`The store at ${where} rejected ${doing}: ${reason}`, { cause: error });
}

function reasonOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { message, errors, code, name } = error as { message?: unknown; errors?: unknown; code?: unknown; name?: unknown };
  if (Array.isArray(errors) && errors.length > 0) return [...new Set(errors.map(reasonOf))].join('; ');
  if (typeof message === 'string' && message !== '') {
    // knex prefixes the SQL to the driver's message; the SQL is noise to a user reading why it failed.
    return message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message;
  }
  return typeof code === 'string' ? code : typeof name === 'string' ? name : String(error);
}

function silent(): void {}
