import { describeFailure } from '../src/cli/flags.ts';
import { EXIT, type Command } from '../src/cli/io.ts';
import { MODEL_FLAGS, OPERATOR_HELP, parseOperatorConfig, type OperatorConfig } from '../src/config/operator-config.ts';
import type { ModelConfig } from '../src/analysis/model/model-config.ts';

/**
 * `ci-remediator operator`: parses the configuration (a bad value exits 2 naming the flag or environment
 * key) and hands over to main.ts, loaded only now. This is the operator's entry as a CLI command: it is
 * bundled on its own (dist/operator.js, scripts/build-cli.mjs) and bin/ci-remediator.js hands it to the
 * CLI, so src/ never imports operator/ and the other commands never load the Kubernetes client
 * (docs/adr/0003-cli-and-operator-entry.md).
 */
export const run: Command = async (args, io) => {
  let config: OperatorConfig;
  let model: Readonly<ModelConfig> | undefined;
  try {
    const parsed = parseOperatorConfig(args, io.env);
    if (parsed.help || parsed.config === undefined) {
      io.stdout.write(OPERATOR_HELP);
      return EXIT.ok;
    }
    config = parsed.config;
    model = await loadModel(config, args);
  } catch (error) {
    io.stderr.write(describeFailure('operator', error));
    io.stderr.write(`Run 'ci-remediator operator --help' for usage.\n`);
    return EXIT.usage;
  }
  const { runOperator } = await import('./main.ts');
  const code = await runOperator(config, { env: io.env, handleSignals: true, ...(model !== undefined && { model }) });
  // Client sockets and timers of libraries can outlive a clean shutdown by seconds; the work is done.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
};

/**
 * The model analyzer's settings (src/analysis/model/model-config.ts), parsed at start so a bad value exits 2
 * naming it (the flag when it came from one). The model libraries load only when a model key is set.
 */
async function loadModel(config: OperatorConfig, args: readonly string[]): Promise<Readonly<ModelConfig> | undefined> {
  if (config.modelEnv === undefined) return undefined;
  const { loadModelConfig, ModelConfigError } = await import('../src/analysis/model/model-config.ts');
  try {
    return loadModelConfig(config.modelEnv);
  } catch (error) {
    if (!(error instanceof ModelConfigError)) throw error;
    // model-config names the environment key; a value given as a flag is named as the flag.
    for (const [flag, key] of Object.entries(MODEL_FLAGS)) {
      if (error.message.startsWith(`${key}:`) && args.some((arg) => arg === `--${flag}` || arg.startsWith(`--${flag}=`))) {
        throw new ModelConfigError(`Invalid --${flag}${error.message.slice(key.length)}`, { cause: error });
      }
    }
    throw new ModelConfigError(`Invalid ${error.message}`, { cause: error });
  }
}
