import type { AccessTokenSource } from './access-token-source.js';
import { WECHAT_ERRCODE, WechatApiError } from './api-client.js';

/** True when WeChat rejected the access token itself: invalid (40001) or expired (42001). */
export function isAccessTokenRejected(error: unknown): error is WechatApiError {
  return (
    error instanceof WechatApiError &&
    (error.errcode === WECHAT_ERRCODE.invalidCredential ||
      error.errcode === WECHAT_ERRCODE.accessTokenExpired)
  );
}

/**
 * Runs a WeChat API call with the app's access token. When WeChat rejects the token with 40001 or
 * 42001, it invalidates that token and runs the call once more with the next one. A second
 * rejection, like every other error, reaches the caller.
 */
export async function callWithToken<T>(
  source: AccessTokenSource,
  appId: string,
  call: (accessToken: string) => Promise<T>,
): Promise<T> {
  const token = await source.get(appId);
  try {
    return await call(token);
  } catch (error) {
    if (!isAccessTokenRejected(error)) throw error;
    await source.invalidate(appId, token);
  }
  return call(await source.get(appId));
}
