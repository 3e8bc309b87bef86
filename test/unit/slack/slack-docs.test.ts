import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { SLACK_MESSAGES_DOC, renderSlackExamples } from '../../../scripts/slack-examples.ts';

// docs/slack-messages.md shows the builders' output; a change to a message without `npm run docs:slack`
// fails here rather than leaving the page describing messages the operator no longer sends.

describe('docs/slack-messages.md', () => {
  it('is what the message builders produce', () => {
    const onDisk = readFileSync(join(import.meta.dirname, '..', '..', '..', SLACK_MESSAGES_DOC), 'utf8');
    expect(onDisk).toBe(renderSlackExamples());
  });
});
