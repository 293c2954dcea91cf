import { describe, expect, it } from 'vitest';
import {
  decodeBlob,
  encodeBlob,
  MemorySecretStore,
  storedSecretStrings,
} from '../../electron/engine/service/secret-store.js';

describe('MemorySecretStore', () => {
  it('stores, reads with setAt, and deletes per kind', async () => {
    let now = 1000;
    const s = new MemorySecretStore({ now: () => now });
    expect(await s.get('aws')).toBeNull();
    await s.set('aws', { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' });
    now = 2000;
    await s.set('clearml', { accessKey: 'A', secretKey: 'B' });
    expect(await s.get('aws')).toEqual({
      kind: 'aws',
      value: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
      setAt: 1000,
    });
    expect((await s.get('clearml'))?.setAt).toBe(2000);
    expect((await storedSecretStrings(s)).sort()).toEqual(['A', 'AKIAEXAMPLE', 'B', 'secret']);
    await s.delete('aws');
    expect(await s.get('aws')).toBeNull();
    expect(s.backendName).toBe('memory only');
  });

  it('returns copies, so a caller cannot mutate the stored value', async () => {
    const s = new MemorySecretStore();
    await s.set('clearml', { accessKey: 'A', secretKey: 'B' });
    const got = await s.get('clearml');
    got!.value.secretKey = 'changed';
    expect((await s.get('clearml'))?.value.secretKey).toBe('B');
  });
});

describe('stored blobs', () => {
  it('round-trip through JSON with their metadata', () => {
    const text = encodeBlob<'aws'>({ accessKeyId: 'K', secretAccessKey: 'S', sessionToken: 'T' }, 42);
    expect(decodeBlob('aws', text)).toEqual({
      kind: 'aws',
      value: { accessKeyId: 'K', secretAccessKey: 'S', sessionToken: 'T' },
      setAt: 42,
    });
  });

  it('an unreadable blob reads as not set (never a crash)', () => {
    expect(decodeBlob('aws', 'not json')).toBeNull();
    expect(decodeBlob('aws', JSON.stringify({ value: { accessKeyId: 'K' }, setAt: 1 }))).toBeNull();
    expect(decodeBlob('clearml', JSON.stringify({ value: { accessKey: 'a', secretKey: 'b' } }))).toBeNull();
  });
});
