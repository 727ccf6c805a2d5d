/** GET /metrics: Prometheus text (names from @hlp/telemetry; a cluster's workers aggregated by the primary). */
import { compressionFor, sendBody } from '@hlp/service-runtime';
import type { RouteHandler } from './context.js';

export const metrics: RouteHandler = async (app, { req, res }) => {
  const { text, contentType } = app.config.metricsSource
    ? await app.config.metricsSource()
    : { text: await app.telemetry.metricsText(), contentType: app.telemetry.contentType };
  return sendBody(res, 200, Buffer.from(text, 'utf8'), contentType, {}, compressionFor(req));
};
