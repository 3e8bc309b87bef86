import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../errors.ts';
import { describeFailure, withCliStore } from '../flags.ts';
import { parseDurationFlag } from '../duration.ts';
import { EXIT, type Command } from '../io.ts';

const HELP = `Usage: ci-remediator retention --older-than DURATION [--export FILE.jsonl]

Deletes audit entries, failure timings and failure history older than DURATION. With --export, first
writes every row it will delete to FILE as JSON lines ({"table": ..., "row": {...}}) and fsyncs it; the
deletion then runs in one transaction over exactly the rows exported. FILE must not exist yet.

Options:
  --older-than D      Age of what to delete: 90d, 24h, 30m, 2w (units s, m, h, d, w)
  --export FILE       Write what is deleted to FILE first
  --data-dir DIR      Embedded store directory (see 'ci-remediator audit --help')
  -h, --help          Show this help

Exit status: 0 on success, 1 when the export or the store failed (nothing deleted), 2 for a bad command line.
`;

export const run: Command = async (args, io) => {
  let cutoff: Date;
  let exportPath: string | undefined;
  let dataDir: string | undefined;
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'older-than': { type: 'string' },
        export: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    // Required, with no default: deleting history is never something to do by omission.
    if (values['older-than'] === undefined) throw new InputError('Missing --older-than. Expected a duration such as 90d.');
    cutoff = new Date(io.now().getTime() - parseDurationFlag(values['older-than'], '--older-than'));
    if (values.export !== undefined) exportPath = resolve(io.cwd, values.export);
    dataDir = values['data-dir'];
  } catch (error) {
    io.stderr.write(describeFailure('retention', error));
    io.stderr.write(`Run 'ci-remediator retention --help' for usage.\n`);
    return EXIT.usage;
  }

  try {
    const result = await withCliStore({ env: io.env, cwd: io.cwd, dataDir }, (store) => store.retention(cutoff, exportPath));
    if (result.exportPath !== null) io.stdout.write(`Exported ${result.exported} rows to ${result.exportPath}.\n`);
    const { audit, timings, failureHistory, modelUsage } = result.deleted;
    io.stdout.write(
      `Deleted what was older than ${cutoff.toISOString()}: ${audit} audit entries, ${timings} failure timings, ${failureHistory} failure histories, ${modelUsage} model usage rows.\n`,
    );
  } catch (error) {
    io.stderr.write(describeFailure('retention', error));
    return EXIT.failed;
  }
  return EXIT.ok;
};
