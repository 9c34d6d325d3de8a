/**
 * Where WeChat API callers get an app's access token. The implementation shares one token per app
 * across all server copies; callers never fetch tokens themselves.
 */
export interface AccessTokenSource {
  /** Returns a valid access token for the app, fetching one only when none is cached. */
  get(appId: string): Promise<string>;
  /**
   * Reports that WeChat rejected `token` as invalid or expired (errcode 40001 or 42001), so the
   * next `get` returns a fresh one. A token already replaced by another caller is left alone.
   */
  invalidate(appId: string, token: string): Promise<void>;
}
