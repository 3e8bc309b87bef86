/**
 * What makes a log line evidence of a failure. Two stages: a cheap prefilter that every raw line goes through,
 * and a scorer that only runs on the few lines the prefilter lets through.
 */
import { compileBytePrefilter, type BytePrefilter } from './byte-prefilter.ts';
import type { NormalizedLine } from './log-normalizer.ts';

/**
 * Runs on raw lines, where a runner timestamp or an ANSI colour code may come before the text: a line start
 * is also "after a space or after the `m` that ends a colour code".
 */
const LS = '(^|[ m])';

/**
 * The prefilter, as POSIX ERE sources matched case-insensitively, so `grep -E -i` can run exactly the same
 * patterns (bench/throughput.ts does). Broad on purpose: a miss here is a miss for good, a false hit costs
 * one scoring call.
 */
export const SIGNAL_PATTERNS: readonly string[] = Object.freeze([
  'error',
  'err!',
  'fail',
  'fatal',
  'panic',
  'exception',
  'traceback',
  'abort',
  'crash',
  'assert',
  'expected',
  'exited with',
  'exit (code|status)',
  'non-zero',
  '\\*\\*\\*',
  LS + ' *\\*\\* ',
  'not (found|installed|defined|ok)',
  'no such',
  // Apostrophes spelled out, not `.`: on bytes a `.` would not cover the three bytes of `’`.
  "cannot|can't|can\u2019t|could not|couldn't|couldn\u2019t|unable to",
  'denied|refused|unreachable',
  'timed out|timeout|exceeded',
  'cancell?ed',
  'segmentation|core dumped|killed|out of memory',
  'undefined|unexpected|invalid|missing|broken',
  'rate[ _.-]?limit|toomanyrequests',
  'went wrong',
  // Refusals and findings that carry no error word: a token without permission, a scanner's findings, a mirror
  // mid-sync (`gh: Resource not accessible by integration (HTTP 403)`, `WRN leaks found: 3`, `Hash Sum mismatch`).
  "not accessible|forbidden|unauthori[sz]ed|leaks|mismatch|(doesn't|doesn\u2019t|does not|don't|do not) exist",
  'violation|offen[cs]e|problems? ',
  'reformat',
  'issues :-\\(',
  LS + 'diff --git |^--- a/',
  'no output has been received',
  LS + ' *[0-9]+\\) ',
  LS + '_{3,} ',
  LS + 'E {2,}',
  '\u25cf |\u2715|\u2716|\u2717|\u2718|\u00d7 |\u274c',
  LS + '(failure|error):$',
  LS + '[^ :]+\\.[a-z0-9]+:[0-9]+:',
]);

/** Lines that are not evidence but tell where a step starts; they must reach the scorer too. */
export const SECTION_PATTERNS: readonly string[] = Object.freeze(['\\$ ', '##\\[(group]Run |command])', '^Run [^ ]']);

/**
 * Everything the extractor lets through to normalization and scoring: the signals and the step starts. The
 * extractor runs these as a byte DFA (byte-prefilter.ts); `grep -E -i` in the C locale runs the same sources.
 */
export const PREFILTER_PATTERNS: readonly string[] = Object.freeze([...SIGNAL_PATTERNS, ...SECTION_PATTERNS]);

/** The same as a JS regex, for text that is already decoded (lines cut at maxLineLength). */
export const PREFILTER_REGEX = new RegExp(PREFILTER_PATTERNS.map((source) => `(?:${source})`).join('|'), 'i');

let bytePrefilter: BytePrefilter | undefined;

/** PREFILTER_PATTERNS as a byte DFA, compiled on first use (a few milliseconds) and shared. */
export function prefilterDfa(): BytePrefilter {
  bytePrefilter ??= compileBytePrefilter(PREFILTER_PATTERNS);
  return bytePrefilter;
}

/** What a scored line means for the section (step) it belongs to. */
export type SectionEffect = 'failed' | 'passed' | 'start';

export interface LineScore {
  score: number;
  kind: string;
  effect?: SectionEffect;
}

interface Rule {
  pattern: RegExp;
  /** A cheap necessary condition, checked before the pattern. */
  quick?: (text: string) => boolean;
  score: number;
  kind: string;
  effect?: SectionEffect;
}

// Order matters: the first matching rule decides, so stronger and more specific rules come first.
const NOISE: readonly RegExp[] = [
  /\b0 (?:errors?|failures?|failed|failing|problems?)\b/i,
  /\b(?:errors?|failures?|failed)[:=] ?0\b(?![.\d])/i,
  /\bno (?:errors?|failures?|problems?)\b/i,
  /^\s*(?:[$+>] )?(?:\S*\/)?(?:gcc|g\+\+|cc|c\+\+|clang\+*|ld|libtool|ccache|x86_64-\S+-gcc)\s/,
  // A passing test's check mark: `\b` would not match after a symbol, so the marks are listed on their own.
  /^\s*(?:(?:ok|pass(?:ed)?)\b|[✓✔√])/i,
  /\bOK(?: \([\d.]+m?s\))?$/,
  /\b(?:expected|expect)\b.*\b(?:pass|success|ok)\b/i,
  /^\s*(?:downloading|downloaded|installing|collecting|requirement already|fetching|resolving|compiling|building|linking|checking|creating|copying|unpacking|setting up|selecting|preparing|processing|running|using|loaded|get:\d|hit:\d|ign:?\d?)\b/i,
];

const RULES: readonly Rule[] = [
  // Runner-level causes: the step's own output may end abruptly, so these explain the failure by themselves.
  { pattern: /has exceeded the maximum execution time|no output has been received in the last|the job exceeded the maximum time limit/i, score: 95, kind: 'timeout' },
  { pattern: /the runner has received a shutdown signal|lost communication with the server|the operation was canceled/i, score: 70, kind: 'cancelled' },
  { pattern: /toomanyrequests|rate limit exceeded|you have reached your pull rate limit|429 too many requests/i, score: 85, kind: 'rate-limit' },
  // Refusals and findings that name the failure without an error word, or whose error word is only a log level.
  { pattern: /resource not accessible by|\bleaks found: [1-9]|\bleaks detected\b|encountered leaks|hash sum mismatch|\bi\/o timeout\b|\b40[13] (?:unauthorized|forbidden)\b|\(HTTP 40[13]\)/i, score: 85, kind: 'refusal' },
  // Exit codes mark the failing step; the cause is usually above them.
  { pattern: /^the command ".*" exited with [1-9]\d*\.?$/i, score: 30, kind: 'exit-code', effect: 'failed' },
  { pattern: /^the command ".*" exited with 0\.?$/i, score: 0, kind: 'exit-code', effect: 'passed' },
  { pattern: /^process completed with exit code [1-9]/i, score: 25, kind: 'exit-code', effect: 'failed' },
  { pattern: /^done\. your build exited with [1-9]/i, score: 5, kind: 'exit-code' },
  { pattern: /^make(?:\[\d+\])?: \*\*\* .*(?:error \d+|stop\.)/i, score: 40, kind: 'exit-code', effect: 'failed' },
  { pattern: /\b(?:exit(?:ed)? (?:with )?(?:code|status)|returned non-zero exit status|exited with) [1-9]\d*\b/i, score: 35, kind: 'exit-code' },
  { pattern: /\berror: job failed\b|\bcommand failed\b|\bfailed with exit code\b/i, score: 45, kind: 'exit-code' },
  // Test runners: the failing test's name and its assertion are the best explanation there is.
  { pattern: /^\s*(?:--- FAIL:|FAIL:?\s|not ok \d)|\bfailed on line \d|\[FAIL(?:ED)?\]|\*\*\* FAILED \*\*\*|<<< (?:FAILURE|ERROR)!|\bFAILED \S+::/, score: 85, kind: 'test-failure' },
  { pattern: /^\s*\d+\) \S.*:$|^_{3,} \S.*\S _{3,}$|^(?:Failure|Error):$/, score: 90, kind: 'test-failure' },
  // A cross before a count (`✖ 3 problems (3 errors, 0 warnings)`) is a summary, left to the summary rule below.
  { pattern: /^\s*(?:●|✕|✖|✗|✘|×)\s*(?!\d+ (?:problems?|errors?|failures?|failed|failing|tests?)\b)\S|❌\s*\S/, score: 85, kind: 'test-failure' },
  // A heading that opens the runner's report of the failing tests (mocha's `2 failing`, pytest's `=== FAILURES ===`,
  // rspec's `Failures:`): the details follow it, so its window looks ahead.
  { pattern: /^[\s=*#_-]*(?:[1-9]\d* failing|(?:test )?failures|failed tests?(?: summary)?|failing tests|summary of (?:all )?failing tests)[\s=*#_:-]*$/i, score: 80, kind: 'failure-header' },
  // awesome_bot's banner before its list of broken links.
  { pattern: /^Issues :-\($/, score: 80, kind: 'failure-header' },
  { pattern: /\b(?:build|tests?|suites?|job|run|task)\s+(?:FAILED|failed)\b/i, score: 55, kind: 'test-summary' },
  // Means `\S.*(?:\s|:|\.{3})(?:FAIL…)…$`, but that form backtracks quadratically on long lines that do not match;
  // only the last non-space before the separator matters, so only spaces that `.` accepts may come between.
  {
    pattern: /\S[^\S\n\r\u2028\u2029]*(?:\s|:|\.{3})(?:FAIL|FAILED|FAILURE|ERROR)(?: \([\d.]+ ?m?s\))?$/,
    quick: (text) => /[LDER]$|s\)$/.test(text.slice(-2)),
    score: 80,
    kind: 'test-failure',
  },
  { pattern: /^\s*\d+\) \S.*(?:test|spec|should|it |when |\(|::|#|:$)/i, score: 85, kind: 'test-failure' },
  { pattern: /failed asserting|assertion(?:error| failed| error)|\bassert(?:ionerror|_\w+)?\b.*(?:failed|error|!=|==)|expected .* (?:got|but (?:was|got|received)|to (?:be|equal|have|contain))|\bexpected:? .*\bactual\b|XCTAssert\w* failed/i, score: 75, kind: 'assertion' },
  { pattern: /^\s*(?:tests?|specs?|examples?)\b.*\b[1-9]\d* (?:failed|failures?|failing|errors?)\b|\b[1-9]\d* (?:failed|failing|failures?|errors?|problems?|broken)\b|\(\d+\) errors?\b|^FAILURES!|^\s*failures?:\s*$|failing due to -werror|one or more tests failed/i, score: 55, kind: 'test-summary' },
  { pattern: /^E {2,}\S/, score: 60, kind: 'assertion' },
  // Package managers and dependency resolution say what they could not get; compilers reuse some words.
  // A build that says it could not compile, in any tool's words (ts-node's `⨯ Unable to compile TypeScript`).
  { pattern: /\b(?:unable to compile|failed to compile|compilation (?:failed|error))\b/i, score: 80, kind: 'compiler' },
  { pattern: /^\s*\[ERROR\]|^FAILURE: |^\* What went wrong|^BUILD FAILED|could not (?:resolve|find|transfer|download|fetch|get|connect|install|open|read|load)|packagesnotfounderror|no matching distribution|unable to locate package|could not find a version|failed to (?:download|fetch|resolve|install|build|compile|load|connect|run|open|read|start|execute|create|find|parse)/i, score: 70, kind: 'package-manager' },
  // Compilers and linters, in the `path:line[:col]: severity: message` shape most of them share.
  { pattern: /^\S+:\d+(?::\d+)?:? (?:fatal )?error\b|\berror(?:\[E\d+\]| [A-Z]{2,}\d+|:? [A-Z]+\d{3,})\b|^\S+\(\d+,\d+\): error\b|\berror: (?:cannot|could not|undefined|expected|use of|no member|unknown|unresolved|mismatched|type)/i, score: 90, kind: 'compiler' },
  { pattern: /^\S+\.[a-z0-9]+:\d+:\d+:? (?!warning|note|info)\S/i, score: 80, kind: 'compiler' },
  // Linters that group messages under the file name (eslint's and stylelint's default `line:col  error  message  rule`).
  { pattern: /^\s*\d+:\d+\s+(?:error|✖)\s+\S/i, score: 80, kind: 'compiler' },
  { pattern: /^\S+\.[a-z0-9]+:\d+:? (?!warning|note|info)\S/i, score: 50, kind: 'diagnostic' },
  // Package managers and dependency resolution.
  { pattern: /^npm ERR! (?:code ELIFECYCLE|errno \d|Exit status|Failed at the|Test failed|This is probably not a problem|A complete log)|^npm ERR! [\w@/.-]+ \S+: `|recipe for target .* failed/i, score: 30, kind: 'exit-code' },
  { pattern: /^npm ERR! (?:code|errno|(?:[a-z]+ )?(?:error|missing|404|E\d+|notarget|enoent|peer|could not)|Cannot|\d{3})/i, score: 80, kind: 'package-manager' },
  { pattern: /^npm ERR!|^(?:yarn|pnpm) (?:error|ERR)|^error (?:an unexpected error|couldn't find|command failed)/i, score: 45, kind: 'package-manager' },
  // Exceptions and crashes: the first line names what went wrong; the frames below are context.
  // Sanitizers (ASan, TSan, MSan, UBSan, LSan) report a memory or thread bug of the program under test.
  { pattern: /^==\d+==\s*ERROR: \w*Sanitizer\b|^WARNING: \w*Sanitizer: |^SUMMARY: \w*Sanitizer: |: runtime error: /, score: 85, kind: 'exception' },
  // Python prints chained exceptions oldest first: the traceback after this line is the one that ended the program.
  { pattern: /^during handling of the above exception, another exception occurred:|^the above exception was the direct cause of the following exception:/i, score: 80, kind: 'failure-header' },
  { pattern: /^traceback \(most recent call last\)|\bpanicked at\b|^panic: |^\s*\*\* \([\w.]+\)|exception in thread|unhandled (?:exception|rejection)|^uncaught |segmentation fault|core dumped|stack overflow|out of memory|^killed$|^fatal:|^\s*fatal error\b/i, score: 80, kind: 'exception' },
  { pattern: /^\s*(?:[\w$]+[.:]{1,2})*[\w$]*(?:Error|Exception|Failure|Fault)(?::|$| \(| thrown\b)/, score: 75, kind: 'exception' },
  { pattern: /\*\* .*\b(?:crashed|error|exit|terminat)/i, score: 60, kind: 'exception' },
  // A check that prints a diff (formatting, generated files, snapshots) fails on what the diff shows.
  { pattern: /^diff --git |^--- a\/\S/, score: 45, kind: 'diff' },
  // Environment: missing tools, files, permissions, network.
  { pattern: /command not found|no such file or directory|not installed|permission denied|is not recognized as|connection (?:refused|reset|timed out)|could not resolve host|name or service not known|temporary failure in name resolution|network is unreachable|ssl|certificate verify failed|timed out|read ?timeout/i, score: 60, kind: 'environment' },
  // Generic wording, weakest first in meaning but still evidence.
  { pattern: /^\W{0,3}(?:error|fatal|failure|failed|err!?)\b/i, score: 65, kind: 'error' },
  { pattern: /^[\w ./-]{1,60}: (?:error|fatal|failed)\b/i, score: 60, kind: 'error' },
  { pattern: /(?<![\w/.-])(?:error|errors)(?![\w/-])(?!\.\w)/i, score: 50, kind: 'error' },
  { pattern: /\b(?:failed|failure|failing)\b/i, score: 45, kind: 'failure' },
  { pattern: /\bexception\b|\baborted?\b|\bcrash(?:ed)?\b/i, score: 45, kind: 'error' },
  { pattern: /\bcannot\b|\bcan't\b|could not|couldn't|unable to|not found|not defined|no such|\b(?:doesn't|doesn\u2019t|does not|don't|do not) exist\b/i, score: 40, kind: 'error' },
  { pattern: /\b(?:undefined|unexpected|invalid|missing|broken|denied|refused)\b|\bnot ok\b/i, score: 30, kind: 'error' },
];

const WARNING = /\bwarn(?:ing)?s?\b/i;
const SECTION_START = /^(?:\$ \S|Run \S|##\[command\])/;

/**
 * Scores one normalized line, or returns null when it carries no failure evidence. Only called on lines the
 * prefilter let through, so it may run several regexes.
 */
export function scoreLine(line: NormalizedLine): LineScore | null {
  if (line.annotation === 'error') return scoreErrorAnnotation(line.text);
  if (line.annotation || line.marker === 'debug' || line.marker === 'hidden') return null;
  const text = line.text.trim();
  if (text.length < 3) return null;
  if (line.marker === 'group-start' || line.marker === 'command' || text.startsWith('$ ')) {
    return { score: 0, kind: 'command', effect: 'start' };
  }
  for (const rule of RULES) {
    if ((rule.quick && !rule.quick(text)) || !rule.pattern.test(text)) continue;
    if (rule.effect) return { score: rule.score, kind: rule.kind, effect: rule.effect };
    if (isNoise(text)) return null;
    if (rule.score < 60 && WARNING.test(text) && !/\berror\b|\bfail/i.test(text)) return null;
    return { score: rule.score, kind: rule.kind };
  }
  return null;
}

/** Whether a normalized line opens a new step: a Travis `$ cmd` echo or an Actions `Run …` group. */
export function isSectionStart(line: NormalizedLine): boolean {
  if (line.marker === 'group-start') return line.text.startsWith('Run ');
  return line.marker === 'command' || SECTION_START.test(line.text);
}

function scoreErrorAnnotation(text: string): LineScore {
  if (/^process completed with exit code [1-9]/i.test(text)) return { score: 25, kind: 'exit-code', effect: 'failed' };
  if (/has exceeded the maximum execution time/i.test(text)) return { score: 95, kind: 'timeout' };
  if (/the operation was canceled/i.test(text)) return { score: 70, kind: 'cancelled' };
  return { score: 100, kind: 'error-annotation' };
}

function isNoise(text: string): boolean {
  for (const pattern of NOISE) if (pattern.test(text)) return true;
  return false;
}
