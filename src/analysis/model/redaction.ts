/**
 * The one place the model code reaches the redactor (src/logs/redactor.ts), so a change of its API is one
 * edit here. Everything the model is shown, and everything it says, goes through `redact`.
 */
import { redactText, type RedactOptions } from '../../logs/redactor.ts';

export type Redact = (text: string) => Promise<string>;

export function redactorFor(options?: RedactOptions): Redact {
  return async (text) => (await redactText(text, options)).text;
}

export const redact: Redact = redactorFor();
