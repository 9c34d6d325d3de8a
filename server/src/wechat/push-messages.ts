// Messages that the server starts: the official account's template messages
// (POST /cgi-bin/message/template/send) and the mini-program's subscription messages
// (POST /cgi-bin/message/subscribe/send). Each call takes the app's access token from the shared
// AccessTokenSource and retries once with a fresh token after 40001 or 42001. Failures reach the
// caller as one of three typed errors, so the caller decides on retries without knowing errcodes.
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../logger.js';
import type { AccessTokenSource } from './access-token-source.js';
import { WechatApiError, WechatTransportError } from './api-client.js';
import { callWithToken } from './call-with-token.js';

/** Errcodes of the message APIs that the server distinguishes. */
export const PUSH_ERRCODE = {
  systemBusy: -1,
  invalidOpenid: 40003,
  notFollowing: 43004,
  subscriptionRefused: 43101,
  dailyQuota: 45009,
  minuteQuota: 45011,
} as const;

/** Reason that WeChat rejects a message to this recipient on every retry. */
export type RecipientRejection =
  'invalid_openid' | 'not_following' | 'subscription_refused' | 'message_rejected';

const RECIPIENT_REJECTIONS = new Map<number, RecipientRejection>([
  [PUSH_ERRCODE.invalidOpenid, 'invalid_openid'],
  [PUSH_ERRCODE.notFollowing, 'not_following'],
  [PUSH_ERRCODE.subscriptionRefused, 'subscription_refused'],
]);

/** WeChat rejected this message permanently, so a retry gets the same response. */
export class MessageRejectedError extends Error {
  constructor(
    readonly endpoint: string,
    readonly errcode: number,
    readonly reason: RecipientRejection,
  ) {
    super(`WeChat ${endpoint} rejected the message with errcode ${errcode} (${reason})`);
    this.name = 'MessageRejectedError';
  }
}

/** The app's call quota is used up (45009 for the day, 45011 for the minute). Retry later. */
export class MessageRateLimitedError extends Error {
  constructor(
    readonly endpoint: string,
    readonly errcode: number,
  ) {
    super(`WeChat ${endpoint} is rate limited with errcode ${errcode}: retry later`);
    this.name = 'MessageRateLimitedError';
  }
}

/**
 * A transient failure that a retry may get past: WeChat was busy (-1), could not be reached, timed
 * out or responded with something other than its JSON. `maybeDelivered` is false only when WeChat
 * responded with an errcode or the connection was refused, so the message was certainly not sent.
 */
export class MessageTransientError extends Error {
  constructor(
    readonly endpoint: string,
    readonly errcode: number | null,
    readonly maybeDelivered: boolean,
    message: string,
  ) {
    super(`WeChat ${endpoint} failed: ${message}`);
    this.name = 'MessageTransientError';
  }
}

export type MessageSendError =
  MessageRejectedError | MessageRateLimitedError | MessageTransientError;

/** A keyword value of a template or subscription message. WeChat ignores colours since May 2023. */
export type MessageData = Record<string, { value: string }>;

export interface TemplateMessage {
  /** Openid of the follower in the official account. */
  touser: string;
  templateId: string;
  /** Mini-program page that a tap opens; the mini-program must be linked to the account. */
  miniprogram: { appid: string; pagepath: string };
  /**
   * WeChat sends one message per openid and client_msg_id within 10 minutes, so a retry with the
   * same id after an unknown outcome cannot cause a second message in that time.
   */
  clientMsgId: string;
  data: MessageData;
}

export interface SubscribeMessage {
  /** Openid of the user in the mini-program. */
  touser: string;
  templateId: string;
  /** Page of the mini-program that a tap opens, such as `pages/index/index?id=1`. */
  page: string;
  data: MessageData;
}

export interface PushMessageClientOptions {
  baseUrl: string;
  timeoutMs: number;
  tokens: AccessTokenSource;
  /** AppID whose token sends template messages; null when no official account is configured. */
  officialAccountAppId: string | null;
  /** AppID whose token sends subscription messages. */
  miniProgramAppId: string;
  logger: Logger;
  /** Maximum connections to WeChat open at once. Default: 256. */
  maxSockets?: number;
}

interface MessageResponse {
  errcode?: number;
  errmsg?: string;
  msgid?: number | string;
}

/**
 * Sends template and subscription messages; the push module decides what and when. It uses
 * node:http with keep-alive connections rather than fetch: in a CPU profile of
 * scripts/bench/push.ts, fetch and its web streams took about a quarter of the push process's time.
 */
export class PushMessageClient {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly options: PushMessageClientOptions) {
    const secure = new URL(options.baseUrl).protocol === 'https:';
    this.transport = secure ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256 };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** Sends a template message and returns WeChat's msgid. */
  async sendTemplate(message: TemplateMessage): Promise<string> {
    const appId = this.options.officialAccountAppId;
    if (appId === null) {
      throw new Error('template messages need the official account: set WECHAT_OA_APP_ID');
    }
    return this.send('template_send', '/cgi-bin/message/template/send', appId, {
      touser: message.touser,
      template_id: message.templateId,
      miniprogram: message.miniprogram,
      client_msg_id: message.clientMsgId,
      data: message.data,
    });
  }

  /** Sends a subscription message and returns WeChat's msgid. It uses one grant of the user. */
  async sendSubscribe(message: SubscribeMessage): Promise<string> {
    return this.send(
      'subscribe_send',
      '/cgi-bin/message/subscribe/send',
      this.options.miniProgramAppId,
      {
        touser: message.touser,
        template_id: message.templateId,
        page: message.page,
        data: message.data,
        lang: 'zh_CN',
      },
    );
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private async send(
    endpoint: string,
    path: string,
    appId: string,
    payload: unknown,
  ): Promise<string> {
    const body = JSON.stringify(payload);
    try {
      const response = await callWithToken(this.options.tokens, appId, (accessToken) =>
        this.post(endpoint, path, accessToken, body),
      );
      return String(response.msgid ?? '');
    } catch (error) {
      throw toSendError(endpoint, error);
    }
  }

  private async post(
    endpoint: string,
    path: string,
    accessToken: string,
    payload: string,
  ): Promise<MessageResponse> {
    const url = new URL(path, this.options.baseUrl);
    url.searchParams.set('access_token', accessToken);
    let response: { status: number; text: string };
    try {
      response = await this.request(url, payload);
    } catch (error) {
      // The error names the endpoint but not the URL, which carries the access token.
      throw new MessageTransientError(endpoint, null, !isConnectionRefused(error), describe(error));
    }
    let body: MessageResponse;
    try {
      body = JSON.parse(response.text) as MessageResponse;
    } catch {
      throw new MessageTransientError(
        endpoint,
        null,
        true,
        `HTTP ${response.status} with a body that is not JSON`,
      );
    }
    if (typeof body.errcode === 'number' && body.errcode !== 0) {
      throw new WechatApiError(endpoint, body.errcode, body.errmsg ?? '');
    }
    return body;
  }

  /** POSTs JSON and resolves with the status and body text, or rejects after the timeout. */
  private request(url: URL, payload: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = this.transport.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      const timeoutMs = this.options.timeoutMs;
      const timer = setTimeout(() => {
        request.destroy(new Error(`timed out: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      function fail(error: Error): void {
        clearTimeout(timer);
        reject(error);
      }
      request.on('error', fail);
      request.end(payload);
    });
  }
}

/** Maps an error of a message call to the typed error that the caller's retry decision uses. */
export function toSendError(endpoint: string, error: unknown): MessageSendError | Error {
  if (
    error instanceof MessageTransientError ||
    error instanceof MessageRejectedError ||
    error instanceof MessageRateLimitedError
  ) {
    return error;
  }
  if (error instanceof WechatTransportError) {
    // The access-token fetch failed, so no message was sent.
    return new MessageTransientError(endpoint, null, false, error.message);
  }
  if (!(error instanceof WechatApiError))
    return error instanceof Error ? error : new Error(String(error));

  const rejection = RECIPIENT_REJECTIONS.get(error.errcode);
  if (rejection !== undefined) return new MessageRejectedError(endpoint, error.errcode, rejection);
  if (error.errcode === PUSH_ERRCODE.dailyQuota || error.errcode === PUSH_ERRCODE.minuteQuota) {
    return new MessageRateLimitedError(endpoint, error.errcode);
  }
  if (error.errcode === PUSH_ERRCODE.systemBusy) {
    return new MessageTransientError(endpoint, error.errcode, false, 'system busy');
  }
  // Any other errcode (an invalid template id, data WeChat refuses, a second token rejection) is
  // the same for every retry of this message.
  return new MessageRejectedError(endpoint, error.errcode, 'message_rejected');
}

/** True when the connection was refused, so the request never reached WeChat. */
function isConnectionRefused(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ECONNREFUSED';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

/**
 * Delay before retry number `retry` (1 for the first): doubling from `baseDelayMs` up to
 * `maxDelayMs`, then drawn between half and all of that, so retries of many messages spread out.
 */
export function backoffDelayMs(
  retry: number,
  policy: { baseDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}
