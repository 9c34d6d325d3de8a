/** Writes a debug line to the console in builds made with `DEBUG_LOG=true`, and nothing otherwise. */
export function debugLog(message: string, fields: Record<string, unknown> = {}): void {
  if (!DEBUG_LOG) return;
  console.debug(`[wxlearn] ${message}`, fields);
}
