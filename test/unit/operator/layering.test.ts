import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

// operator/runtime/ is the controller machinery (informers, queues, writes, metrics, leader election): the
// controllers and the HTTP endpoints build on it, never the other way round.
const RUNTIME = join(import.meta.dirname, '..', '..', '..', 'operator', 'runtime');

describe('operator/runtime layering', () => {
  it('imports nothing from operator/http, operator/controllers or the wiring above them', () => {
    const offending = readdirSync(RUNTIME)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(join(RUNTIME, file), 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)]
          .map((match) => match[1]!)
          .filter((path) => !path.startsWith('../../src/'))
          .map((path) => `${file}: ${path}`),
      );
    expect(offending).toEqual([]);
  });
});
