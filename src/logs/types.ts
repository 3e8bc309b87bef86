/** What extraction returns: the lines that explain a failure, with line numbers of the original file. */

/** A contiguous window of the log. Line numbers are 1-based and inclusive, counted on `\n` in the original file. */
export interface Excerpt {
  startLine: number;
  endLine: number;
  /** The window's lines, normalized (ANSI codes, runner timestamps and folds removed), joined with `\n`. */
  text: string;
}

/** One line that carries a failure signal, as the extractor scored it. */
export interface Signal {
  line: number;
  /** Normalized text of the line (bounded in length). */
  text: string;
  /** Higher is more explanatory. Only the relative order matters. */
  score: number;
  /** What kind of evidence the line is, e.g. 'error-annotation', 'test-failure', 'compiler', 'exit-code'. */
  kind: string;
}

/**
 * The kind of the signal that carries the `Run …` line which started the key line's step. It is context for
 * the analyzer (which tool ran), not evidence: its score is 0 and it comes after the ranked signals.
 */
export const STEP_SIGNAL_KIND = 'step' as const;

export interface Extraction {
  /** The single line that best explains the failure, or null when no line carries a signal. */
  keyLine: { line: number; text: string } | null;
  /** Non-overlapping windows in file order, bounded by ExtractOptions.maxLines / maxBytes in total. */
  excerpts: Excerpt[];
  /** The strongest signals (bounded), best first; the analyzer classifies on these and the excerpts. */
  signals: Signal[];
  stats: {
    /** Number of lines in the original file (`\n`-separated; a final line without `\n` counts). */
    lines: number;
    bytes: number;
    /** Lines longer than maxLineLength, kept truncated. */
    truncatedLines: number;
  };
}

export interface ExtractOptions {
  /** Upper bound on the excerpts' total line count. Default 60. */
  maxLines: number;
  /** Upper bound on the excerpts' total text size in bytes (UTF-8). Default 8192. */
  maxBytes: number;
  /** Lines longer than this (in characters) are cut; memory stays bounded on a 1 MB single line. Default 2000. */
  maxLineLength: number;
}

export const DEFAULT_EXTRACT_OPTIONS: Readonly<ExtractOptions> = Object.freeze({
  maxLines: 60,
  maxBytes: 8192,
  maxLineLength: 2000,
});
