// Mini-program login: the code2Session exchange (GET /sns/jscode2session) and the login codes
// that wx.login() would hand to the mini-program, issued here by the development-only
// POST /sandbox/login-code route in dev-controls.ts.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Router from '@koa/router';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { wechatError, type WechatErrcode } from './wechat-errors.js';

/** A login code expires 5 minutes after wx.login() returns it, as the code2Session page states. */
export const LOGIN_CODE_TTL_MS = 5 * 60 * 1000;

/** Used and expired codes are forgotten this long after issue, so reuse then returns 40029. */
const CODE_RETENTION_MS = 24 * 60 * 60 * 1000;
const PRUNE_THRESHOLD = 10_000;

const CODE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CODE_LENGTH = 32;

/**
 * Real openids and unionids are 28 characters of the base64url alphabet. The wider length range
 * also accepts ids that tests make up.
 */
const wechatIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -');

export const loginCodeRequestSchema = z
  .strictObject({
    openid: wechatIdSchema.optional(),
    unionid: wechatIdSchema.optional(),
    nickname: z.string().min(1).max(64).optional(),
    learner: z.string().min(1).max(128).optional(),
  })
  .refine((request) => request.openid === undefined || request.learner === undefined, {
    message: 'send either openid or learner, not both',
  });

export type LoginCodeRequest = z.infer<typeof loginCodeRequestSchema>;

export interface LoginCodeGrant {
  code: string;
  openid: string;
  unionid?: string;
  /** Seconds until the code expires. */
  expiresIn: number;
}

/** Successful code2Session response. WeChat omits errcode on success in practice. */
export interface Code2SessionResponse {
  openid: string;
  session_key: string;
  unionid?: string;
}

type ExchangeResult = { errcode: WechatErrcode } | { errcode: null; session: Code2SessionResponse };

interface IssuedCode {
  openid: string;
  issuedAt: number;
  usedAt: number | null;
}

interface LearnerProfile {
  unionid?: string;
  nickname?: string;
}

export interface LoginArea {
  router: Router;
  issueLoginCode(request: LoginCodeRequest): LoginCodeGrant;
  reset(): void;
}

function base64urlDigest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/**
 * Returns the 6-character prefix shared by every openid of one app. Real openids of one
 * mini-program share a prefix like this (e.g. `oCJUsw`).
 */
function openidPrefix(appId: string): string {
  return `o${base64urlDigest(`openid-prefix:${appId}`).slice(0, 5)}`;
}

/** Derives the openid of a named test learner: the same app and name always give the same openid. */
export function deriveOpenid(appId: string, learner: string): string {
  return openidPrefix(appId) + base64urlDigest(`learner:${appId}:${learner}`).slice(0, 22);
}

function randomOpenid(appId: string): string {
  return openidPrefix(appId) + randomBytes(17).toString('base64url').slice(0, 22);
}

function randomLoginCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) {
    code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  }
  return code;
}

/** Returns the first value of a query parameter, or undefined when it is absent or empty. */
function queryParam(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

export function createLoginArea(context: SandboxContext): LoginArea {
  const { miniProgram, clock, logger, calls, behaviour } = context;
  const codes = new Map<string, IssuedCode>();
  const learners = new Map<string, LearnerProfile>();

  function pruneOldCodes(now: number): void {
    for (const [code, entry] of codes) {
      if (now - entry.issuedAt > CODE_RETENTION_MS) {
        codes.delete(code);
      }
    }
  }

  function issueLoginCode(request: LoginCodeRequest): LoginCodeGrant {
    const now = clock.now();
    if (codes.size >= PRUNE_THRESHOLD) {
      pruneOldCodes(now);
    }

    let openid = request.openid;
    if (openid === undefined) {
      openid =
        request.learner === undefined
          ? randomOpenid(miniProgram.appId)
          : deriveOpenid(miniProgram.appId, request.learner);
    }

    // A learner keeps the unionid and nickname of earlier requests unless a request replaces them.
    const profile = learners.get(openid) ?? {};
    if (request.unionid !== undefined) {
      profile.unionid = request.unionid;
    }
    if (request.nickname !== undefined) {
      profile.nickname = request.nickname;
    }
    learners.set(openid, profile);

    const code = randomLoginCode();
    codes.set(code, { openid, issuedAt: now, usedAt: null });
    logger.info({ openid, hasUnionid: profile.unionid !== undefined }, 'login code issued');

    const grant: LoginCodeGrant = { code, openid, expiresIn: LOGIN_CODE_TTL_MS / 1000 };
    if (profile.unionid !== undefined) {
      grant.unionid = profile.unionid;
    }
    return grant;
  }

  /** Applies code2Session's checks in order and consumes the code on success. */
  function exchangeCode(query: Record<string, string | string[] | undefined>): ExchangeResult {
    const appid = queryParam(query.appid);
    const secret = queryParam(query.secret);
    const jsCode = queryParam(query.js_code);
    const grantType = queryParam(query.grant_type);

    if (appid === undefined) return { errcode: 41002 };
    if (secret === undefined) return { errcode: 41004 };
    if (jsCode === undefined) return { errcode: 41008 };
    // NOTE: WeChat's reaction to a missing grant_type is undocumented. The sandbox rejects it
    // so that a client which forgets the parameter fails here rather than in production.
    if (grantType !== 'authorization_code') return { errcode: 40002 };
    if (appid !== miniProgram.appId) return { errcode: 40013 };
    if (secret !== miniProgram.appSecret) return { errcode: 40125 };
    if (behaviour.jscode2sessionErrcode !== null) {
      return { errcode: behaviour.jscode2sessionErrcode };
    }

    const now = clock.now();
    const entry = codes.get(jsCode);
    if (entry === undefined) return { errcode: 40029 };
    if (entry.usedAt !== null) return { errcode: 40163 };
    if (now - entry.issuedAt >= LOGIN_CODE_TTL_MS) return { errcode: 40029 };

    entry.usedAt = now;
    const session: Code2SessionResponse = {
      openid: entry.openid,
      session_key: randomBytes(16).toString('base64'),
    };
    const unionid = learners.get(entry.openid)?.unionid;
    if (unionid !== undefined) {
      session.unionid = unionid;
    }
    return { errcode: null, session };
  }

  const router = new Router();

  // WeChat reads these parameters from the query string only, so a POST with a body fails
  // with 41002 there as it does here.
  router.all('/sns/jscode2session', async (ctx) => {
    calls.increment('jscode2session');
    if (behaviour.jscode2sessionDelayMs > 0) {
      await sleep(behaviour.jscode2sessionDelayMs);
    }

    const result = exchangeCode(ctx.query);
    if (result.errcode !== null) {
      logger.info(
        { endpoint: 'jscode2session', errcode: result.errcode },
        'wechat api call rejected',
      );
      ctx.body = wechatError(result.errcode, clock.now());
      return;
    }
    logger.info(
      { endpoint: 'jscode2session', openid: result.session.openid },
      'wechat api call succeeded',
    );
    ctx.body = result.session;
  });

  return {
    router,
    issueLoginCode,
    reset() {
      codes.clear();
      learners.clear();
    },
  };
}
