/**
 * The import preview's account of a ClearML autoscaler file: the fields not carried over, and every behaviour that
 * differs from ClearML's autoscaler with the setting that controls it, so switching over holds no surprise. A
 * setting Settings edits is named by its place there (section → field), which is what a user can follow; the
 * config path is kept beside it for an exported file.
 */
import type { ImportDifference } from '../model/settings-form.js';
import { settingPlace } from '../model/setting-places.js';
import { plural } from '../model/format.js';

/** "3 fields not carried over, 16 differences", the disclosure's line. */
export function importDifferencesSummary(differences: readonly ImportDifference[]): string {
  const notCarried = differences.filter((d) => d.code === 'not-carried').length;
  const other = differences.length - notCarried;
  return [
    notCarried ? `${plural(notCarried, 'field')} not carried over` : null,
    other ? plural(other, 'difference') : null,
  ]
    .filter(Boolean)
    .join(', ');
}

/** Its headings are h3: under the import dialog's title, and under the Settings panel's h2. */
export function ImportDifferences({ differences }: { differences: readonly ImportDifference[] }) {
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
            {d.setting && <SettingRef path={d.setting} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function SettingRef({ path }: { path: string }) {
  const place = settingPlace(path);
  return (
    <>
      {' '}
      <span className="muted small">
        {place ? (
          <>
            (in Settings: <strong>{place}</strong>; <code>{path}</code> in a file)
          </>
        ) : (
          <>
            (setting: <code>{path}</code>)
          </>
        )}
      </span>
    </>
  );
}
