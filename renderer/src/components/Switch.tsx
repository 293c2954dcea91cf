/** An on/off switch (role="switch") that shows "…" and refuses clicks while main has not confirmed. */
import { unavailable } from './busy.js';

export interface SwitchProps {
  label: string;
  checked: boolean;
  pending: boolean;
  onChange: (next: boolean) => void;
  /** Text next to the switch for each state. */
  onText?: string;
  offText?: string;
  disabled?: boolean;
  describedBy?: string;
  /** aria-keyshortcuts: a global shortcut that does what clicking does. */
  keyShortcuts?: string;
}

export function Switch({
  label,
  checked,
  pending,
  onChange,
  onText = 'On',
  offText = 'Off',
  disabled,
  describedBy,
  keyShortcuts,
}: SwitchProps) {
  return (
    <button
      type="button"
      role="switch"
      className={`switch${checked ? ' switch-on' : ''}${pending ? ' switch-pending' : ''}`}
      aria-checked={checked}
      aria-label={label}
      aria-busy={pending}
      aria-describedby={describedBy}
      aria-keyshortcuts={keyShortcuts}
      disabled={disabled}
      {...unavailable(pending)}
      onClick={() => onChange(!checked)}
    >
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      <span className="switch-text">{pending ? 'Waiting for the engine…' : checked ? onText : offText}</span>
    </button>
  );
}
