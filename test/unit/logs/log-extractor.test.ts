import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { extractFromStream, extractFromText } from '../../../src/logs/log-extractor.ts';
import { normalizeLine } from '../../../src/logs/log-normalizer.ts';
import { STEP_SIGNAL_KIND, type Extraction } from '../../../src/logs/types.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/logs/${name}`, import.meta.url));

/** The excerpts as a line-number -> text map, to check numbers against the original file. */
function excerptLines(extraction: Extraction): Map<number, string> {
  const lines = new Map<number, string>();
  for (const excerpt of extraction.excerpts) {
    excerpt.text.split('\n').forEach((text, i) => lines.set(excerpt.startLine + i, text));
    expect(excerpt.text.split('\n')).toHaveLength(excerpt.endLine - excerpt.startLine + 1);
  }
  return lines;
}

function allText(extraction: Extraction): string {
  return extraction.excerpts.map((e) => e.text).join('\n');
}

async function* chunksOf(...parts: Array<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  for (const part of parts) yield part;
}

const ts = (n: number) => `2024-05-01T12:00:${String(n % 60).padStart(2, '0')}.1234567Z `;
function ghaLog(body: string[], failedStep = 'Run npm test'): string {
  const lines = [
    '##[group]Runner Image',
    'Image: ubuntu-22.04',
    '##[endgroup]',
    '##[group]Run actions/checkout@v4',
    'with:',
    '##[endgroup]',
    'Syncing repository: acme/widgets',
    `##[group]${failedStep}`,
    'shell: /usr/bin/bash -e {0}',
    '##[endgroup]',
    ...body,
    '##[error]Process completed with exit code 1.',
    'Post job cleanup.',
    'Cleaning up orphan processes',
  ];
  return lines.map((line, i) => ts(i) + line).join('\n') + '\n';
}

describe('extraction from GitHub Actions logs', () => {
  it('shows the failing jest test, not only the exit code, and numbers lines as in the file', async () => {
    const bytes = fixture('gha-npm-jest-failure.log');
    const extraction = await extractFromStream(chunksOf(bytes.subarray(0, 1000), bytes.subarray(1000)));
    const text = allText(extraction);
    expect(text).toContain('● Cart › applies the discount once');
    expect(text).toContain('Expected: 90');
    expect(text).toContain('Received: 81');
    const original = bytes.toString('utf8').split('\n');
    expect(original[extraction.keyLine!.line - 1]).toContain('cart.test.ts');
    for (const [line, shown] of excerptLines(extraction)) {
      expect(normalizeLine(original[line - 1]!.replace(/\r$/, '')).text).toBe(shown);
    }
  });

  it('explains a pytest failure that precedes ##[error]Process completed with exit code 1', () => {
    const log = ghaLog([
      '============================= test session starts ==============================',
      'collected 12 items',
      'tests/test_cart.py ....F.......                                          [100%]',
      '=================================== FAILURES ===================================',
      '_____________________________ test_applies_discount _____________________________',
      '    def test_applies_discount():',
      '>       assert cart.total() == 90',
      'E       assert 81 == 90',
      'tests/test_cart.py:14: AssertionError',
      '=========================== short test summary info ============================',
      'FAILED tests/test_cart.py::test_applies_discount - assert 81 == 90',
      '========================= 1 failed, 11 passed in 0.42s =========================',
    ], 'Run pytest');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.text).toMatch(/test_applies_discount/);
    expect(allText(extraction)).toContain('E       assert 81 == 90');
    expect(extraction.keyLine?.text).not.toMatch(/Process completed/);
  });

  it('explains a go test failure', () => {
    const log = ghaLog([
      '=== RUN   TestParse',
      '--- FAIL: TestParse (0.00s)',
      '    parse_test.go:21: got "a", want "b"',
      'FAIL',
      'FAIL\tgithub.com/acme/widgets/parse\t0.012s',
      'ok  \tgithub.com/acme/widgets/store\t0.020s',
    ], 'Run go test ./...');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.text).toBe('--- FAIL: TestParse (0.00s)');
    expect(allText(extraction)).toContain('parse_test.go:21: got "a", want "b"');
  });

  it('explains a tsc error', () => {
    const log = ghaLog([
      '> widgets@1.4.0 build',
      '> tsc -p .',
      "src/cart.ts(42,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    ], 'Run npm run build');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.text).toContain('error TS2322');
    expect(extraction.signals[0]?.kind).toBe('compiler');
  });

  it('prefers the real cause to noise that only looks like an error', () => {
    const log = ghaLog([
      'gcc -Wall -Werror -O2 -c src/error.c -o build/error.o',
      'Compiled with 0 errors and 0 warnings',
      'Failures: 0',
      'warning: unused variable x',
      'make: *** [Makefile:12: test] Error 2',
    ], 'Run make test');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.text).toBe('make: *** [Makefile:12: test] Error 2');
    expect(extraction.signals.map((s) => s.text)).not.toContain('Failures: 0');
  });

  it.each([
    ['gha-go-build-error.log', /undefined: lru\.NewWithTTL/, 'compiler'],
    ['gha-pip-network-error.log', /Could not find a version that satisfies the requirement numpy/, 'package-manager'],
    ['gha-docker-rate-limit.log', /toomanyrequests/, 'rate-limit'],
    ['gha-timeout.log', /exceeded the maximum execution time/, 'timeout'],
  ])('finds the cause in %s', async (name, pattern, kind) => {
    const extraction = await extractFromStream(chunksOf(fixture(name)));
    expect(extraction.keyLine?.text).toMatch(pattern);
    expect(extraction.signals[0]?.kind).toBe(kind);
  });

  it('keeps the operation-was-canceled line in the excerpt of a timed-out job', () => {
    const extraction = extractFromText(fixture('gha-timeout.log').toString('utf8'));
    expect(allText(extraction)).toContain('The operation was canceled.');
  });
});

describe('GitHub Actions failures without an error word', () => {
  // Refusals, findings and mirror errors that name the failure in words the generic patterns do not know.
  it.each([
    ['gh: Resource not accessible by integration (HTTP 403)', 'Run gh api -X PUT repos/acme/widgets/pages'],
    ['12:27AM WRN leaks found: 7', 'Run gitleaks detect --redact'],
    ['  Hash Sum mismatch', 'Run sudo apt-get update'],
    ['2026/01/05 10:40:37 dial tcp 10.0.0.8:22: i/o timeout', 'Run appleboy/ssh-action@v1'],
  ])('keeps %j as the key line and hands over its step', (line, step) => {
    const extraction = extractFromText(ghaLog(['Checking things', line], step));
    expect(extraction.keyLine?.text.trim()).toBe(line.trim());
    expect(excerptLines(extraction).has(extraction.keyLine!.line)).toBe(true);
    const stepSignal = extraction.signals.find((s) => s.kind === STEP_SIGNAL_KIND);
    expect(stepSignal?.text).toBe(step);
    expect(stepSignal?.score).toBe(0);
  });

  it('hands over the step of a pasted log whose `Run …` line has no ##[group] marker', () => {
    const extraction = extractFromText(['Run google-github-actions/deploy-cloudrun@v2', '  with:', '    region: europe-west1', 'Creating a service revision...', 'Error: the revision failed to start'].join('\n'));
    expect(extraction.keyLine?.line).toBe(5);
    expect(extraction.signals.at(-1)).toEqual({ line: 1, text: 'Run google-github-actions/deploy-cloudrun@v2', score: 0, kind: STEP_SIGNAL_KIND });
  });

  it('hands over no step when the log shows none', () => {
    const extraction = extractFromText('compiling\nsrc/main.c:3:1: error: expected ; before }\n');
    expect(extraction.signals.some((s) => s.kind === STEP_SIGNAL_KIND)).toBe(false);
  });
});

describe('general rules for test reports, linters and crashes', () => {
  it('does not take a passing test marked with a check mark for evidence', () => {
    const log = ghaLog([
      '  parser',
      '    ✓ reports syntax errors with a line number (4 ms)',
      '    ✔ fails fast on invalid input (2 ms)',
      '    √ recovers after a timeout (11 ms)',
      'npm ERR! code ELIFECYCLE',
    ]);
    const texts = extractFromText(log).signals.map((s) => s.text);
    expect(texts.some((text) => /[✓✔√]/.test(text))).toBe(false);
  });

  it("keeps the details that follow mocha's `N failing` heading", () => {
    const body = [
      '  checkout',
      '    1) applies the discount once',
      ...Array.from({ length: 30 }, (_, i) => `    ✓ computes line ${i} of the invoice`),
      '',
      '  30 passing (1s)',
      '  1 failing',
      '',
      '  1) checkout',
      '       applies the discount once:',
      '',
      '      AssertionError [ERR_ASSERTION]: 81 == 90',
      '      at Context.<anonymous> (test/checkout.spec.js:14:12)',
    ];
    const extraction = extractFromText(ghaLog(body));
    expect(extraction.signals.find((s) => s.text.trim() === '1 failing')?.kind).toBe('failure-header');
    expect(allText(extraction)).toContain('  1) checkout');
    expect(allText(extraction)).toContain('AssertionError [ERR_ASSERTION]: 81 == 90');
  });

  it.each([
    ['=================================== FAILURES ==================================='],
    ['TEST FAILURES'],
    ['Failures:'],
    ['Failed tests:'],
  ])('treats %s as the heading of the failure details', (heading) => {
    const log = ghaLog(['Tests completed in 12.3s', heading, 'Name: Cart.applies the discount once', 'Result: wrong total']);
    expect(extractFromText(log).signals.find((s) => s.text === heading)?.kind).toBe('failure-header');
  });

  it('reads an eslint report: the message line is evidence, the `✖ N problems` line a summary', () => {
    const log = ghaLog([
      '> widgets@1.4.0 lint',
      '> eslint .',
      '',
      '/home/runner/work/widgets/widgets/src/cart.js',
      "  14:7  error  'total' is assigned a value but never used  no-unused-vars",
      '',
      '✖ 1 problem (1 error, 0 warnings)',
    ], 'Run npm run lint');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.text).toContain("14:7  error  'total' is assigned");
    expect(extraction.signals.find((s) => s.text.startsWith('✖'))?.kind).toBe('test-summary');
    expect(allText(extraction)).toContain('/home/runner/work/widgets/widgets/src/cart.js');
  });

  it('ranks a sanitizer report as a crash', () => {
    const log = ghaLog([
      '[ RUN      ] Buffer.Append',
      '=================================================================',
      '==4217==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000014 at pc 0x55d0c3 bp 0x7ffd sp 0x7ffd',
      'READ of size 4 at 0x602000000014 thread T0',
      '    #0 0x55d0c3 in Buffer::append(int) /home/runner/work/lib/src/buffer.cc:42',
      'SUMMARY: AddressSanitizer: heap-buffer-overflow /home/runner/work/lib/src/buffer.cc:42 in Buffer::append(int)',
    ], 'Run ctest --output-on-failure');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.text).toMatch(/^==4217==ERROR: AddressSanitizer: heap-buffer-overflow/);
    expect(extraction.signals[0]?.kind).toBe('exception');
  });

  it("keeps the traceback after Python's `During handling of the above exception`", () => {
    const log = ghaLog([
      'Traceback (most recent call last):',
      '  File "/home/runner/work/app/app/app/config.py", line 12, in load',
      '    return json.load(fh)',
      'json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)',
      ...Array.from({ length: 12 }, (_, i) => `  File "/opt/hostedtoolcache/Python/3.12.3/x64/lib/python3.12/json/x${i}.py", line ${i}`),
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/home/runner/work/app/app/app/main.py", line 5, in <module>',
      "    raise SystemExit('invalid settings.json')",
      'SystemExit: invalid settings.json',
    ], 'Run python -m app');
    const extraction = extractFromText(log);
    expect(extraction.signals.some((s) => s.kind === 'failure-header')).toBe(true);
    expect(allText(extraction)).toContain('  File "/home/runner/work/app/app/app/main.py", line 5, in <module>');
  });

  it('shows the command a few lines above the key line and does not spend lines on blank edges', () => {
    const log = ghaLog([
      '$ firebase deploy --only hosting',
      '',
      '=== Deploying to acme-widgets...',
      'i  deploying hosting',
      'i  hosting[acme-widgets]: beginning deploy...',
      'i  hosting[acme-widgets]: found 42 files in dist',
      '',
      'Error: Failed to get Firebase project acme-widgets. Please make sure the project exists.',
      '',
      '',
    ], 'Run npm run deploy');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.text).toMatch(/^Error: Failed to get Firebase project/);
    expect(allText(extraction)).toContain('=== Deploying to acme-widgets...');
    for (const excerpt of extraction.excerpts) {
      const lines = excerpt.text.split('\n');
      expect(lines[0]!.trim()).not.toBe('');
      expect(lines.at(-1)!.trim()).not.toBe('');
    }
  });
});

describe('extraction bounds', () => {
  const noisy = Array.from({ length: 400 }, (_, i) =>
    i % 25 === 0 ? `FAIL test_${i} AssertionError: expected ${i} to equal ${i + 1}` : `line ${i} of ordinary output`,
  ).join('\n');

  it.each([
    [10, 8192],
    [60, 300],
    [3, 100],
  ])('stays within maxLines=%i and maxBytes=%i', (maxLines, maxBytes) => {
    const extraction = extractFromText(noisy, { maxLines, maxBytes });
    const lines = extraction.excerpts.reduce((sum, e) => sum + e.endLine - e.startLine + 1, 0);
    const bytes = extraction.excerpts.reduce((sum, e) => sum + Buffer.byteLength(e.text) + 1, 0);
    expect(extraction.excerpts.length).toBeGreaterThan(0);
    expect(lines).toBeLessThanOrEqual(maxLines);
    expect(bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('returns non-overlapping windows in file order', () => {
    const extraction = extractFromText(noisy);
    for (let i = 1; i < extraction.excerpts.length; i++) {
      expect(extraction.excerpts[i]!.startLine).toBeGreaterThan(extraction.excerpts[i - 1]!.endLine + 1);
    }
  });
});

describe('awkward input', () => {
  it('counts CRLF and carriage-return progress lines like the original file', () => {
    const log = ['step one\r', 'Downloading 10%\r50%\r100%\r', 'compiling\r', 'error: linker failed\r', 'done\r'].join('\n');
    const extraction = extractFromText(log);
    expect(extraction.keyLine).toEqual({ line: 4, text: 'error: linker failed' });
    const lines = excerptLines(extraction);
    expect(lines.get(2)).toBe('100%');
    expect(lines.get(4)).toBe('error: linker failed');
    expect(extraction.stats.lines).toBe(5);
  });

  it('handles a 1 MB single line without a newline', async () => {
    const line = `Error: ${'x'.repeat(1024 * 1024)}`;
    const bytes = Buffer.from(line);
    const extraction = await extractFromStream(chunksOf(bytes.subarray(0, 65536), bytes.subarray(65536)));
    expect(extraction.stats).toEqual({ lines: 1, bytes: bytes.byteLength, truncatedLines: 1 });
    expect(extraction.keyLine?.line).toBe(1);
    expect(extraction.keyLine!.text.length).toBeLessThanOrEqual(2000);
    expect(Buffer.byteLength(allText(extraction))).toBeLessThanOrEqual(8192);
  });

  it('reads through NUL bytes', () => {
    const extraction = extractFromText('ok\n\0\0\0garbage\0\nfatal: repository not found\0\n');
    expect(extraction.keyLine).toEqual({ line: 3, text: 'fatal: repository not found' });
  });

  it('replaces invalid UTF-8 and decodes characters split across chunks', async () => {
    const euro = Buffer.from('€');
    const extraction = await extractFromStream(
      chunksOf(Buffer.from([0x6f, 0x6b, 0x0a, 0xff, 0xfe, 0x0a]), Buffer.from('error: price 5'), euro.subarray(0, 1), euro.subarray(1), Buffer.from(' rejected\n')),
    );
    expect(extraction.keyLine).toEqual({ line: 3, text: 'error: price 5€ rejected' });
    expect(excerptLines(extraction).get(2)).toBe('\ufffd\ufffd');
  });

  it('keeps a last line that has no newline', () => {
    const extraction = extractFromText('building\nnpm ERR! code E404');
    expect(extraction.keyLine).toEqual({ line: 2, text: 'npm ERR! code E404' });
    expect(extraction.stats.lines).toBe(2);
  });

  it('returns no key line and no excerpts for an empty log', async () => {
    const extraction = await extractFromStream(chunksOf());
    expect(extraction).toEqual({ keyLine: null, excerpts: [], signals: [], stats: { lines: 0, bytes: 0, truncatedLines: 0 } });
    expect(extractFromText('').keyLine).toBeNull();
  });

  it('returns no key line for a log without any failure signal', () => {
    const extraction = extractFromText('installing\nbuilding\nall good\n');
    expect(extraction.keyLine).toBeNull();
    expect(extraction.excerpts).toEqual([]);
  });
});

describe('memory', () => {
  it('stays bounded on a 300 MB stream', async () => {
    const block = Buffer.from(
      Array.from({ length: 1024 }, (_, i) =>
        i % 97 === 0 ? `src/mod_${i}.c:${i}:3: error: unknown type name 'foo_${i}'` : `compiling unit ${i} ${'.'.repeat(900)}`,
      ).join('\n') + '\n',
    );
    const total = 300 * 1024 * 1024;
    let peakHeap = 0;
    async function* generate(): AsyncGenerator<Uint8Array> {
      for (let sent = 0; sent < total; sent += block.byteLength) {
        yield block;
        if ((sent / block.byteLength) % 16 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }
    }
    const before = process.memoryUsage().heapUsed;
    const extraction = await extractFromStream(generate());
    expect(extraction.stats.bytes).toBeGreaterThanOrEqual(total);
    expect(extraction.keyLine?.text).toMatch(/error: unknown type name/);
    expect(peakHeap - before).toBeLessThan(96 * 1024 * 1024);
  }, 60_000);
});

describe('byte scanning', () => {
  async function inPieces(bytes: Buffer, size: number, options = {}): Promise<Extraction> {
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
    return extractFromStream(chunksOf(...parts), options);
  }

  it('finds the same lines however the bytes are cut into chunks', async () => {
    for (const name of ['gha-npm-jest-failure.log', 'gha-go-build-error.log', 'gha-timeout.log']) {
      const bytes = fixture(name);
      const whole = extractFromText(bytes.toString('utf8'));
      for (const size of [1, 7, 4096]) expect(await inPieces(bytes, size)).toEqual(whole);
    }
  });

  it('finds the same lines in a large chunk (scanned in bulk) as line by line, long lines included', async () => {
    const shapes = [
      (i: number) => `compiling unit ${i}`,
      (i: number) => `src/mod_${i}.c:${i}:3: error: unknown type name 'foo_${i}'`,
      (i: number) => `${'x'.repeat(45 + (i % 10))}error: far ${i}`,
      (i: number) => `${'y'.repeat(42)}Failure:`.slice(0, 44 + (i % 8)),
      (i: number) => `Failure:${' '.repeat(i % 3)}`,
      () => '',
      (i: number) => `$ make test-${i}`,
      (i: number) => `${'é'.repeat(20 + (i % 40))} FAIL`,
    ];
    const log = Array.from({ length: 3000 }, (_, i) => shapes[(i * 7 + (i >> 3)) % shapes.length]!(i)).join('\n');
    const bytes = Buffer.from(log);
    const options = { maxLineLength: 50 };
    const whole = extractFromText(log, options);
    expect(whole.stats.truncatedLines).toBeGreaterThan(0);
    for (const size of [1, 3, 4096, bytes.length]) expect(await inPieces(bytes, size, options)).toEqual(whole);
  });

  it('judges a long line on the text it keeps, also across chunks and at a cut inside a multi-byte character', async () => {
    const late = `${'x'.repeat(2500)} error: late`;
    const multibyte = `${'é'.repeat(1500)} Error:`;
    const log = ['plain', late, 'Failure:', 'x'.repeat(1999) + '€ segmentation', multibyte, 'tool: error: bad', 'end'].join('\n');
    const bytes = Buffer.from(log);
    for (const size of [1, 999, 1 << 16]) {
      const extraction = await inPieces(bytes, size, { maxLineLength: 1200 });
      expect(extraction.stats).toEqual({ lines: 7, bytes: bytes.length, truncatedLines: 3 });
      const lines = extraction.signals.map((s) => s.line).sort((a, b) => a - b);
      // Line 2's error and line 4's word lie beyond the cut; line 5 keeps 1200 of its 1507 characters.
      expect(lines).toEqual([3, 6]);
    }
  });

  it('drops a byte order mark at the start, split or not', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('--- a/src/x.ts\n+++ b/src/x.ts\n')]);
    for (const size of [1, 2, 100]) {
      const extraction = await inPieces(bytes, size);
      expect(extraction.keyLine).toEqual({ line: 1, text: '--- a/src/x.ts' });
      expect(extraction.stats.bytes).toBe(bytes.length);
    }
  });
});

describe("the runner's post-job phase", () => {
  it('is never part of a window: excerpts stop at "Post job cleanup."', () => {
    const log = [
      '2026-11-20T10:00:00.0000000Z ##[group]Run go build ./...',
      '2026-11-20T10:00:00.0000000Z go build ./...',
      '2026-11-20T10:00:00.0000000Z ##[endgroup]',
      '2026-11-20T10:00:01.0000000Z internal/store/postgres.go:87:15: undefined: pgx.ErrNoRowz',
      '2026-11-20T10:00:01.0000000Z ##[error]Process completed with exit code 1.',
      '2026-11-20T10:00:02.0000000Z Post job cleanup.',
      '2026-11-20T10:00:02.0000000Z [command]/usr/bin/git version',
      '2026-11-20T10:00:02.0000000Z git version 2.51.2',
      '2026-11-20T10:00:02.0000000Z [command]/usr/bin/git config --local --unset-all http.https://github.com/.extraheader',
      '2026-11-20T10:00:02.0000000Z Cleaning up orphan processes',
      '',
    ].join('\n');
    const extraction = extractFromText(log);
    expect(extraction.keyLine?.line).toBe(4);
    expect(Math.max(...extraction.excerpts.map((e) => e.endLine))).toBe(5);
  });
});
