import { parseDuration } from '../src/duration.ts';
import type { Notifier } from '../src/notify/notifier.ts';
import type { AnalyzeFn } from './controllers/failurerecord.ts';
import { analyzeRecord } from './controllers/analyze-record.ts';

/**
 * Test and benchmark hooks, from environment variables no deployment sets (docs/operator.md lists them as
 * test-only). They replace nothing of the operator's own logic: one watches what the transition writer hands
 * the notifier, the other makes the real analyzer slow for chosen records.
 *
 *  - CI_REMEDIATOR_TEST_NOTIFY_URL: every notice is POSTed there as JSON, and the next notice waits for the
 *    answer (so a test can look at the audit log and the record while the operator waits);
 *  - CI_REMEDIATOR_TEST_SLOW_ANALYSIS=NAME=DURATION[,NAME=DURATION...]: the analysis of the records named
 *    NAME waits DURATION before it runs (a stand-in for a slow model, on the analysis pool and its deadline);
 *  - CI_REMEDIATOR_TEST_CRASH=before-decision-write|after-decision-write: the process SIGKILLs itself at that
 *    point of a Slack decision (a leader dying between the click and the status write, or between the status
 *    write and the card update), so a test can show what the next leader does.
 */
export interface TestHooks {
  notifier?: Notifier;
  analyze?: AnalyzeFn;
  checkpoint?: (point: 'before-decision-write' | 'after-decision-write') => void;
}

export const TEST_NOTIFY_URL_ENV = 'CI_REMEDIATOR_TEST_NOTIFY_URL';
export const TEST_SLOW_ANALYSIS_ENV = 'CI_REMEDIATOR_TEST_SLOW_ANALYSIS';
export const TEST_CRASH_ENV = 'CI_REMEDIATOR_TEST_CRASH';

export function testHooks(env: NodeJS.ProcessEnv): TestHooks {
  const hooks: TestHooks = {};
  const url = env[TEST_NOTIFY_URL_ENV];
  if (url !== undefined && url !== '') hooks.notifier = postingNotifier(url);
  const slow = env[TEST_SLOW_ANALYSIS_ENV];
  if (slow !== undefined && slow !== '') hooks.analyze = slowAnalyzer(parseSlow(slow));
  const crash = env[TEST_CRASH_ENV];
  if (crash !== undefined && crash !== '') {
    if (crash !== 'before-decision-write' && crash !== 'after-decision-write') throw new Error(`${TEST_CRASH_ENV}: expected before-decision-write or after-decision-write, got '${crash}'`);
    hooks.checkpoint = (point) => {
      if (point === crash) process.kill(process.pid, 'SIGKILL');
    };
  }
  return hooks;
}

function postingNotifier(url: string): Notifier {
  return {
    async notify(notice) {
      const { metadata, status } = notice.record as { metadata?: { namespace?: string; name?: string; uid?: string; resourceVersion?: string }; status?: { phase?: string } };
      const body = JSON.stringify({ ...notice, at: notice.at.toISOString(), record: { ...metadata, phase: status?.phase } });
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.body?.cancel();
    },
  };
}

function parseSlow(text: string): Map<string, number> {
  const delays = new Map<string, number>();
  for (const pair of text.split(',')) {
    const [name, duration] = pair.split('=');
    const ms = duration === undefined ? undefined : parseDuration(duration.trim());
    if (name === undefined || name.trim() === '' || ms === undefined) throw new Error(`${TEST_SLOW_ANALYSIS_ENV}: expected NAME=DURATION (e.g. slow-1=30s), got '${pair}'`);
    delays.set(name.trim(), ms);
  }
  return delays;
}

function slowAnalyzer(delays: Map<string, number>): AnalyzeFn {
  return async (key, spec, now, history, model) => {
    const ms = delays.get(key.slice(key.indexOf('/') + 1));
    if (ms !== undefined) await new Promise((resolve) => setTimeout(resolve, ms));
    return analyzeRecord(spec, now, history, model);
  };
}
