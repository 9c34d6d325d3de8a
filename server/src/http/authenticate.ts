import type { Middleware } from 'koa';
import type { Types } from 'mongoose';
import { unauthenticated } from '../errors.js';
import type { AuthService } from '../modules/auth/auth.service.js';

declare module 'koa' {
  interface DefaultState {
    learnerId: Types.ObjectId;
  }
}

const BEARER_PATTERN = /^Bearer ([A-Za-z0-9_-]{20,128})$/;

/** Rejects the request with 401 unless it carries a valid session token; sets `ctx.state.learnerId`. */
export function requireLearner(auth: AuthService): Middleware {
  return async (ctx, next) => {
    const match = BEARER_PATTERN.exec(ctx.get('authorization'));
    if (!match?.[1]) throw unauthenticated();

    ctx.state.learnerId = await auth.authenticate(match[1]);
    await next();
  };
}
