/**
 * The inference service's request handler, built from its dependencies (the service, the
 * metrics, the token): routing, the service-token check, the method check, the request metrics
 * and the error answer live here; what each route does lives in routes/.
 *
 * Routes (all `/v1/*` need `Authorization: Bearer <service token>` when a token is configured):
 *   GET  /healthz         liveness, no auth
 *   GET  /metrics         Prometheus text (names from @hlp/telemetry), no auth
 *   GET  /v1/info         ServiceInfo: parameters, workloads, rotation steps, limits
 *   POST /v1/keys         frames (application/octet-stream): public/relin/galois SEAL keys → KeyUploadResponse
 *   GET  /v1/keys/:id     200 when the key set is registered, 404 UNKNOWN_KEY otherwise
 *   POST /v1/evaluate     frames: EvaluateRequestHeader + ciphertexts → EvaluateResponseHeader + ciphertexts
 */
import { checkBearer } from '@hlp/protocol';
import { headerValue, pathOf, type Handler } from '@hlp/service-runtime';
import { answerFailure, methodNotAllowed, missingServiceToken, routeNotFound } from './errors.js';
import { evaluateRoute } from './routes/evaluate.js';
import { healthzRoute } from './routes/healthz.js';
import { infoRoute } from './routes/info.js';
import { KEY_LOOKUP_PREFIX, keyLookupRoute } from './routes/key-lookup.js';
import { keyUploadRoute } from './routes/key-upload.js';
import { metricsRoute } from './routes/metrics.js';
import type { AppDependencies, Route, RouteContext } from './routes/route.js';

export type { AppDependencies, RecordedRequest } from './routes/route.js';

/** Exact paths; `/v1/keys/:id` is matched by prefix. */
const EXACT_ROUTES: ReadonlyMap<string, Route> = new Map([healthzRoute, metricsRoute, infoRoute, keyUploadRoute, evaluateRoute].map((r) => [r.pattern, r]));

function routeOf(path: string): Route | undefined {
  if (path.startsWith(KEY_LOOKUP_PREFIX)) return keyLookupRoute;
  return EXACT_ROUTES.get(path);
}

/** Throws what the route refuses before it runs: a missing token, another method. */
function admit(route: Route, context: RouteContext): void {
  const { req, method, app } = context;
  if (route.authenticated && app.token && !checkBearer(headerValue(req.headers, 'authorization'), app.token)) {
    req.resume();
    throw missingServiceToken();
  }
  if (route.method !== undefined && method !== route.method) throw methodNotAllowed(route.pattern, route.method, method);
}

export function createInferenceApp(app: AppDependencies): Handler {
  const m = app.telemetry.metrics;
  return async (req, res) => {
    const path = pathOf(req);
    const method = req.method ?? 'GET';
    const route = routeOf(path);
    const routeLabel = route?.pattern ?? 'unmatched';
    const started = performance.now();
    m.httpRequestsInFlight.inc();
    res.once('close', () => {
      m.httpRequestsInFlight.dec();
      // 499 (as nginx logs it): the client went away before the response was complete.
      const status = (res as { writableFinished?: boolean }).writableFinished === false ? '499' : String(res.statusCode);
      m.httpRequestDuration.observe({ route: routeLabel, method, status }, (performance.now() - started) / 1000);
    });
    try {
      if (!route) throw routeNotFound(method, path);
      const context: RouteContext = { req, res, method, path, app };
      admit(route, context);
      await route.handle(context);
    } catch (e) {
      m.errors.inc({ code: answerFailure(res, e, routeLabel, app.log) });
    }
  };
}
