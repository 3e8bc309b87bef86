import { describe, expect, it } from '@jest/globals';
import { MAX_REASONING_LENGTH, MAX_SUMMARY_LENGTH, analyzeWithRules } from '../../../src/analysis/rules-analyzer.ts';
import { CATEGORIES, REMEDIATION_ACTIONS } from '../../../src/analysis/taxonomy.ts';
import type { Extraction } from '../../../src/logs/types.ts';
import { extractionOf, singleLine } from './helpers.ts';

// A jest failure on a GitHub-hosted runner, as the job log shows it. The extractor may well pick the
// runner's exit-code annotation as the key line; the analyzer must still see the test failure.
const JEST_ON_ACTIONS = [
  'FAIL src/cart.test.ts',
  '  ● cart › adds an item',
  '',
  '    expect(received).toBe(expected) // Object.is equality',
  '',
  '    Expected: 2',
  '    Received: 1',
  '',
  '      at Object.<anonymous> (/home/runner/work/shop/shop/src/cart.test.ts:12:26)',
  '      at Promise.then.completed (/home/runner/work/shop/shop/node_modules/jest-circus/build/utils.js:298:28)',
  '',
  'Tests:       2 failed, 10 passed, 12 total',
  '##[error]Process completed with exit code 1.',
];

function analyze(extraction: Extraction, extra: Partial<Parameters<typeof analyzeWithRules>[0]> = {}) {
  return analyzeWithRules({ extraction, ...extra });
}

describe('analyzeWithRules', () => {
  it('classifies a jest failure followed by the runner exit-code annotation as a test failure', () => {
    const a = analyze(extractionOf(JEST_ON_ACTIONS, { key: 12, signals: [12, 0, 11, 1] }));
    expect(a.analyzer).toBe('rules');
    expect(a.category).toBe('test_failure');
    expect(a.rule).toBe('test.jest.failed');
    expect(a.components).toContain('src/cart.test.ts');
    expect(a.components.some((c) => c.includes('node_modules'))).toBe(false);
    expect(a.summary).toBe('jest: 2 tests failed in src/cart.test.ts — FAIL src/cart.test.ts');
    expect(a.proposedRemediation.action).toBe('notify-only');
    expect(a.confidence).toBeGreaterThanOrEqual(0.65);
    expect(a.reasoning).toMatch(/test\.jest\.failed \(test_failure\) matched lines 1, 2, 12/);
  });

  it('prefers the expectation as the headline when the extractor chose it as the key line', () => {
    const a = analyze(extractionOf(JEST_ON_ACTIONS, { key: 3, signals: [3, 0, 11] }));
    expect(a.summary).toBe('jest: 2 tests failed in src/cart.test.ts — expect(received).toBe(expected) // Object.is equality');
  });

  it('treats a Docker Hub rate limit as a network error to re-run', () => {
    const lines = [
      'Unable to find image \'node:20\' locally',
      "docker: Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit.",
      "See 'docker run --help'.",
      '##[error]Process completed with exit code 125.',
    ];
    const a = analyze(extractionOf(lines, { key: 1, signals: [1, 3] }));
    expect(a.category).toBe('network_error');
    expect(a.proposedRemediation.action).toBe('rerun-failed-jobs');
    expect(a.riskScore).toBeLessThan(30);
  });

  it('treats a full disk as an infrastructure error, even when it broke the build', () => {
    const lines = [
      "src/cart.ts(3,1): error TS5033: Could not write file '/home/runner/work/shop/shop/dist/cart.js': ENOSPC: no space left on device, write.",
      "System.IO.IOException: No space left on device : '/home/runner/runners/2.303.0/_diag/Worker_20230404-101010-utc.log'",
    ];
    const a = analyze(extractionOf(lines, { key: 0, signals: [0, 1] }));
    expect(a.category).toBe('infrastructure_error');
    expect(a.proposedRemediation.action).toBe('rerun-failed-jobs');
  });

  it('blames the network, not the tests, when a registry reset made the tests fail', () => {
    const lines = [
      'FAIL src/api.test.ts',
      '  ● api › fetches the catalog',
      '    FetchError: request to https://registry.example.com/catalog failed, reason: read ECONNRESET',
      'Tests:       1 failed, 40 passed, 41 total',
      '##[error]Process completed with exit code 1.',
    ];
    const a = analyze(extractionOf(lines, { key: 0, signals: [0, 2, 3, 4] }));
    expect(a.category).toBe('network_error');
    expect(a.reasoning).toMatch(/network_error .* explains the test_failure evidence/);
  });

  it('keeps the tests when their summary counts more failures than there are network errors', () => {
    const lines = [
      'FAIL src/api.test.ts',
      '  ● api › fetches the catalog',
      '    FetchError: request to https://registry.example.com/catalog failed, reason: read ECONNRESET',
      '  ● api › rejects an empty order',
      'Tests:       2 failed, 40 passed, 42 total',
      '##[error]Process completed with exit code 1.',
    ];
    const a = analyze(extractionOf(lines, { key: 0, signals: [0, 2, 4, 5] }));
    expect(a.category).toBe('test_failure');
    // The network error still shows as the runner-up: the confidence is lower than for a clean test failure.
    expect(a.reasoning).toContain('network_error');
  });

  it('reports a cancelled job as cancelled, for people to decide', () => {
    const a = analyze(singleLine('##[error]The operation was canceled.', 310), { conclusion: 'cancelled' });
    expect(a.category).toBe('cancelled');
    expect(a.proposedRemediation.action).toBe('notify-only');
    expect(a.confidence).toBeGreaterThan(0.8);
    expect(a.reasoning).toContain('GitHub reported the job as cancelled.');
  });

  it('reports a job that hit its time limit as a timeout, not a cancellation', () => {
    const lines = [
      '##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution time of 360 minutes.',
      '##[error]The operation was canceled.',
    ];
    const a = analyze(extractionOf(lines, { key: 1, signals: [1, 0] }), { conclusion: 'timed_out' });
    expect(a.category).toBe('timeout');
    expect(a.proposedRemediation.action).toBe('rerun-failed-jobs');
  });

  it('takes the job conclusion as evidence when the log says nothing', () => {
    const empty = extractionOf([], { key: null });
    expect(analyze(empty, { conclusion: 'timed_out' }).category).toBe('timeout');
    expect(analyze(empty, { conclusion: 'cancelled' }).category).toBe('cancelled');
    expect(analyze(empty, { conclusion: 'failure' }).category).toBe('unknown');
  });

  it('blames the runner when a runner shutdown ended in a cancellation', () => {
    const lines = [
      '##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.',
      '##[error]The operation was canceled.',
    ];
    const a = analyze(extractionOf(lines, { key: 1, signals: [1, 0] }), { conclusion: 'cancelled' });
    expect(a.category).toBe('infrastructure_error');
    expect(a.proposedRemediation.action).toBe('rerun-failed-jobs');
  });

  it('proposes clearing caches when a restored cache is corrupt', () => {
    const lines = [
      'Received 134217728 of 512000000 (26.2%), 127.9 MBs/sec',
      '/usr/bin/tar: Unexpected EOF in archive',
      '/usr/bin/tar: Error is not recoverable: exiting now',
      "Error: The process '/usr/bin/tar' failed with exit code 2",
    ];
    const a = analyze(extractionOf(lines, { key: 1, signals: [1, 3] }));
    expect(a.proposedRemediation.action).toBe('clear-caches');
    expect(a.proposedRemediation.rationale).toMatch(/corrupt/);
  });

  describe('failure history', () => {
    const goFailure = extractionOf(
      ['--- FAIL: TestClientNotificationStorm (2.63s)', "\tclient_test.go:378: didn't get expected error", 'FAIL'],
      { key: 0, signals: [0, 1] },
    );

    it('turns a test failure a re-run has fixed before into a flaky test, with more confidence', () => {
      const plain = analyze(goFailure);
      const a = analyze(goFailure, { history: { occurrences: 7, rerunAttempts: 3, rerunFixed: 2 } });
      expect(plain.category).toBe('test_failure');
      expect(a.category).toBe('flaky_test');
      expect(a.confidence).toBeGreaterThan(plain.confidence);
      expect(a.reasoning).toContain('seen 7 times, a re-run fixed it 2 times');
      expect(a.proposedRemediation.action).toBe('rerun-failed-jobs');
      expect(a.riskScore).toBeLessThan(plain.riskScore);
      // History is looked up by fingerprint, so it must not change the fingerprint.
      expect(a.fingerprint).toBe(plain.fingerprint);
    });

    it('turns timeouts and unknown failures too, but only when a re-run actually fixed it', () => {
      const timeout = singleLine('panic: test timed out after 10m0s');
      expect(analyze(timeout, { history: { occurrences: 3, rerunAttempts: 1, rerunFixed: 1 } }).category).toBe('flaky_test');
      const exit = singleLine('##[error]Process completed with exit code 1.');
      expect(analyze(exit, { history: { occurrences: 3, rerunAttempts: 2, rerunFixed: 1 } }).category).toBe('flaky_test');
      expect(analyze(goFailure, { history: { occurrences: 9, rerunAttempts: 4, rerunFixed: 0 } }).category).toBe('test_failure');
    });

    it('never turns a compile error into a flaky test', () => {
      const tsc = singleLine("src/cart.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.");
      expect(analyze(tsc, { history: { occurrences: 4, rerunAttempts: 4, rerunFixed: 4 } }).category).toBe('compilation_error');
    });
  });

  it('returns unknown with low confidence for an exit code alone', () => {
    const a = analyze(singleLine('##[error]Process completed with exit code 1.'));
    expect(a.category).toBe('unknown');
    expect(a.confidence).toBeLessThanOrEqual(0.3);
    expect(a.proposedRemediation.action).toBe('notify-only');
  });

  it('returns unknown, notify-only, with very low confidence for an empty extraction', () => {
    const a = analyze(extractionOf([], { key: null }), { jobName: 'test (ubuntu-latest)', failedStep: 'Run npm test' });
    expect(a.category).toBe('unknown');
    expect(a.confidence).toBeLessThanOrEqual(0.2);
    expect(a.proposedRemediation.action).toBe('notify-only');
    expect(a.riskScore).toBeGreaterThanOrEqual(60);
    expect(a.components).toEqual([]);
    expect(a.summary).toBe('CI: no failure line found (test (ubuntu-latest) / Run npm test)');
    expect(a.rule).toBeUndefined();
  });

  it.each([
    // [real lines, key index, expected category, expected component or null]
    [['= 2 failed, 10071 passed, 378 skipped, 1 xfailed, 182 warnings in 506.01 seconds =', 'FAILED sklearn/svm/tests/test_svm.py::test_unsorted_indices - TypeError'], 0, 'test_failure', 'sklearn/svm/tests/test_svm.py'],
    [['--- FAIL: TestBoundedForkedSync64Fast (0.18s)', '    downloader_test.go:679: failed to synchronise blocks: retrieved hash chain is invalid'], 0, 'test_failure', 'downloader_test.go'],
    [['malformedContentTypeHeaderThrows(retrofit2.RequestFactoryTest)  Time elapsed: 0.02 sec  <<< FAILURE!', 'java.lang.AssertionError: ', '\tat retrofit2.RequestFactoryTest.malformedContentTypeHeaderThrows(RequestFactoryTest.java:2505)'], 0, 'test_failure', 'RequestFactoryTest.java'],
    [['13105 examples, 1 failure, 3 pending', 'rspec ./spec/components/distributed_mutex_spec.rb:102 # DistributedMutex executions should not allow critical sections to overlap'], 1, 'test_failure', 'spec/components/distributed_mutex_spec.rb'],
    [['1) Form_validation_test::test_rule_valid_date', 'Failed asserting that false is true.', '/home/travis/build/bcit-ci/CodeIgniter/tests/codeigniter/libraries/Form_validation_test.php:318'], 1, 'test_failure', 'tests/codeigniter/libraries/Form_validation_test.php'],
    [['error[E0407]: method `oom` is not a member of trait `Alloc`', '   --> src/allocator/mod.rs:139:5'], 0, 'compilation_error', 'src/allocator/mod.rs'],
    [["Extensions/CollectionExtensions.cs(20,40): error CS0103: The name 'key' does not exist in the current context [/home/travis/build/NancyFx/Nancy/src/Nancy/Nancy.csproj]"], 0, 'compilation_error', 'Extensions/CollectionExtensions.cs'],
    [['[error] /home/travis/build/twitter/finagle/finagle-exp/src/test/scala/com/twitter/finagle/exp/ConcurrencyEndToEndTest.scala:6:35: object utils is not a member of package com.twitter.finagle.client'], 0, 'compilation_error', 'finagle-exp/src/test/scala/com/twitter/finagle/exp/ConcurrencyEndToEndTest.scala'],
    [['/home/travis/build/google/web-starter-kit/gulp-tasks/css.js', '  12:2  error  Unnecessary semicolon  no-extra-semi'], 1, 'lint_error', 'gulp-tasks/css.js'],
    [['db/migrate/20190731090219_rename_edit_notification_setting.rb:1:1: C: Style/FrozenStringLiteralComment: Missing magic comment # frozen_string_literal: true.', '3173 files inspected, 1 offense detected'], 0, 'lint_error', 'db/migrate/20190731090219_rename_edit_notification_setting.rb'],
    [['npm ERR! code ERESOLVE', 'npm ERR! ERESOLVE unable to resolve dependency tree', 'npm ERR! Found: react@18.2.0'], 1, 'dependency_error', null],
    [['PackagesNotFoundError: The following packages are not available from current channels:', '  - numpy=1.10.4'], 0, 'dependency_error', null],
    [['Total: 3 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 1, CRITICAL: 1)'], 0, 'security_scan', null],
    [['Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress'], 0, 'deployment_error', null],
    [['/Users/travis/.travis/job_stages: line 476: yarn: command not found'], 0, 'configuration_error', null],
    [['peer_test.go:235: failed to start the first server. err: listen udp 127.0.0.1:42613: bind: address already in use', '--- FAIL: TestSimulation (10.06s)'], 1, 'flaky_test', 'peer_test.go'],
  ] as const)('classifies real lines %#', (lines, key, category, component) => {
    const a = analyze(extractionOf(lines, { key, signals: lines.map((_, i) => i) }));
    expect(a.category).toBe(category);
    if (component !== null) expect(a.components).toContain(component);
  });

  it('orders risk by category and raises it when unsure', () => {
    const network = analyze(singleLine('curl: (6) Could not resolve host: cli-assets.heroku.com'));
    const test = analyze(singleLine('--- FAIL: TestSimulation (10.06s)'));
    const security = analyze(singleLine('Total: 3 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 1, CRITICAL: 1)'));
    expect(network.riskScore).toBeLessThan(test.riskScore);
    expect(test.riskScore).toBeLessThan(security.riskScore);
    // The same rule on an excerpt line only (weaker evidence) gives lower confidence and higher risk.
    const weak = analyze(extractionOf(['some context', '--- FAIL: TestSimulation (10.06s)', 'more context'], { key: 0, signals: [] }));
    expect(weak.category).toBe('test_failure');
    expect(weak.confidence).toBeLessThan(test.confidence);
    expect(weak.riskScore).toBeGreaterThan(test.riskScore);
  });

  it('keeps redaction markers and never leaks control characters into the summary', () => {
    const a = analyze(singleLine('npm ERR! network request to https://[REDACTED:basic-auth]@registry.npmjs.org/x failed, reason: \u001b[31mECONNRESET\u0007'));
    expect(a.category).toBe('network_error');
    expect(a.summary).toContain('[REDACTED:basic-auth]');
    // eslint-disable-next-line no-control-regex
    expect(a.summary).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it('bounds every output on a hostile extraction', () => {
    const long = `FAIL src/${'a'.repeat(5000)}.test.ts ${'\u0000x'.repeat(3000)}`;
    const files = Array.from({ length: 300 }, (_, i) => `    at Object.<anonymous> (/home/runner/work/r/r/src/f${i}.test.js:1:1)`);
    const lines = [long, ...files, 'Tests:       300 failed, 0 passed, 300 total'];
    const extraction = extractionOf(lines, { key: 0, signals: lines.map((_, i) => i) });
    const a = analyze(extraction);
    expect(CATEGORIES).toContain(a.category);
    expect(REMEDIATION_ACTIONS).toContain(a.proposedRemediation.action);
    expect(a.summary.length).toBeLessThanOrEqual(MAX_SUMMARY_LENGTH);
    expect(a.reasoning.length).toBeLessThanOrEqual(MAX_REASONING_LENGTH);
    expect(a.components.length).toBeLessThanOrEqual(20);
    // eslint-disable-next-line no-control-regex
    expect(`${a.summary}${a.reasoning}`).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(a.confidence).toBeGreaterThanOrEqual(0);
    expect(a.confidence).toBeLessThanOrEqual(1);
    expect(Number.isInteger(a.riskScore) && a.riskScore >= 0 && a.riskScore <= 100).toBe(true);
  });

  it('is deterministic', () => {
    const extraction = extractionOf(JEST_ON_ACTIONS, { key: 12, signals: [12, 0, 11] });
    expect(analyze(extraction)).toEqual(analyze(structuredClone(extraction)));
  });
});
