import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { StoreLockedError } from './errors.ts';

/**
 * PGlite is PostgreSQL in single-user mode inside this process: it keeps its buffers in this process's
 * memory and writes the data directory as if nothing else did. A second process on the same directory does
 * not fail; each sees only its own writes and, whichever stops last, overwrites the other's (rows a user was
 * told were recorded vanish without a word). So a data directory belongs to one process for that process's
 * life, recorded in a lock file beside it.
 *
 * The lock is a file created with O_EXCL holding the owner's pid and host. A lock whose pid no longer runs
 * on this host is stale (a crash, a kill -9) and is taken over. A lock from another host (a shared network
 * directory) cannot be checked, so it is refused; the message says how to clear it.
 */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  command: string;
}

/** Directories this process holds, so a second open in the same process is refused too (same hazard). */
const HELD = new Map<string, DataDirLock>();

export function lockDataDir(dataDir: string): DataDirLock {
  const path = `${dataDir}.lock`;
  if (HELD.has(path)) {
    throw new StoreLockedError(
      `The embedded store ${dataDir} is already open in this process (pid ${process.pid}); close it before opening it again.`,
      process.pid,
    );
  }
  for (let attempt = 0; ; attempt++) {
    const owner = tryCreate(path);
    if (owner === null) break;
    if (attempt === 0 && owner !== undefined && isStale(owner)) {
      removeIfUnchanged(path, owner);
      continue;
    }
    throw lockedError(dataDir, path, owner);
  }
  const lock: DataDirLock = {
    path,
    release() {
      if (HELD.get(path) !== lock) return;
      HELD.delete(path);
      if (HELD.size === 0) process.off('exit', releaseAllOnExit);
      try {
        unlinkSync(path);
      } catch {
        // Already gone (removed by hand): nothing left to release.
      }
    },
  };
  if (HELD.size === 0) process.on('exit', releaseAllOnExit);
  HELD.set(path, lock);
  return lock;
}

/** An 'exit' handler, so a CLI that ends without closing its store (process.exit) leaves no lock behind. */
function releaseAllOnExit(): void {
  for (const lock of [...HELD.values()]) lock.release();
}

/** null when the lock is now ours; otherwise its current owner (undefined when unreadable). */
function tryCreate(path: string): LockOwner | undefined | null {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') {
      throw new StoreLockedError(`Cannot create the embedded store's lock file ${path}: ${(error as Error).message}.`, null, { cause: error });
    }
    return readOwner(path);
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: [basename(process.argv[1] ?? 'node'), ...process.argv.slice(2, 3)].join(' ') };
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return null;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? ''), command: String(parsed.command ?? '') };
  } catch {
    // Half-written by a process that is creating it right now, or garbage: not provably stale.
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the pid runs, as another user. Only ESRCH says it is gone.
    return (error as { code?: string }).code === 'ESRCH';
  }
}

/** Removes a stale lock only if it still names the same owner, so a fresh lock taken meanwhile survives. */
function removeIfUnchanged(path: string, owner: LockOwner): void {
  const now = readOwner(path);
  if (now?.pid !== owner.pid || now.since !== owner.since) return;
  try {
    unlinkSync(path);
  } catch {
    // Someone else removed it first; the next create decides.
  }
}

function lockedError(dataDir: string, path: string, owner: LockOwner | undefined): StoreLockedError {
  const who = owner === undefined
    ? 'another process (its lock file cannot be read)'
    : `process ${owner.pid}${owner.host !== hostname() ? ` on host ${owner.host}` : ''}${owner.command ? ` (${owner.command})` : ''}, since ${owner.since}`;
  return new StoreLockedError(
    `The embedded store ${dataDir} is in use by ${who}. The embedded store (PGlite) serves one process at a time: ` +
      'stop that process, or use PostgreSQL for more than one (set CI_REMEDIATOR_DATABASE_URL=postgres://… for both), ' +
      `or give this one its own store with --data-dir. If no such process runs, delete ${path}.`,
    owner?.pid ?? null,
  );
}
