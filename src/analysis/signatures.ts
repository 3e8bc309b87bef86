import type { Category, Effort, RemediationAction } from './taxonomy.ts';

/**
 * The signature catalog of the rules analyzer, as data.
 *
 * Each entry says what a family of log lines means. Adding a rule is adding an entry here; the analyzer's code
 * does not change. Every entry carries a real log line (`example`) and where it came from, and the unit tests
 * feed each example alone through the analyzer: a rule whose example does not classify to its own category
 * fails the build.
 *
 * `weight` (0-1) is how specific the evidence is: 1 means "this line alone names the failure" (a runner
 * shutdown, a Docker Hub rate limit), 0.3 means "this only says something failed" (an exit code). The analyzer
 * multiplies it by where the line sits (the key line weighs most), so a specific line outside the key line can
 * still beat a vague key line.
 *
 * Patterns never use the `g` or `y` flags: a RegExp with them keeps state between `test()` calls.
 */
export interface Signature {
  /** Stable id, `<category family>.<tool>.<what>`; it feeds the fingerprint, so renaming one changes fingerprints. */
  readonly id: string;
  readonly category: Category;
  /** A line matches the rule when any pattern matches. Applied to single, normalized, redacted lines. */
  readonly patterns: readonly RegExp[];
  readonly weight: number;
  /** Overrides the category's base risk when this rule decides (e.g. a corrupt cache is safer than a generic dependency error). */
  readonly risk?: number;
  readonly effort: Effort;
  readonly remediation: RemediationAction;
  /** Why `remediation` fits; shown to the approver. */
  readonly rationale: string;
  readonly description: string;
  /** Short name of the tool for the summary line ("jest", "docker"). */
  readonly tool?: string;
  /**
   * Optional summary template filled from the first matching pattern's named groups, e.g. `{failed} tests failed`.
   * Unfilled placeholders make the template unusable and the key line is used instead.
   */
  readonly summary?: string;
  /** A real log line this rule must match and classify on its own. */
  readonly example: string;
  /** Where the example comes from: `logchunks: <log id>` for the LogChunks data set, else the tool that prints it. */
  readonly exampleSource: string;
}

/** Defaults per category, used when no single rule decides (job conclusion, history, nothing matched). */
export interface CategoryProfile {
  /**
   * Base risk of acting automatically on this class (0-100). Transient classes are cheap to act on (a re-run
   * costs runner minutes, not correctness); classes a person must fix, and above all security findings and
   * deployments, are expensive to get wrong.
   */
  readonly baseRisk: number;
  readonly effort: Effort;
  readonly remediation: RemediationAction;
  readonly rationale: string;
  /** Human name used in summaries when the deciding rule names no tool. */
  readonly label: string;
}

const RERUN_TRANSIENT =
  'A transient condition outside the code caused this; re-running only the failed jobs is cheap and usually enough.';
const PERSON_MUST_FIX = 'The failure is in the code or its configuration; a re-run would fail the same way, so a person must fix it.';

export const CATEGORY_PROFILES: Readonly<Record<Category, CategoryProfile>> = Object.freeze({
  network_error: { baseRisk: 15, effort: 'trivial', remediation: 'rerun-failed-jobs', rationale: RERUN_TRANSIENT, label: 'network' },
  infrastructure_error: {
    baseRisk: 20,
    effort: 'trivial',
    remediation: 'rerun-failed-jobs',
    rationale: 'The runner or its host failed, not the code; a re-run gets a fresh runner.',
    label: 'runner',
  },
  flaky_test: {
    baseRisk: 25,
    effort: 'low',
    remediation: 'rerun-failed-jobs',
    rationale: 'The test fails intermittently; a re-run is likely to pass. Track the test so someone stabilizes it.',
    label: 'flaky test',
  },
  cancelled: {
    baseRisk: 35,
    effort: 'trivial',
    remediation: 'notify-only',
    rationale:
      'The run was cancelled (by a person, a newer push in the same concurrency group, or a failing sibling job); re-running a superseded run wastes minutes, so people decide.',
    label: 'cancelled',
  },
  timeout: {
    baseRisk: 40,
    effort: 'low',
    remediation: 'rerun-failed-jobs',
    rationale:
      'The job ran out of time with no failing test or compile error before it, which most often means a stalled runner or a slow external service; one re-run tells a hang from a transient slowdown.',
    label: 'timeout',
  },
  dependency_error: { baseRisk: 45, effort: 'medium', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'dependencies' },
  lint_error: { baseRisk: 55, effort: 'low', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'lint' },
  configuration_error: { baseRisk: 60, effort: 'low', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'configuration' },
  test_failure: { baseRisk: 65, effort: 'medium', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'tests' },
  compilation_error: { baseRisk: 70, effort: 'medium', remediation: 'notify-only', rationale: PERSON_MUST_FIX, label: 'build' },
  deployment_error: {
    baseRisk: 80,
    effort: 'high',
    remediation: 'notify-only',
    rationale: 'A deployment failed part-way; repeating it blindly can leave an environment half-changed, so a person checks first.',
    label: 'deployment',
  },
  security_scan: {
    baseRisk: 85,
    effort: 'high',
    remediation: 'notify-only',
    rationale: 'A security scanner reported findings; they must be triaged by a person, never re-run away.',
    label: 'security scan',
  },
  unknown: {
    baseRisk: 60,
    effort: 'medium',
    remediation: 'notify-only',
    rationale: 'No rule recognized the failure, so nothing is safe to do automatically; a person must look.',
    label: 'CI',
  },
});

const CACHE_CORRUPT =
  'The restored cache looks corrupt (a truncated archive or a checksum that does not match); clearing the caches and re-running rebuilds it from the source.';
const TEST_TIMEOUT =
  'A single test ran out of time; that is a hang or a slow dependency inside the test, which a person should look at (failure history can mark it flaky).';
const CANCELLED_RATIONALE = CATEGORY_PROFILES.cancelled.rationale;
const SECURITY = CATEGORY_PROFILES.security_scan.rationale;
const DEPLOY = CATEGORY_PROFILES.deployment_error.rationale;

/** Shorthand for rules that take every default of their category. */
function rule(
  category: Category,
  fields: Omit<Signature, 'category' | 'effort' | 'remediation' | 'rationale'> &
    Partial<Pick<Signature, 'effort' | 'remediation' | 'rationale'>>,
): Signature {
  const profile = CATEGORY_PROFILES[category];
  return Object.freeze({
    category,
    effort: profile.effort,
    remediation: profile.remediation,
    rationale: profile.rationale,
    ...fields,
  });
}

export const SIGNATURES: readonly Signature[] = Object.freeze([
  // ---------------------------------------------------------------- cancelled
  rule('cancelled', {
    id: 'cancelled.actions.operation-canceled',
    patterns: [/\bThe operation was cancell?ed\b/i],
    weight: 0.9,
    description: 'GitHub Actions cancelled the job (user, concurrency group, or a failing matrix sibling with fail-fast).',
    tool: 'GitHub Actions',
    example: '##[error]The operation was canceled.',
    exampleSource: 'GitHub Actions runner',
  }),
  rule('cancelled', {
    id: 'cancelled.actions.concurrency',
    patterns: [/\bCanceling since a higher priority waiting request for '[^']*' exists\b/i],
    weight: 1,
    description: 'A newer run in the same concurrency group superseded this one.',
    tool: 'GitHub Actions',
    example: "Canceling since a higher priority waiting request for 'ci-refs/heads/main' exists",
    exampleSource: 'GitHub Actions concurrency',
    rationale: CANCELLED_RATIONALE,
  }),

  // ---------------------------------------------------------------- timeout (job / step level)
  rule('timeout', {
    id: 'timeout.actions.job-max-execution-time',
    patterns: [/\bhas exceeded the maximum execution time of \d+ minutes\b/i],
    weight: 1,
    description: 'The job hit its timeout-minutes (default 360).',
    tool: 'GitHub Actions',
    example: '##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution time of 360 minutes.',
    exampleSource: 'GitHub Actions runner',
  }),
  rule('timeout', {
    id: 'timeout.actions.step-timed-out',
    patterns: [/\bThe action '[^']*' has timed out after \d+ minutes\b/i, /^##\[error\]The action has timed out\.?$/i],
    weight: 1,
    description: 'A step hit its timeout-minutes.',
    tool: 'GitHub Actions',
    example: "##[error]The action 'Run tests' has timed out after 30 minutes.",
    exampleSource: 'GitHub Actions runner',
  }),
  rule('timeout', {
    id: 'timeout.travis.no-output',
    patterns: [/\bNo output has been received in the last \d+m\d+s\b/i],
    weight: 1,
    description: 'Travis CI killed a job that printed nothing for too long.',
    tool: 'Travis CI',
    example:
      'No output has been received in the last 10m0s, this potentially indicates a stalled build or something wrong with the build itself.',
    exampleSource: 'Travis CI worker',
  }),
  rule('timeout', {
    id: 'timeout.travis.max-time-limit',
    patterns: [/\bThe job exceeded the maximum time limit for jobs, and has been terminated\b/i],
    weight: 1,
    description: 'Travis CI killed a job that ran past its time limit.',
    tool: 'Travis CI',
    example: 'The job exceeded the maximum time limit for jobs, and has been terminated.',
    exampleSource: 'Travis CI worker',
  }),

  // ---------------------------------------------------------------- timeout (test level: a person looks; history can make it flaky)
  rule('timeout', {
    id: 'timeout.exunit.test-timed-out',
    patterns: [/\(ExUnit\.TimeoutError\) test timed out after \d+ms/],
    weight: 0.85,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'An ExUnit test exceeded its timeout.',
    tool: 'ExUnit',
    example: '** (ExUnit.TimeoutError) test timed out after 60000ms. You can change the timeout:',
    exampleSource: 'logchunks: Elixir/phoenixframework@phoenix/failed/566184515.log',
  }),
  rule('timeout', {
    id: 'timeout.common-test.timetrap',
    patterns: [/^\s*Reason: timetrap_timeout\b/],
    weight: 0.85,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'An Erlang Common Test case hit its timetrap.',
    tool: 'Common Test',
    example: 'Reason: timetrap_timeout',
    exampleSource: 'logchunks: Erlang/processone@ejabberd/failed/555654050.log',
  }),
  rule('timeout', {
    id: 'timeout.xctest.async-wait',
    patterns: [/\bAsynchronous wait failed: Exceeded timeout of [\d.]+ seconds?\b/],
    weight: 0.85,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'An XCTest expectation was not fulfilled in time.',
    tool: 'XCTest',
    example:
      '  testThatValidationForRequestWithAcceptableStatusCodeResponseSucceeds, Asynchronous wait failed: Exceeded timeout of 5 seconds, with unfulfilled expectations: "download should return 200 status code".',
    exampleSource: 'logchunks: Swift/Alamofire@Alamofire/failed/556112835.log',
  }),
  rule('timeout', {
    id: 'timeout.jest.test-timeout',
    patterns: [/\bExceeded timeout of \d+ ?ms for a (?:test|hook)\b/],
    weight: 0.85,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'A jest test or hook exceeded its timeout.',
    tool: 'jest',
    example:
      'thrown: "Exceeded timeout of 5000 ms for a test. Add a timeout value to this test to increase the timeout, if this is a long-running test. See https://jestjs.io/docs/api#testname-fn-timeout."',
    exampleSource: 'jest',
  }),
  rule('timeout', {
    id: 'timeout.mocha.test-timeout',
    patterns: [/\bError: Timeout of \d+ms exceeded\b/],
    weight: 0.85,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'A mocha test exceeded its timeout.',
    tool: 'mocha',
    example:
      'Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure "done()" is called; if returning a Promise, ensure it resolves.',
    exampleSource: 'mocha',
  }),
  rule('timeout', {
    id: 'timeout.go.test-timed-out',
    patterns: [/^panic: test timed out after \S+/],
    weight: 0.9,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'go test killed a test binary that ran past -timeout.',
    tool: 'go test',
    example: 'panic: test timed out after 10m0s',
    exampleSource: 'go test',
  }),
  rule('timeout', {
    id: 'timeout.generic.tests-timed-out',
    patterns: [/^\s*Tests timed out\s*$/i, /\*\* ERROR: process timed out \*\*/, /\bDisconnected, because no message in \d+ ms\b/, /\bExecuted \d+ of \d+ DISCONNECTED\b/],
    weight: 0.75,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'A test runner gave up waiting (QUnit, PHP run-tests, karma).',
    example: 'Disconnected, because no message in 30000 ms.',
    exampleSource: 'logchunks: CSS/twbs@bootstrap/failed/566160487.log',
  }),

  // ---------------------------------------------------------------- infrastructure
  rule('infrastructure_error', {
    id: 'infra.actions.runner-shutdown',
    patterns: [/\bThe runner has received a shutdown signal\b/i],
    weight: 1,
    description: 'The runner was stopped (spot/preemptible host reclaimed, service restarted) while the job ran.',
    tool: 'GitHub Actions',
    example:
      '##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.',
    exampleSource: 'GitHub Actions runner',
  }),
  rule('infrastructure_error', {
    id: 'infra.actions.lost-communication',
    patterns: [/\blost communication with the server\b/i, /\bThe hosted runner encountered an error while running your job\b/i],
    weight: 1,
    description: 'The hosted runner died or lost its connection to GitHub.',
    tool: 'GitHub Actions',
    example:
      'The hosted runner: GitHub Actions 12 lost communication with the server. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error.',
    exampleSource: 'GitHub Actions runner',
  }),
  rule('infrastructure_error', {
    id: 'infra.disk.no-space',
    patterns: [/\bno space left on device\b/i],
    weight: 1,
    description: 'The runner ran out of disk.',
    example:
      "System.IO.IOException: No space left on device : '/home/runner/runners/2.303.0/_diag/Worker_20230404-101010-utc.log'",
    exampleSource: 'GitHub Actions runner',
  }),
  rule('infrastructure_error', {
    id: 'infra.oom.killed',
    patterns: [/\bexit code 137\b/i, /^\s*Killed\s*$/, /\bKilled process \d+ \(.*\) total-vm\b/, /\bCannot allocate memory\b/],
    weight: 0.85,
    description: 'A process was killed by SIGKILL, in CI almost always the kernel OOM killer.',
    example: '##[error]Process completed with exit code 137.',
    exampleSource: 'GitHub Actions runner',
  }),
  rule('infrastructure_error', {
    id: 'infra.node.heap-out-of-memory',
    patterns: [/\bJavaScript heap out of memory\b/],
    weight: 0.9,
    remediation: 'notify-only',
    rationale:
      'Node hit its V8 heap limit, which is deterministic for a given build: a re-run fails the same way. Raise --max-old-space-size or reduce memory use.',
    description: 'Node.js ran out of heap.',
    tool: 'node',
    example: 'FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory',
    exampleSource: 'node',
  }),
  rule('infrastructure_error', {
    id: 'infra.docker.daemon-unavailable',
    patterns: [/\bCannot connect to the Docker daemon at \S+\. Is the docker daemon running\?/i],
    weight: 0.95,
    description: 'The Docker daemon on the runner is not reachable.',
    tool: 'docker',
    example: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    exampleSource: 'docker CLI',
  }),
  rule('infrastructure_error', {
    id: 'infra.cache.corrupt-archive',
    patterns: [/\bUnexpected (?:EOF|end) (?:in|of) archive\b/i, /\bCache service responded with 5\d\d\b/i],
    weight: 0.9,
    risk: 20,
    remediation: 'clear-caches',
    rationale: CACHE_CORRUPT,
    description: 'A restored cache archive is truncated or the cache service failed.',
    tool: 'actions/cache',
    example: '/usr/bin/tar: Unexpected EOF in archive',
    exampleSource: 'actions/cache restore (GNU tar)',
  }),

  // ---------------------------------------------------------------- network
  rule('network_error', {
    id: 'network.docker.rate-limit',
    patterns: [/\btoomanyrequests\b/i, /\bYou have reached your pull rate limit\b/i],
    weight: 1,
    description: 'Docker Hub refused the pull: anonymous or free-tier pull rate limit.',
    tool: 'docker',
    example:
      'Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    exampleSource: 'docker pull (Docker Hub)',
  }),
  rule('network_error', {
    id: 'network.git.unable-to-access',
    patterns: [/\bunable to access '[^']+': (?:Failed to connect|Could not resolve|Empty reply|The requested URL returned error: 5\d\d|Operation timed out|Connection (?:timed out|reset)|gnutls_handshake|OpenSSL SSL_(?:read|connect))/i],
    weight: 1,
    description: 'git could not reach the remote.',
    tool: 'git',
    example:
      "fatal: unable to access 'https://github.com/processone/cache_tab/': Failed to connect to github.com port 443: Connection timed out",
    exampleSource: 'logchunks: Erlang/processone@ejabberd/failed/555702367.log',
  }),
  rule('network_error', {
    id: 'network.git.remote-hung-up',
    patterns: [/\bthe remote end hung up unexpectedly\b/i, /\bRPC failed; (?:curl|HTTP) \d+/i, /\bearly EOF\b.*\bindex-pack failed\b/i],
    weight: 0.9,
    description: 'A git transfer was cut off.',
    tool: 'git',
    example: 'error: RPC failed; curl 56 GnuTLS recv error (-54): Error in the pull function.',
    exampleSource: 'git over HTTPS',
  }),
  rule('network_error', {
    id: 'network.dns.resolve-host',
    patterns: [
      /\bCould not resolve host\b/i,
      /\bTemporary failure in name resolution\b/i,
      /\bgetaddrinfo (?:EAI_AGAIN|ENOTFOUND)\b/,
      /\bName or service not known\b/,
      /\bno such host\b/,
    ],
    weight: 0.95,
    description: 'DNS resolution failed.',
    example: 'curl: (6) Could not resolve host: cli-assets.heroku.com',
    exampleSource: 'logchunks: C++/bitcoin@bitcoin/failed/567191495.log',
  }),
  rule('network_error', {
    id: 'network.socket.reset-or-timeout',
    patterns: [
      /\bECONNRESET\b/,
      /\bETIMEDOUT\b/,
      /\bECONNREFUSED\b.*\b(?:registry|github|npmjs|pypi|docker)\b/i,
      /\bsocket hang up\b/,
      /\bConnection reset by peer\b/i,
      /\bConnection timed out\b/i,
      /\bRead timed out\b/i,
      /\bFailed to connect to \S+ port \d+\b/i,
      /\bCould not (?:create|establish) connection to\b/i,
      /\bEOF occurred in violation of protocol\b/,
    ],
    weight: 0.85,
    description: 'A TCP connection was reset, refused or timed out.',
    example: 'signal(error ("Could not create connection to elpa.gnu.org:443"))',
    exampleSource: 'logchunks: Lisp/purcell@emacs.d/failed/495224858.log',
  }),
  rule('network_error', {
    id: 'network.tls.handshake-timeout',
    patterns: [/\bTLS handshake timeout\b/i, /\bnet\/http: request canceled(?: while waiting for connection)?\b/i, /\bi\/o timeout\b/],
    weight: 0.95,
    description: 'A TLS handshake or HTTP request to a registry timed out.',
    tool: 'docker',
    example: 'Error response from daemon: Get https://registry-1.docker.io/v2/: net/http: TLS handshake timeout',
    exampleSource: 'docker pull (Docker Hub)',
  }),
  rule('network_error', {
    id: 'network.registry.5xx',
    patterns: [
      /\bnpm ERR! code E5\d\d\b/,
      /\b(?:50[234]) (?:Service Unavailable|Bad Gateway|Gateway Time-?out)\b/i,
      /\bReceived status code 50[234] from server\b/i,
      /\bHTTP error 50[234] while getting\b/i,
      /\bResponse status code does not indicate success: 50[234]\b/i,
      /\bReceived HTTP code 50[234] from proxy\b/i,
    ],
    weight: 0.95,
    description: 'A package registry or GitHub answered 502/503/504.',
    example:
      "Could not GET 'https://repo.maven.apache.org/maven2/org/jetbrains/kotlin/kotlin-stdlib/1.9.0/kotlin-stdlib-1.9.0.pom'. Received status code 502 from server: Bad Gateway",
    exampleSource: 'Gradle dependency resolution',
  }),
  rule('network_error', {
    id: 'network.npm.network',
    patterns: [/^npm ERR! network\b/, /\bnpm ERR! errno (?:ECONNRESET|ETIMEDOUT|EAI_AGAIN|ECONNREFUSED)\b/],
    weight: 0.95,
    description: 'npm could not reach the registry.',
    tool: 'npm',
    example: 'npm ERR! network request to https://registry.npmjs.org/react failed, reason: connect ETIMEDOUT 104.16.20.35:443',
    exampleSource: 'npm CLI',
  }),
  rule('network_error', {
    id: 'network.maven.transfer-failed',
    patterns: [/\bCould not transfer artifact \S+ from\/to \S+ \([^)]*\): (?!Received fatal alert: protocol_version)/],
    weight: 0.8,
    description: 'Maven could not download an artifact from a repository.',
    tool: 'maven',
    example:
      'Could not transfer artifact org.apache.maven.plugins:maven-surefire-plugin:pom:3.0.0 from/to central (https://repo.maven.apache.org/maven2): Connection reset',
    exampleSource: 'maven',
  }),
  rule('network_error', {
    id: 'network.apt.hash-sum-mismatch',
    patterns: [/\bHash Sum mismatch\b/],
    weight: 0.8,
    description: 'An apt mirror was mid-sync; the index and packages disagree.',
    tool: 'apt',
    example: 'E: Failed to fetch http://azure.archive.ubuntu.com/ubuntu/dists/jammy-updates/main/binary-amd64/by-hash/SHA256/4f1c2a  Hash Sum mismatch',
    exampleSource: 'apt-get on a GitHub-hosted runner',
  }),

  // ---------------------------------------------------------------- configuration
  rule('configuration_error', {
    id: 'config.actions.invalid-workflow',
    patterns: [/\bInvalid workflow file\b/i, /\bThe workflow is not valid\b/i],
    weight: 0.95,
    description: 'The workflow YAML does not parse or validate.',
    tool: 'GitHub Actions',
    example: 'Invalid workflow file: .github/workflows/ci.yml#L12',
    exampleSource: 'GitHub Actions workflow validation',
  }),
  rule('configuration_error', {
    id: 'config.actions.unrecognized-named-value',
    patterns: [/\bUnrecognized named-value: '[^']+'/],
    weight: 1,
    description: 'A workflow expression refers to a context that does not exist (e.g. `secret` for `secrets`).',
    tool: 'GitHub Actions',
    example:
      "The workflow is not valid. .github/workflows/ci.yml (Line: 21, Col: 16): Unrecognized named-value: 'secret'. Located at position 1 within expression: secret.NPM_TOKEN",
    exampleSource: 'GitHub Actions workflow validation',
  }),
  rule('configuration_error', {
    id: 'config.actions.unresolvable-action',
    patterns: [/\bUnable to resolve action `[^`]+`/i, /\bCan't find 'action\.ya?ml', 'action\.ya?ml' or 'Dockerfile'/i],
    weight: 1,
    description: 'A `uses:` reference names an action or version that does not exist.',
    tool: 'GitHub Actions',
    example: 'Error: Unable to resolve action `actions/chekout@v4`, repository not found',
    exampleSource: 'GitHub Actions runner',
  }),
  rule('configuration_error', {
    id: 'config.actions.missing-input-or-secret',
    patterns: [
      /\bInput required and not supplied: \S+/,
      /\bParameter token or opts\.auth is required\b/,
      /\bCredentials could not be loaded, please check your action inputs\b/,
    ],
    weight: 0.95,
    description: 'A required input, usually a secret, is empty (missing secret, or secrets not passed to forks).',
    tool: 'GitHub Actions',
    example: '##[error]Input required and not supplied: github-token',
    exampleSource: '@actions/core getInput',
  }),
  rule('configuration_error', {
    id: 'config.shell.command-not-found',
    patterns: [/: (?:line \d+: )?[\w.+-]+: command not found\s*$/, /\bThe program '[^']+' is currently not installed\b/],
    weight: 0.85,
    description: 'A tool the job calls is not installed on the runner image (or a setup step is missing).',
    example: '/Users/travis/.travis/job_stages: line 476: yarn: command not found',
    exampleSource: 'logchunks: C#/NancyFx@Nancy/failed/375658615.log',
  }),
  rule('configuration_error', {
    id: 'config.shell.script-not-found',
    patterns: [/: line \d+: \S+: (?:No such file or directory|Permission denied)\s*$/],
    weight: 0.75,
    description: 'The job runs a script that does not exist at that path, or is not executable.',
    example: '/home/travis/.travis/job_stages: line 78: test/sass-compile-tester.sh: No such file or directory',
    exampleSource: 'logchunks: CSS/jgthms@bulma/failed/406362104.log',
  }),
  rule('configuration_error', {
    id: 'config.build.no-rakefile-or-task',
    patterns: [/\bNo Rakefile found\b/, /\bTask never defined: \S+/, /\bmake: \*\*\* No rule to make target\b/],
    weight: 0.85,
    description: 'The build tool has no such file or task.',
    example: 'No Rakefile found (looking for: rakefile, Rakefile, rakefile.rb, Rakefile.rb)',
    exampleSource: 'logchunks: TypeScript/angular@angular/failed/476567056.log',
  }),
  rule('configuration_error', {
    id: 'config.toolchain.version-unavailable',
    patterns: [
      /\bVersion [\w.*-]+ with arch \w+ not found\b/,
      /\bThe engine "node" is incompatible with this module\b/,
      /\bUnable to find a destination matching the provided destination specifier\b/,
      /\bconfigure: error: C compiler cannot create executables\b/,
    ],
    weight: 0.9,
    description: 'The requested toolchain, runtime or simulator is not available on this runner.',
    example: 'xcodebuild: error: Unable to find a destination matching the provided destination specifier:',
    exampleSource: 'logchunks: Swift/SwiftyJSON@SwiftyJSON/failed/364917910.log',
  }),
  rule('configuration_error', {
    id: 'config.git.remote-branch-missing',
    patterns: [/\bRemote branch \S+ not found in upstream origin\b/, /\bCouldn't find remote ref\b/],
    weight: 0.9,
    description: 'The branch or ref the job checks out no longer exists.',
    tool: 'git',
    example: 'fatal: Remote branch jakew/readmes/2018-11-16 not found in upstream origin',
    exampleSource: 'logchunks: Java/square@retrofit/failed/456148330.log',
  }),
  rule('configuration_error', {
    id: 'config.artifact.no-files',
    patterns: [/\bNo files were found with the provided path: .*No artifacts will be uploaded\b/],
    weight: 0.8,
    description: 'upload-artifact found nothing at the configured path.',
    tool: 'actions/upload-artifact',
    example: 'Error: No files were found with the provided path: dist/. No artifacts will be uploaded.',
    exampleSource: 'actions/upload-artifact',
  }),

  // ---------------------------------------------------------------- dependency
  rule('dependency_error', {
    id: 'dependency.npm.eresolve',
    patterns: [/\bnpm ERR! code ERESOLVE\b/, /\bERESOLVE (?:unable to resolve dependency tree|could not resolve)\b/],
    weight: 1,
    description: 'npm cannot satisfy the peer dependency constraints.',
    tool: 'npm',
    example: 'npm ERR! ERESOLVE unable to resolve dependency tree',
    exampleSource: 'npm CLI (v7+)',
  }),
  rule('dependency_error', {
    id: 'dependency.npm.not-found',
    patterns: [/\bnpm ERR! code E404\b/, /\bnpm ERR! 404 Not Found\b/, /\bnpm ERR! code ETARGET\b/, /\bNo matching version found for\b/],
    weight: 0.95,
    description: 'A package or version does not exist in the registry.',
    tool: 'npm',
    example: "npm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2fdoes-not-exist - Not found",
    exampleSource: 'npm CLI',
  }),
  rule('dependency_error', {
    id: 'dependency.npm.lockfile-out-of-sync',
    patterns: [/`npm ci` can only install packages when your package\.json and package-lock\.json\b/, /\bYour lockfile needs to be updated, but yarn was run with `--frozen-lockfile`/, /\bERR_PNPM_OUTDATED_LOCKFILE\b/],
    weight: 1,
    description: 'The lockfile does not match package.json.',
    tool: 'npm',
    example:
      'npm ERR! `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.',
    exampleSource: 'npm CLI',
  }),
  rule('dependency_error', {
    id: 'dependency.npm.integrity',
    patterns: [/\bnpm ERR! code EINTEGRITY\b/, /\bintegrity checksum failed when using sha\d+\b/, /\bIntegrity check failed for "[^"]+"/],
    weight: 0.95,
    risk: 30,
    remediation: 'clear-caches',
    rationale: CACHE_CORRUPT,
    description: 'A cached tarball does not match its integrity hash.',
    tool: 'npm',
    example: 'npm ERR! code EINTEGRITY',
    exampleSource: 'npm CLI',
  }),
  rule('dependency_error', {
    id: 'dependency.pip.no-matching-distribution',
    patterns: [/\bNo matching distribution found for \S+/, /\bCould not find a version that satisfies the requirement\b/, /\bResolutionImpossible\b/],
    weight: 1,
    description: 'pip cannot find a distribution that satisfies the requirement.',
    tool: 'pip',
    example: 'ERROR: No matching distribution found for tensorflow==1.2.3',
    exampleSource: 'pip',
  }),
  rule('dependency_error', {
    id: 'dependency.pip.module-not-found',
    patterns: [/^(?:E\s+)?(?:ModuleNotFoundError: No module named|ImportError: No module named) '?[\w.]+'?/],
    weight: 0.75,
    description: 'A Python module the code imports is not installed.',
    tool: 'python',
    example: "ImportError: No module named 'cv2'",
    exampleSource: 'logchunks: Lua/cmusatyalab@openface/failed/196472359.log',
  }),
  rule('dependency_error', {
    id: 'dependency.conda.packages-not-found',
    patterns: [/\bPackagesNotFoundError: The following packages are not available from current channels\b/, /\bUnsatisfiableError\b/],
    weight: 1,
    description: 'conda cannot find or solve the requested packages.',
    tool: 'conda',
    example: 'PackagesNotFoundError: The following packages are not available from current channels:',
    exampleSource: 'logchunks: Python/scikit-learn@scikit-learn/failed/562395304.log',
  }),
  rule('dependency_error', {
    id: 'dependency.maven.unresolved',
    patterns: [/\bCould not resolve dependencies for project\b/, /\bCould not find artifact \S+ in \S+/, /\bFailure to find \S+ in \S+ was cached in the local repository\b/],
    weight: 0.95,
    description: 'Maven (or Leiningen) cannot find an artifact in any repository.',
    tool: 'maven',
    example: 'Could not find artifact clojure-complete:clojure-complete:jar:0.2.4 in central (https://repo1.maven.org/maven2/)',
    exampleSource: 'logchunks: Clojure/technomancy@leiningen/failed/239201655.log',
  }),
  rule('dependency_error', {
    id: 'dependency.gradle.unresolved',
    patterns: [/\bCould not resolve all (?:files|dependencies|artifacts) for configuration\b/, /^> Could not (?:resolve|find) [\w.-]+:[\w.-]+/],
    weight: 0.95,
    description: 'Gradle cannot resolve a dependency.',
    tool: 'gradle',
    example: "> Could not resolve all files for configuration ':app:debugRuntimeClasspath'.",
    exampleSource: 'Gradle',
  }),
  rule('dependency_error', {
    id: 'dependency.bundler.resolve',
    patterns: [/\bBundler could not find compatible versions for gem\b/, /\bCould not find gem '[^']+'/, /\bYour bundle is locked to \S+/],
    weight: 1,
    description: 'Bundler cannot resolve the Gemfile.',
    tool: 'bundler',
    example: 'Bundler could not find compatible versions for gem "activemodel":',
    exampleSource: 'logchunks: Ruby/rails@rails/failed/517100249.log',
  }),
  rule('dependency_error', {
    id: 'dependency.cargo.resolve',
    patterns: [/\berror: failed to select a version for\b/, /\berror: no matching package named `[^`]+` found\b/, /\berror: failed to (?:download|load source for dependency) `[^`]+`/],
    weight: 1,
    description: 'cargo cannot resolve a crate.',
    tool: 'cargo',
    example: 'error: failed to select a version for the requirement `serde = "^9.0"`',
    exampleSource: 'cargo',
  }),
  rule('dependency_error', {
    id: 'dependency.go.mod',
    patterns: [
      /^go: [^\s]+@\S+: (?:reading|invalid version|unknown revision|missing go\.sum entry)/,
      /\bmissing go\.sum entry for module providing package\b/,
      /^go: updates to go\.mod needed\b/,
      /\bverifying \S+: checksum mismatch\b/,
    ],
    weight: 1,
    description: 'go cannot resolve or verify a module.',
    tool: 'go',
    example: 'go: github.com/acme/widgets@v1.4.2: invalid version: unknown revision v1.4.2',
    exampleSource: 'go mod',
  }),
  rule('dependency_error', {
    id: 'dependency.composer.resolve',
    patterns: [/\bYour requirements could not be resolved to an installable set of packages\b/],
    weight: 1,
    description: 'Composer cannot resolve composer.json.',
    tool: 'composer',
    example: 'Your requirements could not be resolved to an installable set of packages.',
    exampleSource: 'composer',
  }),
  rule('dependency_error', {
    id: 'dependency.cocoapods.resolve',
    patterns: [/\bCocoaPods could not find compatible versions for pod\b/, /\bUnable to find a specification for\b/],
    weight: 1,
    description: 'CocoaPods cannot resolve the Podfile.',
    tool: 'CocoaPods',
    example:
      '    - ERROR | [OSX] unknown: Encountered an unknown error (CocoaPods could not find compatible versions for pod "ReactiveCocoa":',
    exampleSource: 'logchunks: Objective-C/ReactiveCocoa@ReactiveCocoa/failed/522133183.log',
  }),
  rule('dependency_error', {
    id: 'dependency.emacs.package-unavailable',
    patterns: [/\bNo version of \S+ >= \S+ is available\b/, /\bPackage `[^']+' is unavailable\b/],
    weight: 0.95,
    description: 'An Emacs package is not available from the configured archives.',
    tool: 'package.el',
    example: 'signal(error ("No version of command-log-mode >= nil is available"))',
    exampleSource: 'logchunks: Lisp/purcell@emacs.d/failed/516445189.log',
  }),
  rule('dependency_error', {
    id: 'dependency.shared-library.missing',
    patterns: [/\berror while loading shared libraries: \S+: cannot open shared object file\b/],
    weight: 0.85,
    description: 'A binary needs a shared library the runner does not have.',
    example:
      '/tmp/emacs-26.1-travis/bin/emacs: error while loading shared libraries: libgnutls.so.26: cannot open shared object file: No such file or directory',
    exampleSource: 'logchunks: Lisp/purcell@emacs.d/failed/570347231.log',
  }),
  rule('dependency_error', {
    id: 'dependency.hex.missing',
    patterns: [/\bCould not find Hex, which is needed to build dependency\b/, /\bUnchecked dependencies for environment\b/],
    weight: 0.9,
    description: 'Mix cannot fetch or build dependencies.',
    tool: 'mix',
    example: 'Could not find Hex, which is needed to build dependency :json',
    exampleSource: 'logchunks: Erlang/rabbitmq@rabbitmq-server/failed/571552147.log',
  }),

  // ---------------------------------------------------------------- compilation
  rule('compilation_error', {
    id: 'compile.tsc.error',
    patterns: [/\.(?:ts|tsx|mts|cts)(?:\(\d+,\d+\):|:\d+:\d+ -) error TS\d+:/, /^error TS\d+:/, /\bTSError: ⨯ Unable to compile TypeScript\b/],
    weight: 1,
    description: 'The TypeScript compiler reported type errors.',
    tool: 'tsc',
    example: "src/cart.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.",
    exampleSource: 'tsc',
  }),
  rule('compilation_error', {
    id: 'compile.javac.error',
    patterns: [/\.java:\[\d+,\d+\] (?!\(\w+\) )/, /\.java:\d+: error: /, /\bCompilation failure\b/, /\bcompileJava FAILED\b/],
    weight: 0.95,
    description: 'javac reported errors (maven-compiler-plugin or Gradle).',
    tool: 'javac',
    example: '[ERROR] /home/travis/build/square/retrofit/retrofit/src/main/java/retrofit2/Utils.java:[541,12] cannot find symbol',
    exampleSource: 'maven-compiler-plugin',
  }),
  rule('compilation_error', {
    id: 'compile.c.error',
    patterns: [
      /\.(?:c|cc|cpp|cxx|h|hh|hpp|m|mm|go):\d+:\d+: (?:fatal )?error: /,
      /\bcollect2: error: ld returned \d+ exit status\b/,
      /\bundefined reference to `/,
      /^\d+ errors? generated\.$/,
    ],
    weight: 0.95,
    description: 'gcc/clang (or cgo) failed to compile or link.',
    tool: 'cc',
    example: "../vendor/github.com/elastic/gosigar/sigar_darwin.go:12:10: fatal error: 'libproc.h' file not found",
    exampleSource: 'logchunks: Go/ethereum@go-ethereum/failed/566352197.log',
  }),
  rule('compilation_error', {
    id: 'compile.rustc.error',
    patterns: [/^error\[E\d{4}\]: /, /^error: could not compile `[^`]+`/, /^error: aborting due to (?:\d+ )?previous errors?\b/],
    weight: 1,
    description: 'rustc reported errors.',
    tool: 'rustc',
    example: 'error[E0407]: method `oom` is not a member of trait `Alloc`',
    exampleSource: 'logchunks: Rust/redox-os@redox/failed/371852012.log',
  }),
  rule('compilation_error', {
    id: 'compile.go.build',
    patterns: [/^(?:\.\/)?[\w./-]+\.go:\d+:\d+: (?:undefined: |cannot use |imported and not used|declared and not used|syntax error|too many arguments|not enough arguments|missing return)/, /^# [\w./-]+\s*$/],
    weight: 0.9,
    description: 'go build reported errors.',
    tool: 'go build',
    example: './main.go:10:2: undefined: widgets.NewClient',
    exampleSource: 'go build',
  }),
  rule('compilation_error', {
    id: 'compile.kotlinc.error',
    patterns: [/^e: (?:file:\/\/)?\S+\.kts?(?::\d+:\d+|: \(\d+, \d+\)):? /, /\bcompile\w*Kotlin FAILED\b/],
    weight: 0.95,
    description: 'kotlinc reported errors.',
    tool: 'kotlinc',
    example: 'e: /home/runner/work/app/app/src/main/kotlin/com/acme/Main.kt: (12, 5): Unresolved reference: widgets',
    exampleSource: 'kotlinc (Gradle)',
  }),
  rule('compilation_error', {
    id: 'compile.scalac.error',
    patterns: [/^\[error\] \S+\.scala:\d+:\d+: /, /\bcompileIncremental\) Compilation failed\b/],
    weight: 0.95,
    description: 'scalac (sbt) reported errors.',
    tool: 'scalac',
    example:
      '[error] /home/travis/build/twitter/finagle/finagle-exp/src/test/scala/com/twitter/finagle/exp/ConcurrencyEndToEndTest.scala:6:35: object utils is not a member of package com.twitter.finagle.client',
    exampleSource: 'logchunks: Scala/twitter@finagle/failed/565192758.log',
  }),
  rule('compilation_error', {
    id: 'compile.csharp.error',
    patterns: [/\(\d+,\d+\): error (?:CS|FS|BC|MSB)\d+: /, /^\s*Build FAILED\.\s*$/],
    weight: 0.95,
    description: 'The C#/F#/VB compiler or MSBuild reported errors.',
    tool: 'dotnet build',
    example:
      "Extensions/CollectionExtensions.cs(20,40): error CS0103: The name 'key' does not exist in the current context [/home/travis/build/NancyFx/Nancy/src/Nancy/Nancy.csproj]",
    exampleSource: 'logchunks: C#/NancyFx@Nancy/failed/461393228.log',
  }),
  rule('compilation_error', {
    id: 'compile.swift.error',
    patterns: [/^❌\s+\S+\.(?:swift|m|mm|h):\d+:\d+: /, /\.swift:\d+:\d+: error: /, /^❌\s+error: Build input file cannot be found\b/],
    weight: 0.95,
    description: 'The Swift/Objective-C compiler reported errors (xcpretty marks them with ❌).',
    tool: 'swiftc',
    example:
      "❌  /Users/travis/build/ReactiveCocoa/ReactiveCocoa/ReactiveCocoaTests/CocoaActionSpec.swift:47:19: 'value' is inaccessible due to 'internal' protection level",
    exampleSource: 'logchunks: Objective-C/ReactiveCocoa@ReactiveCocoa/failed/567078470.log',
  }),
  rule('compilation_error', {
    id: 'compile.elixir.compile-error',
    patterns: [/\*\* \((?:CompileError|SyntaxError|TokenMissingError)\) /],
    weight: 0.95,
    description: 'The Elixir compiler reported an error.',
    tool: 'elixirc',
    example: '** (CompileError) (for doctest at) lib/list.ex:102: undefined function i/1',
    exampleSource: 'logchunks: Elixir/elixir-lang@elixir/failed/572202401.log',
  }),
  rule('compilation_error', {
    id: 'compile.erlang.error',
    patterns: [/^[\w./-]+\.erl:\d+: (?!Warning:)(?:field \w+ undefined|variable '\w+' is unbound|function [\w/]+ undefined|syntax error|undefined macro|record \w+ undefined|import [\w:/]+ is unused|head mismatch)/],
    weight: 0.85,
    description: 'erlc reported errors.',
    tool: 'erlc',
    example: 'src/rabbit_vhost.erl:91: field description undefined in record vhost',
    exampleSource: 'logchunks: Erlang/rabbitmq@rabbitmq-server/failed/571748388.log',
  }),
  rule('compilation_error', {
    id: 'compile.ghc.error',
    patterns: [/^[\w./-]+\.hs:\d+:\d+: error:/],
    weight: 0.95,
    description: 'GHC reported errors.',
    tool: 'ghc',
    example: 'src/Text/Pandoc/Writers/Ipynb.hs:38:1: error:',
    exampleSource: 'ghc',
  }),
  rule('compilation_error', {
    id: 'compile.sass.error',
    patterns: [/^Error: (?:Invalid CSS after|Undefined variable:|Illegal nesting:|Inconsistent indentation:|expected "[^"]*"\.?$)/],
    weight: 0.9,
    description: 'Sass failed to compile a stylesheet.',
    tool: 'sass',
    example: 'Error: Undefined variable: "$dropdown-divider-background-color-dark".',
    exampleSource: 'logchunks: CSS/jgthms@bulma/failed/513332094.log',
  }),
  rule('compilation_error', {
    id: 'compile.js.bundler',
    patterns: [/\bModule not found: Error: Can't resolve '[^']+'/, /^✘ \[ERROR\] /, /\bERROR in [\w./-]+\.\w+ \d+:\d+/, /\[vite\]:? Rollup failed to resolve import\b/],
    weight: 0.9,
    description: 'A JavaScript bundler (webpack, esbuild, vite) could not build.',
    tool: 'bundler',
    example: "Module not found: Error: Can't resolve './cart-store' in '/home/runner/work/shop/shop/src'",
    exampleSource: 'webpack',
  }),
  rule('compilation_error', {
    id: 'compile.syntax-error',
    patterns: [/^\s*SyntaxError: (?:invalid syntax|Unexpected token|Unexpected identifier|missing \) after argument list|Cannot use import statement outside a module)/, /: syntax error, unexpected /],
    weight: 0.8,
    description: 'Source code does not parse (Python, Node.js, Ruby).',
    example:
      '  /home/travis/build/discourse/discourse/spec/requests/users_controller_spec.rb:3520: syntax error, unexpected end-of-input, expecting end',
    exampleSource: 'logchunks: Ruby/discourse@discourse/failed/566299833.log',
  }),
  rule('compilation_error', {
    id: 'compile.mypy.error',
    patterns: [/^[\w./-]+\.py:\d+: error: .*\[[\w-]+\]\s*$/, /^Found \d+ errors? in \d+ files? \(checked \d+ source files?\)/],
    weight: 0.9,
    description: 'mypy reported type errors.',
    tool: 'mypy',
    example: 'src/shop/cart.py:12: error: Incompatible types in assignment (expression has type "str", variable has type "int")  [assignment]',
    exampleSource: 'mypy',
  }),

  // ---------------------------------------------------------------- lint
  rule('lint_error', {
    id: 'lint.eslint.error',
    patterns: [/^\s*\d+:\d+\s+error\s+.+\s{2,}[@\w/-]+\s*$/, /^✖ \d+ problems? \(\d+ errors?, \d+ warnings?\)/],
    weight: 0.95,
    description: 'ESLint reported errors.',
    tool: 'eslint',
    example: '  12:2  error  Unnecessary semicolon  no-extra-semi',
    exampleSource: 'logchunks: JavaScript/google@web-starter-kit/failed/348097360.log',
  }),
  rule('lint_error', {
    id: 'lint.flake8.violation',
    patterns: [/^[\w./-]+\.py:\d+:\d+: [EWFCN]\d{3} (?!\[\*\])/],
    weight: 0.95,
    description: 'flake8 reported style or correctness violations.',
    tool: 'flake8',
    example: './sklearn/utils/validation.py:412:80: E501 line too long (88 > 79 characters)',
    exampleSource: 'flake8',
  }),
  rule('lint_error', {
    id: 'lint.pylint.violation',
    patterns: [/^[\w./-]+\.py:\d+:\d+: [CRWEF]\d{4}: .+\([\w-]+\)$/],
    weight: 0.95,
    description: 'pylint reported violations.',
    tool: 'pylint',
    example: 'src/shop/cart.py:12:0: C0301: Line too long (120/100) (line-too-long)',
    exampleSource: 'pylint',
  }),
  rule('lint_error', {
    id: 'lint.ruff.violation',
    patterns: [/^[\w./-]+\.py:\d+:\d+: (?:[A-Z]{1,3}\d{3,4} \[\*\]|[A-Z]{2,3}\d{3,4}) /, /^Found \d+ errors?\.\s*$/],
    weight: 0.85,
    description: 'ruff reported violations.',
    tool: 'ruff',
    example: 'src/shop/cart.py:3:8: F401 [*] `os` imported but unused',
    exampleSource: 'ruff',
  }),
  rule('lint_error', {
    id: 'lint.black.would-reformat',
    patterns: [/^would reformat \S+/, /\b\d+ files? would be reformatted\b/, /^Oh no! 💥 💔 💥/],
    weight: 0.95,
    description: 'black --check found unformatted files.',
    tool: 'black',
    example: '1 file would be reformatted, 41 files would be left unchanged.',
    exampleSource: 'black --check',
  }),
  rule('lint_error', {
    id: 'lint.prettier.check',
    patterns: [/\bCode style issues (?:found in|were found in)\b.*\b(?:Forgot to run Prettier|Run Prettier)/],
    weight: 0.95,
    description: 'prettier --check found unformatted files.',
    tool: 'prettier',
    example: '[warn] Code style issues found in 2 files. Forgot to run Prettier?',
    exampleSource: 'prettier --check (v2)',
  }),
  rule('lint_error', {
    id: 'lint.rubocop.offense',
    patterns: [/^[\w./-]+\.rb:\d+:\d+: [CWEFR]: (?:\[Correctable\] )?[A-Z]\w+\/\w+: /, /\b\d+ files? inspected, [1-9]\d* offenses? detected\b/],
    weight: 0.95,
    description: 'RuboCop reported offenses.',
    tool: 'rubocop',
    example:
      'db/migrate/20190731090219_rename_edit_notification_setting.rb:1:1: C: Style/FrozenStringLiteralComment: Missing magic comment # frozen_string_literal: true.',
    exampleSource: 'logchunks: Ruby/discourse@discourse/failed/565888088.log',
  }),
  rule('lint_error', {
    id: 'lint.go.golangci',
    patterns: [/^[\w./-]+\.go:\d+:[\d:]*\s*.+ \((?:errcheck|govet|staticcheck|unused|gosimple|ineffassign|typecheck|revive|gofmt|goimports|golint|gocritic|misspell|deadcode|varcheck|structcheck|gosec)\)$/],
    weight: 0.95,
    description: 'golangci-lint (or gometalinter) reported issues.',
    tool: 'golangci-lint',
    example: 'eth/config.go:1::warning: file is not goimported (goimports)',
    exampleSource: 'logchunks: Go/ethereum@go-ethereum/failed/566442292.log',
  }),
  rule('lint_error', {
    id: 'lint.checkstyle.violation',
    patterns: [/\.java:\[\d+(?:,\d+)?\] \(\w+\) \w+: /, /\bYou have \d+ Checkstyle violations?\b/],
    weight: 0.95,
    description: 'Checkstyle reported violations.',
    tool: 'checkstyle',
    example:
      "[ERROR] src/main/java/com/acme/App.java:[12,15] (whitespace) WhitespaceAround: '=' is not preceded with whitespace.",
    exampleSource: 'maven-checkstyle-plugin',
  }),
  rule('lint_error', {
    id: 'lint.rust.clippy-rustfmt',
    patterns: [/rust-clippy\/master\/index\.html#/, /^Diff in \S+\.rs at line \d+:/],
    weight: 0.9,
    description: 'clippy or rustfmt --check reported issues.',
    tool: 'clippy',
    example: 'Diff in /home/runner/work/ripgrep/ripgrep/crates/core/main.rs at line 12:',
    exampleSource: 'cargo fmt --check',
  }),
  rule('lint_error', {
    id: 'lint.format-check.generic',
    patterns: [/\bmix format failed due to --check-formatted\b/, /\bfile is not gofmt(?:ed|'d)\b/, /^The following files were not formatted:/],
    weight: 0.95,
    description: 'A formatter check (mix format, gofmt) found unformatted files.',
    tool: 'formatter',
    example: '** (Mix) mix format failed due to --check-formatted.',
    exampleSource: 'logchunks: Elixir/elixir-lang@elixir/failed/574602754.log',
  }),
  rule('lint_error', {
    id: 'lint.shellcheck',
    patterns: [/^In \S+ line \d+:$/, /\bSC\d{4}(?: \((?:error|warning|info|style)\))?: /],
    weight: 0.9,
    description: 'ShellCheck reported issues.',
    tool: 'shellcheck',
    example: 'SC2086 (info): Double quote to prevent globbing and word splitting.',
    exampleSource: 'shellcheck',
  }),
  rule('lint_error', {
    id: 'lint.markdown',
    patterns: [/^[\w./-]+\.md:? ?\d+(?::\d+)?:? MD\d{3}\/[\w-]+ /, /^[\w./-]+\.md:\d+: TLDR\d{3} /],
    weight: 0.95,
    description: 'markdownlint (or a page linter) reported issues.',
    tool: 'markdownlint',
    example: 'pages/common/sphinx-build.md: 12: MD040/fenced-code-language Fenced code blocks should have a language specified',
    exampleSource: 'logchunks: Markdown/tldr-pages@tldr/failed/564870496.log',
  }),
  rule('lint_error', {
    id: 'lint.docs.link-check',
    patterns: [
      /^\s*\d+\. (?:\[L\d+\]\s+)?(?:[1-5]\d\d\s+)?https?:\/\/\S+\s+(?:→|Failed to open TCP connection|Connection timed out|Net::\w+|\S+ \(\w+\))/,
      /\bDetected \d+ broken links?\b/,
    ],
    weight: 1,
    description: 'A documentation link checker (awesome_bot, linkinator) found dead or redirected links; the page must be fixed.',
    tool: 'link check',
    example:
      '  23. [L3035]  https://swift.sandbox.bluemix.net Failed to open TCP connection to swift.sandbox.bluemix.net:443 (getaddrinfo: Name or service not known)',
    exampleSource: 'logchunks: Swift/vsouza@awesome-ios/failed/557890661.log',
  }),
  rule('lint_error', {
    id: 'lint.script.failure-generated',
    patterns: [/^\^---- failure generated from \S*lint\S*/],
    weight: 0.95,
    description: 'A repository lint script failed.',
    example: '^---- failure generated from test/lint/lint-whitespace.sh',
    exampleSource: 'logchunks: C++/bitcoin@bitcoin/failed/567119401.log',
  }),

  // ---------------------------------------------------------------- security scan
  rule('security_scan', {
    id: 'security.trivy.findings',
    patterns: [/^Total: [1-9]\d* \(UNKNOWN: \d+, LOW: \d+, MEDIUM: \d+, HIGH: \d+, CRITICAL: \d+\)/, /^Total: [1-9]\d* \((?:[A-Z]+: \d+(?:, )?)+\)$/],
    weight: 1,
    rationale: SECURITY,
    description: 'Trivy found vulnerabilities.',
    tool: 'trivy',
    example: 'Total: 3 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 1, CRITICAL: 1)',
    exampleSource: 'trivy image',
  }),
  rule('security_scan', {
    id: 'security.snyk.findings',
    patterns: [/\bTested \d+ dependencies for known (?:issues|vulnerabilities), found [1-9]\d* (?:issues|vulnerabilities)\b/, /^\s*✗ (?:\[(?:Low|Medium|High|Critical)\]|(?:Low|Medium|High|Critical) severity vulnerability found in)\b/],
    weight: 1,
    rationale: SECURITY,
    description: 'Snyk found vulnerable dependencies.',
    tool: 'snyk',
    example: 'Tested 412 dependencies for known issues, found 4 issues, 6 vulnerable paths.',
    exampleSource: 'snyk test',
  }),
  rule('security_scan', {
    id: 'security.npm-audit.findings',
    patterns: [/\bfound [1-9]\d* vulnerabilit(?:y|ies) \(/, /^[1-9]\d* (?:low|moderate|high|critical) severity vulnerabilit(?:y|ies)\b/, /^# npm audit report\b/],
    weight: 0.95,
    rationale: SECURITY,
    description: 'npm audit found vulnerabilities.',
    tool: 'npm audit',
    example: 'found 3 vulnerabilities (1 moderate, 2 high)',
    exampleSource: 'npm audit (npm 6)',
  }),
  rule('security_scan', {
    id: 'security.gitleaks.leaks',
    patterns: [/\bleaks found: [1-9]\d*\b/i, /\bWRN leaks found\b/],
    weight: 1,
    rationale: 'A secret scanner found credentials in the repository; rotate them and purge history. Never re-run this away.',
    description: 'gitleaks found secrets.',
    tool: 'gitleaks',
    example: '11:02AM WRN leaks found: 2',
    exampleSource: 'gitleaks detect (v8)',
  }),
  rule('security_scan', {
    id: 'security.codeql-sarif.alerts',
    patterns: [/\bCode scanning (?:found|reported) \d+ (?:new )?alerts?\b/i, /\bCodeQL\b.*\b(?:found|detected) \d+ (?:security )?(?:alerts?|vulnerabilit(?:y|ies)|issues?)\b/i],
    weight: 0.95,
    rationale: SECURITY,
    description: 'CodeQL / code scanning reported alerts that fail the check.',
    tool: 'CodeQL',
    example: 'Error: Code scanning found 2 new alerts with severity at or above error',
    exampleSource: 'code scanning check gate',
  }),
  rule('security_scan', {
    id: 'security.vuln-scanners.generic',
    patterns: [
      /\bdiscovered vulnerabilities at or above the severity threshold\b/,
      /^error: \d+ vulnerabilit(?:y|ies) found!?$/,
      /^Found [1-9]\d* known vulnerabilit(?:y|ies) in \d+ packages?\b/,
      /\bYour code is affected by [1-9]\d* vulnerabilit(?:y|ies)\b/,
      /^>> Issue: \[B\d{3}:\w+\]/,
    ],
    weight: 1,
    rationale: SECURITY,
    description: 'A vulnerability scanner (grype, cargo audit, pip-audit, govulncheck, bandit) reported findings.',
    example: 'Found 2 known vulnerabilities in 1 package',
    exampleSource: 'pip-audit',
  }),

  // ---------------------------------------------------------------- deployment
  rule('deployment_error', {
    id: 'deploy.helm.failed',
    patterns: [/^Error: (?:UPGRADE|INSTALLATION|ROLLBACK) FAILED: /, /^Error: release \S+ failed\b/],
    weight: 1,
    rationale: DEPLOY,
    description: 'A Helm install/upgrade failed.',
    tool: 'helm',
    example: 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress',
    exampleSource: 'helm upgrade',
  }),
  rule('deployment_error', {
    id: 'deploy.kubectl.failed',
    patterns: [
      /\bexceeded its progress deadline\b/,
      /^Error from server \((?:Forbidden|Invalid|NotFound|Conflict|BadRequest|InternalError)\): /,
      /^error: timed out waiting for the condition(?: on \S+)?$/,
      /^The \w+ "[^"]+" is invalid: /,
    ],
    weight: 0.95,
    rationale: DEPLOY,
    description: 'kubectl apply/rollout failed.',
    tool: 'kubectl',
    example: 'error: deployment "storefront" exceeded its progress deadline',
    exampleSource: 'kubectl rollout status',
  }),
  rule('deployment_error', {
    id: 'deploy.terraform.failed',
    patterns: [/\bError acquiring the state lock\b/, /^(?:│ )?Error: (?:error |creating |updating |deleting |reading )?\S.*: .*(?:StatusCode: \d+|api error|AccessDenied|UnauthorizedOperation|InvalidParameter)/, /^Error applying plan:/],
    weight: 0.95,
    rationale: DEPLOY,
    description: 'terraform apply failed.',
    tool: 'terraform',
    example: '│ Error: Error acquiring the state lock',
    exampleSource: 'terraform apply',
  }),
  rule('deployment_error', {
    id: 'deploy.aws.failed',
    patterns: [
      /\bAn error occurred \(\w+\) when calling the \w+ operation\b/,
      /\bWaiter \w+ failed: (?:Max attempts exceeded|Waiter encountered a terminal failure state)\b/,
      /\bUPDATE_ROLLBACK_(?:COMPLETE|FAILED)\b/,
    ],
    weight: 0.9,
    rationale: DEPLOY,
    description: 'An AWS deployment call failed.',
    tool: 'aws',
    example: 'Waiter ServicesStable failed: Max attempts exceeded',
    exampleSource: 'aws ecs wait services-stable',
  }),
  rule('deployment_error', {
    id: 'deploy.gcloud.failed',
    patterns: [/^ERROR: \(gcloud\.[\w.-]+\) /],
    weight: 0.9,
    rationale: DEPLOY,
    description: 'A gcloud deployment command failed.',
    tool: 'gcloud',
    example: 'ERROR: (gcloud.run.deploy) Revision \'storefront-00042-xiz\' is not ready and cannot serve traffic.',
    exampleSource: 'gcloud run deploy',
  }),
  rule('deployment_error', {
    id: 'deploy.paas.rejected',
    patterns: [/^\s*!\s+Push rejected to \S+/, /^Error: Deployment (?:failed|was canceled)\b/i],
    weight: 0.9,
    rationale: DEPLOY,
    description: 'A PaaS (Heroku and similar) rejected the deployment.',
    tool: 'heroku',
    example: ' !\tPush rejected to storefront-staging.',
    exampleSource: 'git push heroku',
  }),

  // ---------------------------------------------------------------- flaky hints
  rule('flaky_test', {
    id: 'flaky.marked-flaky',
    patterns: [/\bflaky\b/i, /\bFlakes: [1-9]\d*\b/, /\b\d+ rerun\b/, /\bRSpec::Retry: \d+(?:st|nd|rd|th) try\b/, /\(Attempt \d+ of \d+\)/],
    weight: 0.8,
    description: 'The runner itself reports retried or flaky tests.',
    example: '[WARNING] Tests run: 48, Failures: 0, Errors: 0, Skipped: 0, Flakes: 1',
    exampleSource: 'maven-surefire-plugin (rerunFailingTestsCount)',
  }),
  rule('flaky_test', {
    id: 'flaky.port-in-use',
    patterns: [/\bbind: address already in use\b/, /\bAddress already in use\b/, /\bEADDRINUSE\b/],
    weight: 0.9,
    description: 'A test could not bind a port another process held: a known random failure on shared runners.',
    example:
      'peer_test.go:235: failed to start the first server. err: listen udp 127.0.0.1:42613: bind: address already in use',
    exampleSource: 'logchunks: Go/ethereum@go-ethereum/failed/566363943.log',
  }),

  // ---------------------------------------------------------------- tests
  rule('test_failure', {
    id: 'test.jest.failed',
    patterns: [/^\s*Tests:\s+(?<failed>\d+) failed\b/, /^\s*FAIL\s+(?!:)\S+\.(?:test|spec)\.[cm]?[jt]sx?\b/, /^\s*● .+ › .+/, /^Test Suites: \d+ failed\b/],
    weight: 0.95,
    tool: 'jest',
    summary: '{failed} tests failed',
    description: 'jest (or vitest) reported failing tests.',
    example: 'FAIL src/cart.test.ts',
    exampleSource: 'jest',
  }),
  rule('test_failure', {
    id: 'test.jest.expect',
    patterns: [/^\s*expect\(received\)\.\w+/, /^\s*Expected: .+$/, /^\s*Received: .+$/],
    weight: 0.6,
    tool: 'jest',
    description: 'A jest expectation failed.',
    example: '    expect(received).toBe(expected) // Object.is equality',
    exampleSource: 'jest',
  }),
  rule('test_failure', {
    id: 'test.mocha.failing',
    patterns: [/^\s*(?<failed>\d+) failing\s*$/, /^\s*\d+\) (?:\S+ ){2,}.*:$/],
    weight: 0.95,
    tool: 'mocha',
    summary: '{failed} tests failed',
    description: 'mocha reported failing tests.',
    example: '24 failing',
    exampleSource: 'logchunks: TypeScript/Microsoft@vscode/failed/374263682.log',
  }),
  rule('test_failure', {
    id: 'test.pytest.failed',
    patterns: [/^=+ (?:.*, )?(?<failed>\d+) failed\b.* in [\d.]+\s?s(?:econds)?\b.*=+$/, /^FAILED [\w./-]+\.py::\S+/, /^_{3,} (?:\S+ )?test\w* _{3,}$/],
    weight: 0.95,
    tool: 'pytest',
    summary: '{failed} tests failed',
    description: 'pytest reported failing tests.',
    example: '= 2 failed, 10071 passed, 378 skipped, 1 xfailed, 182 warnings in 506.01 seconds =',
    exampleSource: 'logchunks: Python/scikit-learn@scikit-learn/failed/562431016.log',
  }),
  rule('test_failure', {
    id: 'test.python.assertion',
    patterns: [/^E\s+(?:assert|AssertionError)\b/, /^\s*AssertionError\b/, /^FAIL: \w+ \([\w.]+\)$/, /^FAIL: [\w.]+$/, /^FAILED \((?:failures|errors)=\d+/],
    weight: 0.75,
    tool: 'python',
    description: 'A Python assertion failed (pytest, unittest, nose).',
    example: 'FAIL: tests.openface_batch_represent_tests.test_batch_represent',
    exampleSource: 'logchunks: Lua/cmusatyalab@openface/failed/196472359.log',
  }),
  rule('test_failure', {
    id: 'test.go.fail',
    patterns: [/^\s*--- FAIL: \S+ \([\d.]+s\)/, /^FAIL\t\S+\t[\d.]+s$/, /^FAIL: Test\w+ \([\d.]+s\)/],
    weight: 0.95,
    tool: 'go test',
    description: 'go test reported failing tests.',
    example: '--- FAIL: TestSimulation (10.06s)',
    exampleSource: 'logchunks: Go/ethereum@go-ethereum/failed/566363943.log',
  }),
  rule('test_failure', {
    id: 'test.junit.surefire',
    patterns: [
      /\bTests run: \d+, Failures: (?:[1-9]\d*, Errors: \d+|\d+, Errors: [1-9]\d*)\b/,
      /<<< (?:FAILURE|ERROR)!\s*$/,
      /\bThere are test failures\b/,
      /\bThere were failing tests\b/,
      /^\s*\w+ > \w.* FAILED$/,
    ],
    weight: 0.95,
    tool: 'JUnit',
    description: 'JUnit tests failed (maven surefire or Gradle).',
    example:
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:2.12.4:test (default-test) on project retrofit: There are test failures.',
    exampleSource: 'logchunks: Java/square@retrofit/failed/403602199.log',
  }),
  rule('test_failure', {
    id: 'test.rspec.failures',
    patterns: [/^\d+ examples?, [1-9]\d* failures?\b/, /^rspec \.\/spec\/\S+:\d+ # /, /^\s*Failure\/Error: /, /^0 examples, 0 failures, \d+ errors? occurred outside of examples/],
    weight: 0.95,
    tool: 'rspec',
    description: 'RSpec reported failing examples.',
    example: 'rspec ./spec/components/distributed_mutex_spec.rb:102 # DistributedMutex executions should not allow critical sections to overlap',
    exampleSource: 'logchunks: Ruby/discourse@discourse/failed/565656484.log',
  }),
  rule('test_failure', {
    id: 'test.minitest.failure',
    patterns: [/^\s*(?:\d+\) )?(?:Failure|Error):\s*$/, /^\d+ runs, \d+ assertions, (?:[1-9]\d* failures, \d+ errors|\d+ failures, [1-9]\d* errors)/, /^bin\/rails test \S+:\d+$/],
    weight: 0.85,
    tool: 'minitest',
    description: 'Minitest reported failures.',
    example: 'bin/rails test test/application/dbconsole_test.rb:21',
    exampleSource: 'logchunks: Ruby/rails@rails/failed/517100249.log',
  }),
  rule('test_failure', {
    id: 'test.cargo.failed',
    patterns: [/^test result: FAILED\. \d+ passed; [1-9]\d* failed\b/, /^error: test failed, to rerun pass\b/, /^test \S+ \.\.\. FAILED$/],
    weight: 0.95,
    tool: 'cargo test',
    description: 'cargo test reported failing tests.',
    example: 'test result: FAILED. 41 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.12s',
    exampleSource: 'cargo test',
  }),
  rule('test_failure', {
    id: 'test.phpunit.failures',
    patterns: [/^Failed asserting that\b/, /^FAILURES!$/, /^Tests: \d+, Assertions: \d+, (?:Failures|Errors): [1-9]/, /^FAIL .+ \[[\w./-]+\.phpt\]$/, /^\d+\) \w+::\w+$/],
    weight: 0.9,
    tool: 'phpunit',
    description: 'PHPUnit (or PHP run-tests) reported failures.',
    example: 'Failed asserting that two strings are equal.',
    exampleSource: 'logchunks: PHP/bcit-ci@CodeIgniter/failed/476896825.log',
  }),
  rule('test_failure', {
    id: 'test.dotnet.failed',
    patterns: [/^\s*Failed!\s+- Failed:\s+[1-9]\d*,/, /^\s*[\w.<>]+ \[FAIL\]\s*$/, /^\s*Failed [\w.]+ \[\d+ m?s\]$/, /\bAssert\.\w+\(\) Failure\b/],
    weight: 0.95,
    tool: 'dotnet test',
    description: 'dotnet test (xUnit, NUnit, MSTest) reported failures.',
    example: '      Nancy.Testing.Tests.BrowserFixture.Should_return_JSON_serialized_form [FAIL]',
    exampleSource: 'logchunks: C#/NancyFx@Nancy/failed/375800180.log',
  }),
  rule('test_failure', {
    id: 'test.exunit.failure',
    patterns: [/^\s*Assertion with \S+ failed\b/, /^\d+ (?:tests|doctests?, \d+ tests), [1-9]\d* failures?\b/, /^\s*\d+\) test .+ \([\w.]+\)$/],
    weight: 0.9,
    tool: 'ExUnit',
    description: 'ExUnit reported failing tests.',
    example: '     Assertion with == failed',
    exampleSource: 'logchunks: Elixir/elixir-lang@elixir/failed/571777147.log',
  }),
  rule('test_failure', {
    id: 'test.common-test.failed',
    patterns: [/^\s*\w+:\w+ failed(?: on line \d+)?$/, /\*\*\* FAILED test case \d+ of \d+ \*\*\*/],
    weight: 0.9,
    tool: 'Common Test',
    description: 'Erlang Common Test reported failing cases.',
    example: 'inet_SUITE:t_gethostnative failed on line 696',
    exampleSource: 'logchunks: Erlang/erlang@otp/failed/550114180.log',
  }),
  rule('test_failure', {
    id: 'test.scalatest.failed',
    patterns: [/\*\*\* FAILED \*\*\*/, /^\[error\] Failed tests:/, /^\[error\] \(\S+ \/ Test \/ test\) sbt\.TestsFailedException\b/],
    weight: 0.95,
    tool: 'scalatest',
    description: 'ScalaTest (sbt) reported failing tests.',
    example: '[info] - Requests exceeding limit should increase dropped_request count *** FAILED ***',
    exampleSource: 'logchunks: Scala/twitter@finagle/failed/572992106.log',
  }),
  rule('test_failure', {
    id: 'test.tap.failed',
    patterns: [/\bDubious, test returned [1-9]\d* \(wstat \d+, 0x[0-9a-f]+\)/, /^Failed [1-9]\d*\/\d+ subtests\b/, /^not ok \d+ - /],
    weight: 0.9,
    tool: 'prove',
    description: 'A TAP harness (prove, git test suite) reported failures.',
    example: 't9502-gitweb-standalone-parse-output.sh ............ Dubious, test returned 1 (wstat 256, 0x100)',
    exampleSource: 'logchunks: C/git@git/failed/565956904.log',
  }),
  rule('test_failure', {
    id: 'test.xctest.failed',
    patterns: [/, XCTAssert\w* failed\b/, /^Test Case '-\[\S+ \S+\]' failed \(/, /, Test crashed\s*$/, /\bexpected to (?:eventually )?(?:be|equal|match|contain)\b.*, got\b/],
    weight: 0.9,
    tool: 'XCTest',
    description: 'XCTest (or Quick/Nimble) reported failures.',
    example: '  testThatDataRequestWithInvalidURLStringThrowsResponseHandlerError, XCTAssertTrue failed',
    exampleSource: 'logchunks: Swift/Alamofire@Alamofire/failed/552510229.log',
  }),
  rule('test_failure', {
    id: 'test.karma-jasmine.failed',
    patterns: [/^\S+ [\d.]+ \([^)]*\) .+ FAILED$/, /^\s*Executed \d+ of \d+ \([1-9]\d* FAILED\)/, /^\s*Test Failed: /, /^\s*Module Failed: /],
    weight: 0.9,
    tool: 'karma',
    description: 'Karma/Jasmine/QUnit reported failing specs.',
    example:
      'Firefox 60.0.0 (Windows 7.0.0) upgrade angular1_providers injectorFactory should throw if the injector value has not been set yet FAILED',
    exampleSource: 'logchunks: TypeScript/angular@angular/failed/476598534.log',
  }),
  rule('test_failure', {
    id: 'test.sanitizer.report',
    patterns: [/^==\d+==ERROR: (?:Address|Memory|Thread|Leak|UndefinedBehavior)Sanitizer: /, /^SUMMARY: (?:Address|Thread|Leak|UndefinedBehavior)Sanitizer: /],
    weight: 0.9,
    tool: 'sanitizer',
    description: 'A sanitizer found a memory or concurrency bug while tests ran.',
    example:
      '==30799==ERROR: AddressSanitizer: heap-use-after-free on address 0x61b000080607 at pc 0x555888669d4c bp 0x7f3822083810 sp 0x7f3822083808',
    exampleSource: 'logchunks: C++/bitcoin@bitcoin/failed/567144565.log',
  }),
  rule('test_failure', {
    id: 'test.generic.assertion',
    patterns: [/^\s*(?:java\.lang\.|org\.junit\.|org\.opentest4j\.)?(?:AssertionError|AssertionFailedError|ComparisonFailure)\b/, /\bAssertionError \[ERR_ASSERTION\]/, /^\s*thread '[^']+' panicked at /, /^\s*\+ expected - actual\s*$/],
    weight: 0.6,
    description: 'An assertion failed or a test thread panicked.',
    example: 'java.lang.AssertionError: ',
    exampleSource: 'logchunks: Java/square@retrofit/failed/403602199.log',
  }),

  // ---------------------------------------------------------------- generic (says only that something failed)
  rule('unknown', {
    id: 'generic.exit-code',
    patterns: [
      /\bProcess completed with exit code [1-9]\d*\b/,
      /^The command ".*" (?:exited with|failed and exited with) [1-9]\d*\.?$/,
      /\bfailed with exit code [1-9]\d*\b/,
      /^make(?:\[\d+\])?: \*\*\* \[[^\]]*\] Error \d+$/,
      /^npm ERR! code ELIFECYCLE$/,
      /^error Command failed with exit code \d+\.$/,
      /^Error: Process completed with exit code \d+\.?$/,
    ],
    weight: 0.3,
    description: 'A step or command exited non-zero; says nothing about why.',
    example: '##[error]Process completed with exit code 1.',
    exampleSource: 'GitHub Actions runner',
  }),
]);

/** Ids of every rule, in catalog order. */
export function rulesCatalogIds(): string[] {
  return SIGNATURES.map((s) => s.id);
}

/** The rule with this id, if any. */
export function signatureById(id: string): Signature | undefined {
  return SIGNATURES.find((s) => s.id === id);
}
