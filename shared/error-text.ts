/** The message of anything thrown, for log lines and status text (an Error's message, else its string form). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
