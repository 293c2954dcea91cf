/**
 * The dashboard's one polite live region for what the engine did: scale events, errors and the autoscaling state,
 * decided by `Announcer` (transitions only, coalesced like desktop notifications). It is always in the document
 * (a region added together with its text is often not read) and visually hidden: the same facts are on screen.
 */
import { useEffect, useRef, useState } from 'react';
import { announcementText, Announcer } from '../model/announce.js';
import { useApp } from '../state/react.js';

export function LiveRegion() {
  const snapshot = useApp((s) => s.snapshot);
  const announcer = useRef<Announcer | null>(null);
  const [said, setSaid] = useState<{ n: number; text: string }>({ n: 0, text: '' });

  useEffect(() => {
    if (!snapshot) return;
    announcer.current ??= new Announcer({ now: Date.now });
    const text = announcer.current.next(snapshot).map(announcementText).join(' ');
    if (text) setSaid((s) => ({ n: s.n + 1, text }));
  }, [snapshot]);

  return (
    <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcements">
      {/* A new key replaces the text node, so the same sentence said twice minutes apart is read twice. */}
      <span key={said.n}>{said.text}</span>
    </div>
  );
}
