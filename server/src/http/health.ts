import Router from '@koa/router';
import mongoose from 'mongoose';
import { ApiError } from '../errors.js';

/** `GET /api/health`: 200 when the database responds to a ping, for load balancers and start scripts. */
export function createHealthRouter(): Router {
  const router = new Router();
  router.get('/api/health', async (ctx) => {
    const database = mongoose.connection.db;
    const ok = database
      ? await database
          .admin()
          .ping()
          .then(
            () => true,
            () => false,
          )
      : false;
    if (!ok) throw new ApiError(503, 'service_unavailable', 'The database is not reachable');
    ctx.body = { status: 'ok' };
  });
  return router;
}
