import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

/**
 * Colour only when a person is looking: a TTY, and neither NO_COLOR nor TERM=dumb set (https://no-color.org).
 * FORCE_COLOR turns it on for piped output, as most CLIs do.
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export type Paint = (format: Format, text: string) => string;

export function painter(enabled: boolean): Paint {
  return enabled ? (format, text) => styleText(format, text, { validateStream: false }) : (_format, text) => text;
}
