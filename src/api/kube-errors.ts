/**
 * Errors of the Kubernetes API as @kubernetes/client-node throws them (an ApiException with `code` and a
 * JSON `body`; some paths set `statusCode`). Pure, so the operator and the action read them the same way.
 */

/** The HTTP status of an API error; undefined when the server did not answer (network, TLS, timeout). */
export function statusCodeOf(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

/** The API server's own message (the Status object's), else the error's first line: never the response headers. */
export function apiErrorMessage(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = body.slice(0, 300);
    }
  } else if (body !== null && typeof body === 'object') {
    message = (body as { message?: string }).message;
  }
  return message ?? (error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error));
}

/** One line about an API error, without the response headers client-node puts into its messages. */
export function describeApiError(error: unknown): string {
  const status = statusCodeOf(error);
  const message = apiErrorMessage(error);
  return status === undefined ? message : `${status}: ${message}`;
}
