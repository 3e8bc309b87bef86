import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, processIO, type CliIO, type Command } from './io.ts';

const USAGE = `Usage: ci-remediator <command> [options]

Commands:
  analyze [options] <file|-> ...   Explain why a CI job failed, and what a policy would do about it
  audit [filters]                  List the audit trail (who or what did what, when, with what outcome)
  metrics [--since T] [--repo R]   Success rate, time to detect/analyze/approve/remediate, categories, risk
  retention --older-than 90d       Export, then delete, what is older
  operator [options]               Run the Kubernetes operator (watch, analyze and gate FailureRecords)
  mcp [options]                    Serve the read-only analysis tools over MCP (stdio) for a coding agent
  help                             Show this help
  --version                        Print the version

Run 'ci-remediator <command> --help' for a command's options.
`;

/** Loads a command when it runs: `analyze` must not pay for the database drivers that `audit` needs. */
export type CommandLoader = () => Promise<Command>;

const COMMANDS: Record<string, CommandLoader> = {
  analyze: async () => (await import('./commands/analyze.ts')).run,
  audit: async () => (await import('./commands/audit.ts')).run,
  metrics: async () => (await import('./commands/metrics.ts')).run,
  retention: async () => (await import('./commands/retention.ts')).run,
  mcp: async () => (await import('./commands/mcp.ts')).run,
};

/**
 * `operator` lives in operator/cli.ts: src/ never imports the operator, so the binary that has both
 * (bin/ci-remediator.js) passes it in as `adapters`. Without it the command says where it is.
 */
export async function main(argv: string[], io: CliIO = processIO(), adapters: Record<string, CommandLoader> = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`ci-remediator ${version()}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(adapters, name) ? adapters[name] : Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined && name === 'operator') {
    io.stderr.write(`ci-remediator: the operator command is not in this build; run bin/ci-remediator.js.\n`);
    return EXIT.usage;
  }
  if (load === undefined) {
    io.stderr.write(`ci-remediator: unknown command '${name}'.\n\n${USAGE}`);
    return EXIT.usage;
  }
  const command = await load();
  return command(rest, io);
}

/**
 * The version in the package's package.json, found by walking up from this module: the sources
 * (src/cli/main.ts) and the bundle (dist/cli.js) sit at different depths.
 */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ci-remediator' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here; keep walking.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
