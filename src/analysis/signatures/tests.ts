import { TEST_TIMEOUT, rule, type Signature } from './rule.ts';

/**
 * Test runners' failures and summaries that the core catalog does not know yet (Ginkgo/Gomega, testify,
 * Playwright, vitest, Cypress), in the shapes their documentation shows.
 */
export const TEST_SIGNATURES: readonly Signature[] = [
  rule('test_failure', {
    id: 'test.ginkgo.failed',
    patterns: [/^\s*\[FAILED\] /, /^\s*\[FAIL\] \S.*\[It\] /, /^Summarizing \d+ Failures?:$/, /^Ran \d+ of \d+ Specs in [\d.]+ seconds$/, /^FAIL! -- \d+ Passed \| [1-9]\d* Failed\b/],
    weight: 0.9,
    description: 'Ginkgo reported failing specs (with a Gomega assertion).',
    tool: 'ginkgo',
    example: '  [FAILED] Expected <int>: 2 to equal <int>: 3',
    exampleSource: 'ginkgo v2',
    nearMiss: ['SUCCESS! -- 12 Passed | 0 Failed | 0 Pending | 0 Skipped'],
  }),
  rule('test_failure', {
    id: 'test.testify.error',
    patterns: [/^\s*Error Trace:\s+\S+\.go:\d+/, /^\s*Error:\s+(?:Should|Not equal|Received unexpected error|Expected|An error is expected|"[^"]*" does not contain|Elements should be)\b/],
    weight: 0.85,
    description: 'A testify assertion failed in a Go test.',
    tool: 'go test',
    example: '        	Error Trace:	/home/runner/work/app/app/store/store_test.go:88',
    exampleSource: 'github.com/stretchr/testify',
    nearMiss: ['Error: getaddrinfo EAI_AGAIN proxy.golang.org'],
  }),
  rule('test_failure', {
    id: 'test.playwright.failed',
    patterns: [/^\s*\d+\) \[[^\]]+\] › \S+:\d+:\d+ › /, /^\s*[1-9]\d* failed$/, /^\s*\d+\) \S+\.(?:spec|test)\.[jt]sx?:\d+:\d+ › /],
    weight: 0.9,
    description: 'Playwright Test reported failing tests.',
    tool: 'playwright',
    example: '  1) [chromium] › tests/login.spec.ts:14:5 › login › rejects a wrong password ──────────────',
    exampleSource: 'Playwright Test (list reporter)',
    nearMiss: ['  12 passed (31.2s)'],
  }),
  rule('timeout', {
    id: 'timeout.playwright.test-timeout',
    patterns: [/^\s*Test timeout of \d+ms exceeded\.?/, /^\s*Timed out \d+ms waiting for expect\(/],
    weight: 0.9,
    risk: 50,
    remediation: 'notify-only',
    rationale: TEST_TIMEOUT,
    description: 'A Playwright test ran out of its time limit.',
    tool: 'playwright',
    example: '    Test timeout of 30000ms exceeded.',
    exampleSource: 'Playwright Test',
    nearMiss: ['  timeout: 30000'],
  }),
  rule('test_failure', {
    id: 'test.vitest-cypress.summary',
    patterns: [/^\s*Tests?\s+[1-9]\d* failed \| \d+ passed/, /^\s*Test Files\s+[1-9]\d* failed\b/, /^\s*✖\s+[1-9]\d* of \d+ failed \(\d+%\)/, /^\s*FAIL\s+\S+\.(?:test|spec)\.[jt]sx? > /],
    weight: 0.95,
    description: 'vitest or Cypress reported failing tests in their summary.',
    tool: 'vitest',
    example: '      Tests  2 failed | 48 passed (50)',
    exampleSource: 'vitest',
    nearMiss: ['      Tests  50 passed (50)'],
  }),
];
