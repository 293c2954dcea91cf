/**
 * Dollar amounts as every surface shows them (dashboard, tray, notifications' quit prompt, the command line), so one
 * amount never reads "$1.00" in one place and "$0.99" in another: `toFixed` rounds 0.995 down (its binary value is
 * just under), where the locale formatter rounds the decimal the user would see.
 */
export function formatMoney(amount: number): string {
  if (!Number.isFinite(amount)) return '—';
  if (amount > 0 && amount < 0.01) return '< $0.01';
  const digits = Math.abs(amount) >= 1000 ? 0 : 2;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function formatRate(perHour: number): string {
  return `${formatMoney(perHour)}/h`;
}
