import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { resetElectronMock, safeStorage } from '../mocks/electron.js';
import { chooseSecretStore } from '../../electron/main/secrets/choose-store.js';
import {
  KeychainSecretStore,
  keychainBackendName,
  type KeytarLike,
} from '../../electron/main/secrets/keychain-store.js';
import { SafeStorageSecretStore, safeStorageRefusal } from '../../electron/main/secrets/safe-storage-store.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';

const AWS = { accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secretAccessKey: 'super/secret/value/0123456789abcdefghijk' };

/** keytar's contract, in memory: one password per (service, account). */
class FakeKeytar implements KeytarLike {
  readonly items = new Map<string, string>();
  failWith: Error | null = null;
  async getPassword(service: string, account: string) {
    if (this.failWith) throw this.failWith;
    return this.items.get(`${service}/${account}`) ?? null;
  }
  async setPassword(service: string, account: string, password: string) {
    if (this.failWith) throw this.failWith;
    this.items.set(`${service}/${account}`, password);
  }
  async deletePassword(service: string, account: string) {
    return this.items.delete(`${service}/${account}`);
  }
}

describe('KeychainSecretStore', () => {
  it('stores one JSON blob per kind under the service, with setAt', async () => {
    const k = new FakeKeytar();
    const s = new KeychainSecretStore(k, { service: 'clearml-tray-autoscaler', platform: 'linux', now: () => 5 });
    await s.set('aws', AWS);
    expect([...k.items.keys()]).toEqual(['clearml-tray-autoscaler/aws']);
    expect(JSON.parse(k.items.get('clearml-tray-autoscaler/aws')!)).toEqual({ value: AWS, setAt: 5 });
    expect(await s.get('aws')).toEqual({ kind: 'aws', value: AWS, setAt: 5 });
    expect(await s.get('clearml')).toBeNull();
    await s.delete('aws');
    expect(await s.get('aws')).toBeNull();
  });

  it('a foreign or damaged entry reads as not set', async () => {
    const k = new FakeKeytar();
    k.items.set('svc/clearml', 'plain password from somewhere else');
    expect(await new KeychainSecretStore(k, { service: 'svc' }).get('clearml')).toBeNull();
  });

  it('names the backend per platform', () => {
    expect(keychainBackendName('darwin')).toBe('macOS Keychain');
    expect(keychainBackendName('win32')).toBe('Windows Credential Manager');
    expect(keychainBackendName('linux')).toMatch(/Secret Service/);
  });
});

describe('SafeStorageSecretStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    resetElectronMock();
    dir = mkdtempSync(path.join(tmpdir(), 'safe-storage-'));
    file = path.join(dir, 'credentials.enc.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses basic_text on Linux and unavailable encryption anywhere', () => {
    safeStorage.backend = 'basic_text';
    expect(safeStorageRefusal(safeStorage, 'linux')).toMatch(/hard-coded password/);
    expect(() => SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux' })).toThrow(/basic_text/);
    expect(safeStorageRefusal(safeStorage, 'darwin')).toBeNull();
    safeStorage.backend = 'gnome_libsecret';
    safeStorage.available = false;
    expect(safeStorageRefusal(safeStorage, 'win32')).toMatch(/not available/);
  });

  it('persists ciphertext only, and reads it back in a new instance', async () => {
    const a = SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux', now: () => 9 });
    await a.set('aws', AWS);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(AWS.secretAccessKey);
    expect(text).not.toContain(AWS.accessKeyId);
    const b = SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux' });
    expect(await b.get('aws')).toEqual({ kind: 'aws', value: AWS, setAt: 9 });
    await b.delete('aws');
    expect(await SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux' }).get('aws')).toBeNull();
  });

  it('keeps every kind across a restart, git credentials included', async () => {
    const git = { username: 'ci-bot', password: 'ghp_persisted0123456789' };
    await SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux', now: () => 7 }).set('git', git);
    expect(readFileSync(file, 'utf8')).not.toContain(git.password);
    expect(await SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux' }).get('git')).toEqual({
      kind: 'git',
      value: git,
      setAt: 7,
    });
  });

  it('a corrupt file is moved aside with a warning, never a crash', () => {
    writeFileSync(file, '{{{');
    const s = SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux', now: () => 0 });
    expect(s.warning).toMatch(/corrupt and was moved to .*credentials\.enc\.corrupt-1970/);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('ciphertext it cannot decrypt (another machine) reads as not set', async () => {
    writeFileSync(file, JSON.stringify({ aws: Buffer.from('garbage').toString('base64') }));
    expect(await SafeStorageSecretStore.open({ safeStorage, file, platform: 'linux' }).get('aws')).toBeNull();
  });
});

describe('chooseSecretStore', () => {
  it('keychain first', async () => {
    const keychain = new KeychainSecretStore(new FakeKeytar(), { service: 's' });
    const r = await chooseSecretStore([
      { name: 'keychain', open: async () => keychain },
      { name: 'safeStorage', open: async () => new MemorySecretStore({ backendName: 'x' }) },
    ]);
    expect(r.store).toBe(keychain);
    expect(r.skipped).toEqual([]);
  });

  it('falls back to safeStorage when the keychain does not answer, keeping the reason', async () => {
    const broken = new FakeKeytar();
    broken.failWith = new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
    const fallback = new MemorySecretStore({ backendName: 'encrypted file' });
    const r = await chooseSecretStore([
      {
        name: 'keychain',
        open: async () => {
          const s = new KeychainSecretStore(broken, { service: 's' });
          await s.probe();
          return s;
        },
      },
      { name: 'safeStorage', open: async () => fallback },
    ]);
    expect(r.store).toBe(fallback);
    expect(r.skipped).toEqual([{ name: 'keychain', reason: 'Cannot autolaunch D-Bus without X11 $DISPLAY' }]);
  });

  it('memory only, with a visible warning that says why and what to do', async () => {
    const r = await chooseSecretStore([
      { name: 'keychain', open: () => Promise.reject(new Error('no Secret Service')) },
      { name: 'safeStorage', open: () => Promise.reject(new Error('safeStorage refused: basic_text')) },
    ]);
    expect(r.store.backendName).toBe('memory only');
    expect(r.store.warning).toMatch(
      /memory only.*keychain: no Secret Service; safeStorage: safeStorage refused: basic_text.*GNOME Keyring or KWallet/,
    );
    await r.store.set('aws', AWS);
    expect((await r.store.get('aws'))?.value).toEqual(AWS);
  });
});
