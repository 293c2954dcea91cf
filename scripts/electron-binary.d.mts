// Types for electron-binary.mjs (a plain script, so `npm start` needs no build step).
export function electronPackageDir(): string | null;
export function electronBinary(env?: NodeJS.ProcessEnv): string | null;
export function electronDownloadUrl(env?: NodeJS.ProcessEnv): { version: string; url: string };
export function whyUnreachable(url: string): Promise<string>;
export function runElectronInstaller(opts?: {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}): Promise<{ ok: boolean; output: string }>;
