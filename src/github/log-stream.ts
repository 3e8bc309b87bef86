import { GitHubLogDownloadError } from './errors.ts';

/**
 * A job log being downloaded. Iterate it once for Buffer chunks; nothing is buffered beyond the chunk in
 * hand. Reading stops after `maxBytes` (the last chunk is cut to fit) and `truncated` says so.
 *
 * A download that ends early — the connection closes, or fewer bytes arrive than the declared
 * content-length — is an error, never a short "complete" log: the iterator throws GitHubLogDownloadError
 * (with `bytesRead`). The tail of a log is where the failure usually is, so a silently shortened log would
 * be analysed as if it had no error; the caller decides whether to retry or to report what it has.
 */
export interface JobLogStream extends AsyncIterable<Buffer> {
  readonly jobId: number;
  /** content-length declared by the log host, or null (chunked). */
  readonly contentLength: number | null;
  /** Bytes yielded so far (never more than maxBytes). */
  readonly bytesRead: number;
  /** True once reading stopped at maxBytes while the log had more. */
  readonly truncated: boolean;
  /** True once the whole log was read (not truncated, not failed). */
  readonly complete: boolean;
  /** Releases the connection without reading further (also done when iteration stops early). */
  cancel(): Promise<void>;
}

export function openLogBody(
  jobId: number,
  body: ReadableStream<Uint8Array> | null,
  headers: Record<string, string | number | undefined>,
  maxBytes: number,
  signal?: AbortSignal,
): JobLogStream {
  return new LogBodyStream(jobId, body, headers, maxBytes, signal);
}

class LogBodyStream implements JobLogStream {
  readonly jobId: number;
  readonly contentLength: number | null;
  readonly #maxBytes: number;
  readonly #body: ReadableStream<Uint8Array> | null;
  /** With a content-encoding, content-length counts compressed bytes: comparing it with ours would lie. */
  readonly #checkLength: boolean;
  readonly #signal: AbortSignal | undefined;
  #bytesRead = 0;
  #truncated = false;
  #complete = false;
  #started = false;

  constructor(
    jobId: number,
    body: ReadableStream<Uint8Array> | null,
    headers: Record<string, string | number | undefined>,
    maxBytes: number,
    signal: AbortSignal | undefined,
  ) {
    this.jobId = jobId;
    this.#signal = signal;
    this.#body = body;
    this.#maxBytes = maxBytes;
    const declared = Number(headers['content-length']);
    this.contentLength = headers['content-length'] !== undefined && Number.isFinite(declared) ? declared : null;
    const encoding = String(headers['content-encoding'] ?? 'identity').toLowerCase();
    this.#checkLength = this.contentLength !== null && encoding === 'identity';
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  get complete(): boolean {
    return this.#complete;
  }

  async cancel(): Promise<void> {
    if (this.#started) return; // the iterator's finally releases the reader
    this.#started = true;
    await this.#body?.cancel().catch(() => {});
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#started) throw new Error(`Log stream of job ${this.jobId} can be read once`);
    this.#started = true;
    if (this.#body === null) {
      this.#finish();
      return;
    }
    const reader = this.#body.getReader();
    let done = false;
    try {
      for (;;) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          // The caller's own abort is not a download failure: give it back its reason.
          if (this.#signal?.aborted) throw this.#signal.reason;
          throw this.#incomplete(`connection ended early (${describe(error)})`, error);
        }
        if (result.done) {
          done = true;
          this.#finish();
          return;
        }
        const chunk = result.value;
        if (chunk.byteLength === 0) continue;
        const room = this.#maxBytes - this.#bytesRead;
        if (room <= 0) {
          // Exactly maxBytes were delivered and the log has more.
          this.#truncated = true;
          return;
        }
        const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
        this.#bytesRead += part.byteLength;
        yield Buffer.from(part.buffer, part.byteOffset, part.byteLength);
        if (chunk.byteLength > room) {
          this.#truncated = true;
          return;
        }
      }
    } finally {
      if (!done) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  #finish(): void {
    if (this.#checkLength && this.contentLength !== null && this.#bytesRead < this.contentLength) {
      throw this.#incomplete('connection closed before the declared content-length');
    }
    this.#complete = true;
  }

  #incomplete(reason: string, cause?: unknown): GitHubLogDownloadError {
    return new GitHubLogDownloadError(
      { jobId: this.jobId, bytesRead: this.#bytesRead, contentLength: this.contentLength, reason },
      cause === undefined ? undefined : { cause },
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
