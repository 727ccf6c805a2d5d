/**
 * POST /v1/fhe/encrypt: the same JSON request as embeddings; answers the ciphertexts (frames,
 * application/octet-stream). Never batched: a client gets only its own ciphertexts.
 */
import { formatServerTiming } from '@hlp/protocol';
import { sendFrames } from '@hlp/service-runtime';
import { admitRequest, observeStages } from './admitted.js';
import type { RouteHandler } from './context.js';

export const encrypt: RouteHandler = async (app, ctx) => {
  const { body, ready: st, requestId, prepared } = await admitRequest(app, ctx);
  app.breaker.check();
  const enc = await st.pipeline.encrypt(prepared);
  const p = enc.plan;
  const header = {
    object: 'hlp.ciphertexts',
    model: body.model,
    workload: enc.workload.name,
    keyId: st.upload.keyId,
    params: st.info.params,
    plan: { layout: p.layout, slotCount: p.slotCount, width: p.width, tokens: p.tokens, ciphertexts: p.ciphertexts },
    inputs: enc.inputs,
    seeded: st.pipeline.encryption === 'symmetric',
    usage: { prompt_tokens: enc.tokens, total_tokens: enc.tokens },
  };
  const sent = sendFrames(ctx.res, 200, header, enc.frames, {
    'server-timing': formatServerTiming(enc.stages),
    'x-request-id': requestId,
  });
  app.metrics.ciphertextsSent.inc({ peer: 'client' }, enc.frames.length);
  app.metrics.bytesSent.inc({ peer: 'client' }, sent);
  observeStages(app, enc.stages);
};
