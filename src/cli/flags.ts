import { parseRepositoryName, REPOSITORY_FORMAT } from '../api/common.ts';
import { argsErrorMessage, CiRemediatorError, InputError } from '../errors.ts';
import { CATEGORIES, type Category } from '../analysis/taxonomy.ts';
import type { Store } from '../store/store.ts';

/** What the commands share: checking flags, and opening the configured store (audit, metrics, retention, analyze --record). */

export interface CliStoreOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** `--data-dir` */
  dataDir?: string;
}

/** CI_REMEDIATOR_DATABASE_URL when set, else the embedded store under --data-dir / CI_REMEDIATOR_DATA_DIR / XDG. */
// Loaded on demand: `analyze` without --record must not pay for knex and the database drivers at start-up.
export async function openCliStore(options: CliStoreOptions): Promise<Store> {
  const [{ openStore }, { loadStoreConfig }] = await Promise.all([import('../store/store.ts'), import('../store/store-config.ts')]);
  return openStore(loadStoreConfig(options.env, { cwd: options.cwd, ...(options.dataDir !== undefined && { dataDir: options.dataDir }) }));
}

/** Opens the configured store, runs `use`, and closes the store whatever happens. */
export async function withCliStore<T>(options: CliStoreOptions, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openCliStore(options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

export function parseRepository(value: string): string {
  if (parseRepositoryName(value) === undefined) throw new InputError(`Invalid --repo '${value}'. Expected ${REPOSITORY_FORMAT}.`);
  return value;
}

export function parseCategory(value: string): Category {
  if (!(CATEGORIES as readonly string[]).includes(value)) {
    throw new InputError(`Unknown --category '${value}'. Expected one of: ${CATEGORIES.join(', ')}.`);
  }
  return value as Category;
}

/** A flag whose value is one of a fixed list (`--format table|json|csv`). */
export function parseChoice<T extends string>(value: string, choices: readonly T[], flag: string): T {
  if (!(choices as readonly string[]).includes(value)) throw new InputError(`Invalid ${flag} '${value}'. Expected one of: ${choices.join(', ')}.`);
  return value as T;
}

export function parsePositiveInteger(value: string, flag: string, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max) {
    throw new InputError(`Invalid ${flag} '${value}'. Expected a whole number from 1 to ${max}.`);
  }
  return number;
}

/** One line for stderr. Our coded errors already say what and why; anything else is a bug, shown as is. */
export function describeFailure(command: string, error: unknown): string {
  const code = error instanceof CiRemediatorError ? ` [${error.code}]` : '';
  return `ci-remediator ${command}: ${argsErrorMessage(error)}${code}\n`;
}
