// Platform facts fixed at build time. Taro replaces `process.env.TARO_ENV` with the build's
// platform, and the other constants come from `defineConstants` in config/index.ts.

export type Platform = 'weapp' | 'h5';

export const platform: Platform = process.env.TARO_ENV === 'h5' ? 'h5' : 'weapp';

/**
 * Returns the prefix for API paths: empty in H5, whose pages are served by the API origin, and the
 * build's `API_BASE_URL` in weapp, where requests need an absolute URL.
 */
export function defaultApiBaseUrl(): string {
  return platform === 'h5' ? '' : API_BASE_URL;
}

/** True in the development and test H5 build, which logs in through `/api/dev/login-code`. */
export function isDevLoginEnabled(): boolean {
  return DEV_LOGIN;
}
