/**
 * The upstream thread itself (see upstream-thread.ts): an Upstream whose announced answers are
 * read into shared memory, serving the event loop's calls and lending it each pooled answer
 * until it is released (or dropped).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isProtocolError } from '@hlp/protocol';
import { niceThisThread } from './helper-thread.js';
import { Upstream } from './upstream.js';
import { crossable, type FromUpstreamThread, type ToUpstreamThread, type UpstreamThreadData } from './upstream-thread.js';

const { url, nice, ...options } = workerData as UpstreamThreadData;
niceThisThread(nice ?? 0);
const upstream = new Upstream(url, { ...options, sharedBodies: true });
/** Pooled answers the event loop reads now, by the id it hands them back with. */
const lent = new Map<number, Buffer>();
let nextBodyId = 0;
let inFlight = 0;
let closing = false;

function post(m: FromUpstreamThread): void {
  parentPort?.postMessage(m);
}

async function serve(m: Extract<ToUpstreamThread, { type: 'call' }>): Promise<void> {
  inFlight++;
  try {
    const r = await upstream.call(m.path, {
      ...(m.method ? { method: m.method } : {}),
      ...(m.body ? { body: m.body } : {}),
      ...(m.contentType ? { contentType: m.contentType } : {}),
      ...(m.timeoutMs ? { timeoutMs: m.timeoutMs } : {}),
      // The event loop's breaker counts every call.
      bypassBreaker: true,
      ...(m.tellBodyFree ? { onBodyFree: () => post({ type: 'bodyFree', id: m.id }) } : {}),
    });
    let bodyId: number | undefined;
    if (upstream.isPooled(r.body)) {
      bodyId = nextBodyId++;
      lent.set(bodyId, r.body);
    }
    post({
      type: 'answer',
      id: m.id,
      status: r.status,
      headers: r.headers,
      body: crossable(r.body),
      timings: r.timings,
      ...(bodyId === undefined ? {} : { bodyId }),
    });
  } catch (e) {
    const error = isProtocolError(e)
      ? { code: e.code, message: e.message, ...(e.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: e.retryAfterSeconds }) }
      : { message: `upstream call ${m.path} failed: ${e instanceof Error ? e.message : String(e)}` };
    post({ type: 'error', id: m.id, error });
  } finally {
    inFlight--;
    if (closing && inFlight === 0) finish();
  }
}

/** After close: the calls received before it have settled; the sessions close, then the thread ends. */
function finish(): void {
  upstream.close();
  parentPort?.close();
}

parentPort?.on('message', (m: ToUpstreamThread) => {
  switch (m.type) {
    case 'call':
      void serve(m);
      return;
    case 'release': {
      const body = lent.get(m.bodyId);
      lent.delete(m.bodyId);
      if (body) upstream.releaseBody(body);
      return;
    }
    case 'forget':
      lent.delete(m.bodyId);
      return;
    case 'close':
      // Calls posted before close() are answered first: for the event loop they were in flight.
      closing = true;
      if (inFlight === 0) finish();
      return;
  }
});
