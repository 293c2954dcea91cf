/** Small shared pieces: a ticking clock, stat tiles, bars, downloads. */
import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';

/** Re-renders only the component that uses it, every `ms`. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** The rendered width of an element, following resizes (for SVG drawn at its real size, text unscaled). */
export function useWidth<T extends HTMLElement>(initial: number): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setWidth(Math.max(200, Math.floor(el.clientWidth)));
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

export function Stat({ label, value, sub, tone }: { label: string; value: ReactNode; sub?: ReactNode; tone?: string }) {
  return (
    <div className={`stat${tone ? ` tone-${tone}` : ''}`}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {sub !== undefined && <div className="stat-sub">{sub}</div>}
    </div>
  );
}

/** A horizontal bar; `fraction` 0..1. The label carries the number, the bar is decoration. */
export function Bar({ fraction, tone = 'accent' }: { fraction: number; tone?: string }) {
  const pct = Math.max(0, Math.min(1, fraction)) * 100;
  return (
    <span className="bar" aria-hidden="true">
      <span className={`bar-fill tone-${tone}`} style={{ width: `${pct}%` }} />
    </span>
  );
}

/** A table cell of running instances against their cap: the bar (warn at the cap) and "used / cap". */
export function CapCell({ used, cap }: { used: number; cap: number }) {
  return (
    <td className="cap-cell">
      <Bar fraction={cap ? used / cap : 0} tone={cap && used >= cap ? 'warn' : 'accent'} />
      <span>
        {used} / {cap}
      </span>
    </td>
  );
}

export function downloadText(filename: string, text: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A table that scrolls sideways on its own when the window is narrower than it (a phone, 400 % zoom), so the page
 * itself never does. Focusable and named, so the keyboard can scroll it too.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" tabIndex={0} role="group" aria-label={label}>
      {children}
    </div>
  );
}
