/** A count and its noun, agreeing in number, for every text the app shows: "1 instance", "0 instances", "2 entries". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "a", "a and b", "a, b and c" ('' for none). */
export function andList(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? '');
}

/**
 * Text ending as a sentence: a full stop added unless it already ends with one (or "?", "!", "…"). Texts built from
 * messages that may or may not end with a period join through this, so none reads "correct.." or "tab Open".
 */
export function sentence(text: string): string {
  const t = text.trimEnd();
  return t === '' || /[.!?…]$/.test(t) ? t : `${t}.`;
}

/** At most `max` characters: a longer text is cut at a word boundary when one is near, and ends with "…". */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never half of a surrogate pair: a lone one shows as a replacement box (an emoji at the cut).
  const cut = text.slice(0, /[\uD800-\uDBFF]/.test(text.charAt(max - 2)) ? max - 2 : max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * "00:51 UTC": a time of day in text the engine writes once for every reader (a status reason shown by the headless
 * log, the tray and team viewers in other zones), so it names its zone rather than take the engine host's.
 */
export function utcTimeOfDay(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/** "09:05": hours and minutes in this machine's time zone, as the user reads the clock beside the tray. */
export function localTimeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
