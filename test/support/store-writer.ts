// A second, real process for the single-process store test: opens the embedded store in the data
// directory given as argv[2], appends argv[3] audit rows one at a time, printing `ack <key>` only after
// each insert has returned (that is what "acknowledged" means to a caller), then prints `holding` and keeps
// the store open until SIGTERM, when it closes it. A failure to open is printed as `refused <code> <message>`.
import { openStore } from '../../src/store/store.ts';
import { loadStoreConfig } from '../../src/store/store-config.ts';

const [dataDir, count, prefix = 'writer'] = process.argv.slice(2);
try {
  const store = await openStore(loadStoreConfig({ CI_REMEDIATOR_DATA_DIR: dataDir }));
  for (let i = 0; i < Number(count); i++) {
    const key = `${prefix}/${i}`;
    await store.appendAudit({ idempotencyKey: key, actor: 'store-writer', actorType: 'system', action: 'write', outcome: 'succeeded' });
    process.stdout.write(`ack ${key}\n`);
  }
  // The handler is in place before `holding` is printed: the parent may signal as soon as it reads it.
  process.once('SIGTERM', () => {
    void store.close().then(() => process.exit(0));
  });
  process.stdout.write('holding\n');
  setInterval(() => undefined, 60_000);
} catch (error) {
  const { code = 'UNKNOWN', message } = error as { code?: string; message: string };
  process.stdout.write(`refused ${code} ${message}\n`);
  process.exit(3);
}
