/**
 * A chart's text alternative: the numbers behind it in a real table, inside a <details> so sighted users can open
 * it too. Screen readers reach it after the chart's own one-line summary (the chart's aria-label).
 */
import type { ReactNode } from 'react';

export interface ChartDataProps {
  caption: string;
  columns: [string, string];
  rows: { key: string | number; label: ReactNode; value: ReactNode }[];
  /** A line under the table, e.g. how many older rows were left out. */
  note?: string;
}

export function ChartData({ caption, columns, rows, note }: ChartDataProps) {
  return (
    <details className="chart-data">
      <summary>Show the numbers ({caption.toLowerCase()})</summary>
      {rows.length === 0 ? (
        <p className="muted small">No data yet.</p>
      ) : (
        <table className="mini-table">
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{columns[0]}</th>
              <th scope="col">{columns[1]}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">{r.label}</th>
                <td className="num">{r.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {note && <p className="muted small">{note}</p>}
    </details>
  );
}
