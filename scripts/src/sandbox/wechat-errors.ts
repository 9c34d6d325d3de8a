import { randomBytes } from 'node:crypto';

/**
 * WeChat error codes the sandbox returns, with the English errmsg prefix WeChat sends for each.
 * Sources: the code2Session and getStableAccessToken pages and the global return-code table on
 * developers.weixin.qq.com, and real responses quoted in WeChat's developer community. The
 * official-account codes (40003 to 40055, 41009, 44004, 45015, 45047) come from public copies of that
 * table and of quoted responses. The push codes (40037, 41030, 43004, 43101, 47003, 48001) come from
 * the sendTemplateMessage and subscribeMessage.send pages and quoted responses.
 */
export const WECHAT_ERRMSG = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40008: 'invalid message type',
  40013: 'invalid appid',
  40016: 'invalid button size',
  40017: 'invalid button type',
  40018: 'invalid button name size',
  40019: 'invalid button key size',
  40023: 'invalid sub button size',
  40024: 'invalid sub button type',
  40025: 'invalid sub button name size',
  40026: 'invalid sub button key size',
  40029: 'invalid code',
  40037: 'invalid template_id',
  40054: 'invalid sub button url domain',
  40055: 'invalid button url domain',
  40066: 'invalid url',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40226: 'code blocked',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41009: 'missing openid',
  41030: 'invalid page',
  42001: 'access_token expired',
  43002: 'require POST method',
  43004: 'require subscribe',
  43101: 'user refuse to accept the msg',
  44002: 'empty post data',
  44004: 'empty content',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit mustslower retry next minute',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  47001: 'data format error',
  47003: 'argument invalid!',
  48001: 'api unauthorized',
} as const;

export type WechatErrcode = keyof typeof WECHAT_ERRMSG;

/** Error body of every WeChat server API. WeChat sends it with HTTP status 200. */
export interface WechatErrorBody {
  errcode: number;
  errmsg: string;
}

/**
 * Builds a WeChat error body. Like WeChat, the errmsg ends with a request id
 * (`, rid: <seconds in hex>-<8 hex>-<8 hex>`), so callers must match on errcode, never on errmsg.
 */
export function wechatError(errcode: WechatErrcode, nowMs: number): WechatErrorBody {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  const rid = `${seconds}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
  return { errcode, errmsg: `${WECHAT_ERRMSG[errcode]}, rid: ${rid}` };
}
