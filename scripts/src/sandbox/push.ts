// Message pushes: the official account's template messages (POST /cgi-bin/message/template/send)
// and the mini-program's subscription messages (POST /cgi-bin/message/subscribe/send). The sandbox
// keeps what WeChat keeps for them: the one-time subscription grants of each user and template, the
// client_msg_id of recent template messages, and every message it accepted. Test controls can add
// latency and make calls fail with documented errcodes (push-controls.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { readJsonBody } from './http-body.js';
import type { OfficialAccountArea } from './official-account.js';
import { wechatError, type WechatErrcode } from './wechat-errors.js';

/**
 * Maximum length of a template keyword value, in characters. Since 4 May 2023 WeChat shows at most
 * 20 characters per keyword and drops colours, emoji, line breaks and the first and remark lines.
 */
export const TEMPLATE_VALUE_MAX_CHARS = 20;
/** WeChat sends one message per openid and client_msg_id within 10 minutes. */
export const CLIENT_MSG_ID_WINDOW_MS = 10 * 60 * 1000;

export const PUSH_ENDPOINTS = ['template_send', 'subscribe_send'] as const;
export type PushEndpoint = (typeof PUSH_ENDPOINTS)[number];

/** Errcodes that a test can make the push endpoints return. */
export const SIMULATED_PUSH_ERRCODES = [
  -1, 40003, 40037, 43004, 43101, 45009, 45011, 47003,
] as const;
export type SimulatedPushErrcode = (typeof SIMULATED_PUSH_ERRCODES)[number];

/** A template message the sandbox accepted. */
export interface RecordedTemplateMessage {
  msgid: number;
  at: string;
  appId: string;
  touser: string;
  templateId: string;
  clientMsgId: string | null;
  miniprogram: { appid: string; pagepath: string } | null;
  url: string | null;
  /** Keyword values as WeChat shows them: emoji and line breaks removed. */
  data: Record<string, string>;
  /**
   * Content that WeChat drops or cuts since May 2023: `color:<key>`, `first`, `remark`,
   * `emoji:<key>`, `line_break:<key>` and `too_long:<key>` (more than 20 characters).
   */
  violations: string[];
}

/** A subscription message the sandbox accepted. */
export interface RecordedSubscribeMessage {
  msgid: number;
  at: string;
  appId: string;
  touser: string;
  templateId: string;
  page: string | null;
  data: Record<string, string>;
}

/** A rule that makes matching calls fail with `errcode`. */
export interface PushFaultRule {
  errcode: SimulatedPushErrcode;
  /** Calls left to fail, or null for every matching call. */
  remaining: number | null;
  /** Recipients the rule applies to, or null for all. */
  touser: Set<string> | null;
}

/** Test-controlled deviations of one push endpoint. */
export interface PushFaults {
  /** Real-time wait before the request is processed. */
  delayMs: number;
  /**
   * Real-time wait after the request was processed and before the response is sent. A client
   * that times out in this wait gets a failure although the message was delivered.
   */
  responseDelayMs: number;
  rules: PushFaultRule[];
}

export interface RecipientCounts {
  /** Calls that ended in a delivered message. */
  accepted: number;
  /** Distinct recipients with at least one delivered message. */
  recipients: number;
  maxPerRecipient: number;
  /** Recipients that received more than one message. */
  recipientsWithDuplicates: number;
  /** Rejected calls by errcode, after the access-token check. */
  rejected: Record<string, number>;
}

export interface PushSummary {
  template: RecipientCounts & {
    /** Repeats of a client_msg_id within 10 minutes, accepted without a second message. */
    duplicatesSuppressed: number;
    /** Accepted messages with at least one content violation. */
    messagesWithViolations: number;
  };
  subscribe: RecipientCounts;
}

export interface PushArea {
  router: Router;
  /** Records that the user accepted `count` more messages of the template, as requestSubscribeMessage does. */
  grantSubscription(openid: string, templateId: string, count: number): void;
  /** Returns the messages of the template that the user still allows. */
  remainingGrants(openid: string, templateId: string): number;
  faults(endpoint: PushEndpoint): PushFaults;
  setFaults(endpoint: PushEndpoint, faults: PushFaults): void;
  templateMessages(): RecordedTemplateMessage[];
  subscribeMessages(): RecordedSubscribeMessage[];
  summary(): PushSummary;
  reset(): void;
}

const keywordSchema = z.object({
  value: z.union([z.string(), z.number()]).transform(String),
  color: z.string().optional(),
});

const templateSendSchema = z.object({
  touser: z.string().optional(),
  template_id: z.string().optional(),
  url: z.string().optional(),
  miniprogram: z.object({ appid: z.string(), pagepath: z.string().optional() }).optional(),
  client_msg_id: z.string().optional(),
  data: z.record(z.string(), keywordSchema).optional(),
});

const subscribeSendSchema = z.object({
  touser: z.string().optional(),
  template_id: z.string().optional(),
  page: z.string().optional(),
  miniprogram_state: z.enum(['developer', 'trial', 'formal']).optional(),
  lang: z.string().optional(),
  data: z
    .record(z.string(), z.object({ value: z.union([z.string(), z.number()]).transform(String) }))
    .optional(),
});

const TEMPLATE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const EMOJI = /\p{Extended_Pictographic}/u;
const EMOJI_ALL = /\p{Extended_Pictographic}/gu;
const LINE_BREAK = /[\r\n]/;
const LINE_BREAK_ALL = /[\r\n]/g;

function charCount(value: string): number {
  return [...value].length;
}

/**
 * Value rules of subscription-message keywords by type, from the subscribeMessage.send page. A
 * value that breaks its rule gets 47003.
 */
const SUBSCRIBE_VALUE_RULES: Record<string, (value: string) => boolean> = {
  thing: (value) => value !== '' && charCount(value) <= 20,
  number: (value) => /^[0-9.]{1,32}$/.test(value),
  letter: (value) => /^[A-Za-z]{1,32}$/.test(value),
  symbol: (value) => value !== '' && charCount(value) <= 5,
  character_string: (value) => /^[\x21-\x7e]{1,32}$/.test(value),
  time: (value) => value.trim() !== '',
  date: (value) => value.trim() !== '',
  amount: (value) => value !== '' && charCount(value) <= 10,
  phone_number: (value) => /^[0-9+\- ]{1,17}$/.test(value),
  car_number: (value) => value !== '' && charCount(value) <= 8,
  name: (value) => value !== '' && charCount(value) <= 20,
  phrase: (value) => /^\p{Script=Han}{1,5}$/u.test(value),
};

function subscribeDataIsValid(data: Record<string, { value: string }>): boolean {
  const entries = Object.entries(data);
  if (entries.length === 0) return false;
  for (const [key, { value }] of entries) {
    const type = /^([a-z_]+?)\d+$/.exec(key)?.[1];
    const rule = type === undefined ? undefined : SUBSCRIBE_VALUE_RULES[type];
    if (rule === undefined || !rule(value)) return false;
  }
  return true;
}

/** Returns a keyword value as WeChat shows it and the rules it breaks. */
function inspectKeyword(
  key: string,
  keyword: { value: string; color?: string },
): { displayed: string; violations: string[] } {
  const violations: string[] = [];
  if (key === 'first' || key === 'remark') violations.push(key);
  if (keyword.color !== undefined) violations.push(`color:${key}`);
  let displayed = keyword.value;
  if (EMOJI.test(displayed)) violations.push(`emoji:${key}`);
  displayed = displayed.replace(EMOJI_ALL, '');
  if (LINE_BREAK.test(displayed)) violations.push(`line_break:${key}`);
  displayed = displayed.replace(LINE_BREAK_ALL, '');
  if (charCount(displayed) > TEMPLATE_VALUE_MAX_CHARS) violations.push(`too_long:${key}`);
  return { displayed, violations };
}

function noFaults(): PushFaults {
  return { delayMs: 0, responseDelayMs: 0, rules: [] };
}

/** Counts delivered messages per recipient, so duplicates show without scanning the records. */
class RecipientCounter {
  private readonly perRecipient = new Map<string, number>();
  private accepted = 0;
  private max = 0;
  private withDuplicates = 0;
  private readonly rejected = new Map<number, number>();

  accept(touser: string): void {
    const count = (this.perRecipient.get(touser) ?? 0) + 1;
    this.perRecipient.set(touser, count);
    this.accepted += 1;
    if (count > this.max) this.max = count;
    if (count === 2) this.withDuplicates += 1;
  }

  reject(errcode: number): void {
    this.rejected.set(errcode, (this.rejected.get(errcode) ?? 0) + 1);
  }

  snapshot(): RecipientCounts {
    return {
      accepted: this.accepted,
      recipients: this.perRecipient.size,
      maxPerRecipient: this.max,
      recipientsWithDuplicates: this.withDuplicates,
      rejected: Object.fromEntries([...this.rejected].map(([code, n]) => [String(code), n])),
    };
  }
}

export function createPushArea(
  context: SandboxContext,
  requireAccessToken: () => Middleware,
  officialAccount: Pick<OfficialAccountArea, 'follower'>,
): PushArea {
  const { clock, logger } = context;
  let nextMsgid = 1;
  let templateMessages: RecordedTemplateMessage[] = [];
  let subscribeMessages: RecordedSubscribeMessage[] = [];
  let templateCounter = new RecipientCounter();
  let subscribeCounter = new RecipientCounter();
  let duplicatesSuppressed = 0;
  let messagesWithViolations = 0;
  /** msgid and time of each accepted client_msg_id, keyed by AppID, openid and client_msg_id. */
  let clientMsgIds = new Map<string, { msgid: number; at: number }>();
  /** Messages each user still allows, keyed by openid and template id. */
  let grants = new Map<string, number>();
  let faults: Record<PushEndpoint, PushFaults> = {
    template_send: noFaults(),
    subscribe_send: noFaults(),
  };

  const grantKey = (openid: string, templateId: string) => `${openid}\u0000${templateId}`;

  function reply(ctx: Context, endpoint: PushEndpoint, errcode: WechatErrcode): void {
    (endpoint === 'template_send' ? templateCounter : subscribeCounter).reject(errcode);
    logger.info({ endpoint, errcode }, 'wechat api call rejected');
    ctx.body = wechatError(errcode, clock.now());
  }

  /** Returns the errcode of the first fault rule that matches and uses it up, or null. */
  function injectedErrcode(endpoint: PushEndpoint, touser: string): SimulatedPushErrcode | null {
    for (const rule of faults[endpoint].rules) {
      if (rule.remaining === 0) continue;
      if (rule.touser !== null && !rule.touser.has(touser)) continue;
      if (rule.remaining !== null) rule.remaining -= 1;
      return rule.errcode;
    }
    return null;
  }

  /** Reads a JSON body, or sends errcode 44002 or 47001 and returns undefined. */
  async function jsonBody(ctx: Context, endpoint: PushEndpoint): Promise<unknown> {
    const body = await readJsonBody(ctx.req);
    if (body.kind === 'empty') return reply(ctx, endpoint, 44002);
    if (body.kind !== 'parsed') return reply(ctx, endpoint, 47001);
    return body.value;
  }

  async function delayBefore(endpoint: PushEndpoint): Promise<void> {
    const { delayMs } = faults[endpoint];
    if (delayMs > 0) await sleep(delayMs);
  }

  async function delayAfter(endpoint: PushEndpoint): Promise<void> {
    const { responseDelayMs } = faults[endpoint];
    if (responseDelayMs > 0) await sleep(responseDelayMs);
  }

  async function sendTemplate(ctx: Context): Promise<void> {
    const endpoint = 'template_send';
    if (ctx.method !== 'POST') return reply(ctx, endpoint, 43002);
    await delayBefore(endpoint);
    const body = await jsonBody(ctx, endpoint);
    if (body === undefined) return;
    const appId = String(ctx.state.wechatAppId);
    // Template messages belong to official accounts; a mini-program token is not authorised.
    if (appId === context.miniProgram.appId) return reply(ctx, endpoint, 48001);
    const parsed = templateSendSchema.safeParse(body);
    if (!parsed.success) return reply(ctx, endpoint, 47001);
    const request = parsed.data;
    const touser = request.touser ?? '';

    const injected = injectedErrcode(endpoint, touser);
    if (injected !== null) return reply(ctx, endpoint, injected);
    if (touser === '') return reply(ctx, endpoint, 40003);
    // follower() creates an unsubscribed record for an unknown openid. Only a subscribe event sets
    // subscribedAt, so a record without it is a user the account never had: 40003, not 43004.
    const target = officialAccount.follower(appId, touser);
    if (!target.subscribed)
      return reply(ctx, endpoint, target.subscribedAt === null ? 40003 : 43004);
    if (!TEMPLATE_ID_PATTERN.test(request.template_id ?? '')) return reply(ctx, endpoint, 40037);
    if (request.miniprogram !== undefined) {
      // NOTE: WeChat also requires the mini-program to be linked to the account. Its errcode for an
      // unlinked one is not in the sandbox's sources, so the sandbox returns 40013.
      if (request.miniprogram.appid !== context.miniProgram.appId)
        return reply(ctx, endpoint, 40013);
      if (!request.miniprogram.pagepath) return reply(ctx, endpoint, 47001);
    }
    if (request.data === undefined) return reply(ctx, endpoint, 47001);

    const now = clock.now();
    const dedupKey =
      request.client_msg_id === undefined
        ? null
        : `${appId}\u0000${touser}\u0000${request.client_msg_id}`;
    const earlier = dedupKey === null ? undefined : clientMsgIds.get(dedupKey);
    if (earlier !== undefined && now - earlier.at < CLIENT_MSG_ID_WINDOW_MS) {
      duplicatesSuppressed += 1;
      logger.info({ endpoint }, 'repeated client_msg_id answered without sending');
      await delayAfter(endpoint);
      ctx.body = { errcode: 0, errmsg: 'ok', msgid: earlier.msgid };
      return;
    }

    const data: Record<string, string> = {};
    const violations: string[] = [];
    for (const [key, keyword] of Object.entries(request.data)) {
      const inspected = inspectKeyword(key, keyword);
      violations.push(...inspected.violations);
      if (key !== 'first' && key !== 'remark') data[key] = inspected.displayed;
    }
    const msgid = nextMsgid++;
    if (dedupKey !== null) clientMsgIds.set(dedupKey, { msgid, at: now });
    templateMessages.push({
      msgid,
      at: new Date(now).toISOString(),
      appId,
      touser,
      templateId: request.template_id ?? '',
      clientMsgId: request.client_msg_id ?? null,
      miniprogram:
        request.miniprogram === undefined
          ? null
          : { appid: request.miniprogram.appid, pagepath: request.miniprogram.pagepath ?? '' },
      url: request.url ?? null,
      data,
      violations,
    });
    templateCounter.accept(touser);
    if (violations.length > 0) messagesWithViolations += 1;
    await delayAfter(endpoint);
    ctx.body = { errcode: 0, errmsg: 'ok', msgid };
  }

  async function sendSubscribe(ctx: Context): Promise<void> {
    const endpoint = 'subscribe_send';
    if (ctx.method !== 'POST') return reply(ctx, endpoint, 43002);
    await delayBefore(endpoint);
    const body = await jsonBody(ctx, endpoint);
    if (body === undefined) return;
    const appId = String(ctx.state.wechatAppId);
    // Subscription messages belong to the mini-program.
    if (appId !== context.miniProgram.appId) return reply(ctx, endpoint, 48001);
    const parsed = subscribeSendSchema.safeParse(body);
    if (!parsed.success) return reply(ctx, endpoint, 47001);
    const request = parsed.data;
    const touser = request.touser ?? '';
    const templateId = request.template_id ?? '';

    const injected = injectedErrcode(endpoint, touser);
    if (injected !== null) return reply(ctx, endpoint, injected);
    if (touser === '') return reply(ctx, endpoint, 40003);
    if (!TEMPLATE_ID_PATTERN.test(templateId)) return reply(ctx, endpoint, 40037);
    if (request.page !== undefined && (request.page === '' || /\s/.test(request.page))) {
      return reply(ctx, endpoint, 41030);
    }
    if (request.data === undefined || !subscribeDataIsValid(request.data)) {
      return reply(ctx, endpoint, 47003);
    }
    const key = grantKey(touser, templateId);
    const remaining = grants.get(key) ?? 0;
    if (remaining <= 0) return reply(ctx, endpoint, 43101);
    grants.set(key, remaining - 1);

    const msgid = nextMsgid++;
    subscribeMessages.push({
      msgid,
      at: new Date(clock.now()).toISOString(),
      appId,
      touser,
      templateId,
      page: request.page ?? null,
      data: Object.fromEntries(Object.entries(request.data).map(([k, v]) => [k, v.value])),
    });
    subscribeCounter.accept(touser);
    await delayAfter(endpoint);
    ctx.body = { errcode: 0, errmsg: 'ok', msgid };
  }

  const router = new Router();
  router.all('/cgi-bin/message/template/send', requireAccessToken(), sendTemplate);
  router.all('/cgi-bin/message/subscribe/send', requireAccessToken(), sendSubscribe);

  return {
    router,
    grantSubscription(openid, templateId, count) {
      const key = grantKey(openid, templateId);
      grants.set(key, (grants.get(key) ?? 0) + count);
    },
    remainingGrants: (openid, templateId) => grants.get(grantKey(openid, templateId)) ?? 0,
    faults: (endpoint) => faults[endpoint],
    setFaults(endpoint, next) {
      faults[endpoint] = next;
      logger.info(
        {
          endpoint,
          delayMs: next.delayMs,
          responseDelayMs: next.responseDelayMs,
          rules: next.rules.length,
        },
        'push faults changed',
      );
    },
    templateMessages: () => [...templateMessages],
    subscribeMessages: () => [...subscribeMessages],
    summary: () => ({
      template: { ...templateCounter.snapshot(), duplicatesSuppressed, messagesWithViolations },
      subscribe: subscribeCounter.snapshot(),
    }),
    reset() {
      nextMsgid = 1;
      templateMessages = [];
      subscribeMessages = [];
      templateCounter = new RecipientCounter();
      subscribeCounter = new RecipientCounter();
      duplicatesSuppressed = 0;
      messagesWithViolations = 0;
      clientMsgIds = new Map();
      grants = new Map();
      faults = { template_send: noFaults(), subscribe_send: noFaults() };
    },
  };
}
