// Helpers for materialised org paths such as `/00/03/0305/`: the unit codes from the head office
// down, each followed by a slash.

/** Returns the unit codes of a path, head office first. */
export function pathCodes(path: string): string[] {
  return path.split('/').filter((code) => code !== '');
}

/** True when the unit at `path` is the unit at `rootPath` or below it. */
export function isWithin(path: string, rootPath: string): boolean {
  // The trailing slash keeps `/00/03/` from matching `/00/030/`.
  return path.startsWith(rootPath);
}

/**
 * Orders paths depth first: a parent before its children, and siblings by code. Comparing the
 * path strings directly would not do, because a code containing `-` or `.` sorts before `/`.
 */
export function comparePaths(a: string, b: string): number {
  const left = pathCodes(a);
  const right = pathCodes(b);
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const x = left[index] as string;
    const y = right[index] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/** Escapes a string for use as a literal inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
