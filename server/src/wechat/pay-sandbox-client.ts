import { PayTransportError } from './pay-transport.js';

/**
 * Asks the local WeChat sandbox to pay an order as its payer would, for the development H5
 * build, which has no `wx.requestPayment`. The sandbox then sends the payment notification as
 * WeChat Pay does. Configuration validation keeps this disabled in production.
 */
export async function requestSandboxPayment(
  sandboxUrl: string,
  outTradeNo: string,
  timeoutMs: number,
): Promise<void> {
  const path = `/sandbox/pay/orders/${encodeURIComponent(outTradeNo)}/pay`;
  const response = await fetch(new URL(path, sandboxUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // The sandbox replies at once and posts the notification afterwards, as WeChat Pay does.
    body: JSON.stringify({ wait: false }),
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: unknown) => {
    throw new PayTransportError('sandbox pay', String(error));
  });
  if (!response.ok) {
    throw new PayTransportError('sandbox pay', `HTTP ${response.status}: ${await response.text()}`);
  }
}
