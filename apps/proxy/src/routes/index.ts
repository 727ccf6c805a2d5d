/**
 * The proxy's routes, one module each. With client tokens configured, every /v1 route needs
 * `Authorization: Bearer <token>` (auth.ts); until start-up has finished they answer 503 NOT_READY.
 *
 *   POST /v1/embeddings    embeddings.ts
 *   GET  /v1/models        models.ts
 *   GET  /v1/models/:id    models.ts
 *   POST /v1/fhe/encrypt   encrypt.ts
 *   GET  /healthz          health.ts
 *   GET  /readyz           health.ts
 *   GET  /metrics          metrics.ts
 */
import type { RouteHandler } from './context.js';
import { embeddings } from './embeddings.js';
import { encrypt } from './encrypt.js';
import { healthz, readyz } from './health.js';
import { metrics } from './metrics.js';
import { MODEL_PREFIX, getModel, listModels } from './models.js';

export type { RouteContext, RouteHandler } from './context.js';

const HANDLERS = {
  '/healthz': healthz,
  '/readyz': readyz,
  '/metrics': metrics,
  '/v1/models': listModels,
  '/v1/models/:id': getModel,
  '/v1/embeddings': embeddings,
  '/v1/fhe/encrypt': encrypt,
} as const satisfies Record<string, RouteHandler>;

export type RouteName = keyof typeof HANDLERS;

/** The route a path takes, as metrics label it: its pattern, or `unmatched`. */
export function routeOf(path: string): RouteName | 'unmatched' {
  if (path.startsWith(MODEL_PREFIX)) return '/v1/models/:id';
  return Object.hasOwn(HANDLERS, path) ? (path as RouteName) : 'unmatched';
}

export function handlerFor(route: RouteName | 'unmatched'): RouteHandler | undefined {
  return route === 'unmatched' ? undefined : HANDLERS[route];
}
