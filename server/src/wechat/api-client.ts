import type { Logger } from '../logger.js';

/** WeChat's error codes that the server reacts to. */
export const WECHAT_ERRCODE = {
  invalidCode: 40029,
  codeUsed: 40163,
  invalidCredential: 40001,
  accessTokenExpired: 42001,
  rateLimited: 45011,
} as const;

/** A WeChat API response with a non-zero errcode. */
export class WechatApiError extends Error {
  constructor(
    readonly endpoint: string,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`WeChat ${endpoint} returned errcode ${errcode}: ${errmsg}`);
    this.name = 'WechatApiError';
  }
}

/** WeChat could not be reached, timed out or returned something that is not its JSON. */
export class WechatTransportError extends Error {
  constructor(
    readonly endpoint: string,
    message: string,
  ) {
    super(`WeChat ${endpoint} failed: ${message}`);
    this.name = 'WechatTransportError';
  }
}

export interface CodeSession {
  openid: string;
  unionid: string | null;
  /** Never returned to clients or logged. */
  sessionKey: string;
}

/** An access token returned by `stable_token`. */
export interface StableToken {
  /** Never returned to clients or logged. */
  accessToken: string;
  /** Seconds the token stays valid from the moment WeChat sent it. */
  expiresIn: number;
}

export interface WechatClientOptions {
  baseUrl: string;
  appId: string;
  appSecret: string;
  timeoutMs: number;
  logger: Logger;
}

interface WechatErrorBody {
  errcode?: number;
  errmsg?: string;
}

/** Client for WeChat's server APIs. The base URL is configuration: WeChat's in production, the sandbox elsewhere. */
export class WechatClient {
  constructor(private readonly options: WechatClientOptions) {}

  /** Exchanges a `wx.login` code for the user's openid, unionid and session key. */
  async code2Session(code: string): Promise<CodeSession> {
    const query = new URLSearchParams({
      appid: this.options.appId,
      secret: this.options.appSecret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    const body = await this.request<WechatErrorBody & Record<string, unknown>>(
      'jscode2session',
      `/sns/jscode2session?${query}`,
    );
    if (typeof body.openid !== 'string' || typeof body.session_key !== 'string') {
      throw new WechatTransportError('jscode2session', 'response has no openid or session_key');
    }
    return {
      openid: body.openid,
      unionid: typeof body.unionid === 'string' ? body.unionid : null,
      sessionKey: body.session_key,
    };
  }

  /**
   * Fetches an app's access token with getStableAccessToken. In normal mode WeChat returns the
   * current token while it is valid. With `forceRefresh` it issues a new one, and the previous
   * token stops working a few minutes later, so every other holder of it must fetch again.
   */
  async stableToken(appId: string, secret: string, forceRefresh: boolean): Promise<StableToken> {
    const body = await this.request<WechatErrorBody & Record<string, unknown>>(
      'stable_token',
      '/cgi-bin/stable_token',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credential',
          appid: appId,
          secret,
          force_refresh: forceRefresh,
        }),
      },
    );
    const accessToken = body.access_token;
    const expiresIn = body.expires_in;
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new WechatTransportError('stable_token', 'response has no access_token');
    }
    if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new WechatTransportError('stable_token', 'response has no positive expires_in');
    }
    return { accessToken, expiresIn };
  }

  private async request<T extends WechatErrorBody>(
    endpoint: string,
    pathAndQuery: string,
    init: RequestInit = {},
  ): Promise<T> {
    const url = new URL(pathAndQuery, this.options.baseUrl);
    const startedAt = performance.now();
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      // The URL carries the app secret, so only the endpoint name is logged.
      this.options.logger.warn({ endpoint, err: error }, 'wechat request failed');
      throw new WechatTransportError(
        endpoint,
        error instanceof Error ? error.message : String(error),
      );
    }

    let body: T;
    try {
      body = (await response.json()) as T;
    } catch {
      throw new WechatTransportError(
        endpoint,
        `HTTP ${response.status} with a body that is not JSON`,
      );
    }
    const durationMs = Math.round(performance.now() - startedAt);
    if (typeof body.errcode === 'number' && body.errcode !== 0) {
      this.options.logger.info({ endpoint, errcode: body.errcode, durationMs }, 'wechat error');
      throw new WechatApiError(endpoint, body.errcode, body.errmsg ?? '');
    }
    this.options.logger.debug({ endpoint, durationMs }, 'wechat request succeeded');
    return body;
  }
}
