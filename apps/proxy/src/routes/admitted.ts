/** The front both pipeline routes share: method, key, admission, body, readiness, preparation. */
import { randomUUID } from 'node:crypto';
import type { EmbeddingsRequest } from '@hlp/protocol';
import type { ProxyApp } from '../app.js';
import type { Prepared, StageTimings } from '../pipeline.js';
import type { ReadyState } from '../state.js';
import type { RouteContext } from './context.js';

export interface AdmittedRequest {
  readonly body: EmbeddingsRequest;
  readonly ready: ReadyState;
  readonly requestId: string;
  readonly prepared: Prepared;
}

/** @throws ProtocolError for a wrong method or key, a full queue, a bad body, a proxy still starting, or input past the limits */
export async function admitRequest(app: ProxyApp, ctx: RouteContext): Promise<AdmittedRequest> {
  ctx.expect('POST');
  app.auth.authorize(ctx.req);
  ctx.admit();
  const body = await app.bodyReader.read(ctx.req);
  const ready = app.state.requireReady();
  const requestId = randomUUID();
  const prepared = ready.pipeline.prepare(body);
  return { body, ready, requestId, prepared };
}

/** Per-stage latencies into the stage histogram (`pool` and `batch` are not pipeline stages there). */
export function observeStages(app: ProxyApp, stages: StageTimings): void {
  for (const [stage, ms] of Object.entries(stages)) {
    if (stage !== 'pool' && stage !== 'batch' && ms !== undefined) app.metrics.stageDuration.observe({ stage: stage }, ms / 1000);
  }
}
