import { expect } from '@jest/globals';
import type { CustomObject } from '../../support/kube.ts';
import { AUDITED_PHASES_BEFORE_GATE, auditRows, phaseOf, phasesByUid } from './fixtures.ts';

/**
 * Asserts the audit trail of each record is exactly one row per transition it went through: the phases
 * before the gate, then its gate decision (and nothing twice), keyed `${uid}/${phase}` with record_uid set.
 */
export async function expectCompleteAudit(databaseUrl: string, records: readonly CustomObject[], extraPhases: Record<string, string[]> = {}): Promise<void> {
  const uids = records.map((record) => record.metadata.uid);
  const rows = await auditRows(databaseUrl, uids);
  const keys = rows.map((row) => row.idempotency_key);
  expect(new Set(keys).size).toBe(keys.length);
  for (const row of rows) expect(row.idempotency_key.startsWith(`${row.record_uid}/`)).toBe(true);
  const byUid = phasesByUid(rows);
  for (const record of records) {
    const uid = record.metadata.uid;
    const expected = [...AUDITED_PHASES_BEFORE_GATE, phaseOf(record) as string, ...(extraPhases[uid] ?? [])].sort();
    expect({ record: record.metadata.name, phases: [...(byUid.get(uid) ?? [])].sort() }).toEqual({ record: record.metadata.name, phases: expected });
  }
}
