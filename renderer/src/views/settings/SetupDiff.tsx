/** Instance-setup changes as a diff, per field (the import preview and the save confirmation). */
import type { SetupChange } from '../../../../shared/config-review.js';
import { lineDiff } from '../../model/instance-setup.js';

export function SetupDiff({ changes }: { changes: readonly SetupChange[] }) {
  return (
    <ul className="setup-diff" aria-label="Instance setup changes">
      {changes.map((c) => (
        <li key={c.path}>
          <strong>{c.label}</strong> <code className="muted small">{c.path}</code>
          <pre className="mono diff">
            {lineDiff(c.before, c.after).map((l, i) => (
              <span key={i} className={l.kind === '+' ? 'diff-add' : l.kind === '-' ? 'diff-del' : undefined}>
                {`${l.kind} ${l.text}\n`}
              </span>
            ))}
          </pre>
        </li>
      ))}
    </ul>
  );
}
