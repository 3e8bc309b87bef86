import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { MAX_EXCERPT_LENGTH, MAX_FAILED_JOBS } from '../../../src/api/failure-record.ts';
import { writeSummary, type SummaryJob } from '../../../action/summary.ts';

// GitHub drops a step summary over 1 MiB; the summary must stay under it whatever the logs contain.
const GITHUB_SUMMARY_LIMIT = 1024 * 1024;

// @actions/core remembers the summary file on first use: one file, emptied before each test.
const file = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md');
process.env.GITHUB_STEP_SUMMARY = file;

beforeEach(() => writeFileSync(file, ''));

function job(i: number, excerpt: string): SummaryJob {
  return { name: `job-${i}`, url: `https://github.com/acme/web/actions/runs/1/job/${i}`, conclusion: 'failure', category: 'test', reason: 'tests failed', excerpt };
}

describe('writeSummary', () => {
  it('stays under GitHub’s 1 MiB limit when every excerpt is made of characters HTML escaping lengthens', async () => {
    // `"` becomes `&quot;` (6 bytes): the largest excerpts the record allows, for the most jobs it allows.
    const jobs = Array.from({ length: MAX_FAILED_JOBS }, (_, i) => job(i, `"'`.repeat(MAX_EXCERPT_LENGTH / 2)));
    await writeSummary({ repository: 'acme/web', runUrl: 'https://github.com/acme/web/actions/runs/1', dryRun: false, jobs, skipped: [], notes: [] });

    const summary = readFileSync(file);
    expect(summary.length).toBeLessThan(GITHUB_SUMMARY_LIMIT);
    const text = summary.toString('utf8');
    // The first excerpts are there in full, a later one is cut (marked), and the rest are left to the record.
    expect(text).toContain(`<summary>job-0: excerpt</summary>\n\n<pre><code>${'&quot;&#39;'.repeat(MAX_EXCERPT_LENGTH / 2)}</code></pre>`);
    expect(text).toMatch(/(&quot;|&#39;)\n⋯<\/code><\/pre>/);
    expect(text).not.toContain(`job-${MAX_FAILED_JOBS - 1}: excerpt`);
    // Every job is still in the table.
    expect(text).toContain(`>job-${MAX_FAILED_JOBS - 1}</a>`);
  });

  it('counts bytes, not characters: multi-byte excerpts stay under the limit too', async () => {
    const jobs = Array.from({ length: MAX_FAILED_JOBS }, (_, i) => job(i, '失敗'.repeat(MAX_EXCERPT_LENGTH / 2)));
    await writeSummary({ repository: 'acme/web', runUrl: 'https://github.com/acme/web/actions/runs/1', dryRun: false, jobs, skipped: [], notes: [] });
    expect(readFileSync(file).length).toBeLessThan(GITHUB_SUMMARY_LIMIT);
  });

  it('shows short excerpts whole, escaped', async () => {
    await writeSummary({
      repository: 'acme/web',
      runUrl: 'https://github.com/acme/web/actions/runs/1',
      dryRun: false,
      jobs: [job(1, 'expected "<b>" & got \'x\'')],
      skipped: [],
      notes: [],
    });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('<pre><code>expected &quot;&lt;b&gt;&quot; &amp; got &#39;x&#39;</code></pre>');
    expect(text).not.toContain('⋯');
  });
});
