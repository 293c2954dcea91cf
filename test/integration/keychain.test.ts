// The keychain SecretStore against the REAL Secret Service (gnome-keyring) through the real @github/keytar:
// `npm test` runs vitest inside `dbus-run-session` with an unlocked throw-away keyring (scripts/with-keyring.sh).
// Alone: dbus-run-session -- sh scripts/with-keyring.sh npx vitest run test/integration
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYCHAIN_SERVICE } from '../../electron/main/app-info.js';
import { KeychainSecretStore, loadKeytar, type KeytarLike } from '../../electron/main/secrets/keychain-store.js';

const bus = process.env['DBUS_SESSION_BUS_ADDRESS'];
const SKIP_REASON = 'DBUS_SESSION_BUS_ADDRESS is unset: no D-Bus session, so no Secret Service to test against';
if (!bus) console.warn(`[keychain integration] skipped: ${SKIP_REASON}`);

// A service name of our own per run, so a developer's real entries are never touched.
const service = `${KEYCHAIN_SERVICE}-test-${process.pid}-${Date.now()}`;

describe.skipIf(!bus)(
  `keychain SecretStore on the real Secret Service${bus ? '' : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    let keytar: KeytarLike;
    let store: KeychainSecretStore;

    beforeAll(async () => {
      keytar = await loadKeytar();
      store = new KeychainSecretStore(keytar, { service, now: () => 1_700_000_000_000 });
      await store.probe();
    });
    afterAll(async () => {
      if (!keytar) return;
      await keytar.deletePassword(service, 'clearml');
      await keytar.deletePassword(service, 'aws');
    });

    it('stores, reads back and deletes a credential', async () => {
      const aws = {
        accessKeyId: 'AKIAINTEGRATION00001',
        secretAccessKey: 'integration/secret/0123456789abcdefghijklm',
        sessionToken: 'tok',
      };
      expect(await store.get('aws')).toBeNull();
      await store.set('aws', aws);
      expect(await store.get('aws')).toEqual({ kind: 'aws', value: aws, setAt: 1_700_000_000_000 });
      // Really in the keyring, under our service and account, as the JSON blob.
      const raw = await keytar.getPassword(service, 'aws');
      expect(JSON.parse(raw!)).toEqual({ value: aws, setAt: 1_700_000_000_000 });
      await store.delete('aws');
      expect(await store.get('aws')).toBeNull();
      expect(await keytar.getPassword(service, 'aws')).toBeNull();
    });

    it('a second store instance (an app restart) sees what the first stored; kinds are separate', async () => {
      await store.set('clearml', { accessKey: 'INTEGRATIONACCESS01', secretKey: 'integration-secret' });
      const again = new KeychainSecretStore(await loadKeytar(), { service });
      expect((await again.get('clearml'))?.value).toEqual({
        accessKey: 'INTEGRATIONACCESS01',
        secretKey: 'integration-secret',
      });
      expect(await again.get('aws')).toBeNull();
      await again.set('clearml', { accessKey: 'REPLACED', secretKey: 'replaced-secret' });
      expect((await store.get('clearml'))?.value.accessKey).toBe('REPLACED');
    });
  },
);
