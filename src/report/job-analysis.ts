import { analyzeWithRules } from '../analysis/rules-analyzer.ts';
import type { Analysis } from '../analysis/types.ts';
import { MAX_EXCERPT_LENGTH } from '../api/failure-record.ts';
import { LogWindow, type LogWindowSummary } from '../logs/log-window.ts';
import { extractRedacted } from '../logs/redacted-log.ts';
import type { Excerpt, Extraction, ExtractOptions } from '../logs/types.ts';

/**
 * One failed job's log, as the action reports it: the log is streamed through a head-and-tail window
 * (bounded memory and work whatever its size), extracted, its line numbers mapped back to the original
 * log's, redacted, and classified by the rules analyzer. The cache keys the job restored are collected from
 * the whole log on the way in (before the window). Everything returned derives from redacted text.
 */

/** The job as the analyzer sees it (from GitHub's job object). */
export interface JobFacts {
  name: string;
  failedStep?: string;
  conclusion?: string;
}

export interface JobLogAnalysis {
  analysis: Analysis;
  /** The redacted excerpt windows joined into one text, and where it starts in the log. */
  excerpt: string;
  excerptStartLine?: number;
  keyLine?: { line: number; text: string };
  /** Keys of the caches the log says were restored, redacted, in order of appearance; empty when none. */
  cacheKeys: string[];
  /** Secrets redacted per type, in the excerpt, key line and cache keys. */
  redactions: Record<string, number>;
  log: Pick<LogWindowSummary, 'bytes' | 'lines' | 'sha256' | 'omitted'>;
}

export interface AnalyzeJobLogOptions {
  /** Bytes of the log that are analysed at most (head and tail kept beyond that). */
  maxBytes: number;
  extract?: Partial<ExtractOptions>;
}

/** The separator between two excerpt windows that are not adjacent in the log. */
export const EXCERPT_GAP = '⋯';

export async function analyzeJobLog(source: AsyncIterable<Uint8Array | string>, job: JobFacts, options: AnalyzeJobLogOptions): Promise<JobLogAnalysis> {
  const window = new LogWindow({ maxBytes: options.maxBytes });
  const { extraction, cacheKeys, redactions } = await extractRedacted(source, {
    extract: options.extract,
    through: (observed) => window.keep(observed),
    prepare: (raw) => mapLines(raw, window.summary),
  });
  const log = window.summary;
  const analysis = analyzeWithRules({ extraction, ...jobInput(job) });
  const { text, startLine } = joinExcerpts(extraction.excerpts);
  const keyLine = extraction.keyLine;
  return {
    analysis,
    excerpt: text,
    ...(startLine !== undefined && { excerptStartLine: startLine }),
    ...(keyLine !== null && { keyLine: { line: keyLine.line, text: keyLine.text.slice(0, 4096) } }),
    cacheKeys,
    redactions,
    log: { bytes: log.bytes, lines: log.lines, sha256: log.sha256, omitted: log.omitted },
  };
}

/** The analysis of a job whose log could not be read: from its name, failed step and conclusion only. */
export function analyzeJobWithoutLog(job: JobFacts): Analysis {
  const empty: Extraction = { keyLine: null, excerpts: [], signals: [], stats: { lines: 0, bytes: 0, truncatedLines: 0 } };
  return analyzeWithRules({ extraction: empty, ...jobInput(job) });
}

function jobInput(job: JobFacts): { jobName: string; failedStep?: string; conclusion?: string } {
  return {
    jobName: job.name,
    ...(job.failedStep !== undefined && { failedStep: job.failedStep }),
    ...(job.conclusion !== undefined && { conclusion: job.conclusion }),
  };
}

/** Line numbers of the kept text become the original log's; stats describe the whole log. */
function mapLines(extraction: Extraction, log: LogWindowSummary): Extraction {
  const map = log.toOriginalLine;
  return {
    keyLine: extraction.keyLine === null ? null : { ...extraction.keyLine, line: map(extraction.keyLine.line) },
    excerpts: extraction.excerpts.map((excerpt) => ({ ...excerpt, startLine: map(excerpt.startLine), endLine: map(excerpt.endLine) })),
    signals: extraction.signals.map((signal) => ({ ...signal, line: map(signal.line) })),
    stats: { ...extraction.stats, lines: log.lines, bytes: log.bytes },
  };
}

/**
 * One text for the record: the windows in log order, a `⋯` line between windows that are not adjacent. The
 * start line is the first window's; the key line keeps its own number, so a reader can always find it.
 */
export function joinExcerpts(excerpts: readonly Excerpt[], max: number = MAX_EXCERPT_LENGTH): { text: string; startLine?: number } {
  if (excerpts.length === 0) return { text: '' };
  const parts: string[] = [];
  let previousEnd: number | undefined;
  for (const excerpt of excerpts) {
    if (previousEnd !== undefined && excerpt.startLine > previousEnd + 1) parts.push(EXCERPT_GAP);
    parts.push(excerpt.text);
    previousEnd = excerpt.endLine;
  }
  let text = parts.join('\n');
  if (text.length > max) {
    // Cut on a line boundary; the extractor's own budget (8 KiB) makes this a guard, not a path.
    const cut = text.lastIndexOf('\n', max - 2);
    text = `${text.slice(0, cut > 0 ? cut : max - 2)}\n${EXCERPT_GAP}`;
  }
  return { text, startLine: excerpts[0]!.startLine };
}
