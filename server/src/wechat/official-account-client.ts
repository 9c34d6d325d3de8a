// Calls to the official account's server APIs: customer-service messages, parameterised QR codes,
// the custom menu and follower profiles. Every call takes the account's access token from the
// shared AccessTokenSource and retries once with a fresh token after 40001 or 42001.
import type { Logger } from '../logger.js';
import type { AccessTokenSource } from './access-token-source.js';
import { WechatApiError, WechatTransportError } from './api-client.js';
import { callWithToken } from './call-with-token.js';

/** WeChat's host for QR code images; the API host does not serve them. */
export const WECHAT_QR_IMAGE_BASE_URL = 'https://mp.weixin.qq.com';

/** Errcodes of the customer-service message API that mean "not delivered to this follower". */
export const CUSTOMER_SERVICE_ERRCODE = {
  /** The follower's last interaction is older than 48 hours, or they unfollowed. */
  outOfTimeLimit: 45015,
  /** The messages allowed since the follower's last interaction are used up. */
  outOfCountLimit: 45047,
  invalidOpenid: 40003,
} as const;

export type CustomerServiceErrcode =
  (typeof CUSTOMER_SERVICE_ERRCODE)[keyof typeof CUSTOMER_SERVICE_ERRCODE];

const CUSTOMER_SERVICE_ERRCODES = new Set<number>(Object.values(CUSTOMER_SERVICE_ERRCODE));

/** Outcome of a customer-service message: sent, or rejected by WeChat for this follower. */
export type CustomTextResult =
  { kind: 'sent' } | { kind: 'rejected'; errcode: CustomerServiceErrcode; errmsg: string };

export interface QrCode {
  ticket: string;
  /** Seconds the code stays valid. */
  expireSeconds: number;
  /** Content of the QR code, for drawing it yourself. */
  url: string;
  /** Address of the QR code image that WeChat serves for the ticket. */
  imageUrl: string;
}

/** A leaf button of the custom menu. */
export type MenuLeafButton =
  | { type: 'click'; name: string; key: string }
  | { type: 'view'; name: string; url: string }
  /** `url` opens on clients that cannot open mini-programs. */
  | { type: 'miniprogram'; name: string; url: string; appid: string; pagepath: string };

export type MenuButton = MenuLeafButton | { name: string; sub_button: MenuLeafButton[] };

/** The custom menu: 1 to 3 buttons, each a leaf or up to 5 sub-buttons. */
export interface OfficialAccountMenu {
  button: MenuButton[];
}

export interface FollowerProfile {
  subscribed: boolean;
  /** Present when the official account is bound to an open-platform account. */
  unionid: string | null;
}

export interface OfficialAccountClientOptions {
  baseUrl: string;
  /** AppID of the official account, whose access token the calls use. */
  appId: string;
  timeoutMs: number;
  tokens: AccessTokenSource;
  logger: Logger;
  /** Host of QR code images; WeChat's in production, the sandbox's in tests. */
  qrImageBaseUrl?: string;
}

interface WechatBody {
  errcode?: number;
  errmsg?: string;
  [field: string]: unknown;
}

export class OfficialAccountClient {
  constructor(private readonly options: OfficialAccountClientOptions) {}

  /**
   * Sends a text customer-service message. WeChat delivers one only within 48 hours of the
   * follower's last message and at most 5 per such message. Rejections for those limits or for an
   * unknown openid are returned, not thrown.
   */
  async sendCustomText(openid: string, text: string): Promise<CustomTextResult> {
    try {
      await this.post('custom_send', '/cgi-bin/message/custom/send', {
        touser: openid,
        msgtype: 'text',
        text: { content: text },
      });
      return { kind: 'sent' };
    } catch (error) {
      if (error instanceof WechatApiError && CUSTOMER_SERVICE_ERRCODES.has(error.errcode)) {
        return {
          kind: 'rejected',
          errcode: error.errcode as CustomerServiceErrcode,
          errmsg: error.errmsg,
        };
      }
      throw error;
    }
  }

  /** Creates a temporary QR code with a string scene (`QR_STR_SCENE`, at most 64 characters). */
  async createQrCode(scene: string, expireSeconds: number): Promise<QrCode> {
    const body = await this.post('qrcode_create', '/cgi-bin/qrcode/create', {
      expire_seconds: expireSeconds,
      action_name: 'QR_STR_SCENE',
      action_info: { scene: { scene_str: scene } },
    });
    const { ticket, url } = body;
    if (typeof ticket !== 'string' || ticket === '' || typeof url !== 'string') {
      throw new WechatTransportError('qrcode_create', 'response has no ticket or url');
    }
    const imageBase = this.options.qrImageBaseUrl ?? WECHAT_QR_IMAGE_BASE_URL;
    return {
      ticket,
      expireSeconds: typeof body.expire_seconds === 'number' ? body.expire_seconds : expireSeconds,
      url,
      imageUrl: new URL(`/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`, imageBase).href,
    };
  }

  /** Replaces the custom menu. */
  async createMenu(menu: OfficialAccountMenu): Promise<void> {
    await this.post('menu_create', '/cgi-bin/menu/create', menu);
  }

  /** Reads whether the follower follows the account and their unionid. */
  async getFollowerProfile(openid: string): Promise<FollowerProfile> {
    const query = new URLSearchParams({ openid, lang: 'zh_CN' });
    const body = await this.call('user_info', `/cgi-bin/user/info?${query}`, { method: 'GET' });
    return {
      subscribed: body.subscribe === 1,
      unionid: typeof body.unionid === 'string' && body.unionid !== '' ? body.unionid : null,
    };
  }

  private post(endpoint: string, path: string, payload: unknown): Promise<WechatBody> {
    return this.call(endpoint, path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  }

  private call(endpoint: string, pathAndQuery: string, init: RequestInit): Promise<WechatBody> {
    return callWithToken(this.options.tokens, this.options.appId, (accessToken) =>
      this.request(endpoint, pathAndQuery, accessToken, init),
    );
  }

  private async request(
    endpoint: string,
    pathAndQuery: string,
    accessToken: string,
    init: RequestInit,
  ): Promise<WechatBody> {
    const url = new URL(pathAndQuery, this.options.baseUrl);
    url.searchParams.set('access_token', accessToken);
    const startedAt = performance.now();
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      // The URL carries the access token, so only the endpoint name is logged.
      this.options.logger.warn(
        { endpoint, error: error instanceof Error ? error.message : String(error) },
        'wechat request failed',
      );
      throw new WechatTransportError(
        endpoint,
        error instanceof Error ? error.message : String(error),
      );
    }

    let body: WechatBody;
    try {
      body = (await response.json()) as WechatBody;
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
