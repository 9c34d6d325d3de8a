import type { Middleware } from 'koa';
import { forbidden } from '../../errors.js';
import { requireLearner } from '../../http/authenticate.js';
import type { AuthService } from '../auth/auth.service.js';
import { resolveOperator } from './grants.service.js';

declare module 'koa' {
  interface DefaultState {
    /** Employee number of the operator making the request. */
    operator: string;
  }
}

/**
 * Authenticates the caller (401 without a valid session) and checks their operator grant on every
 * request: 403 without one. Sets the operator's employee number in `ctx.state.operator`.
 */
export function requireOperator(auth: AuthService): Middleware {
  const authenticate = requireLearner(auth);
  return (ctx, next) =>
    authenticate(ctx, async () => {
      const operator = await resolveOperator(ctx.state.learnerId);
      if (operator === null) {
        throw forbidden(
          'This account is not an operator: an administrator must grant its employee the ' +
            'operator role on the head office',
        );
      }
      ctx.state.operator = operator;
      await next();
    });
}
