/**
 * POST /v1/embeddings: OpenAI embeddings; the vectors are the decrypted workload outputs,
 * mean-pooled per input. Requests of one workload and layout share batches (batcher.ts).
 */
import { formatServerTiming } from '@hlp/protocol';
import { sendBody } from '@hlp/service-runtime';
import type { EmbeddingsResult } from '../pipeline.js';
import { admitRequest, observeStages } from './admitted.js';
import type { RouteHandler } from './context.js';

export const embeddings: RouteHandler = async (app, ctx) => {
  const { ready: st, requestId, prepared } = await admitRequest(app, ctx);
  // Fail fast while the service is down rather than after the batch window.
  app.breaker.check();
  const key = st.pipeline.batchKey(prepared);
  const result = key === undefined ? (await st.pipeline.runBatch([prepared], [0], requestId))[0]! : await app.batcher.submit(key, prepared, prepared.tokens);
  observeStages(app, result.stages);
  const payload = Buffer.from(JSON.stringify(result.response), 'utf8');
  const out = sendBody(ctx.res, 200, payload, 'application/json', resultHeaders(result, requestId), ctx.zip);
  if (out) await out;
  app.metrics.bytesSent.inc({ peer: 'client' }, payload.length);
};

function resultHeaders(result: EmbeddingsResult, requestId: string): Record<string, string> {
  return {
    'server-timing': formatServerTiming(result.stages),
    'x-request-id': requestId,
    'x-hlp-ciphertexts': String(result.ciphertexts),
    'x-hlp-batch-size': String(result.batchSize),
    'x-hlp-ops': JSON.stringify(result.ops),
    'x-hlp-upstream-timing': formatServerTiming({
      queue: result.serverTimings.queueMs,
      deserialize: result.serverTimings.deserializeMs,
      evaluate: result.serverTimings.evaluateMs,
      serialize: result.serverTimings.serializeMs,
    }),
  };
}
