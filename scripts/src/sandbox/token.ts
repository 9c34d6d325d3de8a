// Access tokens: POST /cgi-bin/stable_token (getStableAccessToken), its test controls under
// /sandbox/stable-token, and the registry of issued tokens that every later WeChat endpoint checks
// through requireAccessToken().
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { readJsonBody } from './http-body.js';
import { wechatError, type WechatErrcode } from './wechat-errors.js';

/** A stable access token is valid for 7200 seconds. */
export const ACCESS_TOKEN_TTL_MS = 7200 * 1000;
/**
 * Overlap during which an old and a new token are both valid. In normal mode WeChat issues the
 * next token once the current one has less than this left, so expires_in is always >= 300.
 */
export const TOKEN_OVERLAP_MS = 5 * 60 * 1000;
/** A force refresh less than 30 s after the previous one does not refresh. */
export const FORCE_REFRESH_MIN_INTERVAL_MS = 30 * 1000;
/** Force refreshes allowed per app and day. The next one fails with 45009. */
export const FORCE_REFRESH_DAILY_LIMIT = 20;

/** Errcodes that a test can make stable_token return, both documented for getStableAccessToken. */
export const SIMULATED_STABLE_TOKEN_ERRCODES = [-1, 45009] as const;
export type SimulatedStableTokenErrcode = (typeof SIMULATED_STABLE_TOKEN_ERRCODES)[number];

/** Test-controlled deviations of stable_token, set with `POST /sandbox/stable-token`. */
export interface StableTokenBehaviour {
  /** Wait before handling each stable_token request, in milliseconds of real time. */
  delayMs: number;
  /** When set, every stable_token request fails with this errcode and changes no token. */
  errcode: SimulatedStableTokenErrcode | null;
}

const stableTokenBehaviourPatchSchema = z.strictObject({
  delayMs: z.number().int().min(0).max(60_000).optional(),
  errcode: z
    .union(SIMULATED_STABLE_TOKEN_ERRCODES.map((errcode) => z.literal(errcode)))
    .nullable()
    .optional(),
});

/** WeChat counts daily quotas by the calendar day in China Standard Time (UTC+8). */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

export interface StableTokenResponse {
  access_token: string;
  /** Seconds the returned token stays valid. */
  expires_in: number;
}

interface IssuedToken {
  appId: string;
  expiresAt: number;
  /** Time from which a later force refresh makes this token invalid (40001), or null. */
  revokedAt: number | null;
}

interface CurrentToken {
  token: string;
  entry: IssuedToken;
}

interface AppTokenState {
  current: CurrentToken | null;
  lastForceRefreshAt: number | null;
  forceRefreshDay: string;
  forceRefreshCount: number;
  /** Force refreshes that issued a new token since start or reset, for tests. */
  forceRefreshesIssued: number;
}

/** Fields of the stable_token body. Unknown fields are ignored, and a field of the wrong type gets 47001. */
const stableTokenBodySchema = z.object({
  grant_type: z.string().optional(),
  appid: z.string().optional(),
  secret: z.string().optional(),
  force_refresh: z.boolean().optional(),
});

type StableTokenResult = { errcode: WechatErrcode } | { errcode: null; token: StableTokenResponse };

export interface TokenArea {
  router: Router;
  /** Returns true while `token` may call WeChat APIs. */
  isAccessTokenValid(token: string): boolean;
  /** Returns the errcode WeChat sends for this access_token parameter, or null when it is valid. */
  accessTokenErrcode(token: string | undefined): 40001 | 41001 | 42001 | null;
  /** Returns the AppID a valid token was issued to, or undefined. */
  appIdOfToken(token: string): string | undefined;
  /**
   * Creates Koa middleware for WeChat endpoints that take `?access_token=`. It responds to an
   * invalid token with WeChat's errcode and otherwise stores the token's AppID in
   * `ctx.state.wechatAppId`.
   */
  requireAccessToken(): Middleware;
  reset(): void;
}

function newAccessToken(): string {
  // Shaped like a real token: a number, an underscore, then base64url characters. The length
  // is an estimate, well under the 512 characters that WeChat's documentation requires clients
  // to reserve.
  return `90_${randomBytes(99).toString('base64url')}`;
}

function chinaDay(epochMs: number): string {
  return new Date(epochMs + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

export function createTokenArea(context: SandboxContext): TokenArea {
  const { apps, clock, logger, calls } = context;
  const tokens = new Map<string, IssuedToken>();
  const appStates = new Map<string, AppTokenState>();
  const behaviour: StableTokenBehaviour = { delayMs: 0, errcode: null };

  function stateOf(appId: string): AppTokenState {
    let state = appStates.get(appId);
    if (state === undefined) {
      state = {
        current: null,
        lastForceRefreshAt: null,
        forceRefreshDay: '',
        forceRefreshCount: 0,
        forceRefreshesIssued: 0,
      };
      appStates.set(appId, state);
    }
    return state;
  }

  function issue(appId: string, state: AppTokenState, now: number): CurrentToken {
    const token = newAccessToken();
    const entry: IssuedToken = { appId, expiresAt: now + ACCESS_TOKEN_TTL_MS, revokedAt: null };
    tokens.set(token, entry);
    state.current = { token, entry };
    return state.current;
  }

  function respond(current: CurrentToken, now: number): StableTokenResponse {
    return {
      access_token: current.token,
      expires_in: Math.floor((current.entry.expiresAt - now) / 1000),
    };
  }

  /**
   * Issues a new token in force-refresh mode. The getStableAccessToken page states that the
   * previous token becomes invalid, but its leak procedure (two force refreshes 30 s apart
   * invalidate a leaked token at once) implies that the previous token keeps working for a
   * while. The sandbox therefore keeps the previous token valid for TOKEN_OVERLAP_MS and
   * invalidates every older token immediately.
   */
  function forceRefresh(appId: string, state: AppTokenState, now: number): StableTokenResult {
    const sinceLast = state.lastForceRefreshAt === null ? Infinity : now - state.lastForceRefreshAt;
    if (state.current !== null && sinceLast < FORCE_REFRESH_MIN_INTERVAL_MS) {
      return { errcode: null, token: respond(state.current, now) };
    }

    const day = chinaDay(now);
    if (state.forceRefreshDay !== day) {
      state.forceRefreshDay = day;
      state.forceRefreshCount = 0;
    }
    if (state.forceRefreshCount >= FORCE_REFRESH_DAILY_LIMIT) {
      return { errcode: 45009 };
    }
    state.forceRefreshCount += 1;
    state.forceRefreshesIssued += 1;
    state.lastForceRefreshAt = now;

    const previous = state.current?.entry;
    for (const entry of tokens.values()) {
      const stillValid = entry.revokedAt === null || entry.revokedAt > now;
      if (entry.appId === appId && entry !== previous && stillValid) {
        entry.revokedAt = now;
      }
    }
    if (previous !== undefined) {
      previous.revokedAt = now + TOKEN_OVERLAP_MS;
    }
    return { errcode: null, token: respond(issue(appId, state, now), now) };
  }

  function getStableToken(body: unknown): StableTokenResult {
    const parsed = stableTokenBodySchema.safeParse(body);
    if (!parsed.success) return { errcode: 47001 };
    const { grant_type: grantType, appid, secret, force_refresh: force } = parsed.data;

    if (appid === undefined || appid === '') return { errcode: 41002 };
    if (secret === undefined || secret === '') return { errcode: 41004 };
    if (grantType !== 'client_credential') return { errcode: 40002 };
    const app = apps.get(appid);
    if (app === undefined) return { errcode: 40013 };
    if (secret !== app.appSecret) return { errcode: 40125 };

    const now = clock.now();
    const state = stateOf(appid);
    if (force === true) {
      return forceRefresh(appid, state, now);
    }
    // Normal mode: keep the current token until it enters its last TOKEN_OVERLAP_MS, then
    // issue the next one while the old one runs out on its own.
    let current = state.current;
    if (current === null || now >= current.entry.expiresAt - TOKEN_OVERLAP_MS) {
      current = issue(appid, state, now);
    }
    return { errcode: null, token: respond(current, now) };
  }

  function accessTokenErrcode(token: string | undefined): 40001 | 41001 | 42001 | null {
    if (token === undefined || token === '') return 41001;
    const entry = tokens.get(token);
    if (entry === undefined) return 40001;
    const now = clock.now();
    const revoked =
      entry.revokedAt !== null && now >= entry.revokedAt && entry.revokedAt < entry.expiresAt;
    if (revoked) return 40001;
    if (now >= entry.expiresAt) return 42001;
    return null;
  }

  const router = new Router();

  router.all('/cgi-bin/stable_token', async (ctx) => {
    calls.increment('stable_token');
    if (behaviour.delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    }
    let result: StableTokenResult;
    if (behaviour.errcode !== null) {
      result = { errcode: behaviour.errcode };
    } else if (ctx.method !== 'POST') {
      result = { errcode: 43002 };
    } else {
      const body = await readJsonBody(ctx.req);
      if (body.kind === 'empty') {
        result = { errcode: 44002 };
      } else if (body.kind !== 'parsed') {
        result = { errcode: 47001 };
      } else {
        result = getStableToken(body.value);
      }
    }

    if (result.errcode !== null) {
      logger.info(
        { endpoint: 'stable_token', errcode: result.errcode },
        'wechat api call rejected',
      );
      ctx.body = wechatError(result.errcode, clock.now());
      return;
    }
    logger.info(
      { endpoint: 'stable_token', expiresIn: result.token.expires_in },
      'wechat api call succeeded',
    );
    ctx.body = result.token;
  });

  // Test controls of stable_token. Like the routes in dev-controls.ts, WeChat has no such routes.
  // GET returns the behaviour and, per AppID, the force refreshes that issued a new token.
  router.get('/sandbox/stable-token', (ctx) => {
    const forceRefreshesIssued: Record<string, number> = {};
    for (const [appId, state] of appStates) {
      forceRefreshesIssued[appId] = state.forceRefreshesIssued;
    }
    ctx.body = { ...behaviour, forceRefreshesIssued };
  });

  router.post('/sandbox/stable-token', async (ctx) => {
    const body = await readJsonBody(ctx.req);
    if (body.kind === 'too_large' || body.kind === 'invalid_json') {
      ctx.status = 400;
      ctx.body = {
        error: { id: 'invalid_request', message: 'request body is not JSON of at most 64 KiB' },
      };
      return;
    }
    const parsed = stableTokenBehaviourPatchSchema.safeParse(
      body.kind === 'empty' ? {} : body.value,
    );
    if (!parsed.success) {
      ctx.status = 400;
      ctx.body = { error: { id: 'invalid_request', message: z.prettifyError(parsed.error) } };
      return;
    }
    if (parsed.data.delayMs !== undefined) behaviour.delayMs = parsed.data.delayMs;
    if (parsed.data.errcode !== undefined) behaviour.errcode = parsed.data.errcode;
    logger.info({ behaviour }, 'sandbox stable_token behaviour changed');
    ctx.body = behaviour;
  });

  function requireAccessToken(): Middleware {
    return async (ctx, next) => {
      const raw = ctx.query.access_token;
      const token = Array.isArray(raw) ? raw[0] : raw;
      const errcode = accessTokenErrcode(token);
      if (errcode !== null || token === undefined) {
        logger.info({ path: ctx.path, errcode }, 'access token rejected');
        ctx.body = wechatError(errcode ?? 41001, clock.now());
        return;
      }
      ctx.state.wechatAppId = tokens.get(token)?.appId;
      await next();
    };
  }

  // getcallbackip is the simplest WeChat API that takes an access token, so clients and tests
  // can check a token over HTTP. The real endpoint lists WeChat's callback IP ranges.
  router.get(
    '/cgi-bin/getcallbackip',
    calls.countRequests('getcallbackip'),
    requireAccessToken(),
    (ctx) => {
      ctx.body = { ip_list: ['127.0.0.1'] };
    },
  );

  return {
    router,
    isAccessTokenValid: (token) => accessTokenErrcode(token) === null,
    accessTokenErrcode,
    appIdOfToken: (token) =>
      accessTokenErrcode(token) === null ? tokens.get(token)?.appId : undefined,
    requireAccessToken,
    reset() {
      tokens.clear();
      appStates.clear();
      behaviour.delayMs = 0;
      behaviour.errcode = null;
    },
  };
}
