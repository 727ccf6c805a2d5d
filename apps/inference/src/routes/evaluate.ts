/** POST /v1/evaluate: frames of EvaluateRequestHeader + ciphertexts → EvaluateResponseHeader + ciphertexts. */
import { EvaluateRequestHeader, FRAME_CONTENT_TYPE, decodeFrames, formatServerTiming } from '@hlp/protocol';
import { readBody, requireMediaType, sendFrames } from '@hlp/service-runtime';
import type { AppMetrics } from '@hlp/telemetry';
import { parseFrameHeader } from '../errors.js';
import type { EvaluateResult } from '../service.js';
import type { Route } from './route.js';

/** The `op` label of hlp_workload_operations_total for each field of OpCounts. */
const OP_LABELS = {
  rotations: 'rotation',
  plaintextMultiplications: 'plaintext_multiplication',
  ciphertextMultiplications: 'ciphertext_multiplication',
  relinearizations: 'relinearization',
  rescales: 'rescale',
  additions: 'addition',
} as const;

function observeEvaluation(m: AppMetrics<'inference'>, result: EvaluateResult): void {
  const t = result.header.timings;
  m.stageDuration.observe({ stage: 'deserialize' }, t.deserializeMs / 1000);
  m.stageDuration.observe({ stage: 'evaluate' }, t.evaluateMs / 1000);
  m.workloadEvaluationDuration.observe({ workload: result.header.workload, layout: result.header.layout }, t.evaluateMs / 1000);
  for (const [op, count] of Object.entries(OP_LABELS)) {
    const done = result.header.ops[op as keyof typeof OP_LABELS];
    if (done > 0) m.workloadOperations.inc({ workload: result.header.workload, op: count }, done);
  }
}

export const evaluateRoute: Route = {
  pattern: '/v1/evaluate',
  method: 'POST',
  authenticated: true,
  async handle({ req, res, method, path, app }) {
    const m = app.telemetry.metrics;
    // The answers' memory is lent to the response until it closes (written, or the client
    // gone): watched from the start, so that a close during the evaluation is not missed.
    let closed = false;
    let onClose: (() => void) | null = null;
    res.once('close', () => {
      closed = true;
      onClose?.();
    });
    requireMediaType(req, FRAME_CONTENT_TYPE);
    const bodies = app.service.bodies;
    const body = await readBody(req, app.service.maxBodyBytes, null, bodies);
    let result: EvaluateResult;
    try {
      m.bytesReceived.inc({ peer: 'proxy' }, body.length);
      // the hook keeps what it is given; the body's memory is reused once evaluated
      app.onRequest?.({ method, path, headers: req.headers, body: Buffer.from(body) });
      const { header, frames } = decodeFrames(body, { maxFrames: app.service.maxCiphertexts });
      // every input is copied out of the body as it is loaded: once evaluated, nothing reads the body
      result = await app.service.evaluate(parseFrameHeader(EvaluateRequestHeader, header), frames);
      m.ciphertextsReceived.inc({ peer: 'proxy' }, frames.length);
    } finally {
      bodies.give(body);
    }
    if (closed) result.release();
    else onClose = result.release;
    observeEvaluation(m, result);
    const t = result.header.timings;
    let sent: number;
    try {
      sent = sendFrames(res, 200, result.header, result.frames, {
        'server-timing': formatServerTiming({ queue: t.queueMs, deserialize: t.deserializeMs, evaluate: t.evaluateMs, serialize: t.serializeMs }),
      });
    } catch (error) {
      result.release();
      throw error;
    }
    m.ciphertextsSent.inc({ peer: 'proxy' }, result.frames.length);
    m.bytesSent.inc({ peer: 'proxy' }, sent);
  },
};
