/**
 * What a file-system error says about the data folder, as a fault a message can tell the user how to fix: the
 * system's own text ("ENOSPC: no space left on device, write") names a call, not the folder nor what to do. Pure.
 */
export type DataDirFault = 'full' | 'read-only' | 'permissions' | 'not-a-folder';

const FAULTS: Readonly<Record<string, DataDirFault>> = {
  ENOSPC: 'full',
  EDQUOT: 'full',
  EROFS: 'read-only',
  EACCES: 'permissions',
  EPERM: 'permissions',
  ENOTDIR: 'not-a-folder',
  EEXIST: 'not-a-folder',
  EISDIR: 'not-a-folder',
};

export function dataDirFault(err: unknown): DataDirFault | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return (code !== undefined && FAULTS[code]) || null;
}

/** "<where> is full" and the like: the fault in words, for a message that names the folder. */
export function faultWords(fault: DataDirFault, where: string): string {
  switch (fault) {
    case 'full':
      return `${where} is full`;
    case 'read-only':
      return `${where} is read-only`;
    case 'permissions':
      return `${where} cannot be written (permissions)`;
    case 'not-a-folder':
      return `${where} is taken by a file, or holds a folder where a file belongs`;
  }
}

/** What the user does about it. */
export function faultFix(fault: DataDirFault): string {
  switch (fault) {
    case 'full':
      return 'free some space on its disk';
    case 'read-only':
      return 'mount its disk writable';
    case 'permissions':
      return 'give your user back the folder and its files (a run with sudo may have left them owned by root)';
    case 'not-a-folder':
      return 'move the file in the way aside';
  }
}
