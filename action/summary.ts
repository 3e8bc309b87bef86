import * as core from '@actions/core';
import type { JobLogFields } from '../src/report/job-analysis.ts';
import { clip } from '../src/text.ts';

/**
 * The job summary: what failed, why, and where the record is. Every string that comes from a log, a job name
 * or GitHub is HTML-escaped: core.summary writes raw HTML, and a log line is data, never markup.
 */

/** A job's line in the summary; its excerpt, start line and key line are the record's (JobLogFields). */
export interface SummaryJob extends Pick<JobLogFields, 'excerpt' | 'excerptStartLine' | 'keyLine'> {
  name: string;
  url: string;
  conclusion: string;
  category: string;
  reason: string;
  /** Why the log could not be read, or that only its head and tail were analysed. */
  note?: string;
}

export interface SummaryInput {
  repository: string;
  runUrl: string;
  /** Where the record went; undefined when nothing was created (dry run, or an error). */
  record?: { name: string; namespace: string; created: boolean; mode: string };
  /** The name the record has (or would have). */
  recordName?: string;
  dryRun: boolean;
  category?: string;
  summary?: string;
  jobs: SummaryJob[];
  skipped: Array<{ name: string; reason: string }>;
  /** Problems worth a line (changed files unavailable, a delivery error). */
  notes: string[];
}

/**
 * GitHub caps a step's summary at 1 MiB (bytes, as written); excerpts beyond this budget are left to the record.
 * Counted on the escaped UTF-8 text: escaping makes a quote six bytes, and a CJK character is three.
 */
const EXCERPT_BUDGET = 512 * 1024;
/** Ends an excerpt cut at the budget. */
const CUT_MARKER = '\n⋯';
const CUT_MARKER_BYTES = Buffer.byteLength(CUT_MARKER, 'utf8');

export async function writeSummary(input: SummaryInput): Promise<void> {
  const summary = core.summary.emptyBuffer();
  summary.addHeading('CI failure report', 2);
  const where = input.record
    ? `FailureRecord <code>${escape(input.record.namespace)}/${escape(input.record.name)}</code> ${input.record.created ? 'created' : 'already existed (same run attempt)'} (${escape(input.record.mode)} mode).`
    : input.dryRun && input.recordName
      ? `Dry run: FailureRecord <code>${escape(input.recordName)}</code> was built but not created.`
      : 'No FailureRecord was created.';
  summary.addRaw(`<p>${where} Run: <a href="${escapeAttribute(input.runUrl)}">${escape(input.repository)}</a>.</p>`, true);
  if (input.category !== undefined && input.summary !== undefined) {
    summary.addRaw(`<p><strong>${escape(input.category)}</strong>: ${escape(input.summary)}</p>`, true);
  }

  if (input.jobs.length > 0) {
    summary.addTable([
      [
        { data: 'Job', header: true },
        { data: 'Conclusion', header: true },
        { data: 'Category', header: true },
        { data: 'Reason', header: true },
        { data: 'Key line', header: true },
      ],
      ...input.jobs.map((job) => [
        `<a href="${escapeAttribute(job.url)}">${escape(job.name)}</a>`,
        escape(job.conclusion),
        `<code>${escape(job.category)}</code>`,
        escape(job.reason),
        job.keyLine ? `line ${job.keyLine.line}: <code>${escape(clip(job.keyLine.text, 200, '…'))}</code>` : escape(job.note ?? ''),
      ]),
    ]);
    let budget = EXCERPT_BUDGET;
    for (const job of input.jobs) {
      if (job.excerpt === '') continue;
      const { html, bytes, complete } = escapeWithin(job.excerpt, budget);
      budget -= bytes;
      const lines = job.excerptStartLine !== undefined ? ` (from line ${job.excerptStartLine})` : '';
      const note = job.note ? `<p>${escape(job.note)}</p>` : '';
      summary.addDetails(`${escape(job.name)}: excerpt${lines}`, `\n\n${note}<pre><code>${html}</code></pre>\n\n`);
      if (!complete || budget <= 0) break;
    }
  }
  if (input.skipped.length > 0) {
    summary.addRaw('<p>Not reported:</p>', true);
    summary.addList(input.skipped.map((skip) => `${escape(skip.name)}: ${escape(skip.reason)}`));
  }
  if (input.notes.length > 0) summary.addList(input.notes.map(escape));
  await summary.write();
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * `text` escaped, whole if that fits in `budget` bytes; else its longest prefix whose escaped form fits with the
 * cut marker (never half an entity or a character), and `complete: false`. `bytes` is the UTF-8 size of `html`.
 */
function escapeWithin(text: string, budget: number): { html: string; bytes: number; complete: boolean } {
  const html = escape(text);
  const bytes = Buffer.byteLength(html, 'utf8');
  if (bytes <= budget) return { html, bytes, complete: true };
  const room = budget - CUT_MARKER_BYTES;
  let used = 0;
  let end = 0;
  for (const char of text) {
    const cost = HTML_ESCAPES[char]?.length ?? utf8Length(char.codePointAt(0)!);
    if (used + cost > room) break;
    used += cost;
    end += char.length;
  }
  return { html: escape(text.slice(0, end)) + CUT_MARKER, bytes: used + CUT_MARKER_BYTES, complete: false };
}

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/** Only web links; anything else becomes `#`. */
function escapeAttribute(url: string): string {
  return /^https?:\/\//i.test(url) ? escape(url) : '#';
}

