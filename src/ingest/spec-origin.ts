import type { FailureRecordSpec } from '../api/failure-record.ts';

/**
 * Where a report's links may point: the GitHub server the operator is configured for. Job, run and pull
 * request URLs become links in `kubectl describe`, Slack and the audit trail; one on any other host
 * (`https://evil.example/x`) would be a phishing link that looks like ours. The web root is github.com by
 * default, and for GitHub Enterprise Server the host of --github-api-url (`https://HOST/api/v3` -> `https://HOST`).
 */

/** The web root of a GitHub server from its REST API root. */
export function githubWebUrlOf(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  // GHE.com data residency: api.HOST.ghe.com serves HOST.ghe.com.
  if (url.hostname.startsWith('api.') && url.hostname.endsWith('.ghe.com')) return `${url.protocol}//${url.host.slice(4)}`;
  return `${url.protocol}//${url.host}`;
}

/** Every URL of the spec that is not on `webUrl`'s origin, as `path: problem` sentences; empty when all are. */
export function validateSpecOrigin(spec: FailureRecordSpec, webUrl: string): string[] {
  const expected = new URL(webUrl);
  const problems: string[] = [];
  const check = (path: string, value: string | undefined): void => {
    if (value === undefined) return;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push(`${path}: '${value.slice(0, 80)}' is not a URL`);
      return;
    }
    if (url.username !== '' || url.password !== '') {
      problems.push(`${path}: must not carry credentials`);
    } else if (url.protocol !== expected.protocol || url.host.toLowerCase() !== expected.host.toLowerCase()) {
      problems.push(`${path}: must be on the configured GitHub server ${expected.origin} (got host '${url.host}')`);
    }
  };
  check('spec.workflow.url', spec.workflow.url);
  check('spec.pullRequest.url', spec.pullRequest?.url);
  for (const [i, job] of spec.failedJobs.entries()) check(`spec.failedJobs[${i}].url`, job.url);
  return problems;
}
