/**
 * Keeps keyboard focus in place when the focused control goes away. A browser drops focus to <body> when the
 * focused element is removed (a list row deleted, a button that only exists in one state) or disabled; the next Tab
 * then starts from the top of the page, and a screen reader says nothing about where the user is. The rescue watches
 * for exactly that and moves focus to the nearest control that can take it: the next one after where the lost one
 * was within the same group (the next row, the group's Add button), else the one before it, else the same search
 * one level up.
 */

const CANDIDATES = 'a[href], button, input, select, textarea, summary, [tabindex]';

/** Whether `el` can take focus from Tab now: rendered, enabled, not inert, in the tab order. */
function focusable(el: Element): el is HTMLElement {
  return (
    el instanceof HTMLElement &&
    el.matches(CANDIDATES) &&
    !el.matches(':disabled') &&
    el.tabIndex >= 0 &&
    el.closest('[inert]') === null &&
    el.getClientRects().length > 0
  );
}

const follows = (a: Node, b: Node) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;

/**
 * The control nearest to a spot in the document: the first candidate after it inside `start`, else the last one
 * before it, widening to each ancestor in turn. Inside an open modal dialog the search never leaves the dialog.
 */
function nearest(start: Element, isAfter: (el: Element) => boolean): HTMLElement | null {
  const modal = start.closest('dialog[open]');
  for (let box: Element | null = start; box; box = box.parentElement) {
    const all = [...box.querySelectorAll(CANDIDATES)].filter(focusable);
    const found = all.find(isAfter) ?? all.filter((el) => !isAfter(el)).pop();
    if (found) return found;
    if (box === modal || box === document.body) break;
  }
  return null;
}

/** Focus the control nearest to `el` (which is still in the document but can no longer take focus). */
export function focusNear(el: Element): boolean {
  const box = el.parentElement;
  if (!box) return false;
  const target = nearest(box, (c) => c !== el && !el.contains(c) && follows(el, c));
  // Without scrolling: the spot is where the user already is; a scroll jump would only disorient.
  target?.focus({ preventScroll: true });
  return target !== null;
}

const lost = () => document.activeElement === null || document.activeElement === document.body;

/** Start watching `doc`; returns the function that stops it. */
export function installFocusRescue(doc: Document): () => void {
  let last: Element | null = null;
  const onFocusIn = (e: FocusEvent) => {
    if (e.target instanceof Element) last = e.target;
  };
  // A click on the page's background puts focus on the body on purpose: what had focus before is no longer the
  // user's place, and removing it later must not pull focus back. A click on a control focuses it (focusin).
  const onPointerDown = () => {
    last = null;
  };
  const observer = new MutationObserver((records) => {
    const was = last;
    if (!was || !lost()) return;
    if (was.isConnected) {
      // Still there but disabled, hidden or made inert.
      if (!focusable(was)) focusNear(was);
      return;
    }
    // Removed: resume from where the removed subtree was, in the parent that is still there.
    const cut = records.find(
      (r) =>
        r.type === 'childList' && r.target.isConnected && [...r.removedNodes].some((n) => n === was || n.contains(was)),
    );
    if (!cut || !(cut.target instanceof Element)) return;
    const parent = cut.target;
    const next = cut.nextSibling?.isConnected ? cut.nextSibling : null;
    const isAfter = next
      ? (c: Element) => c === next || next.contains(c) || follows(next, c)
      : (c: Element) => !parent.contains(c) && follows(parent, c);
    nearest(parent, isAfter)?.focus({ preventScroll: true });
  });
  doc.addEventListener('focusin', onFocusIn);
  doc.addEventListener('pointerdown', onPointerDown, true);
  observer.observe(doc.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['disabled', 'hidden', 'inert'],
  });
  return () => {
    doc.removeEventListener('focusin', onFocusIn);
    doc.removeEventListener('pointerdown', onPointerDown, true);
    observer.disconnect();
  };
}
