// The official account's server APIs: customer-service messages
// (POST /cgi-bin/message/custom/send), parameterised QR codes (POST /cgi-bin/qrcode/create and
// GET /cgi-bin/showqrcode), the custom menu (POST /cgi-bin/menu/create) and follower profiles
// (GET /cgi-bin/user/info). State is kept per AppID: the followers that webhook deliveries
// create, their customer-service windows, and what the server sent.
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { readJsonBody } from './http-body.js';
import { wechatError, type WechatErrcode } from './wechat-errors.js';

/** WeChat allows customer-service messages for 48 hours after the follower's last interaction. */
export const SERVICE_WINDOW_MS = 48 * 60 * 60 * 1000;
/** Customer-service messages allowed per interaction; the next one gets 45047. */
export const SERVICE_WINDOW_MESSAGES = 5;
/** Default and maximum lifetime of a temporary QR code, in seconds. */
export const QR_DEFAULT_EXPIRE_SECONDS = 60;
export const QR_MAX_EXPIRE_SECONDS = 30 * 24 * 60 * 60;

/** Webhook settings of the official account, as on WeChat's server settings page. */
export interface OfficialAccountWebhook {
  url: string;
  /** Token of the server settings, 3 to 32 letters or digits. */
  token: string;
  /** EncodingAESKey of the server settings, 43 base64 characters. */
  encodingAesKey: string;
  /** AppID of the official account; it must also be able to request access tokens. */
  appId: string;
  /** Original id (`gh_…`) that messages name as ToUserName. */
  originalId: string;
}

export interface SandboxFollower {
  openid: string;
  unionid?: string;
  subscribed: boolean;
  subscribedAt: number | null;
  /** Time of the last action that opens the customer-service window, or null. */
  lastInteractionAt: number | null;
  /** Customer-service messages accepted since that interaction. */
  sentSinceInteraction: number;
}

/** One customer-service message request that passed the access-token check. */
export interface RecordedCustomMessage {
  at: string;
  appId: string;
  touser: string;
  msgtype: string;
  content: string | null;
  /** 0 when WeChat would have delivered it. */
  errcode: number;
}

export interface RecordedQrCode {
  appId: string;
  ticket: string;
  actionName: string;
  sceneStr: string | null;
  sceneId: number | null;
  /** Epoch milliseconds, or null for a permanent code. */
  expiresAt: number | null;
}

export interface RecordedMenu {
  at: string;
  appId: string;
  menu: unknown;
}

export interface OfficialAccountArea {
  router: Router;
  webhook(): OfficialAccountWebhook | null;
  configureWebhook(webhook: OfficialAccountWebhook): void;
  /** Returns the follower of `appId` with this openid, creating an unsubscribed one if absent. */
  follower(appId: string, openid: string): SandboxFollower;
  /** Opens (or reopens) the customer-service window after a follower's action. */
  recordInteraction(follower: SandboxFollower): void;
  /** Returns the QR code of a ticket while it is valid, or undefined. */
  validQrCode(ticket: string): RecordedQrCode | undefined;
  customMessages(): RecordedCustomMessage[];
  qrCodes(): RecordedQrCode[];
  menus(): RecordedMenu[];
  reset(): void;
}

const customSendSchema = z.object({
  touser: z.string().optional(),
  msgtype: z.string().optional(),
  text: z.object({ content: z.string().optional() }).optional(),
});

const qrCreateSchema = z.object({
  expire_seconds: z.number().int().positive().optional(),
  action_name: z.enum(['QR_SCENE', 'QR_STR_SCENE', 'QR_LIMIT_SCENE', 'QR_LIMIT_STR_SCENE']),
  action_info: z.object({
    scene: z.object({
      scene_id: z.number().int().positive().optional(),
      scene_str: z.string().min(1).max(64).optional(),
    }),
  }),
});

const BUTTON_TYPES = new Set([
  'click',
  'view',
  'miniprogram',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'media_id',
  'article_id',
  'article_view_limited',
]);

/** The types whose buttons send a `key` to the webhook when tapped. */
const KEYED_TYPES = new Set([
  'click',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
]);

type ButtonLevel = 'top' | 'sub';

/** Errcodes of the custom-menu page for each problem, by button level. */
const MENU_ERRCODES: Record<'name' | 'type' | 'key' | 'url', Record<ButtonLevel, WechatErrcode>> = {
  name: { top: 40018, sub: 40025 },
  type: { top: 40017, sub: 40024 },
  key: { top: 40019, sub: 40026 },
  url: { top: 40055, sub: 40054 },
};

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 1024) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** Checks one leaf button (one without sub-buttons) and returns its errcode, or null. */
function leafButtonErrcode(
  button: Record<string, unknown>,
  level: ButtonLevel,
  miniProgramAppId: string,
): WechatErrcode | null {
  const type = button.type;
  if (typeof type !== 'string' || !BUTTON_TYPES.has(type)) return MENU_ERRCODES.type[level];
  if (KEYED_TYPES.has(type)) {
    const key = button.key;
    if (typeof key !== 'string' || key === '' || bytes(key) > 128) return MENU_ERRCODES.key[level];
  }
  if (type === 'view' || type === 'miniprogram') {
    if (!isHttpUrl(button.url)) return MENU_ERRCODES.url[level];
  }
  if (type === 'miniprogram') {
    // NOTE: WeChat also requires the mini-program to be linked to the official account. Its errcode
    // for an unlinked one is not in the sandbox's sources, so the sandbox returns 40013.
    if (button.appid !== miniProgramAppId) return 40013;
    if (typeof button.pagepath !== 'string' || button.pagepath === '') return 47001;
  }
  return null;
}

/** Applies the custom-menu page's limits: 1-3 buttons, each a leaf or 1-5 sub-buttons. */
function menuErrcode(body: unknown, miniProgramAppId: string): WechatErrcode | null {
  const buttons = asRecord(body)?.button;
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return 40016;

  for (const entry of buttons) {
    const button = asRecord(entry);
    if (button === null) return 47001;
    const name = button.name;
    // Top-level names take at most 16 bytes (4 Chinese characters), sub-button names 60.
    if (typeof name !== 'string' || name === '' || bytes(name) > 16) return 40018;

    if (button.sub_button === undefined) {
      const errcode = leafButtonErrcode(button, 'top', miniProgramAppId);
      if (errcode !== null) return errcode;
      continue;
    }
    const subButtons = button.sub_button;
    if (!Array.isArray(subButtons) || subButtons.length < 1 || subButtons.length > 5) return 40023;
    for (const subEntry of subButtons) {
      const subButton = asRecord(subEntry);
      if (subButton === null) return 47001;
      const subName = subButton.name;
      if (typeof subName !== 'string' || subName === '' || bytes(subName) > 60) return 40025;
      const errcode = leafButtonErrcode(subButton, 'sub', miniProgramAppId);
      if (errcode !== null) return errcode;
    }
  }
  return null;
}

export function createOfficialAccountArea(
  context: SandboxContext,
  requireAccessToken: () => Middleware,
  initialWebhook: OfficialAccountWebhook | null = null,
): OfficialAccountArea {
  const { clock, logger, calls } = context;
  let webhook = initialWebhook;
  const followers = new Map<string, SandboxFollower>();
  const customMessages: RecordedCustomMessage[] = [];
  const qrCodes = new Map<string, RecordedQrCode>();
  const menus: RecordedMenu[] = [];

  function follower(appId: string, openid: string): SandboxFollower {
    const key = `${appId}:${openid}`;
    let entry = followers.get(key);
    if (entry === undefined) {
      entry = {
        openid,
        subscribed: false,
        subscribedAt: null,
        lastInteractionAt: null,
        sentSinceInteraction: 0,
      };
      followers.set(key, entry);
    }
    return entry;
  }

  function knownFollower(appId: string, openid: string): SandboxFollower | undefined {
    return followers.get(`${appId}:${openid}`);
  }

  function reply(ctx: Context, endpoint: string, errcode: WechatErrcode): void {
    logger.info({ endpoint, errcode }, 'wechat api call rejected');
    ctx.body = wechatError(errcode, clock.now());
  }

  function succeed(ctx: Context, endpoint: string): void {
    logger.info({ endpoint }, 'wechat api call succeeded');
    ctx.body = { errcode: 0, errmsg: 'ok' };
  }

  /** Reads a JSON body and returns it, or sends errcode 44002 or 47001 and returns undefined. */
  async function jsonBody(ctx: Context, endpoint: string): Promise<unknown> {
    const body = await readJsonBody(ctx.req);
    if (body.kind === 'empty') return reply(ctx, endpoint, 44002);
    if (body.kind !== 'parsed') return reply(ctx, endpoint, 47001);
    return body.value;
  }

  function customSendErrcode(appId: string, body: unknown): WechatErrcode | null {
    const parsed = customSendSchema.safeParse(body);
    if (!parsed.success) return 47001;
    const { touser, msgtype, text } = parsed.data;
    if (touser === undefined || touser === '') return 40003;
    // The sandbox implements text messages only.
    if (msgtype !== 'text') return 40008;
    if (text?.content === undefined || text.content === '') return 44004;

    const target = knownFollower(appId, touser);
    if (target === undefined) return 40003;
    const now = clock.now();
    if (
      !target.subscribed ||
      target.lastInteractionAt === null ||
      now - target.lastInteractionAt >= SERVICE_WINDOW_MS
    ) {
      return 45015;
    }
    if (target.sentSinceInteraction >= SERVICE_WINDOW_MESSAGES) return 45047;
    target.sentSinceInteraction += 1;
    return null;
  }

  const router = new Router();

  /**
   * Routes a POST endpoint that takes an access token and a JSON body. Every request is counted.
   * Another method gets 43002, and a missing or unparseable body 44002 or 47001.
   */
  function postJson(
    path: string,
    endpoint: 'custom_send' | 'qrcode_create' | 'menu_create',
    handle: (ctx: Context, body: unknown) => void,
  ): void {
    router.all(path, calls.countRequests(endpoint), requireAccessToken(), async (ctx) => {
      if (ctx.method !== 'POST') return reply(ctx, endpoint, 43002);
      const body = await jsonBody(ctx, endpoint);
      if (body === undefined) return;
      handle(ctx, body);
    });
  }

  postJson('/cgi-bin/message/custom/send', 'custom_send', (ctx, body) => {
    const appId = String(ctx.state.wechatAppId);
    const errcode = customSendErrcode(appId, body);
    const parsed = customSendSchema.safeParse(body);
    customMessages.push({
      at: new Date(clock.now()).toISOString(),
      appId,
      touser: parsed.data?.touser ?? '',
      msgtype: parsed.data?.msgtype ?? '',
      content: parsed.data?.text?.content ?? null,
      errcode: errcode ?? 0,
    });
    if (errcode !== null) return reply(ctx, 'custom_send', errcode);
    succeed(ctx, 'custom_send');
  });

  postJson('/cgi-bin/qrcode/create', 'qrcode_create', (ctx, body) => {
    // NOTE: WeChat's errcodes for a malformed QR request are not in the sandbox's sources, so
    // every malformed request gets 47001 (data format error).
    const parsed = qrCreateSchema.safeParse(body);
    if (!parsed.success) return reply(ctx, 'qrcode_create', 47001);
    const request = parsed.data;
    const permanent = request.action_name.startsWith('QR_LIMIT_');
    const usesString = request.action_name.endsWith('_STR_SCENE');
    const sceneStr = request.action_info.scene.scene_str ?? null;
    const sceneId = request.action_info.scene.scene_id ?? null;
    if (usesString ? sceneStr === null : sceneId === null) {
      return reply(ctx, 'qrcode_create', 47001);
    }
    const expireSeconds = Math.min(
      request.expire_seconds ?? QR_DEFAULT_EXPIRE_SECONDS,
      QR_MAX_EXPIRE_SECONDS,
    );

    const ticket = `gQ${randomBytes(36).toString('base64url')}`;
    const code: RecordedQrCode = {
      appId: String(ctx.state.wechatAppId),
      ticket,
      actionName: request.action_name,
      sceneStr: usesString ? sceneStr : null,
      sceneId: usesString ? null : sceneId,
      expiresAt: permanent ? null : clock.now() + expireSeconds * 1000,
    };
    qrCodes.set(ticket, code);
    logger.info(
      { endpoint: 'qrcode_create', actionName: code.actionName },
      'wechat api call succeeded',
    );
    ctx.body = {
      ticket,
      ...(permanent ? {} : { expire_seconds: expireSeconds }),
      url: `http://weixin.qq.com/q/${randomBytes(12).toString('base64url')}`,
    };
  });

  // WeChat serves the image of a QR code by ticket, without an access token. The sandbox draws a
  // placeholder that shows the scene, since nothing scans it.
  router.get('/cgi-bin/showqrcode', (ctx) => {
    const ticket = typeof ctx.query.ticket === 'string' ? ctx.query.ticket : '';
    const code = qrCodes.get(ticket);
    if (code === undefined) {
      ctx.status = 404;
      return;
    }
    const scene = (code.sceneStr ?? String(code.sceneId)).replace(/[<>&"']/g, '');
    ctx.type = 'image/svg+xml';
    ctx.body =
      '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240">' +
      '<rect width="240" height="240" fill="#fff" stroke="#000"/>' +
      `<text x="120" y="120" font-size="10" text-anchor="middle">${scene}</text></svg>`;
  });

  postJson('/cgi-bin/menu/create', 'menu_create', (ctx, body) => {
    const errcode = menuErrcode(body, context.miniProgram.appId);
    if (errcode !== null) return reply(ctx, 'menu_create', errcode);
    menus.push({
      at: new Date(clock.now()).toISOString(),
      appId: String(ctx.state.wechatAppId),
      menu: body,
    });
    succeed(ctx, 'menu_create');
  });

  router.get(
    '/cgi-bin/user/info',
    calls.countRequests('user_info'),
    requireAccessToken(),
    (ctx) => {
      const openid = typeof ctx.query.openid === 'string' ? ctx.query.openid : '';
      if (openid === '') return reply(ctx, 'user_info', 41009);
      const target = knownFollower(String(ctx.state.wechatAppId), openid);
      if (target === undefined) return reply(ctx, 'user_info', 40003);
      if (!target.subscribed) {
        ctx.body = { subscribe: 0, openid };
        return;
      }
      ctx.body = {
        subscribe: 1,
        openid,
        language: 'zh_CN',
        subscribe_time: Math.floor((target.subscribedAt ?? clock.now()) / 1000),
        ...(target.unionid === undefined ? {} : { unionid: target.unionid }),
        remark: '',
        groupid: 0,
        tagid_list: [],
        subscribe_scene: 'ADD_SCENE_QR_CODE',
        qr_scene: 0,
        qr_scene_str: '',
      };
    },
  );

  return {
    router,
    webhook: () => webhook,
    configureWebhook(next) {
      webhook = next;
      logger.info({ url: next.url, appId: next.appId }, 'official account webhook configured');
    },
    follower,
    recordInteraction(target) {
      target.lastInteractionAt = clock.now();
      target.sentSinceInteraction = 0;
    },
    validQrCode(ticket) {
      const code = qrCodes.get(ticket);
      if (code === undefined) return undefined;
      if (code.expiresAt !== null && clock.now() >= code.expiresAt) return undefined;
      return code;
    },
    customMessages: () => [...customMessages],
    qrCodes: () => [...qrCodes.values()],
    menus: () => [...menus],
    reset() {
      webhook = initialWebhook;
      followers.clear();
      customMessages.length = 0;
      qrCodes.clear();
      menus.length = 0;
    },
  };
}
