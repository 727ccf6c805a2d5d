/**
 * The remote part of a batch: its ciphertexts up to the inference service (`POST /v1/evaluate`),
 * the evaluated ones back, and the service's refusals as the proxy's own error codes.
 */
import { EvaluateResponseHeader, FRAME_CONTENT_TYPE, ProtocolError, decodeFrames, encodeFramesParts, peerErrorCode } from '@hlp/protocol';
import type { Holds } from '../holds.js';
import type { UpstreamResponse } from '../upstream.js';
import type { Encrypted, PipelineDeps } from './types.js';

export type EvaluateDeps = Pick<PipelineDeps, 'upstream' | 'metrics' | 'info' | 'keyId' | 'reupload'>;

export interface Evaluated {
  readonly header: EvaluateResponseHeader;
  /** The evaluated ciphertexts; they view `body`. */
  readonly frames: Uint8Array[];
  /** The response body, to hand back to the upstream once the frames are read. */
  readonly body: Buffer;
  readonly timings: { uploadMs: number; waitMs: number; downloadMs: number };
}

/**
 * One evaluation call; when the service has lost the keys (UNKNOWN_KEY) they are uploaded
 * again and the call retried once. `bodyUse` holds the upload buffer until every stream that sent it has closed.
 */
export async function evaluateRemote(deps: EvaluateDeps, enc: Encrypted, requestId: string, bodyUse?: Holds): Promise<Evaluated> {
  const { upstream, metrics } = deps;
  const p = enc.plan;
  for (let attempt = 0; ; attempt++) {
    const header = {
      keyId: deps.keyId(),
      workload: enc.workload.name,
      params: deps.info.params,
      plan: { layout: p.layout, slotCount: p.slotCount, width: p.width, tokens: p.tokens, ciphertexts: p.ciphertexts },
      requestId,
    };
    const parts = encodeFramesParts(header, enc.frames);
    const sentBytes = parts.reduce((n, x) => n + x.length, 0);
    metrics.queueDepth.inc({ queue: 'upstream' });
    let resp;
    try {
      resp = await upstream.call('/v1/evaluate', { body: parts, contentType: FRAME_CONTENT_TYPE, ...(bodyUse ? { onBodyFree: bodyUse.hold() } : {}) });
    } catch (e) {
      metrics.upstreamDuration.observe({ operation: 'evaluate', status: 'error' }, 0);
      throw e;
    } finally {
      metrics.queueDepth.dec({ queue: 'upstream' });
    }
    metrics.upstreamDuration.observe({ operation: 'evaluate', status: String(resp.status) }, resp.timings.totalMs / 1000);
    metrics.bytesSent.inc({ peer: 'upstream' }, sentBytes);
    metrics.ciphertextsSent.inc({ peer: 'upstream' }, enc.frames.length);
    metrics.bytesReceived.inc({ peer: 'upstream' }, resp.body.length);
    if (resp.status === 200) return decodeEvaluation(deps, resp, p.ciphertexts);
    const refusal = refusalOf(resp);
    if (refusal.code === 'UNKNOWN_KEY' && attempt === 0) {
      // The service lost the keys (restart, eviction, a cold instance): upload once more, retry once.
      await deps.reupload();
      continue;
    }
    throw refusalError(resp.status, refusal);
  }
}

function decodeEvaluation(deps: EvaluateDeps, resp: UpstreamResponse, ciphertexts: number): Evaluated {
  let decoded;
  try {
    decoded = decodeFrames(resp.body, { maxFrames: Math.max(1, ciphertexts) });
  } catch (e) {
    throw new ProtocolError('UPSTREAM_ERROR', `the inference service sent malformed frames: ${(e as Error).message}`, null, { cause: e });
  }
  const h = EvaluateResponseHeader.safeParse(decoded.header);
  if (!h.success || decoded.frames.length !== ciphertexts) {
    throw new ProtocolError('UPSTREAM_ERROR', 'the inference service sent an unexpected evaluation response');
  }
  deps.metrics.ciphertextsReceived.inc({ peer: 'upstream' }, decoded.frames.length);
  return { header: h.data, frames: decoded.frames, body: resp.body, timings: resp.timings };
}

interface Refusal {
  readonly code: string | undefined;
  readonly message: string;
}

function refusalOf(resp: UpstreamResponse): Refusal {
  let body: unknown;
  try {
    body = JSON.parse(resp.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  return {
    code: peerErrorCode(body),
    message: (body as { error?: { message?: string } } | undefined)?.error?.message ?? `status ${resp.status}`,
  };
}

/** The service's refusal as the proxy answers it: its 429 passes through, its 503 is UPSTREAM_DOWN, the rest a 502. */
function refusalError(status: number, { code, message }: Refusal): ProtocolError {
  if (code === 'QUEUE_FULL') return new ProtocolError('QUEUE_FULL', `the inference service is busy: ${message}`, null, { retryAfterSeconds: 1 });
  if (status === 503) return new ProtocolError('UPSTREAM_DOWN', `the inference service is unavailable: ${message}`, null, { retryAfterSeconds: 1 });
  return new ProtocolError('UPSTREAM_ERROR', `the inference service answered ${status} ${code ?? ''}: ${message}`.replace(/\s+/g, ' '));
}
