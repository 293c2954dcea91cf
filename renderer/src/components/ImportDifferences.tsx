/**
 * The import preview's account of a ClearML autoscaler file: the fields not carried over, and every behaviour that
 * differs from ClearML's autoscaler with the setting that controls it, so switching over holds no surprise.
 */
import type { InvokeResponse } from '../../../shared/ipc/contract.js';

type Difference = InvokeResponse<'autoscaler:config.import'>['differences'][number];

export function ImportDifferences({ differences }: { differences: readonly Difference[] }) {
  if (!differences.length) return null;
  const notCarried = differences.filter((d) => d.code === 'not-carried');
  const behaviour = differences.filter((d) => d.code !== 'not-carried');
  return (
    <div className="import-differences">
      {notCarried.length > 0 && (
        <>
          <h3>Not carried over</h3>
          <ul aria-label="Not carried over">
            {notCarried.map((d) => (
              <li key={d.text}>{d.text}</li>
            ))}
          </ul>
        </>
      )}
      <h3>Differences from ClearML&apos;s autoscaler</h3>
      <ul aria-label="Differences from ClearML's autoscaler">
        {behaviour.map((d) => (
          <li key={d.code}>
            {d.text}
            {d.setting && (
              <>
                {' '}
                <span className="muted small">
                  (setting: <code>{d.setting}</code>)
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
