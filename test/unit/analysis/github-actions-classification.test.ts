import { describe, expect, it } from '@jest/globals';
import { analyzeWithRules } from '../../../src/analysis/rules-analyzer.ts';
import type { Category } from '../../../src/analysis/taxonomy.ts';
import { extractFromText } from '../../../src/logs/log-extractor.ts';

/**
 * Whole GitHub Actions job logs, as the runner writes them (timestamps, `##[group]Run …`, `##[error]`), through
 * the real extractor and the rules analyzer: what a user of `ci-remediator analyze` sees. The lines follow the
 * tools' documented message shapes; none is copied from the gha-dev set.
 */
function job(...steps: Array<[command: string, ...output: string[]]>): string {
  let second = 0;
  const stamp = () => `2026-03-02T10:00:${String(second++ % 60).padStart(2, '0')}.0000000Z `;
  const lines: string[] = [`${stamp()}##[group]Operating System`, `${stamp()}Ubuntu 24.04 LTS`, `${stamp()}##[endgroup]`];
  for (const [command, ...output] of steps) {
    lines.push(`${stamp()}##[group]Run ${command}`, `${stamp()}${command}`, `${stamp()}##[endgroup]`);
    for (const line of output) lines.push(`${stamp()}${line}`);
  }
  return `${lines.join('\n')}\n`;
}

function classify(log: string, failedStep?: string) {
  return analyzeWithRules({ extraction: extractFromText(log), failedStep });
}

describe('classifying GitHub Actions jobs', () => {
  const cases: Array<{ name: string; log: string; category: Category; rule?: string }> = [
    {
      name: 'a github-script step refused by the token',
      log: job(['actions/github-script@v7', 'RequestError [HttpError]: Resource not accessible by integration', '##[error]Unhandled error: HttpError: Resource not accessible by integration']),
      category: 'configuration_error',
      rule: 'config.actions.token-permission',
    },
    {
      name: 'gitleaks findings printed at warning level',
      log: job(['gitleaks detect --redact -v', '9:14AM INF 212 commits scanned.', '9:14AM WRN leaks found: 3']),
      category: 'security_scan',
    },
    {
      name: 'an apt mirror mid-sync',
      log: job(['sudo apt-get update', 'Err:5 http://azure.archive.ubuntu.com/ubuntu noble-updates/main amd64 Packages', '  Hash Sum mismatch', '##[error]Process completed with exit code 100.']),
      category: 'network_error',
    },
    {
      name: 'an npm publish the registry refused',
      log: job(['npm publish --access public', 'npm ERR! code E403', 'npm ERR! 403 403 Forbidden - PUT https://registry.npmjs.org/@acme%2fwidgets - You do not have permission to publish "@acme/widgets".', '##[error]Process completed with exit code 1.']),
      category: 'deployment_error',
      rule: 'deploy.npm.publish-refused',
    },
    {
      name: 'an npm install of a package that does not exist',
      log: job(['npm ci', "npm ERR! 404  '@acme/not-there@1.0.0' is not in this registry.", '##[error]Process completed with exit code 1.']),
      category: 'dependency_error',
    },
    {
      name: 'golangci-lint out of time',
      log: job(['golangci-lint run --timeout=5m', 'level=error msg="Timeout exceeded: try increasing it by passing --timeout option"', '##[error]Process completed with exit code 4.']),
      category: 'timeout',
      rule: 'timeout.lint.deadline',
    },
    {
      name: 'an emulator that never booted',
      log: job(['reactivecircus/android-emulator-runner@v2', 'Launch Emulator', '##[error]Timeout waiting for emulator to boot.']),
      category: 'timeout',
    },
    {
      name: 'make processes stopped by a cancellation',
      log: job(['make -j4 world', 'make[3]: *** [Makefile:88: build/libfoo.o] Terminated', 'make[2]: *** [Makefile:20: all] Terminated', 'Terminated', '##[error]Process completed with exit code 143.']),
      category: 'cancelled',
    },
    {
      name: 'xcodebuild with no diagnostics',
      log: job(['xcodebuild -scheme App build', '▸ Compiling AppDelegate.swift', '** BUILD FAILED **', '##[error]Process completed with exit code 65.']),
      category: 'compilation_error',
    },
    {
      name: 'commitlint rejecting a message',
      log: job(['npx commitlint --from HEAD~1', '⧗   input: update stuff', '✖   subject may not be empty [subject-empty]', '✖   found 1 problems, 0 warnings', '##[error]Process completed with exit code 1.']),
      category: 'lint_error',
    },
    {
      name: 'a Gradle daemon killed mid-build',
      log: job(['./gradlew assembleRelease', '> Task :app:compileReleaseKotlin', 'org.gradle.launcher.daemon.client.DaemonDisappearedException: Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)', '##[error]Process completed with exit code 1.']),
      category: 'infrastructure_error',
    },
    {
      name: 'configure-aws-credentials without a trust policy',
      log: job(['aws-actions/configure-aws-credentials@v4', 'Assuming role with OIDC', '##[error]Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity']),
      category: 'configuration_error',
      rule: 'config.aws.credentials',
    },
    {
      name: 'download-artifact looking for a name nobody uploaded',
      log: job(['actions/download-artifact@v4', 'Downloading single artifact', '##[error]Unable to download artifact(s): Artifact not found for name: coverage']),
      category: 'configuration_error',
      rule: 'config.artifact.not-found',
    },
    {
      name: "npm 10's `npm error` prefix, not only npm 6-9's `npm ERR!`",
      log: job(['npm install', 'npm error code ERESOLVE', 'npm error ERESOLVE could not resolve', '##[error]Process completed with exit code 1.']),
      category: 'dependency_error',
      rule: 'dependency.npm.eresolve',
    },
    {
      name: "a tool's line inside `docker build`, behind BuildKit's step number and time",
      log: job(['docker buildx build .', '#12 [build 4/6] RUN go build -o /app ./cmd/api', '#12 3.021 cmd/api/main.go:12:2: undefined: serve', '#12 ERROR: process "/bin/sh -c go build -o /app ./cmd/api" did not complete successfully: exit code: 1', '##[error]Process completed with exit code 1.']),
      category: 'compilation_error',
      rule: 'compile.go.build',
    },
    {
      name: 'a line padded with trailing blanks still meets its `$`-anchored rule',
      log: job(['xcodebuild -scheme App build', '** BUILD FAILED **   ', '##[error]Process completed with exit code 65.']),
      category: 'compilation_error',
      rule: 'compile.xcodebuild.failed',
    },
    {
      name: "a runner annotation without the web UI's `Error: `",
      log: job(['docker/login-action@v3', '##[error]Username and password required']),
      category: 'configuration_error',
    },
    {
      name: 'git\'s own lowercase "couldn\'t find remote ref"',
      log: job(['actions/checkout@v4', "##[error]fatal: couldn't find remote ref refs/heads/release/9.9", "##[error]The process '/usr/bin/git' failed with exit code 128"]),
      category: 'configuration_error',
      rule: 'config.git.remote-branch-missing',
    },
  ];

  it("weighs the tool's last words above a bare exit code like a signal", () => {
    // Weak words alone, on a plain excerpt line, name nothing; right above "exit code 1" they are what the tool said last.
    const log = job(['./ci/audit.sh', 'scanning 1200 packages', 'scan done: 3 security findings', '##[error]Process completed with exit code 1.']);
    expect(classify(log).category).toBe('security_scan');
    const farAbove = job(['./ci/audit.sh', 'scan done: 3 security findings', 'report written to audit.json', 'uploading report', 'cleaning up', '##[error]Process completed with exit code 1.']);
    expect(classify(farAbove).category).not.toBe('security_scan');
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, { log, category, rule }) => {
    const analysis = classify(log);
    expect(analysis.category).toBe(category);
    if (rule !== undefined) expect(analysis.rule).toBe(rule);
  });

  it('reads the step that ran: a bare error in a deploy step is a deployment error', () => {
    const line = "##[error]The feature 'multi-container' is not supported on this service.";
    const deploy = classify(job(['google-github-actions/deploy-cloudrun@v2', 'Creating a service revision...', line]));
    expect(deploy.category).toBe('deployment_error');
    expect(deploy.reasoning).toContain('deploy.step.deploy-or-publish');
    // The same line in a step that is no deploy names nothing.
    expect(classify(job(['./scripts/check.sh', line])).category).toBe('unknown');
  });

  it("reads the failing step's name when the caller knows it", () => {
    const log = job(['./scripts/release.sh', '##[error]Process completed with exit code 1.']);
    expect(classify(log).category).toBe('unknown');
    const named = classify(log, 'Publish to PyPI');
    expect(named.category).toBe('deployment_error');
    expect(named.confidence).toBeLessThan(0.6);
  });

  it('names the cause when it makes the tests fail, and is less sure than with the cause alone', () => {
    const missingBrowsers = [
      "browserType.launch: Executable doesn't exist at /home/runner/.cache/ms-playwright/chromium-1105/chrome-linux/chrome",
      'Looks like Playwright Test or Playwright was just installed or updated.',
    ];
    const withTests = classify(job(['npx mocha test/e2e', '  1) "before all" hook in "{root}":', ...missingBrowsers, '  0 passing (2s)', '  1 failing', '##[error]Process completed with exit code 1.']));
    expect(withTests.category).toBe('configuration_error');
    expect(withTests.rule).toBe('config.playwright.browsers-not-installed');
    expect(withTests.reasoning).toContain('names the cause of the test_failure evidence');
    const alone = classify(job(['npx playwright test', ...missingBrowsers]));
    expect(alone.category).toBe('configuration_error');
    expect(withTests.confidence).toBeLessThan(alone.confidence);
  });

  it('keeps a test summary over a network error inside one of the tests', () => {
    const log = job([
      'npx jest --ci',
      'FAIL src/api/client.test.ts',
      '  ● client › reports an unreachable host',
      '    FetchError: request to https://api.example.com/v1/orders failed, reason: getaddrinfo EAI_AGAIN api.example.com',
      'FAIL src/cart/cart.test.ts',
      '  ● cart › applies a discount',
      '    expect(received).toBe(expected) // Object.is equality',
      'FAIL src/cart/totals.test.ts',
      '  ● totals › rounds to cents',
      'Tests:       3 failed, 40 passed, 43 total',
      '##[error]Process completed with exit code 1.',
    ]);
    expect(classify(log).category).toBe('test_failure');
  });

  it('still blames the network when it broke the install the tests needed', () => {
    const log = job(['npm ci', 'npm ERR! code ECONNRESET', 'npm ERR! network request to https://registry.npmjs.org/react failed, reason: read ECONNRESET', '##[error]Process completed with exit code 1.']);
    expect(classify(log).category).toBe('network_error');
  });

  it("falls back to the key line's shape, with low confidence, when no rule knows the message", () => {
    const log = job(['./tools/check-schema', 'schemas/order.json:14:3: field "total" redefines an inherited field', '##[error]Process completed with exit code 2.']);
    const analysis = classify(log);
    expect(analysis.category).toBe('compilation_error');
    expect(analysis.confidence).toBeLessThan(0.5);
    expect(analysis.reasoning).toMatch(/the shape of line \d+ \(compiler\) suggests compilation_error/);
  });
});
