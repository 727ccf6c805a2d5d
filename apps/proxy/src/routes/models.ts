/** GET /v1/models and GET /v1/models/:id: the workloads the inference service serves, as models `hlp-<workload>`. */
import { decodePathSegment, sendJson } from '@hlp/service-runtime';
import type { RouteHandler } from './context.js';

export const MODEL_PREFIX = '/v1/models/';

export const listModels: RouteHandler = (app, { req, res, expect, zip }) => {
  expect('GET');
  app.auth.authorize(req);
  const st = app.state.requireReady();
  return sendJson(
    res,
    200,
    { object: 'list', data: st.info.workloads.map((w) => ({ id: w.model, object: 'model', created: st.created, owned_by: 'hlp' })) },
    {},
    zip,
  );
};

export const getModel: RouteHandler = (app, { req, res, path, expect, zip }) => {
  expect('GET');
  app.auth.authorize(req);
  const st = app.state.requireReady();
  const id = decodePathSegment(path.slice(MODEL_PREFIX.length));
  const w = st.pipeline.workloadFor(id);
  return sendJson(res, 200, { id: w.model, object: 'model', created: st.created, owned_by: 'hlp' }, {}, zip);
};
