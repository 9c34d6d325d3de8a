/** Milliseconds from an arbitrary origin that never go backwards while the app runs. */
export type MonotonicClock = () => number;

/**
 * Returns the platform's monotonic clock: `performance.now()` where the JavaScript context defines
 * it (browsers, so H5), else `Date.now()` held back so it never decreases when the device clock is
 * set back.
 * NOTE: not checked on a device whether the weapp JS context defines `performance`, so weapp may
 * use the fallback. `wx.getPerformance()` is not used here.
 */
export function createMonotonicClock(): MonotonicClock {
  const performanceApi = (globalThis as { performance?: { now?: () => number } }).performance;
  if (performanceApi && typeof performanceApi.now === 'function') {
    return () => performanceApi.now?.() ?? 0;
  }
  let last = 0;
  return () => {
    last = Math.max(last, Date.now());
    return last;
  };
}
