// Generates the usage block of docs/action.md from action.yml, between the markers below, so the reference can
// never disagree with what a runner reads. `npm run docs:action` rewrites it; `npm run action:check` fails when
// it is stale.
//
//   node scripts/generate-action-docs.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
export const ACTION_YML = join(ROOT, 'action.yml');
export const ACTION_DOC = join(ROOT, 'docs', 'action.md');
export const BEGIN = '<!-- BEGIN GENERATED USAGE (npm run docs:action; edit action.yml instead) -->';
export const END = '<!-- END GENERATED USAGE -->';

/** The usage block: a `uses:` example with every input, its default and its description, then the outputs table. */
export function renderUsage(actionYaml) {
  const action = parse(actionYaml);
  const lines = ['```yaml', '- uses: ci-remediator/ci-remediator@v1', '  with:'];
  for (const [name, input] of Object.entries(action.inputs ?? {})) {
    for (const line of wrap(oneLine(input.description), 100)) lines.push(`    # ${line}`);
    const fallback = input.default === undefined || input.default === '' ? "''" : quoteYaml(String(input.default));
    lines.push(`    # Default: ${fallback}${input.required ? ' (required)' : ''}`);
    lines.push(`    ${name}: ''`, '');
  }
  if (lines.at(-1) === '') lines.pop();
  lines.push('```', '', '| Output | Description |', '| --- | --- |');
  for (const [name, output] of Object.entries(action.outputs ?? {})) lines.push(`| \`${name}\` | ${oneLine(output.description).replaceAll('|', '\\|')} |`);
  return lines.join('\n');
}

/** `document` with the block between the markers replaced; throws when the markers are missing. */
export function withUsage(document, usage) {
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/action.md has no usage markers; add the lines\n${BEGIN}\n${END}`);
  return `${document.slice(0, begin + BEGIN.length)}\n${usage}\n${document.slice(end)}`;
}

/** Null when docs/action.md is current, else a message saying what to run. */
export function checkUsage() {
  const document = readFileSync(ACTION_DOC, 'utf8');
  const expected = withUsage(document, renderUsage(readFileSync(ACTION_YML, 'utf8')));
  return expected === document ? null : 'docs/action.md: the usage block does not match action.yml. Run `npm run docs:action` and commit docs/action.md.';
}

function oneLine(text = '') {
  return String(text).replace(/\s+/g, ' ').trim();
}

function quoteYaml(value) {
  return /^[\w./${}\s-]+$/.test(value) && !/^\s|\s$/.test(value) ? value : JSON.stringify(value);
}

function wrap(text, width) {
  const out = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const problem = checkUsage();
    if (problem) {
      console.error(problem);
      process.exit(1);
    }
    console.log('docs/action.md usage block is current');
  } else {
    const document = readFileSync(ACTION_DOC, 'utf8');
    writeFileSync(ACTION_DOC, withUsage(document, renderUsage(readFileSync(ACTION_YML, 'utf8'))));
    console.log('docs/action.md usage block written from action.yml');
  }
}
