/**
 * A labelled form control with a hint and its validation messages, wired for screen readers
 * (aria-invalid + aria-describedby pointing at the messages). The messages are not a live region: they change as
 * the user types, and an alert on each keystroke would interrupt them; the field says them when it is reached, and a
 * failed submit announces one summary instead.
 */
import { useId, type ReactNode } from 'react';

export interface FieldProps {
  label: string;
  hint?: string;
  issues?: readonly string[];
  /** Render the control with the ids it must carry. */
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  wide?: boolean;
}

export function Field({ label, hint, issues = [], children, wide }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const invalid = issues.length > 0;
  const describedBy = [hint ? hintId : null, invalid ? errId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${invalid ? ' field-invalid' : ''}${wide ? ' field-wide' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid })}
      {hint && (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      )}
      {invalid && (
        <ul id={errId} className="field-errors">
          {issues.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export interface TextFieldProps {
  label: string;
  value: string;
  onChange: (v: string) => void;
  hint?: string;
  issues?: readonly string[];
  placeholder?: string;
  type?: 'text' | 'password' | 'url' | 'number';
  autoComplete?: string;
  inputMode?: 'numeric' | 'decimal' | 'text';
  wide?: boolean;
  name?: string;
  readOnly?: boolean;
}

export function TextField(p: TextFieldProps) {
  return (
    <Field label={p.label} hint={p.hint} issues={p.issues} wide={p.wide}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          name={p.name}
          type={p.type === 'number' ? 'text' : (p.type ?? 'text')}
          inputMode={p.type === 'number' ? (p.inputMode ?? 'decimal') : p.inputMode}
          value={p.value}
          placeholder={p.placeholder}
          autoComplete={p.autoComplete ?? 'off'}
          spellCheck={false}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          readOnly={p.readOnly}
          onChange={(e) => p.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export interface SelectFieldProps<T extends string> {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (v: T) => void;
  hint?: string;
  issues?: readonly string[];
  disabled?: boolean;
}

export function SelectField<T extends string>(p: SelectFieldProps<T>) {
  return (
    <Field label={p.label} hint={p.hint} issues={p.issues}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          value={p.value}
          disabled={p.disabled}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          onChange={(e) => p.onChange(e.target.value as T)}
        >
          {p.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function CheckField({
  label,
  checked,
  onChange,
  hint,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  hint?: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field field-check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <div id={`${id}-hint`} className="field-hint">
          {hint}
        </div>
      )}
    </div>
  );
}
