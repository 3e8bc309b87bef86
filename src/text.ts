/**
 * Text bounded for a field with a length limit (a status string, an output, a summary line): cut to `max`
 * characters, ending with `ellipsis` so a reader sees it was cut. Status and API fields end with ASCII `...`;
 * text for people (a summary cell, an extracted line) may end with `…`, one character.
 */
export function clip(text: string, max: number, ellipsis = '...'): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - ellipsis.length))}${ellipsis}` : text;
}
