/** GET /v1/info: ServiceInfo (parameters, workloads, rotation steps, limits). */
import { compressionFor, sendJson } from '@hlp/service-runtime';
import { recordBodiless, type Route } from './route.js';

export const infoRoute: Route = {
  pattern: '/v1/info',
  method: 'GET',
  authenticated: true,
  handle(context) {
    recordBodiless(context);
    return sendJson(context.res, 200, context.app.service.info(), {}, compressionFor(context.req));
  },
};
