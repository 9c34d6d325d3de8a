/** Formats seconds as Chinese text, such as "1 小时 5 分钟" or "45 秒". */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} 小时`);
  if (minutes > 0) parts.push(`${minutes} 分钟`);
  if (rest > 0 && hours === 0) parts.push(`${rest} 秒`);
  return parts.length > 0 ? parts.join(' ') : '0 秒';
}

/** Formats seconds as a countdown clock, such as "05:09" or "1:02:03". */
export function formatClock(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const pad = (value: number) => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(rest)}` : `${pad(minutes)}:${pad(rest)}`;
}

/** Formats an ISO 8601 time as a date and time in China Standard Time, such as "2025-03-01 14:05". */
export function formatDateTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '';
  // China has used UTC+8 all year since 1991, so a fixed offset gives Asia/Shanghai time without
  // relying on Intl time-zone data, which some mini-program engines lack.
  const shanghai = new Date(time + 8 * 3600 * 1000);
  const pad = (value: number) => String(value).padStart(2, '0');
  const date = `${shanghai.getUTCFullYear()}-${pad(shanghai.getUTCMonth() + 1)}-${pad(shanghai.getUTCDate())}`;
  return `${date} ${pad(shanghai.getUTCHours())}:${pad(shanghai.getUTCMinutes())}`;
}

/** Formats an amount in fen as yuan with two decimals, such as "¥99.00" for 9900. */
export function formatPriceFen(fen: number): string {
  const whole = Math.floor(fen / 100);
  const cents = String(fen % 100).padStart(2, '0');
  return `¥${whole}.${cents}`;
}
