import type { Readable } from 'node:stream';

/**
 * Everything a command touches outside itself. Commands take it as an argument so tests run them
 * in-process against buffers, and the real entry point passes the process's streams.
 */
export interface CliIO {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
}

export type Command = (args: string[], io: CliIO) => Promise<number>;

/** Exit codes, documented in `ci-remediator --help`. */
export const EXIT = Object.freeze({
  ok: 0,
  /** At least one input could not be processed (each is reported; the others still are). */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
});

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  };
}
