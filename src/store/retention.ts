import { open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Knex } from 'knex';
import { errorMessage } from '../errors.ts';
import { RetentionExportError } from './errors.ts';
import type { RetentionResult } from './types.ts';

const EXPORT_BATCH = 5000;

/** What retention removes, each with the column that dates a row and a unique key to page the export on. */
const TABLES = [
  { table: 'audit_log', dated: 'time', key: ['id'] },
  { table: 'failure_timings', dated: 'detected_at', key: ['record_key'] },
  { table: 'failure_history', dated: 'last_seen', key: ['repository', 'fingerprint'] },
  // Tokens and cost per model call: the budgets read only the current day and month.
  { table: 'model_usage', dated: 'at', key: ['id'] },
] as const;

/**
 * Exports (optionally) and deletes everything dated before `cutoff`.
 *
 * One REPEATABLE READ transaction: the export and the deletes read the same snapshot, so exactly the rows
 * exported are deleted, even with writers running; the export file is fsynced before the first DELETE,
 * so a crash can lose the deletion, never the only copy of a row. A failed export removes its partial file.
 */
export async function exportAndDelete(knex: Knex, cutoff: Date, exportPath?: string): Promise<RetentionResult> {
  return knex.transaction(
    async (trx) => {
      let exported = 0;
      if (exportPath !== undefined) exported = await writeExport(trx, cutoff, exportPath);
      const deleted = { audit: 0, failureHistory: 0, timings: 0, modelUsage: 0 };
      deleted.audit = affected(await trx('audit_log').where('time', '<', cutoff).del());
      deleted.timings = affected(await trx('failure_timings').where('detected_at', '<', cutoff).del());
      deleted.failureHistory = affected(await trx('failure_history').where('last_seen', '<', cutoff).del());
      deleted.modelUsage = affected(await trx('model_usage').where('at', '<', cutoff).del());
      return { cutoff, exportPath: exportPath ?? null, exported, deleted };
    },
    { isolationLevel: 'repeatable read' },
  );
}

async function writeExport(trx: Knex.Transaction, cutoff: Date, path: string): Promise<number> {
  // 'wx': never overwrite an earlier export, which may be the only copy of what it holds.
  let file: FileHandle;
  try {
    file = await open(path, 'wx', 0o600);
  } catch (error) {
    const reason = (error as { code?: string }).code === 'EEXIST' ? 'the file already exists (choose a new name)' : errorMessage(error);
    throw new RetentionExportError(`Cannot write the retention export ${path}: ${reason}. Nothing was deleted.`, { cause: error });
  }
  let count = 0;
  try {
    for (const { table, dated, key } of TABLES) {
      let after: unknown[] | undefined;
      for (;;) {
        const query = trx(`${table} as t`)
          // The server renders the row, so timestamps keep their microseconds and bigints their digits.
          .select(...key.map((column) => `t.${column}`), trx.raw('to_jsonb(t)::text as row'))
          .where(`t.${dated}`, '<', cutoff)
          .orderBy(key.map((column) => ({ column: `t.${column}` })))
          .limit(EXPORT_BATCH);
        if (after) query.whereRaw(`(${key.map((column) => `t.${column}`).join(', ')}) > (${key.map(() => '?').join(', ')})`, after as Knex.Value[]);
        const rows = (await query) as Array<Record<string, unknown> & { row: string }>;
        if (rows.length === 0) break;
        await file.write(rows.map((row) => `{"table":"${table}","row":${row.row}}\n`).join(''));
        count += rows.length;
        const last = rows.at(-1)!;
        after = key.map((column) => last[column]);
        if (rows.length < EXPORT_BATCH) break;
      }
    }
    await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    // Duck-typed: fs errors may come from another realm (jest's vm), where instanceof Error fails.
    if (typeof error === 'object' && error !== null && 'syscall' in error) {
      throw new RetentionExportError(`Cannot write the retention export ${path}: ${errorMessage(error)}. Nothing was deleted.`, { cause: error });
    }
    throw error;
  }
  await file.close();
  await syncDirectory(dirname(path));
  return count;
}

/** A new file's directory entry is durable only once the directory itself is fsynced. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Some filesystems (and Windows) refuse fsync on a directory; the file's own fsync is what matters most.
  } finally {
    await handle?.close();
  }
}

/** knex's pg client answers a DELETE with a count; knex-pglite (0.14) with the raw result, rowCount inside. */
function affected(result: unknown): number {
  if (typeof result === 'number') return result;
  const rowCount = (result as { rowCount?: unknown } | null)?.rowCount;
  return typeof rowCount === 'number' ? rowCount : 0;
}
