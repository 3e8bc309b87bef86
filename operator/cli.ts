import { describeFailure } from '../src/cli/flags.ts';
import { EXIT, type Command } from '../src/cli/io.ts';
import { OPERATOR_HELP, parseOperatorConfig, type OperatorConfig } from '../src/config/operator-config.ts';

/**
 * `ci-remediator operator`: parses the configuration (a bad value exits 2 naming the flag or environment
 * key) and hands over to main.ts, loaded only now. This is the operator's entry as a CLI command: it is
 * bundled on its own (dist/operator.js, scripts/build-cli.mjs) and bin/ci-remediator.js hands it to the
 * CLI, so src/ never imports operator/ and the other commands never load the Kubernetes client
 * (docs/adr/0003-cli-and-operator-entry.md).
 */
export const run: Command = async (args, io) => {
  let config: OperatorConfig;
  try {
    const parsed = parseOperatorConfig(args, io.env);
    if (parsed.help || parsed.config === undefined) {
      io.stdout.write(OPERATOR_HELP);
      return EXIT.ok;
    }
    config = parsed.config;
  } catch (error) {
    io.stderr.write(describeFailure('operator', error));
    io.stderr.write(`Run 'ci-remediator operator --help' for usage.\n`);
    return EXIT.usage;
  }
  const { runOperator } = await import('./main.ts');
  const code = await runOperator(config, { env: io.env, handleSignals: true });
  // Client sockets and timers of libraries can outlive a clean shutdown by seconds; the work is done.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
};
