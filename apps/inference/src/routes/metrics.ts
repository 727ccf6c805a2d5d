/** GET /metrics: Prometheus text (names from @hlp/telemetry), no auth. */
import { compressionFor, sendBody } from '@hlp/service-runtime';
import type { Route } from './route.js';

export const metricsRoute: Route = {
  pattern: '/metrics',
  authenticated: false,
  async handle({ req, res, app }) {
    const { text, contentType } = app.metricsSource
      ? await app.metricsSource()
      : { text: await app.telemetry.metricsText(), contentType: app.telemetry.contentType };
    return sendBody(res, 200, Buffer.from(text, 'utf8'), contentType, {}, compressionFor(req));
  },
};
