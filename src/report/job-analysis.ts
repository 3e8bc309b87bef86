import { analyzeJobs, evidenceFromLog, evidenceWithoutLog, type JobFacts } from '../analysis/pipeline.ts';
import { RULES_ANALYZER } from '../analysis/rules.ts';
import type { Analysis } from '../analysis/types.ts';
import type { FailedJob } from '../api/failure-record.ts';
import { recordExcerpt } from '../logs/record-excerpt.ts';
import type { ExtractOptions } from '../logs/types.ts';

/**
 * One failed job's log, as the action reports it: the log goes through the analysis pipeline
 * (src/analysis/pipeline.ts) with a head-and-tail window (bounded memory and work whatever its size), and
 * what the record says of it (`fields`) is written from the same redacted extraction the analyzer saw,
 * structured so the operator analyses exactly that (src/logs/record-excerpt.ts).
 */

export type { JobFacts };

/** The FailedJob fields that come from the log; the record builder and the job summary both read them. */
export type JobLogFields = Pick<FailedJob, 'excerpt' | 'excerptStartLine' | 'excerptWindows' | 'signals' | 'keyLine' | 'logBytes' | 'logSha256' | 'cacheKeys'>;

export interface JobLogAnalysis {
  analysis: Analysis;
  fields: JobLogFields;
  /** Secrets redacted per type, in the excerpt, key line and cache keys. */
  redactions: Record<string, number>;
  /** The whole log's line count, and which lines a head-and-tail window left out of it (or null). */
  log: { lines: number; omitted: { bytes: number; fromLine: number; toLine: number } | null };
}

export interface AnalyzeJobLogOptions {
  /** Bytes of the log that are analysed at most (head and tail kept beyond that). */
  maxBytes: number;
  extract?: Partial<ExtractOptions>;
}

export async function analyzeJobLog(source: AsyncIterable<Uint8Array | string>, job: JobFacts, options: AnalyzeJobLogOptions, now: Date = new Date()): Promise<JobLogAnalysis> {
  const { evidence, redactions, log } = await evidenceFromLog(source, job, { maxBytes: options.maxBytes, extract: options.extract });
  const { jobs } = await analyzeJobs([evidence], { now });
  const { extraction, cacheKeys } = evidence;
  const keyLine = extraction.keyLine;
  return {
    analysis: jobs[0]!,
    fields: {
      ...recordExcerpt(extraction),
      ...(keyLine !== null && { keyLine: { line: keyLine.line, text: keyLine.text.slice(0, 4096) } }),
      logBytes: log.bytes,
      ...(log.bytes > 0 && log.sha256 !== undefined && { logSha256: log.sha256 }),
      // Already bounded and distinct (the collector, then redactCacheKeys); the schema check holds them to it.
      ...(cacheKeys.length > 0 && { cacheKeys: [...cacheKeys] }),
    },
    redactions,
    log: { lines: log.lines, omitted: log.omitted },
  };
}

/** The analysis of a job whose log could not be read: from its name, failed step and conclusion only. */
export function analyzeJobWithoutLog(job: JobFacts): Analysis {
  return RULES_ANALYZER.analyzeJob(evidenceWithoutLog(job));
}
