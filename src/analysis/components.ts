/**
 * Components: the repository files and modules a failure points at, read from stack traces and compiler,
 * linter and test-runner diagnostics. The gate uses them to tell "touches application code" from "touches
 * infrastructure", so they are normalized to repository-relative paths and library/runtime frames are dropped.
 */

export const MAX_COMPONENTS = 20;

/** Source-ish extensions worth naming. Longer alternatives first only for readability: the lookahead forces a full match. */
const EXTENSIONS = [
  'tsx', 'ts', 'mts', 'cts', 'jsx', 'js', 'mjs', 'cjs', 'es6', 'vue', 'svelte',
  'py', 'pyx', 'go', 'rs', 'java', 'kt', 'kts', 'scala', 'groovy', 'gradle', 'clj', 'cljs', 'cljc',
  'rb', 'rake', 'php', 'phpt', 'cs', 'fs', 'vb', 'csproj', 'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'm', 'mm', 'swift',
  'ex', 'exs', 'erl', 'hrl', 'hs', 'lua', 'el', 'dart', 'pm', 'jl', 'zig', 'nim',
  // Not `org`, `pl`, `io`: they are top-level domains far more often than file extensions in CI logs.
  'sh', 'bash', 'ps1', 'psm1', 'sass', 'scss', 'less', 'css', 'html', 'md',
  'yml', 'yaml', 'json', 'toml', 'xml', 'tf', 'proto', 'sql', 'dockerfile',
].join('|');

/**
 * A path-like token ending in a known extension. It must start a token (so URL paths after `://` are skipped),
 * and may carry a drive letter (`D:\a\...`), an absolute or `./`/`../` prefix.
 */
const PATH_TOKEN = new RegExp(
  String.raw`(?<![\w/\\.@$~-])((?:[A-Za-z]:[\\/]|\/|\.{1,2}[\\/])?(?:[\w.@+~$-]+[\\/])*[\w@+~$-][\w.@+~$-]*\.(?:${EXTENSIONS}))(?![\w-])`,
  'g',
);

/** Modules named without a file: Go packages in `FAIL <pkg>`, Rust crates, Maven projects. */
const MODULE_PATTERNS: readonly RegExp[] = [
  /^FAIL\s+([\w.-]+\.[a-z]{2,}\/[\w./-]+)\s+[\d.]+s\s*$/,
  /\bcould not compile `([\w-]+)`/,
  /\bon project ([\w.-]+): /,
];

/** CI workspace roots, most specific first. Each strips up to and including the repository checkout directory. */
const WORKSPACE_PREFIXES: readonly RegExp[] = [
  /^\/(?:home|Users)\/runner\/work\/(?!_)[^/]+\/[^/]+\//, // GitHub-hosted Linux/macOS
  /^[A-Za-z]:\/a\/(?!_)[^/]+\/[^/]+\//, // GitHub-hosted Windows (D:\a\<repo>\<repo>\)
  /^\/__w\/(?!_)[^/]+\/[^/]+\//, // container jobs
  /^(?:.*\/)?_work\/(?!_)[^/]+\/[^/]+\//, // self-hosted runners (<runner>/_work/<repo>/<repo>/)
  /^\/github\/workspace\//, // Docker container actions
  /^\/(?:home|Users)\/travis\/build\/[^/]+\/[^/]+\//, // Travis CI
  /^\/home\/travis\/gopath\/src\/[^/]+\/[^/]+\/[^/]+\//, // Travis CI Go (GOPATH layout)
  /^\/go\/src\/[^/]+\/[^/]+\/[^/]+\//,
  /^\/home\/circleci\/(?:project|repo)\//,
  /^\/builds\/[^/]+\/[^/]+\//, // GitLab
  /^\/drone\/src\//,
  /^\/usr\/src\/app\//, // the common Docker WORKDIRs for Node and Python images
  /^\/app\//,
  /^\/workspace\//,
];

/** Frames and files that belong to dependencies, runtimes or the CI machine, never to the repository. */
const IGNORED = [
  /(?:^|\/)node_modules\//,
  /(?:^|\/)(?:site|dist)-packages\//,
  /(?:^|\/)lib\/python\d/,
  /(?:^|\/)vendor\/bundle\//,
  /(?:^|\/)\.?(?:rvm|rbenv|gem|gems|bundle)\//,
  /(?:^|\/)\.cargo\/registry\//,
  /^\/rustc\//,
  /(?:^|\/)pkg\/mod\//,
  /(?:^|\/)\.m2\/repository\//,
  /(?:^|\/)\.gradle\/caches\//,
  /(?:^|\/)\.nuget\/packages\//,
  /(?:^|\/)hostedtoolcache\//,
  // Node's own modules; a bare `internal/` is Go's convention for private packages, so it is kept.
  /^node:/,
  /^internal\/(?:modules|process|main|timers|streams|bootstrap|async_hooks|child_process|event_target|test_runner|fs|url|util|vm)\//,
  /^\/(?:usr|opt|lib|System|Library|private|var|etc|snap|nix)\//,
  /^\/tmp\//,
  /^\/(?:home|Users)\/[^/]+\/(?:\.|Library\/|runners?\/)/,
  /^[A-Za-z]:\/(?:Program Files|Windows|hostedtoolcache|Users\/[^/]+\/AppData)\//i,
  /(?:^|\/)_temp\//,
  /^webpack:/,
];

/** Repository-relative form of a path: forward slashes, CI workspace prefix and `./` removed. */
export function stripWorkspacePrefixes(path: string): string {
  let p = path.replace(/\\/g, '/');
  for (const prefix of WORKSPACE_PREFIXES) {
    if (prefix.test(p)) {
      p = p.replace(prefix, '');
      break;
    }
  }
  return p.replace(/^(?:\.\/)+/, '');
}

/** The component a raw path names, or null when it is a dependency/runtime/temp file. */
export function normalizeComponentPath(raw: string): string | null {
  const slashed = raw.replace(/\\/g, '/');
  const p = stripWorkspacePrefixes(slashed);
  if (p.length === 0 || p.length > 300) return null;
  // Judge "ignored" on both forms: a workspace path can still contain node_modules below it.
  if (IGNORED.some((rx) => rx.test(p) || rx.test(slashed))) return null;
  return p;
}

/** Stack frames of runtimes and test frameworks: their file names are not the repository's. */
const IGNORED_FRAMES: readonly RegExp[] = [
  /^\s*at (?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|org\.junit|org\.apache\.maven|org\.gradle|junit)\./,
  /^\s*at (?:System|Microsoft|Xunit|NUnit)\.[\w.]+/,
];

/** Lines that report success: a passing test file is not part of the failure, however near it printed. */
const PASSING_LINE = /^\s*(?:PASS|ok|✓|✔|√)\s/;

/** Components named in one line, in order of appearance. */
export function componentsInLine(line: string): string[] {
  if (PASSING_LINE.test(line) || IGNORED_FRAMES.some((rx) => rx.test(line))) return [];
  // file:// URLs (vscode, Kotlin) name local files; treat them as paths.
  const text = line.replace(/\bfile:\/\/\/?/g, '/').replace(/\bfile:(?=\/)/g, '');
  const found: Array<{ at: number; name: string }> = [];
  for (const match of text.matchAll(PATH_TOKEN)) {
    const raw = match[1];
    if (raw === undefined) continue;
    const name = normalizeComponentPath(raw);
    if (name !== null) found.push({ at: match.index ?? 0, name });
  }
  for (const rx of MODULE_PATTERNS) {
    const m = rx.exec(text);
    if (m?.[1] !== undefined) found.push({ at: m.index, name: m[1] });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.name);
}

/**
 * Components from lines given most relevant first: deduplicated, first appearance wins, at most `max`.
 * Lines are bounded before matching so a pathological line cannot make the regex work quadratic for long.
 */
export function extractComponents(lines: Iterable<string>, max: number = MAX_COMPONENTS): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    for (const name of componentsInLine(line.slice(0, 2000))) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push(name);
      if (out.length >= max) return out;
    }
  }
  return out;
}
