// Packaging cannot run here (electron-builder downloads Electron), so this proves what can be proven offline:
// the builder config is valid against electron-builder's own JSON schema and has the keys we rely on; the fuse
// hook flips the right fuses in a binary carrying a real fuse wire; the icons are real PNGs, reproducible.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { APP_ID } from '../../electron/main/app-info.js';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const yml = parse(readFileSync(path.join(root, 'build/electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
  mac: { target: string[] };
  win: { target: string[] };
  linux: { target: string[] };
  deb: { depends: string[] };
  directories: { output: string };
  extraResources: { from: string; to: string }[];
};

describe('build/electron-builder.yml', () => {
  it("is valid against electron-builder's schema", () => {
    const schema = JSON.parse(
      readFileSync(path.join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(yml);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('has the identity, layout and native-module settings we rely on', () => {
    expect(yml['appId']).toBe(APP_ID);
    expect(yml['productName']).toBe('ClearML Tray Autoscaler');
    expect(yml.directories.output).toBe('dist');
    expect(yml['files']).toContain('out/**');
    expect(yml['asarUnpack']).toContain('**/*.node');
    expect(yml['npmRebuild']).toBe(false);
    expect(yml['afterPack']).toBe('build/after-pack-fuses.cjs');
    expect(yml.extraResources).toContainEqual(expect.objectContaining({ from: 'build/icons/tray', to: 'tray' }));
  });

  it('targets dmg+zip, nsis, AppImage+deb, and the deb depends on libsecret', () => {
    expect(yml.mac.target).toEqual(['dmg', 'zip']);
    expect(yml.win.target).toEqual(['nsis']);
    expect(yml.linux.target).toEqual(['AppImage', 'deb']);
    expect(yml.deb.depends).toContain('libsecret-1-0');
  });
});

describe('build/after-pack-fuses.cjs', () => {
  const hook = require('../../build/after-pack-fuses.cjs') as ((ctx: unknown) => Promise<void>) & {
    FUSES: Record<string, unknown>;
    electronBinaryPath(ctx: unknown): string;
  };
  const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
  // Fuse states are ASCII bytes in the binary: '1' enabled, '0' disabled.
  const on = '1'.charCodeAt(0);
  const off = '0'.charCodeAt(0);

  it('flips exactly the fuses we want in a binary with a real fuse wire', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fuses-'));
    try {
      // A stand-in executable: Electron's sentinel, wire version 1, 8 fuses, all initially enabled ('1').
      const sentinel = Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX', 'ascii');
      const wire = Buffer.from([1, 8, ...Array<number>(8).fill(on)]);
      writeFileSync(
        path.join(dir, 'clearml-tray-autoscaler'),
        Buffer.concat([Buffer.alloc(64), sentinel, wire, Buffer.alloc(64)]),
      );
      await hook({
        appOutDir: dir,
        electronPlatformName: 'linux',
        arch: 1,
        packager: {
          appInfo: { productFilename: 'ClearML Tray Autoscaler' },
          executableName: 'clearml-tray-autoscaler',
        },
      });
      const fuses = (await getCurrentFuseWire(path.join(dir, 'clearml-tray-autoscaler'))) as unknown as Record<
        number,
        number
      >;
      expect(fuses[FuseV1Options.RunAsNode]).toBe(off);
      expect(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(off);
      expect(fuses[FuseV1Options.EnableNodeCliInspectArguments]).toBe(off);
      expect(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(off);
      expect(fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(on);
      expect(fuses[FuseV1Options.OnlyLoadAppFromAsar]).toBe(on);
      expect(fuses[FuseV1Options.EnableCookieEncryption]).toBe(on);
      // Not ours to decide: left as Electron ships it.
      expect(fuses[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(on);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the executable per platform', () => {
    const ctx = (p: string) => ({
      appOutDir: '/o',
      electronPlatformName: p,
      packager: { appInfo: { productFilename: 'App' }, executableName: 'app' },
    });
    expect(hook.electronBinaryPath(ctx('darwin'))).toBe(path.join('/o', 'App.app'));
    expect(hook.electronBinaryPath(ctx('win32'))).toBe(path.join('/o', 'App.exe'));
    expect(hook.electronBinaryPath(ctx('linux'))).toBe(path.join('/o', 'app'));
  });
});

/** Minimal PNG reader: checks the signature and every chunk CRC, returns size and the decoded RGBA rows. */
function readPng(file: string): { width: number; height: number; colorType: number; alpha: number[]; rgb: number[][] } {
  const d = readFileSync(file);
  expect(d.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const { crc32 } = require('node:zlib') as { crc32?: (b: Buffer) => number };
  let pos = 8;
  let width = 0,
    height = 0,
    colorType = 0;
  const idat: Buffer[] = [];
  while (pos < d.length) {
    const len = d.readUInt32BE(pos);
    const type = d.subarray(pos + 4, pos + 8).toString('ascii');
    const body = d.subarray(pos + 8, pos + 8 + len);
    if (crc32) expect(d.readUInt32BE(pos + 8 + len)).toBe(crc32(d.subarray(pos + 4, pos + 8 + len)));
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      colorType = body[9]!;
    }
    if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe((width * 4 + 1) * height);
  const alpha: number[] = [];
  const rgb: number[][] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * (width * 4 + 1) + 1 + x * 4;
      alpha.push(raw[i + 3]!);
      rgb.push([raw[i]!, raw[i + 1]!, raw[i + 2]!]);
    }
  }
  return { width, height, colorType, alpha, rgb };
}

describe('icons', () => {
  it('the app icon is a 1024×1024 RGBA PNG', () => {
    const png = readPng(path.join(root, 'build/icon.png'));
    expect([png.width, png.height, png.colorType]).toEqual([1024, 1024, 6]);
  });

  const states = ['off', 'watching', 'scaling', 'paused', 'error'];
  it.each(states)('tray %s: coloured and Template, 16 px and @2x 32 px, each with visible pixels', (state) => {
    for (const variant of ['', 'Template']) {
      for (const [suffix, size] of [
        ['', 16],
        ['@2x', 32],
      ] as const) {
        const png = readPng(path.join(root, `build/icons/tray/tray-${state}${variant}${suffix}.png`));
        expect([png.width, png.height]).toEqual([size, size]);
        expect(png.alpha.some((a) => a === 255)).toBe(true);
        expect(png.alpha.some((a) => a === 0)).toBe(true);
      }
    }
  });

  it('macOS Template images are black + alpha only', () => {
    for (const state of states) {
      const png = readPng(path.join(root, `build/icons/tray/tray-${state}Template@2x.png`));
      const coloured = png.rgb.filter((c, i) => png.alpha[i]! > 0 && c.some((v) => v !== 0));
      expect(coloured).toEqual([]);
    }
  });

  it('the committed tray icons are exactly what build/gen-icons.mjs produces', async () => {
    const gen = (await import(pathToFileURL(path.join(root, 'build/gen-icons.mjs')).href)) as {
      generate(outDir: string, opts?: { appIcon?: boolean }): string[];
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'icons-'));
    try {
      mkdirSync(dir, { recursive: true });
      const written = gen.generate(dir, { appIcon: false });
      expect(written).toHaveLength(20);
      for (const rel of written) {
        expect(readFileSync(path.join(dir, rel)).equals(readFileSync(path.join(root, 'build', rel)))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
