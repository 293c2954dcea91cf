import { describe, expect, it } from 'vitest';
import { dataDirFault } from '../../electron/engine/data-dir-fault.js';

describe('dataDirFault: what a file-system error says about the data folder', () => {
  it.each([
    ['ENOSPC', 'full'],
    ['EDQUOT', 'full'],
    ['EROFS', 'read-only'],
    ['EACCES', 'permissions'],
    ['EPERM', 'permissions'],
    ['ENOTDIR', 'not-a-folder'],
    ['EEXIST', 'not-a-folder'],
    ['EISDIR', 'not-a-folder'],
    ['EIO', null],
    ['EMFILE', null],
  ] as const)('%s → %s', (code, fault) => {
    expect(dataDirFault(Object.assign(new Error(code), { code }))).toBe(fault);
  });

  it.each([[new Error('plain')], [null], [undefined], ['text']])('no code: no fault (%s)', (err) => {
    expect(dataDirFault(err)).toBeNull();
  });
});
