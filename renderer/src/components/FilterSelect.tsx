/** A labelled filter drop-down of a list view: "all" (the empty value) first, then each option as it reads. */
export function FilterSelect<T extends string>(props: {
  label: string;
  value: T | '';
  options: readonly T[];
  onChange: (value: T | '') => void;
}) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value as T | '')}>
        <option value="">all</option>
        {props.options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}
