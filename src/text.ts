/**
 * Text bounded for a field with a length limit (a status string, an output, a summary line): cut to `max`
 * characters, the last three being `...` so a reader sees it was cut.
 */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 3))}...` : text;
}
