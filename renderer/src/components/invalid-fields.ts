/**
 * The controls of a form that are marked invalid (aria-invalid), in page order, each with the name a screen reader
 * gives it: its label, prefixed by its group's name (Resource gpu_t4: AMI id) since several groups repeat the same
 * labels.
 */
export function invalidControls(form: Element | null): { el: HTMLElement; name: string }[] {
  if (!form) return [];
  return [...form.querySelectorAll<HTMLElement>('[aria-invalid="true"]')].map((el) => {
    const label = ((el as HTMLInputElement).labels?.[0]?.textContent ?? el.getAttribute('aria-label') ?? '').trim();
    const group = el.closest('[role="group"][aria-label]')?.getAttribute('aria-label');
    return { el, name: group ? `${group}: ${label}` : label };
  });
}
