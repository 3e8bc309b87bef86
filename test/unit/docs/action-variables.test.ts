import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { RUN_CONTEXT_VARIABLES } from '../../../src/report/run-context.ts';

// docs/action.md lists every variable the action reads, for anyone running it outside a runner. The list
// used to miss GITHUB_JOB, GITHUB_EVENT_NAME and GITHUB_WORKFLOW, which a local run then discovered one by one.

const DOC = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'action.md'), 'utf8');

describe("docs/action.md's variable table", () => {
  it('lists every runner variable the run context reads', () => {
    const section = DOC.split('## Variables the action reads')[1]?.split('\n## ')[0] ?? '';
    const listed = [...section.matchAll(/^\| `([A-Z_<>]+)` \|/gm)].map((match) => match[1]);
    expect(listed).toEqual(expect.arrayContaining([...RUN_CONTEXT_VARIABLES]));
    // The action's own files and the in-cluster switch, read outside the run context.
    expect(listed).toEqual(expect.arrayContaining(['GITHUB_EVENT_PATH', 'GITHUB_STEP_SUMMARY', 'GITHUB_OUTPUT', 'KUBERNETES_SERVICE_HOST']));
  });
});
