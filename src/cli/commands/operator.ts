import { OPERATOR_HELP, parseOperatorConfig, type OperatorConfig } from '../../config/operator-config.ts';
import { describeFailure } from '../flags.ts';
import { EXIT, type Command } from '../io.ts';

/**
 * `ci-remediator operator`: parses the configuration (a bad value exits 2 naming the flag or environment
 * key) and hands over to operator/main.ts, loaded only now so the other commands never load the
 * Kubernetes client.
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
  const { runOperator } = await import('../../../operator/main.ts');
  const code = await runOperator(config, { env: io.env, handleSignals: true });
  // Client sockets and timers of libraries can outlive a clean shutdown by seconds; the work is done.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
};
