import { CiRemediatorError, InputError } from '../errors.ts';

/**
 * Store errors. Callers branch on the class (or `code`): the operator requeues a record on
 * StoreUnavailableError instead of moving it on, because no transition may happen without its audit row.
 * Messages name the database as `host:port/database` or the data directory, never the URL itself, so a
 * password in CI_REMEDIATOR_DATABASE_URL cannot leak into logs.
 */
export class StoreError extends CiRemediatorError {
  override readonly code: string = 'STORE_ERROR';
}

/**
 * The database cannot be reached, refused us (authentication, missing database), or dropped the
 * connection mid-statement. Writes are transactional, so nothing partial was committed; retrying the same
 * idempotent write is safe.
 */
export class StoreUnavailableError extends StoreError {
  override readonly code = 'STORE_UNAVAILABLE';
}

/**
 * The embedded store's data directory is held by another process (or already open in this one). PGlite is
 * single-process; two processes on one directory lose each other's writes, so the second is refused.
 */
export class StoreLockedError extends StoreError {
  override readonly code = 'STORE_LOCKED';
  /** The process holding the lock, when known. */
  readonly holderPid: number | null;

  constructor(message: string, holderPid: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.holderPid = holderPid;
  }
}

/** The database was migrated by a newer ci-remediator: its schema has migrations this build does not know. */
export class StoreVersionError extends StoreError {
  override readonly code = 'STORE_VERSION';
  readonly unknownMigrations: readonly string[];

  constructor(message: string, unknownMigrations: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.unknownMigrations = Object.freeze([...unknownMigrations]);
  }
}

/** A query the database rejected for a reason other than connectivity (a bug or a schema mismatch). */
export class StoreQueryError extends StoreError {
  override readonly code = 'STORE_QUERY_FAILED';
}

/** Store configuration (environment or flags) is unusable; the message names the key and the expected form. */
export class StoreConfigError extends InputError {
  override readonly code = 'STORE_CONFIG_INVALID';
}

/** A pagination cursor that this build did not produce (truncated, edited, or from another query). */
export class InvalidCursorError extends InputError {
  override readonly code = 'INVALID_CURSOR';
}

/** The retention export could not be written; nothing was deleted. */
export class RetentionExportError extends StoreError {
  override readonly code = 'RETENTION_EXPORT_FAILED';
}
