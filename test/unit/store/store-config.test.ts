import { describe, expect, it } from '@jest/globals';
import { StoreConfigError } from '../../../src/store/errors.ts';
import { defaultDataDir, loadStoreConfig } from '../../../src/store/store-config.ts';

describe('loadStoreConfig', () => {
  it('chooses PostgreSQL for a postgres:// or postgresql:// URL and describes it without the password', () => {
    for (const scheme of ['postgres', 'postgresql']) {
      const config = loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: `${scheme}://ops:s3cret@db.internal:6543/audit` });
      expect(config).toMatchObject({ engine: 'postgres', target: 'db.internal:6543/audit', applicationName: 'ci-remediator' });
      expect(Object.isFrozen(config)).toBe(true);
      expect(JSON.stringify({ ...config, url: undefined })).not.toContain('s3cret');
    }
    expect(loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: 'postgres://db/x' })).toMatchObject({ target: 'db:5432/x' });
  });

  it('refuses another scheme or a non-URL, without echoing it', () => {
    expect(() => loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: 'mysql://root:pw@db/x' })).toThrow(
      new StoreConfigError(
        "Invalid CI_REMEDIATOR_DATABASE_URL: scheme 'mysql' is not supported. Expected postgres://user:password@host:5432/database (or postgresql://), or leave it unset for the embedded store.",
      ),
    );
    const error = (() => {
      try {
        loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: 'pw-in-here not a url' });
      } catch (e) {
        return e as StoreConfigError;
      }
    })();
    expect(error?.code).toBe('STORE_CONFIG_INVALID');
    expect(error?.message).toBe('Invalid CI_REMEDIATOR_DATABASE_URL: not a URL. Expected postgres://user:password@host:5432/database.');
    expect(error?.cause).toBeUndefined();
  });

  it('uses PGlite under --data-dir, then CI_REMEDIATOR_DATA_DIR, then the XDG data directory', () => {
    expect(loadStoreConfig({ CI_REMEDIATOR_DATA_DIR: '/env' }, { dataDir: 'flag', cwd: '/work' })).toEqual({ engine: 'pglite', dataDir: '/work/flag/store' });
    expect(loadStoreConfig({ CI_REMEDIATOR_DATA_DIR: '/env', XDG_DATA_HOME: '/xdg' })).toEqual({ engine: 'pglite', dataDir: '/env/store' });
    expect(loadStoreConfig({ XDG_DATA_HOME: '/xdg', HOME: '/home/a' })).toEqual({ engine: 'pglite', dataDir: '/xdg/ci-remediator/store' });
    expect(loadStoreConfig({ CI_REMEDIATOR_DATABASE_URL: '', HOME: '/home/a' })).toEqual({ engine: 'pglite', dataDir: '/home/a/.local/share/ci-remediator/store' });
  });

  it('ignores a relative XDG_DATA_HOME, as the XDG spec requires', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.local/share/ci-remediator');
  });
});
