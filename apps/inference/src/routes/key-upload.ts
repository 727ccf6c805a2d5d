/** POST /v1/keys: frames of public/relin/galois SEAL keys → KeyUploadResponse (201 new, 200 known). */
import { FRAME_CONTENT_TYPE, KeyUploadHeader, decodeFrames } from '@hlp/protocol';
import { readBody, requireMediaType, sendJson } from '@hlp/service-runtime';
import { parseFrameHeader } from '../errors.js';
import type { Route } from './route.js';

export const keyUploadRoute: Route = {
  pattern: '/v1/keys',
  method: 'POST',
  authenticated: true,
  async handle({ req, res, method, path, app }) {
    requireMediaType(req, FRAME_CONTENT_TYPE);
    const body = await readBody(req, app.service.maxBodyBytes);
    app.telemetry.metrics.bytesReceived.inc({ peer: 'proxy' }, body.length);
    app.onRequest?.({ method, path, headers: req.headers, body });
    const { header, frames } = decodeFrames(body, { maxFrames: 8 });
    const r = await app.service.uploadKeys(parseFrameHeader(KeyUploadHeader, header), frames);
    return sendJson(res, r.created ? 201 : 200, r);
  },
};
