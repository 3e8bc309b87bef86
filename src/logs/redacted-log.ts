import { CacheKeyCollector, redactCacheKeys } from './cache-key-collector.ts';
import { extractFromStream } from './log-extractor.ts';
import { addCounts, redactExtraction } from './redactor.ts';
import { DEFAULT_EXTRACT_OPTIONS, type Extraction, type ExtractOptions } from './types.ts';

/**
 * One log streamed once into what may leave the process: the cache keys it names are collected from the whole
 * stream, the lines that explain the failure extracted, and both redacted. The pipeline's one way in for a log
 * (src/analysis/pipeline.ts, used by the CLI and the action), so neither can skip a step.
 */

export interface RedactedLog {
  /** The extraction (as `prepare` left it), redacted. */
  extraction: Extraction;
  /** Keys of the caches the log says were restored, redacted, in order of appearance. */
  cacheKeys: string[];
  /** Secrets redacted per type, in the extraction and the cache keys together. */
  redactions: Record<string, number>;
}

export interface RedactedLogOptions {
  extract?: Partial<ExtractOptions>;
  /** Wraps the stream after the cache-key collector (which must see all of it), e.g. a head-and-tail window. */
  through?: (source: AsyncIterable<Buffer>) => AsyncIterable<Uint8Array | string>;
  /** Runs on the extraction before it is redacted: maps its line numbers, or refuses it by throwing. */
  prepare?: (extraction: Extraction) => Extraction;
}

export async function extractRedacted(source: AsyncIterable<Uint8Array | string>, options: RedactedLogOptions = {}): Promise<RedactedLog> {
  const caches = new CacheKeyCollector();
  const observed = caches.observe(source);
  const raw = await extractFromStream(options.through ? options.through(observed) : observed, { ...DEFAULT_EXTRACT_OPTIONS, ...options.extract });
  const extraction = options.prepare ? options.prepare(raw) : raw;
  const redacted = await redactExtraction(extraction);
  const cacheKeys = await redactCacheKeys(caches.keys);
  return {
    extraction: redacted.extraction,
    cacheKeys: cacheKeys.keys,
    redactions: addCounts({ ...redacted.redactions }, cacheKeys.redactions),
  };
}
