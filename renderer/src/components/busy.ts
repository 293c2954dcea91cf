import type { MouseEvent } from 'react';

/**
 * A button that cannot act right now (its action is still pending, or there is nothing to act on) but may hold
 * keyboard focus: marked unavailable with aria-disabled, and its clicks (Enter, Space, a form's implicit submit)
 * swallowed before they reach its handler. The `disabled` attribute would do both too, but a focused button that
 * becomes disabled loses focus to the page's body, and the next Tab starts again from the top of the page.
 */
export function unavailable(when: boolean): {
  'aria-disabled'?: true;
  onClickCapture?: (e: MouseEvent) => void;
} {
  if (!when) return {};
  return {
    'aria-disabled': true,
    onClickCapture: (e) => {
      e.preventDefault();
      e.stopPropagation();
    },
  };
}
