/**
 * Time-series charts on uPlot (see ARCHITECTURE.md for why uPlot): a thin React wrapper that creates the plot once
 * per option set, feeds it new data without re-creating it, follows the container's width and the theme, and
 * draws event markers that show their event on hover.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MarkerKind, TimelineMarker } from '../../../shared/timeline.js';
import { formatTime } from '../model/format.js';
import { MARKER_TEXT, nearestMarker, timeAxisLabels } from '../model/timeline.js';

/** The theme's colours, read from the CSS variables so the charts follow light and dark like everything else. */
export interface Palette {
  text: string;
  muted: string;
  grid: string;
  ok: string;
  okSoft: string;
  busy: string;
  busySoft: string;
  accent: string;
  accentSoft: string;
  warn: string;
  error: string;
  surface: string;
}

function readPalette(): Palette {
  // The theme's colours are light-dark() pairs: a probe element resolves each to the colour in use (canvas needs one).
  const probe = document.createElement('span');
  probe.style.display = 'none';
  document.documentElement.append(probe);
  const v = (name: string, fallback: string) => {
    probe.style.color = `var(${name}, ${fallback})`;
    return getComputedStyle(probe).color || fallback;
  };
  const palette = {
    text: v('--fg', '#1b2430'),
    muted: v('--muted', '#6b7280'),
    grid: v('--border', '#d0d7de'),
    ok: v('--ok', '#16803c'),
    okSoft: v('--ok-soft', '#dcf3e4'),
    busy: v('--busy', '#b45309'),
    busySoft: v('--busy-soft', '#fdecd3'),
    accent: v('--accent', '#2563eb'),
    accentSoft: v('--accent-soft', '#dbe7ff'),
    warn: v('--warn', '#a16207'),
    error: v('--error', '#c0262d'),
    surface: v('--card', '#ffffff'),
  };
  probe.remove();
  return palette;
}

/** The palette, re-read when the OS scheme or the app's theme attribute changes. */
export function usePalette(): Palette {
  const [palette, setPalette] = useState(readPalette);
  useEffect(() => {
    const update = () => setPalette(readPalette());
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    mq.addEventListener('change', update);
    const mo = new MutationObserver(update);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class', 'style'] });
    return () => {
      mq.removeEventListener('change', update);
      mo.disconnect();
    };
  }, []);
  return palette;
}

export function markerColor(kind: MarkerKind, p: Palette): string {
  return kind === 'launch' ? p.accent : kind === 'terminate' ? p.muted : kind === 'interruption' ? p.warn : p.error;
}

/**
 * Draws each marker as a tick with a small triangle on top of the plot, and shows the nearest one's event in a
 * tooltip while the cursor is over it.
 */
export function markersPlugin(current: () => readonly TimelineMarker[], p: Palette): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'chart-tip';
        tip.setAttribute('role', 'tooltip');
        tip.hidden = true;
        u.over.appendChild(tip);
      },
      draw: (u) => {
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        const px = uPlot.pxRatio;
        ctx.save();
        for (const m of current()) {
          const x = Math.round(u.valToPos(m.at / 1000, 'x', true));
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = markerColor(m.kind, p);
          ctx.fillStyle = markerColor(m.kind, p);
          ctx.globalAlpha = 0.55;
          ctx.lineWidth = 1 * px;
          ctx.setLineDash([3 * px, 3 * px]);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.globalAlpha = 1;
          ctx.setLineDash([]);
          const s = 5 * px;
          ctx.beginPath();
          if (m.kind === 'terminate') {
            ctx.moveTo(x - s, top);
            ctx.lineTo(x + s, top);
            ctx.lineTo(x, top + s * 1.6);
          } else if (m.kind === 'launch') {
            ctx.moveTo(x - s, top + s * 1.6);
            ctx.lineTo(x + s, top + s * 1.6);
            ctx.lineTo(x, top);
          } else {
            ctx.rect(x - s * 0.8, top, s * 1.6, s * 1.6);
          }
          ctx.closePath();
          ctx.fill();
        }
        ctx.restore();
      },
      setCursor: (u) => {
        if (!tip) return;
        const left = u.cursor.left ?? -1;
        if (left < 0) {
          tip.hidden = true;
          return;
        }
        const x = u.posToVal(left, 'x');
        const tol = Math.abs(u.posToVal(left + 6, 'x') - x);
        const m = nearestMarker(current(), x, tol);
        if (!m) {
          tip.hidden = true;
          return;
        }
        tip.hidden = false;
        tip.dataset['kind'] = m.kind;
        tip.textContent = `${formatTime(m.at)} · ${MARKER_TEXT[m.kind].one}: ${m.message}`;
        const pos = u.valToPos(m.at / 1000, 'x');
        const w = u.over.clientWidth;
        tip.style.left = `${Math.min(Math.max(0, pos - 120), Math.max(0, w - 260))}px`;
      },
    },
  };
}

/** The legend shows the latest values while the cursor is not over the plot (uPlot's default is dashes). */
export function latestInLegend(): uPlot.Plugin {
  const latest = (u: uPlot) => {
    const n = u.data[0]?.length ?? 0;
    if (n > 0 && u.cursor.idx == null) u.setLegend({ idx: n - 1 });
  };
  return { hooks: { ready: latest, setData: latest, setCursor: latest } };
}

/** The time axis's labels: see `timeAxisLabels` (the date where the day changes, the offset where it changes). */
export function timeAxisValues(_u: uPlot, splits: number[]): string[] {
  return timeAxisLabels(splits);
}

/** One uPlot instance: re-created when `make` changes identity, fed by `data`, sized to the container. */
export function UPlot({
  make,
  data,
  height,
  className,
}: {
  make: (width: number, height: number) => uPlot.Options;
  data: uPlot.AlignedData;
  height: number;
  className?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  dataRef.current = data;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts = make(Math.max(200, el.clientWidth), height);
    // The x range the plot really uses, on the element: what tests (and curious users) can read off the DOM.
    const exposeRange: uPlot.Plugin = {
      hooks: {
        setScale: (u, key) => {
          if (key !== 'x') return;
          el.dataset['xMin'] = String(Math.round((u.scales['x']?.min ?? 0) * 1000));
          el.dataset['xMax'] = String(Math.round((u.scales['x']?.max ?? 0) * 1000));
        },
      },
    };
    const u = new uPlot(
      { ...opts, plugins: [...(opts.plugins ?? []), exposeRange, latestInLegend()] },
      dataRef.current,
      el,
    );
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [make, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div ref={box} className={`uplot-box ${className ?? ''}`} aria-hidden="true" />;
}
