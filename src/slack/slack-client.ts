import { LogLevel, WebClient, retryPolicies, type Logger as SlackLogger, type RetryOptions } from '@slack/web-api';

/**
 * The one way this project builds a Slack Web API client. The web client already does what Slack's rate
 * limits ask: on a 429 it waits for Retry-After and sends again (rejectRateLimitedCalls stays false), and it
 * retries 5xx and network errors with backoff. `slackApiUrl` points it at a proxy or, in tests, at the local
 * Slack server (test/support/slack-server.ts).
 */

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export interface SlackClientOptions {
  token: string;
  slackApiUrl?: string;
  /** Default: five retries in about five minutes, the client's own policy for servers. */
  retryConfig?: RetryOptions;
  /** Per request, in ms (default 30 s). */
  timeoutMs?: number;
  logger?: SlackLogger;
}

export function createSlackClient(options: SlackClientOptions): WebClient {
  return new WebClient(options.token, {
    slackApiUrl: withTrailingSlash(options.slackApiUrl ?? DEFAULT_SLACK_API_URL),
    retryConfig: options.retryConfig ?? retryPolicies.fiveRetriesInFiveMinutes,
    timeout: options.timeoutMs ?? 30_000,
    rejectRateLimitedCalls: false,
    // Method names are never URLs here; refuse them anyway so a token is only ever sent to slackApiUrl.
    allowAbsoluteUrls: false,
    ...(options.logger === undefined ? { logLevel: LogLevel.ERROR } : { logger: options.logger }),
  });
}

/** The web client joins method names onto the base URL, so `http://host/api` must end in `/`. */
function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
