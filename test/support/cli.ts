import { Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, as a user would from a shell, with its output captured. */
export async function runCli(args: string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv; tty?: boolean; now?: Date } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env: options.env ?? {},
    cwd: process.cwd(),
    now: () => options.now ?? new Date('2026-11-26T12:00:00Z'),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Parses `--json` output: one object per line. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
