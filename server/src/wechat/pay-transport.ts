// Sending signed WeChat Pay APIv3 requests through wechatpay-node-v3 2.2.1. The library signs
// each request (the Authorization header covers the method, path, timestamp, nonce and body, never
// the host) and writes WeChat Pay's URLs itself. `createHttp` replaces its HTTP client with
// `PayHttp` below, which sends the same request to the configured base URL, and checks the
// signature of every successful response before the library or this server reads it.
import Pay from 'wechatpay-node-v3';
import type { Logger } from '../logger.js';
import { verifyPlatformSignature } from './pay-crypto.js';
import type { PlatformKeys } from './pay-platform-keys.js';

/** The host that wechatpay-node-v3 writes into every URL. */
export const WECHAT_PAY_LIBRARY_ORIGIN = 'https://api.mch.weixin.qq.com';

/** WeChat Pay returned an error status with its `{code, message}` body. */
export class PayApiError extends Error {
  constructor(
    readonly endpoint: string,
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`WeChat Pay ${endpoint} returned HTTP ${status} ${code}: ${detail}`);
    this.name = 'PayApiError';
  }
}

/**
 * WeChat Pay could not be reached, timed out, or sent a response this server cannot trust: no
 * JSON, or a missing or invalid signature.
 */
export class PayTransportError extends Error {
  constructor(
    readonly endpoint: string,
    message: string,
  ) {
    super(`WeChat Pay ${endpoint} failed: ${message}`);
    this.name = 'PayTransportError';
  }
}

/** The response shape that wechatpay-node-v3 expects from its HTTP client. */
interface LibraryOutput {
  status: number;
  data?: unknown;
  error?: string;
}

export interface RawPayResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Exposes the request and payment signing of wechatpay-node-v3, which it declares protected. */
export class MerchantPay extends Pay {
  /** Returns the Authorization header of a request; `url` may carry WeChat Pay's host or not. */
  authorizationFor(method: 'GET' | 'POST', url: string, body?: Record<string, unknown>): string {
    return this.buildAuthorization(method, url, body);
  }

  /** Signs with the merchant key (RSA-SHA256, base64), as `paySign` of `wx.requestPayment`. */
  signWithMerchantKey(message: string): string {
    return this.sign(message);
  }
}

export interface PayHttpOptions {
  baseUrl: string;
  timeoutMs: number;
  logger: Logger;
  keys: PlatformKeys;
}

/** Returns a short endpoint name for logs and errors, such as `/v3/pay/transactions/jsapi`. */
export function endpointOf(path: string): string {
  return path
    .replace(/\?.*$/, '')
    .replace(/\/out-trade-no\/[^/]+/, '/out-trade-no/{no}')
    .replace(/\/refunds\/[^/]+$/, '/refunds/{no}');
}

/** The HTTP client given to wechatpay-node-v3 with `createHttp`. */
export class PayHttp {
  constructor(private readonly options: PayHttpOptions) {}

  async get(url: string, headers: Record<string, string>): Promise<LibraryOutput> {
    const path = this.pathOf(url);
    const response = await this.send('GET', path, headers, undefined);
    return this.checked(path, response);
  }

  async post(
    url: string,
    params: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<LibraryOutput> {
    const path = this.pathOf(url);
    // The library signed JSON.stringify(params), so the body must be exactly that text.
    const response = await this.send('POST', path, headers, JSON.stringify(params));
    return this.checked(path, response);
  }

  async upload(): Promise<LibraryOutput> {
    throw new PayTransportError('upload', 'file uploads are not used by this server');
  }

  /** Sends a request to the configured base URL and returns the status, headers and body text. */
  async send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<RawPayResponse> {
    const endpoint = endpointOf(path);
    const startedAt = performance.now();
    try {
      const response = await fetch(new URL(path, this.options.baseUrl), {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.text();
      this.options.logger.debug(
        {
          endpoint,
          status: response.status,
          durationMs: Math.round(performance.now() - startedAt),
        },
        'wechat pay response',
      );
      return { status: response.status, headers: response.headers, text };
    } catch (error) {
      this.options.logger.warn({ endpoint, err: error }, 'wechat pay request failed');
      throw new PayTransportError(endpoint, error instanceof Error ? error.message : String(error));
    }
  }

  private pathOf(url: string): string {
    return url.startsWith(WECHAT_PAY_LIBRARY_ORIGIN)
      ? url.slice(WECHAT_PAY_LIBRARY_ORIGIN.length)
      : url;
  }

  /** Checks a response for the library: verified JSON on success, PayApiError otherwise. */
  private async checked(path: string, response: RawPayResponse): Promise<LibraryOutput> {
    const endpoint = endpointOf(path);
    if (response.status < 200 || response.status >= 300) {
      throw apiError(endpoint, response);
    }
    await verifyResponseSignature(this.options.keys, endpoint, response, this.options.logger);
    if (response.text === '') return { status: response.status };
    try {
      return { status: response.status, data: JSON.parse(response.text) as unknown };
    } catch {
      throw new PayTransportError(endpoint, `HTTP ${response.status} with a body that is not JSON`);
    }
  }
}

/**
 * Verifies a response's signature with the platform key its `Wechatpay-Serial` names. WeChat
 * Pay signs every response; an unsigned or wrongly signed one may come from anyone on the path.
 */
export async function verifyResponseSignature(
  keys: PlatformKeys,
  endpoint: string,
  response: RawPayResponse,
  logger: Logger,
): Promise<void> {
  const timestamp = response.headers.get('wechatpay-timestamp');
  const nonce = response.headers.get('wechatpay-nonce');
  const signature = response.headers.get('wechatpay-signature');
  const serial = response.headers.get('wechatpay-serial');
  if (!timestamp || !nonce || !signature || !serial) {
    throw new PayTransportError(endpoint, 'the response has no Wechatpay signature headers');
  }
  const key = await keys.keyFor(serial, 'response');
  if (!key) {
    logger.warn(
      { endpoint, serial, knownSerials: keys.knownSerials() },
      'wechat pay response signed with an unknown serial',
    );
    throw new PayTransportError(endpoint, `the response is signed with unknown serial ${serial}`);
  }
  if (!verifyPlatformSignature(key, { timestamp, nonce, body: response.text }, signature)) {
    throw new PayTransportError(endpoint, 'the response signature is invalid');
  }
}

/** Builds the error of a non-2xx response from WeChat Pay's `{code, message}` body. */
export function apiError(endpoint: string, response: RawPayResponse): PayApiError {
  let code = 'UNKNOWN';
  let detail = response.text.slice(0, 200);
  try {
    const body = JSON.parse(response.text) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') detail = body.message;
  } catch {
    // Not JSON: keep the start of the text.
  }
  return new PayApiError(endpoint, response.status, code, detail);
}
