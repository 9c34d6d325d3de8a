import Router from '@koa/router';
import type { AppDeps } from '../../app.js';

// Placeholder until the catalog module lands.
export function createCatalogRouter(_deps: AppDeps): Router {
  return new Router({ prefix: '/api' });
}
