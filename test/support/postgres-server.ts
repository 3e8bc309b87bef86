import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A private PostgreSQL server for tests that stop the database: initdb into a temporary directory, started
 * on a free loopback port with its socket in that directory. The shared server on 127.0.0.1:5432 is never
 * touched (other test files use it at the same time). PostgreSQL refuses to run as root, so as root the
 * server runs as the `postgres` OS user, which owns the directory.
 */

const run = promisify(execFile);

export interface PostgresServer {
  port: number;
  dir: string;
  /** URL of the server's `postgres` database (trust authentication on loopback). */
  url: string;
  running(): boolean;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: sessions are ended, new connections are refused. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory (Debian layout), or PG_BIN. */
export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  if (!bin) throw new Error('no PostgreSQL server binaries found under /usr/lib/postgresql (set PG_BIN to the directory holding initdb and pg_ctl)');
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'ci-remediator-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { cwd: dir }) : run(join(bin, tool), args, { cwd: dir });

  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`;
  let up = false;

  const start = async (): Promise<void> => {
    await pg('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'postgres.log'), '-o', options]);
    up = true;
  };
  const stop = async (): Promise<void> => {
    await pg('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
    up = false;
  };
  await start();
  return {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    running: () => up,
    start,
    stop,
    destroy: async () => {
      try {
        await pg('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
