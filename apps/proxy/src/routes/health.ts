/**
 * GET /healthz: liveness. GET /readyz: 200 once the keys are uploaded and the inference service
 * answers, 503 otherwise. Both stay open for probes, with client tokens too.
 */
import { sendJson } from '@hlp/service-runtime';
import type { RouteHandler } from './context.js';

export const healthz: RouteHandler = (app, { res }) =>
  sendJson(res, 200, { status: app.state.closing ? 'draining' : 'ok', service: 'hlp-proxy', pid: process.pid });

/**
 * Status code and state for everyone; the key id, backend, pid and upstream error identify the
 * deployment, so with client tokens only a valid one sees them.
 */
export const readyz: RouteHandler = async (app, { req, res }) => {
  const details = app.auth.showsDetails(req);
  const pid = details ? { pid: process.pid } : {};
  if (app.state.closing) return sendJson(res, 503, { status: 'draining', ...pid });
  const h = await app.health.check();
  const ready = app.state.ready;
  if (!ready) return sendJson(res, 503, { status: 'starting', upstream: h.ok ? 'up' : 'down' });
  const breaker = app.breaker.state;
  if (!h.ok) return sendJson(res, 503, { status: 'upstream down', upstream: 'down', breaker, ...(details ? { error: h.error ?? null } : {}) });
  const extra = details ? { keyId: ready.upload.keyId, backend: ready.backend.name, ...pid } : {};
  return sendJson(res, 200, { status: 'ready', upstream: 'up', breaker, ...extra });
};
