import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Category } from '../../src/analysis/taxonomy.ts';

/**
 * A labelled set of GitHub Actions excerpts laid out like gha-dev: `logs/<file>` and a `labels.tsv` whose
 * columns include `file`, `categories` (the acceptable answers, primary first, comma-separated) and `key_line`
 * (1-based). Shared by bench:classify and the gha-synthetic regression test so both read a set the same way.
 */
export interface LabelledRow {
  file: string;
  categories: Category[];
  keyLine: number;
}

export async function readLabels(dir: string): Promise<LabelledRow[]> {
  const text = await readFile(join(dir, 'labels.tsv'), 'utf8');
  const [header, ...lines] = text.split('\n').filter((l) => l.trim() !== '');
  if (header === undefined) throw new Error(`${dir}/labels.tsv is empty`);
  const columns = header.split('\t');
  const at = (name: string) => {
    const i = columns.indexOf(name);
    if (i === -1) throw new Error(`${dir}/labels.tsv has no '${name}' column`);
    return i;
  };
  const [fileAt, categoriesAt, keyAt] = [at('file'), at('categories'), at('key_line')];
  const present = new Set(await readdir(join(dir, 'logs')));
  return lines.map((line, i) => {
    const cells = line.split('\t');
    const file = cells[fileAt] ?? '';
    if (!present.has(file)) throw new Error(`${dir}/labels.tsv row ${i + 2} names '${file}', which is not in ${dir}/logs`);
    const keyLine = Number(cells[keyAt]);
    if (!Number.isInteger(keyLine) || keyLine < 1) throw new Error(`${dir}/labels.tsv row ${i + 2}: key_line '${cells[keyAt]}' is not a line number`);
    const categories = (cells[categoriesAt] ?? '').split(',').map((c) => {
      const parsed = Category.safeParse(c.trim());
      if (!parsed.success) throw new Error(`${dir}/labels.tsv row ${i + 2}: '${c}' is not a category`);
      return parsed.data;
    });
    return { file, categories, keyLine };
  });
}
