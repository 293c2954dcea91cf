#!/usr/bin/env node
// Generates the app icon and the tray icons as real PNGs with nothing but node:zlib, so they can be rebuilt on
// any machine (`node build/gen-icons.mjs`) and their output is committed:
//   build/icon.png                          1024×1024 app icon (electron-builder derives .icns / .ico from it)
//   build/icons/tray/tray-<state>.png       16×16 coloured (Windows, Linux), plus @2x 32×32
//   build/icons/tray/tray-<state>Template.png  16×16 black + alpha for the macOS menu bar, plus @2x
// States: off (grey ring), watching (green disc), scaling (blue disc, up arrow), paused (amber disc, two bars:
// on, but launches paused), error (red disc, "!").
// Shapes differ per state as well as colours, so the state reads in monochrome and for colour-blind users.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------ PNG encoding

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** RGBA8 pixels (Uint8Array, width*height*4) → PNG bytes. */
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ------------------------------------------------------------------ tiny vector rasterizer

/** Shapes are tests on unit coordinates (0..1); layers are painted in order with 4×4 supersampling. */
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r0, r1) => (x, y) => {
  const d = (x - cx) ** 2 + (y - cy) ** 2;
  return d <= r1 * r1 && d >= r0 * r0;
};
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  if (!rect(x0, y0, x1, y1)(x, y)) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const triangle = (ax, ay, bx, by, cx, cy) => (x, y) => {
  const s = (px, py, qx, qy) => (x - qx) * (py - qy) - (px - qx) * (y - qy);
  const d1 = s(ax, ay, bx, by);
  const d2 = s(bx, by, cx, cy);
  const d3 = s(cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
};
const union =
  (...fs) =>
  (x, y) =>
    fs.some((f) => f(x, y));

function render(size, layers) {
  const px = new Uint8Array(size * size * 4);
  const SS = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const ux = (x + (sx + 0.5) / SS) / size;
          const uy = (y + (sy + 0.5) / SS) / size;
          // Painter's algorithm per sample, then average premultiplied colour.
          let cr = 0,
            cg = 0,
            cb = 0,
            ca = 0;
          for (const { shape, color } of layers) {
            if (!shape(ux, uy)) continue;
            const la = color[3] / 255;
            cr = color[0] * la + cr * (1 - la);
            cg = color[1] * la + cg * (1 - la);
            cb = color[2] * la + cb * (1 - la);
            ca = la + ca * (1 - la);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const n = SS * SS;
      const i = (y * size + x) * 4;
      const alpha = a / n;
      px[i] = alpha ? Math.round(r / n / alpha) : 0;
      px[i + 1] = alpha ? Math.round(g / n / alpha) : 0;
      px[i + 2] = alpha ? Math.round(b / n / alpha) : 0;
      px[i + 3] = Math.round(alpha * 255);
    }
  }
  return encodePng(size, size, px);
}

// ------------------------------------------------------------------ designs

const WHITE = [255, 255, 255, 255];
const BLACK = [0, 0, 0, 255];
const CLEAR = [0, 0, 0, 0];
const COLOURS = {
  off: [138, 143, 152, 255],
  watching: [46, 160, 67, 255],
  scaling: [31, 111, 235, 255],
  paused: [214, 142, 18, 255],
  error: [218, 54, 51, 255],
};

const upArrow = union(triangle(0.5, 0.2, 0.27, 0.5, 0.73, 0.5), rect(0.41, 0.48, 0.59, 0.78));
const bang = union(roundRect(0.42, 0.18, 0.58, 0.6, 0.07), circle(0.5, 0.76, 0.09));
const dot = circle(0.5, 0.5, 0.17);
const pauseBars = union(rect(0.33, 0.27, 0.45, 0.73), rect(0.55, 0.27, 0.67, 0.73));

/** One glyph per state, cut out of (coloured) or drawn on (template) the disc. */
function trayLayers(state, template) {
  const fg = template ? BLACK : COLOURS[state];
  // Template images must be black + alpha only: knock the glyph out with transparency instead of white.
  const cut = template ? CLEAR : WHITE;
  switch (state) {
    case 'off':
      return [{ shape: ring(0.5, 0.5, 0.3, 0.44), color: fg }];
    case 'watching':
      return [{ shape: circle(0.5, 0.5, 0.44), color: fg }, ...(template ? [] : [{ shape: dot, color: cut }])];
    case 'scaling':
      return [
        { shape: circle(0.5, 0.5, 0.46), color: fg },
        { shape: upArrow, color: cut },
      ];
    case 'paused':
      return [
        { shape: circle(0.5, 0.5, 0.46), color: fg },
        { shape: pauseBars, color: cut },
      ];
    case 'error':
      return [
        { shape: circle(0.5, 0.5, 0.46), color: fg },
        { shape: bang, color: cut },
      ];
    default:
      throw new Error(`unknown state ${state}`);
  }
}

/** Knock-out needs a real alpha punch-through, not painting transparent on top (which is a no-op). */
function renderTray(size, state, template) {
  const layers = trayLayers(state, template);
  if (!template) return render(size, layers);
  const [base, ...holes] = layers;
  const shape = (x, y) => base.shape(x, y) && !holes.some((h) => h.shape(x, y));
  return render(size, [{ shape, color: BLACK }]);
}

function appIcon(size) {
  const bars = [rect(0.22, 0.7, 0.36, 0.8), rect(0.43, 0.62, 0.57, 0.8), rect(0.64, 0.54, 0.78, 0.8)];
  return render(size, [
    { shape: roundRect(0.06, 0.06, 0.94, 0.94, 0.2), color: [24, 44, 92, 255] },
    { shape: circle(0.5, 0.38, 0.24), color: [31, 111, 235, 255] },
    { shape: union(triangle(0.5, 0.17, 0.35, 0.38, 0.65, 0.38), rect(0.44, 0.37, 0.56, 0.55)), color: WHITE },
    { shape: union(...bars), color: [46, 160, 67, 255] },
  ]);
}

// ------------------------------------------------------------------ write

export const TRAY_STATES = ['off', 'watching', 'scaling', 'paused', 'error'];

/** `appIcon: false` skips the 1024 px icon (slow to supersample); the tests regenerate the tray set only. */
export function generate(outDir = here, { appIcon: withAppIcon = true } = {}) {
  const trayDir = path.join(outDir, 'icons', 'tray');
  mkdirSync(trayDir, { recursive: true });
  const written = [];
  const write = (file, bytes) => {
    writeFileSync(file, bytes);
    written.push(path.relative(outDir, file));
  };
  if (withAppIcon) write(path.join(outDir, 'icon.png'), appIcon(1024));
  for (const state of TRAY_STATES) {
    for (const template of [false, true]) {
      const name = `tray-${state}${template ? 'Template' : ''}`;
      write(path.join(trayDir, `${name}.png`), renderTray(16, state, template));
      write(path.join(trayDir, `${name}@2x.png`), renderTray(32, state, template));
    }
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of generate()) console.log(`wrote build/${f}`);
}
