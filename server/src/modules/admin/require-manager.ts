import type { Middleware } from 'koa';
import { forbidden } from '../../errors.js';
import { requireLearner } from '../../http/authenticate.js';
import type { AuthService } from '../auth/auth.service.js';
import { resolveManagerScope, type ManagerScope } from './manager-scope.js';

declare module 'koa' {
  interface DefaultState {
    manager: ManagerScope;
  }
}

/**
 * Authenticates the caller (401 without a valid session) and resolves the org units they manage
 * into `ctx.state.manager`, querying the database on every request: 403 when they manage none.
 * Whether the unit a request names lies in that scope is checked by the service it calls, because
 * an unknown unit must give 404 first.
 */
export function requireManager(auth: AuthService): Middleware {
  const authenticate = requireLearner(auth);
  return (ctx, next) =>
    authenticate(ctx, async () => {
      const scope = await resolveManagerScope(ctx.state.learnerId);
      if (!scope) {
        throw forbidden(
          'This account manages no org unit: ' +
            'an administrator must grant its employee the manager role',
        );
      }
      ctx.state.manager = scope;
      await next();
    });
}
