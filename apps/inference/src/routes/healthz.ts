/** GET /healthz: liveness, no auth. */
import { sendJson } from '@hlp/service-runtime';
import { recordBodiless, type Route } from './route.js';

export const healthzRoute: Route = {
  pattern: '/healthz',
  authenticated: false,
  handle(context) {
    recordBodiless(context);
    return sendJson(context.res, 200, { status: 'ok', service: 'hlp-inference', pid: process.pid });
  },
};
