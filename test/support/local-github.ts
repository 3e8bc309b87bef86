import { afterEach } from '@jest/globals';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from '../../src/github/client.ts';
import { startGitHubServer, type GitHubServer } from './github-server.ts';

/** The token the client tests authenticate with (the local server accepts any token unless told otherwise). */
export const TEST_TOKEN = 'ghp_fakeTokenForTests0123456789';

/** Retries and rate-limit waits in milliseconds instead of seconds, and no spacing between writes. */
export const FAST_TIMING = { retryBaseDelayMs: 5, rateLimitDelayUnitMs: 5, writeSpacingMs: 0 };

export interface LocalGitHubOptions {
  server?: Parameters<typeof startGitHubServer>[0];
  /** Overrides for the production client (a `timing` that keeps GitHub's real waits, App auth, …), or a function of the server for those that need its URL. */
  client?: Partial<GitHubClientOptions> | ((gh: GitHubServer) => Partial<GitHubClientOptions>);
}

/**
 * A local GitHub per test and the production client pointed at it. Call once at the top of a test file:
 * it registers the afterEach that closes the server, and returns the per-test set-up.
 */
export function localGitHubPerTest(): (options?: LocalGitHubOptions) => Promise<{ gh: GitHubServer; client: GitHubClient }> {
  let server: GitHubServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (options = {}) => {
    const gh = await startGitHubServer(options.server);
    server = gh;
    const overrides = typeof options.client === 'function' ? options.client(gh) : options.client;
    const client = createGitHubClient({ baseUrl: gh.url, auth: { token: TEST_TOKEN }, timing: FAST_TIMING, ...overrides });
    return { gh, client };
  };
}
