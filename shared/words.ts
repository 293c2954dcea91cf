/** A count and its noun, agreeing in number, for every text the app shows: "1 instance", "0 instances", "2 entries". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
