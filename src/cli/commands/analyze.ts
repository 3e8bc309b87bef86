import { parseArgs } from 'node:util';
import { analyzeLog } from '../../report/log-report.ts';
import type { RemediationPolicy } from '../../api/remediation-policy.ts';
import { argsErrorMessage, CiRemediatorError, errorMessage, InputError } from '../../errors.ts';
import { DEFAULT_POLICY, NO_MATCH_POLICY } from '../../policy/default-policy.ts';
import { loadPolicyFile } from '../../policy/policy-loader.ts';
import { selectPolicy } from '../../policy/policy-matcher.ts';
import { reportJson, reportText } from '../analyze-report.ts';
import { EXIT, type CliIO, type Command } from '../io.ts';
import { openLog } from '../log-files.ts';
import { colourEnabled, painter, type Paint } from '../style.ts';
import { describeFailure, openCliStore, parsePositiveInteger, parseRepository } from '../flags.ts';
import type { RecordAnalysisResult } from '../../store/types.ts';
import type { Store } from '../../store/store.ts';
import type { ModelFlags, ModelSetup } from '../model-analysis.ts';

const HELP = `Usage: ci-remediator analyze [options] <file|-> ...

Explains why a CI job failed: the category, the key line and an excerpt with line numbers, risk,
confidence, effort, the components involved, the proposed remediation, and the gate's decision under a
RemediationPolicy. Secrets are redacted before anything is printed. '-' reads standard input.

Options:
  --json              One JSON object per input file, one per line
  --policy FILE       Gate under the RemediationPolicy document(s) in FILE (YAML, as for kubectl apply)
                      instead of the embedded default policy
  --repo OWNER/NAME   The repository the log belongs to; chooses among the policies in --policy
  --job NAME          The failed job's name, as the action and the operator know it (weak evidence)
  --step NAME         The failed step's name (e.g. 'Run npm test'): weak evidence that settles a close call
  --max-lines N       Upper bound on excerpt lines (default 60)
  --max-bytes N       Upper bound on excerpt bytes (default 8192)
  --record            Store each analysis (audit entry, failure history, timings) and use what is on record
                      about the same failure: CI_REMEDIATOR_DATABASE_URL (postgres://) when set, else the
                      embedded store in --data-dir, CI_REMEDIATOR_DATA_DIR or ~/.local/share/ci-remediator
  --data-dir DIR      Where the embedded store lives (with --record)
  --provider P        rules (default) or openai: a model reads the excerpt too and its verdict is merged
                      under rules it cannot bend (docs/analysis.md); OPENAI_API_KEY, OPENAI_BASE_URL
  --model M           The model for --provider openai (default gpt-4o, or the policy's analysis.model)
  --openai-api-key-file FILE  Read the API key from FILE instead of OPENAI_API_KEY
  --color, --no-color Force colour on or off (default: on for a terminal, off when piped or NO_COLOR is set)
  -h, --help          Show this help

Exit status: 0 when every file was analyzed, 1 when any could not be, 2 for a bad command line.
`;

interface AnalyzeFlags {
  json: boolean;
  policies: RemediationPolicy[] | null;
  policySource?: string;
  repository?: string;
  jobName?: string;
  failedStep?: string;
  maxLines?: number;
  maxBytes?: number;
  colour: boolean;
  record: boolean;
  dataDir?: string;
  model: ModelFlags;
  files: string[];
}

export const run: Command = async (args, io) => {
  let flags: AnalyzeFlags;
  try {
    const parsed = parseFlags(args, io);
    if (parsed === 'help') {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    flags = parsed;
    if (flags.policySource !== undefined) flags.policies = await loadPolicyFile(flags.policySource);
  } catch (error) {
    io.stderr.write(`ci-remediator analyze: ${argsErrorMessage(error)}\n`);
    if (!(error instanceof CiRemediatorError)) io.stderr.write(`Run 'ci-remediator analyze --help' for usage.\n`);
    return EXIT.usage;
  }

  let policy: RemediationPolicy;
  try {
    policy = choosePolicy(flags);
  } catch (error) {
    io.stderr.write(`ci-remediator analyze: ${errorMessage(error)}\n`);
    return EXIT.usage;
  }

  let store: Store | undefined;
  if (flags.record) {
    try {
      store = await openCliStore({ env: io.env, cwd: io.cwd, dataDir: flags.dataDir });
    } catch (error) {
      io.stderr.write(describeFailure('analyze', error));
      return EXIT.failed;
    }
  }

  let model: ModelSetup | undefined;
  // The model's libraries (the agent SDK, the OpenAI client) load only for --provider openai: a rules-only
  // analyze starts as fast as before.
  const modelCli = flags.model.provider === 'openai' ? await import('../model-analysis.ts') : undefined;
  try {
    model = await modelCli?.modelSetup(flags.model, io.env, store);
  } catch (error) {
    io.stderr.write(`ci-remediator analyze: ${errorMessage(error)}\n`);
    await store?.close();
    return EXIT.usage;
  }

  const paint = painter(flags.colour);
  let failures = 0;
  let first = true;
  try {
    for (const file of flags.files) {
      try {
        const detectedAt = io.now();
        const source = await openLog(file, io.stdin);
        const rulesReport = await analyzeLog(source, {
          policy,
          repository: flags.repository,
          ...(flags.jobName !== undefined && { jobName: flags.jobName }),
          ...(flags.failedStep !== undefined && { failedStep: flags.failedStep }),
          extract: { ...(flags.maxLines && { maxLines: flags.maxLines }), ...(flags.maxBytes && { maxBytes: flags.maxBytes }) },
          ...(store && { history: (fingerprint: string) => store.failureHistory(flags.repository ?? '', fingerprint) }),
        });
        const modelResult = model && modelCli && (await modelCli.withModel(model, rulesReport, { policy, repository: flags.repository, now: io.now(), model: flags.model.model }));
        const report = modelResult?.report ?? rulesReport;
        const recorded = store
          ? await store.recordAnalysis({ file, repository: flags.repository, analysis: report.analysis, detectedAt, analyzedAt: io.now() })
          : undefined;
        if (flags.json) {
          io.stdout.write(JSON.stringify({ ...reportJson(file, report), ...(modelResult && model && modelCli?.modelJson(modelResult, model.model)), ...(recorded && { record: recordJson(recorded) }) }) + '\n');
        } else {
          io.stdout.write((first ? '' : '\n') + reportText(file, report, paint));
          if (modelResult && model && modelCli) io.stdout.write(modelCli.modelText(modelResult, model.model, paint));
          if (recorded && store) io.stdout.write(recordText(recorded, store.location, paint));
        }
      } catch (error) {
        failures += 1;
        // Fail closed: an error (redaction included) prints the file and the reason, never a partial excerpt.
        const message = fileErrorMessage(file, error);
        if (flags.json) io.stdout.write(JSON.stringify({ file, error: message }) + '\n');
        else io.stderr.write(`${paint('red', 'error')} ${message}\n`);
      }
      first = false;
    }
  } finally {
    await store?.close();
  }
  return failures > 0 ? EXIT.failed : EXIT.ok;
};

function recordJson(recorded: RecordAnalysisResult): Record<string, unknown> {
  return { recorded: recorded.recorded, idempotencyKey: recorded.idempotencyKey, history: recorded.history };
}

function recordText(recorded: RecordAnalysisResult, location: string, paint: Paint): string {
  const { occurrences, rerunAttempts, rerunFixed } = recorded.history;
  const what = recorded.recorded ? 'recorded' : 'already on record';
  return (
    `${paint('dim', 'Record'.padEnd(12))}${what} in ${location}: seen ${occurrences} time${occurrences === 1 ? '' : 's'}` +
    `, re-run ${rerunAttempts} time${rerunAttempts === 1 ? '' : 's'}, fixed by a re-run ${rerunFixed}\n`
  );
}

function parseFlags(args: string[], io: CliIO): AnalyzeFlags | 'help' {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      policy: { type: 'string' },
      repo: { type: 'string' },
      job: { type: 'string' },
      step: { type: 'string' },
      'max-lines': { type: 'string' },
      'max-bytes': { type: 'string' },
      record: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      provider: { type: 'string', default: 'rules' },
      model: { type: 'string' },
      'openai-api-key-file': { type: 'string' },
      color: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (positionals.length === 0) throw new Error('no log file given (use - for standard input)');
  if (positionals.filter((p) => p === '-').length > 1) throw new Error("standard input ('-') can be read only once");
  if (values.provider !== 'rules' && values.provider !== 'openai') throw new InputError(`Invalid --provider '${values.provider}'. Expected rules or openai.`);
  if (values.provider === 'rules' && (values.model !== undefined || values['openai-api-key-file'] !== undefined)) {
    throw new InputError('--model and --openai-api-key-file need --provider openai');
  }
  const colour = values['no-color'] ? false : values.color ? true : colourEnabled(io.stdout, io.env);
  return {
    json: values.json,
    policies: null,
    policySource: values.policy,
    repository: values.repo === undefined ? undefined : parseRepository(values.repo),
    ...(values.job !== undefined && { jobName: values.job }),
    ...(values.step !== undefined && { failedStep: values.step }),
    maxLines: values['max-lines'] === undefined ? undefined : parsePositiveInteger(values['max-lines'], '--max-lines', 10_000),
    maxBytes: values['max-bytes'] === undefined ? undefined : parsePositiveInteger(values['max-bytes'], '--max-bytes', 16 * 1024 * 1024),
    colour,
    record: values.record,
    dataDir: values['data-dir'],
    model: {
      provider: values.provider,
      ...(values.model !== undefined && { model: values.model }),
      ...(values['openai-api-key-file'] !== undefined && { apiKeyFile: values['openai-api-key-file'] }),
    },
    files: positionals,
  };
}

/**
 * Without --policy the embedded default governs. With a policy file, --repo picks the most specific match
 * (no match: the documented safe default, approval required); a single policy applies as it is.
 */
function choosePolicy(flags: AnalyzeFlags): RemediationPolicy {
  if (flags.policies === null) return DEFAULT_POLICY;
  if (flags.repository !== undefined) return selectPolicy(flags.policies, flags.repository)?.policy ?? NO_MATCH_POLICY;
  const [only, ...others] = flags.policies;
  if (only !== undefined && others.length === 0) return only;
  throw new InputError(`${flags.policySource} holds ${flags.policies.length} policies; give --repo OWNER/NAME to choose one`);
}

function fileErrorMessage(file: string, error: unknown): string {
  const message = errorMessage(error);
  return message.startsWith(file) ? message : `${file}: ${message}`;
}
