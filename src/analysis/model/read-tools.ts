import type { FailureHistory } from '../rules-analyzer.ts';
import type { JobEvidence } from '../analyzer.ts';
import { detectInjection, wrapUntrusted, type InjectionSpan } from '../injection-detector.ts';
import { normalizeLine } from '../../logs/log-normalizer.ts';
import type { Redact } from './redaction.ts';
import { RecordBudget, estimateTokens } from './token-budget.ts';
import {
  DEFAULT_LOG_WINDOW_LINES,
  ReadJobLogInput,
  RecentRunsInput,
  type ReadToolName,
} from './tool-schemas.ts';

/**
 * The read-only tools behind the schemas of tool-schemas.ts. Every result is bounded (lines, bytes), redacted,
 * counted against the record's input budget and framed as untrusted data with its provenance before the
 * model sees a byte of it; instruction-like content in it is recorded as suspected injection.
 */

/** What the tools read from; every source is optional (the CLI has no GitHub, a test may have no store). */
export interface ToolSources {
  jobLog?(repository: string, jobId: number, options: { maxBytes: number; signal?: AbortSignal }): Promise<LogSource>;
  fileAt?(repository: string, path: string, ref: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<string | null>;
  changedFiles?(): Promise<{ files: string[]; complete: boolean }>;
  history?(fingerprint: string): Promise<FailureHistory | null>;
  recentRuns?(repository: string, workflowPath: string, branch: string, limit: number): Promise<RunSummary[]>;
}

export interface RunSummary {
  id: number;
  attempt: number;
  conclusion: string | null;
  status: string;
  headSha: string;
  createdAt: string;
  event?: string;
}

/** A log as the GitHub client streams it (or, in a test, its text). */
export type LogSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** What one record lets the tools see: only its own jobs, commit and workflow. */
export interface ToolScope {
  repository?: string;
  jobs: readonly JobEvidence[];
  fingerprint: string;
  workflowPath?: string;
  commitSha?: string;
  branch?: string;
  changedFiles?: readonly string[];
}

/** A downloaded log is read at most this far; a window past it says so. */
export const MAX_LOG_BYTES = 32 * 1024 * 1024;
export const MAX_FILE_BYTES = 64 * 1024;
export const MAX_FILE_LINES = 400;
export const MAX_CHANGED_FILES_SHOWN = 200;
const MAX_LINE_CHARS = 500;

export interface ToolSession {
  readonly budget: RecordBudget;
  /** Everything the model was shown, as it was shown (evidence must be found in here). */
  readonly shown: string[];
  readonly injection: InjectionSpan[];
  readonly calls: ReadToolName[];
  run(name: ReadToolName, input: unknown, signal?: AbortSignal): Promise<string>;
}

export function createToolSession(scope: ToolScope, sources: ToolSources, budget: RecordBudget, redact: Redact): ToolSession {
  const shown: string[] = [];
  const injection: InjectionSpan[] = [];
  const calls: ReadToolName[] = [];

  async function deliver(source: string, raw: string): Promise<string> {
    const redacted = await redact(raw);
    const framed = wrapUntrusted({ source, text: redacted });
    let delivered = framed;
    if (!budget.tryCharge(framed)) {
      // Cut to what still fits, keeping the frame; below a useful size the model is told the budget is spent.
      const room = budget.remaining - estimateTokens(wrapUntrusted({ source, text: '' })) - 20;
      const cut = room > 50 ? RecordBudget.fitLines(redacted, room) : '';
      if (cut === '') {
        const refusal = `The input-token budget of this analysis (${budget.limit}) is spent: ${source} was not read. Answer with what you have.`;
        budget.charge(refusal);
        return refusal;
      }
      delivered = wrapUntrusted({ source, text: `${cut}\n[cut: the rest did not fit the input-token budget]` });
      budget.charge(delivered);
    }
    shown.push(delivered);
    injection.push(...detectInjection([{ source, text: redacted }]));
    return delivered;
  }

  const tools: Record<ReadToolName, (input: unknown, signal?: AbortSignal) => Promise<string>> = {
    async read_job_log(input, signal) {
      const { jobId, startLine, lines } = ReadJobLogInput.parse(input);
      const job = scope.jobs.find((candidate) => candidate.id === jobId);
      if (job === undefined) return `Job ${jobId} is not one of this failure's jobs (${scope.jobs.map((j) => j.id).filter((id) => id !== undefined).join(', ') || 'none has an id'}).`;
      if (sources.jobLog === undefined || scope.repository === undefined) return 'The job log cannot be fetched here (no GitHub access); use the excerpt.';
      const key = job.extraction.keyLine?.line ?? 1;
      const from = startLine ?? Math.max(1, key - Math.floor((lines ?? DEFAULT_LOG_WINDOW_LINES) / 2));
      const window = await readLogWindow(await sources.jobLog(scope.repository, jobId, { maxBytes: MAX_LOG_BYTES, ...(signal && { signal }) }), from, lines);
      if (window.length === 0) return `The log of job ${jobId} has no line ${from}.`;
      return deliver(`log:${job.name}#${jobId}`, window.join('\n'));
    },
    async read_workflow_file(_input, signal) {
      if (sources.fileAt === undefined || scope.repository === undefined || scope.workflowPath === undefined || scope.commitSha === undefined) {
        return 'The workflow file cannot be read here (no GitHub access or no workflow path).';
      }
      const text = await sources.fileAt(scope.repository, scope.workflowPath, scope.commitSha, { maxBytes: MAX_FILE_BYTES, ...(signal && { signal }) });
      if (text === null) return `${scope.workflowPath} does not exist at ${scope.commitSha.slice(0, 12)}.`;
      const numbered = text.split('\n').slice(0, MAX_FILE_LINES).map((line, i) => `${i + 1} | ${line.slice(0, MAX_LINE_CHARS)}`);
      return deliver(`file:${scope.workflowPath}@${scope.commitSha.slice(0, 12)}`, numbered.join('\n'));
    },
    async list_changed_files() {
      const listed = scope.changedFiles !== undefined ? { files: [...scope.changedFiles], complete: true } : await sources.changedFiles?.();
      if (listed === undefined) return 'The changed files are not known for this failure.';
      const files = listed.files.slice(0, MAX_CHANGED_FILES_SHOWN);
      const more = listed.files.length > files.length || !listed.complete ? `\n[${listed.complete ? listed.files.length - files.length : 'more'} not listed]` : '';
      return deliver('changed-files', `${files.join('\n')}${more}`);
    },
    async failure_history() {
      if (sources.history === undefined) return 'No failure history is available (no store).';
      const history = await sources.history(scope.fingerprint);
      if (history === null) return `This failure (fingerprint ${scope.fingerprint}) was not seen before in this repository.`;
      return deliver('store:failure-history', `seen ${history.occurrences} times; re-run ${history.rerunAttempts} times; a re-run fixed it ${history.rerunFixed} times`);
    },
    async recent_runs(input) {
      const { limit } = RecentRunsInput.parse(input);
      if (sources.recentRuns === undefined || scope.repository === undefined || scope.workflowPath === undefined || scope.branch === undefined) {
        return 'Recent runs cannot be listed here (no GitHub access, workflow or branch).';
      }
      const runs = await sources.recentRuns(scope.repository, scope.workflowPath, scope.branch, limit);
      if (runs.length === 0) return `No earlier runs of ${scope.workflowPath} on ${scope.branch}.`;
      const rows = runs.map((run) => `${run.createdAt} run ${run.id} attempt ${run.attempt} ${run.status}/${run.conclusion ?? 'none'} ${run.headSha.slice(0, 12)}${run.event ? ` ${run.event}` : ''}`);
      return deliver(`runs:${scope.workflowPath}@${scope.branch}`, rows.join('\n'));
    },
  };

  return {
    budget,
    shown,
    injection,
    calls,
    async run(name, input, signal) {
      calls.push(name);
      return tools[name](input, signal);
    },
  };
}

/** Lines [from, from + count) of a log, normalized (no timestamps or ANSI) and numbered as in the file. */
export async function readLogWindow(source: LogSource, from: number, count: number): Promise<string[]> {
  const decoder = new TextDecoder();
  const out: string[] = [];
  let line = 1;
  let pending = '';
  const take = (raw: string) => {
    if (line >= from && out.length < count) out.push(`${line} | ${normalizeLine(raw.replace(/\r$/, '')).text.slice(0, MAX_LINE_CHARS)}`);
    line += 1;
  };
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      take(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    // Stop downloading once the window is complete: the rest of a 100 MB log is not needed.
    if (out.length >= count) return out;
  }
  pending += decoder.decode();
  if (pending !== '') take(pending);
  return out;
}
