import { WechatTransportError } from './api-client.js';

/**
 * Asks the local WeChat sandbox for a login code of a chosen test learner. Browser builds have no
 * `wx.login`, so development and test H5 builds sign in this way. Configuration validation keeps
 * this disabled in production.
 */
export async function requestSandboxLoginCode(
  sandboxUrl: string,
  learner: string,
  timeoutMs: number,
): Promise<string> {
  const response = await fetch(new URL('/sandbox/login-code', sandboxUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ learner }),
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: unknown) => {
    throw new WechatTransportError('sandbox login-code', String(error));
  });
  const body = (await response.json().catch(() => null)) as { code?: unknown } | null;
  if (!response.ok || typeof body?.code !== 'string') {
    throw new WechatTransportError('sandbox login-code', `HTTP ${response.status}`);
  }
  return body.code;
}
