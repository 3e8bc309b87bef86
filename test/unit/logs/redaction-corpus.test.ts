import { describe, expect, it } from '@jest/globals';
import { extractFromText } from '../../../src/logs/log-extractor.ts';
import { redactExtraction, redactText, REDACTION_MARKER_PREFIX } from '../../../src/logs/redactor.ts';
import { leakCorpus, lookAlikeCorpus, type LeakCase } from '../../fixtures/redaction/corpus.ts';

// The redactor against the corpora (test/fixtures/redaction/corpus.ts): every fake secret in the leak corpus
// is gone from the output, and the look-alike corpus comes back (almost) untouched. bench:redaction prints the
// same figures with the throughput.

/** A secret leaked when any 8-character window of it (all of it, when shorter) survives. */
function leakedFragment(redacted: string, secret: string): string | undefined {
  // A marker names the kind (`[REDACTED:rubygems-token]`), which may repeat the vendor's prefix.
  const output = redacted.replace(/\[REDACTED:[a-z0-9-]+\]/g, '[]');
  const width = Math.min(8, secret.length);
  for (let i = 0; i + width <= secret.length; i += 1) {
    const fragment = secret.slice(i, i + width);
    if (output.includes(fragment)) return fragment;
  }
  return undefined;
}

async function redactCase(c: LeakCase): Promise<{ text: string; redactions: Record<string, number> }> {
  if (c.extract === undefined) return redactText(c.text);
  const extraction = extractFromText(c.text, { maxLines: 60, maxBytes: 8192, maxLineLength: 2000, ...c.extract });
  const { extraction: redacted, redactions } = await redactExtraction(extraction);
  const texts = [...redacted.excerpts.map((e) => e.text), redacted.keyLine?.text ?? '', ...redacted.signals.map((s) => s.text)];
  return { text: texts.join('\n'), redactions };
}

const markers = (text: string): number => text.split(REDACTION_MARKER_PREFIX).length - 1;

describe('redaction corpus', () => {
  const corpus = leakCorpus();
  const formats = new Set(corpus.map((c) => c.format));

  it('has at least 200 cases over at least 100 formats and contexts', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(formats.size).toBeGreaterThanOrEqual(100);
  });

  // Three seeds: the same formats and contexts with other generated secrets, so no case passes by the luck of one draw.
  it.each([16, 1016, 2016])('leaks none of its secrets (seed %i), and counts each redaction once, with its kind', async (seed) => {
    const leaks: string[] = [];
    for (const c of leakCorpus(seed)) {
      const { text, redactions } = await redactCase(c);
      for (const secret of c.secrets) {
        const fragment = leakedFragment(text, secret);
        if (fragment !== undefined) leaks.push(`${c.format}: ${JSON.stringify(fragment)} survived in ${JSON.stringify(text.slice(0, 300))}`);
      }
      const counted = Object.values(redactions).reduce((a, b) => a + b, 0);
      if (c.extract === undefined && counted !== markers(text)) leaks.push(`${c.format}: ${counted} counted for ${markers(text)} markers`);
      if (counted === 0) leaks.push(`${c.format}: redactions read {}`);
      for (const kind of Object.keys(redactions)) expect(kind).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    }
    expect(leaks).toEqual([]);
  });

  it('leaves at most 2% of at least 100 look-alike lines changed', async () => {
    const lines = lookAlikeCorpus();
    expect(lines.length).toBeGreaterThanOrEqual(100);
    const changed: string[] = [];
    for (const line of lines) {
      const { text } = await redactText(line);
      if (text !== line) changed.push(`${JSON.stringify(line.slice(0, 120))} -> ${JSON.stringify(text.slice(0, 160))}`);
    }
    expect(changed.length / lines.length).toBeLessThanOrEqual(0.02);
  });

  it.each([
    ['      secretName: api-tls-cert'],
    ['access_token_url: https://oauth.acme.example/token'],
    ['password_reset_url=https://id.acme.example/reset'],
    ['SECRET_SCANNING=enabled'],
    ['imagePullSecret=registry-credentials'],
    ['{"api_key_header": "X-API-Key", "timeout": 30}'],
    ['passwordMinLength=12'],
  ])('leaves the configuration line %j alone', async (line) => {
    expect((await redactText(line)).text).toBe(line);
  });

  it('keeps public certificates readable, bare, prefixed, and as certificate-authority-data', async () => {
    const certificates = lookAlikeCorpus().filter((line) => /CERTIFICATE|ca\.crt|authority-data/.test(line));
    expect(certificates.length).toBeGreaterThanOrEqual(5);
    for (const line of certificates) expect((await redactText(line)).text).toBe(line);
  });
});
