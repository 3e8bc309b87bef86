import { CiRemediatorError } from '../errors.ts';

/**
 * GitHub answered a request with an error status (or the request could not be sent at all: status 0). The
 * message names the HTTP method, the concrete path (never its query string, never a credential) and the
 * status, and quotes GitHub's own `message`, so a log line is enough to see what was refused and why.
 */
export class GitHubApiError extends CiRemediatorError {
  override readonly code: string = 'GITHUB_API_ERROR';
  /** HTTP status; 0 when no response arrived (connection refused, DNS, aborted). */
  readonly status: number;
  /** Route template, e.g. `GET /repos/{owner}/{repo}/actions/runs/{run_id}`. */
  readonly route: string;
  /** Concrete method and path without the query string, e.g. `GET /repos/acme/app/actions/runs/42`. */
  readonly path: string;
  /** GitHub's `message` from the error body, when it sent one. */
  readonly githubMessage: string | undefined;
  /** `x-github-request-id`, what GitHub Support asks for. */
  readonly requestId: string | undefined;
  readonly documentationUrl: string | undefined;

  constructor(
    details: {
      status: number;
      route: string;
      path: string;
      githubMessage?: string | undefined;
      requestId?: string | undefined;
      documentationUrl?: string | undefined;
      message?: string;
    },
    options?: { cause?: unknown },
  ) {
    const what = details.status === 0 ? 'failed without a response' : `answered ${details.status}`;
    const reason = details.githubMessage ? `: ${details.githubMessage}` : '';
    const id = details.requestId ? ` (request id ${details.requestId})` : '';
    super(details.message ?? `GitHub API ${details.path} ${what}${reason}${id}`, options);
    this.status = details.status;
    this.route = details.route;
    this.path = details.path;
    this.githubMessage = details.githubMessage;
    this.requestId = details.requestId;
    this.documentationUrl = details.documentationUrl;
  }
}

/**
 * GitHub's primary (x-ratelimit-remaining: 0) or secondary (abuse, retry-after) rate limit was hit and the
 * wait it asked for was longer than the client is allowed to wait (`maxRateLimitWaitSeconds`), or the client
 * ran out of retries. `resetAt` is when GitHub said requests will be accepted again.
 */
export class GitHubRateLimitError extends GitHubApiError {
  override readonly code = 'GITHUB_RATE_LIMITED';
  readonly kind: 'primary' | 'secondary';
  readonly resetAt: Date;

  constructor(
    details: {
      status: number;
      route: string;
      path: string;
      kind: 'primary' | 'secondary';
      resetAt: Date;
      githubMessage?: string | undefined;
      requestId?: string | undefined;
      documentationUrl?: string | undefined;
    },
    options?: { cause?: unknown },
  ) {
    const limit = details.kind === 'primary' ? 'rate limit' : 'secondary rate limit';
    const id = details.requestId ? ` (request id ${details.requestId})` : '';
    super(
      {
        ...details,
        message:
          `GitHub API ${details.path} answered ${details.status}: ${limit} exceeded; ` +
          `GitHub accepts requests again at ${details.resetAt.toISOString()}${id}`,
      },
      options,
    );
    this.kind = details.kind;
    this.resetAt = details.resetAt;
  }
}

/**
 * A job log download did not deliver the whole log: the connection closed early, fewer bytes arrived than the
 * declared content-length, or the short-lived log URL refused us. Bytes already yielded were real log bytes,
 * but the log is incomplete (its tail, where the error usually is, may be missing).
 */
export class GitHubLogDownloadError extends CiRemediatorError {
  override readonly code = 'GITHUB_LOG_DOWNLOAD_FAILED';
  readonly jobId: number;
  /** Bytes received before the failure. */
  readonly bytesRead: number;
  /** content-length the log host declared, when it did. */
  readonly contentLength: number | null;

  constructor(
    details: { jobId: number; bytesRead: number; contentLength: number | null; reason: string },
    options?: { cause?: unknown },
  ) {
    const declared = details.contentLength === null ? '' : ` of ${details.contentLength}`;
    super(`Log download for job ${details.jobId} incomplete after ${details.bytesRead}${declared} bytes: ${details.reason}`, options);
    this.jobId = details.jobId;
    this.bytesRead = details.bytesRead;
    this.contentLength = details.contentLength;
  }
}
