import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { CkksBackend } from '@hlp/ckks';
import { ProjectionWorkload } from '@hlp/model';
import { EvaluateRequestHeader, FRAME_CONTENT_TYPE, KeyUploadResponse, ServiceInfo, decodeFrames, encodeFramesParts } from '@hlp/protocol';
import { loopIterationCounter as iterationCounter } from '@hlp/service-runtime';
import { startInference, type InferenceServer } from '../src/index.js';
import { TOKEN, call, clientBackend, decryptOutputs, embedPrompt, encryptPacked, evaluateBody, keyUploadBody, maxAbsDiff, quiet } from './helpers.js';

let server: InferenceServer;
let be: CkksBackend;
let keyId: string;

before(async () => {
  server = await startInference({ port: 0, token: TOKEN, log: quiet, defaultMetrics: false, workloads: ['projection'] });
  const info = ServiceInfo.parse((await call(server.url, '/v1/info')).json);
  be = await clientBackend(info);
  const steps = [...new Set(info.workloads.flatMap((w) => w.rotationSteps))];
  const up = await call(server.url, '/v1/keys', { body: keyUploadBody(be, ['public', 'galois'], steps) });
  assert.equal(up.status, 201, up.body.toString());
  keyId = KeyUploadResponse.parse(up.json).keyId;
});

after(async () => {
  be?.dispose();
  await server?.close();
});

describe('answers lent to their response', () => {
  it('are views of the results until released; released, their memory goes back to the result pool', async () => {
    const { values, tokens } = embedPrompt('Lent, then given back');
    const { plan, frames } = encryptPacked(be, values, tokens, 'blocked');
    const { header, frames: parts } = decodeFrames(evaluateBody(be, keyId, 'projection', plan, frames));
    const pool = server.service.backend as unknown as { readonly pooledResultBytes: number };
    assert.equal(typeof pool.pooledResultBytes, 'number', 'the service runs the native backend');
    const result = await server.service.evaluate(EvaluateRequestHeader.parse(header), parts);
    const body = Buffer.concat(encodeFramesParts({ ...result.header }, result.frames));
    const before = pool.pooledResultBytes;
    result.release();
    result.release();
    const answerBytes = result.header.ciphertexts * 2 * (result.header.level + 1) * be.params.n * 8;
    assert.equal(pool.pooledResultBytes - before, answerBytes, 'each answer once, on the first release');
    const workload = new ProjectionWorkload();
    const err = maxAbsDiff(decryptOutputs(be, body, plan).values, workload.reference(values, tokens));
    assert.ok(err <= workload.errorBound(1e-6), `max error ${err}`);
  });

  it('over HTTP, concurrent requests reusing released answers each get their own answer, and every answer is released', async () => {
    const backend = server.service.backend as unknown as { readonly liveHandles: number };
    const live = backend.liveHandles;
    const workload = new ProjectionWorkload();
    const prompts = ['first of four', 'the second one is longer than the first', 'third', 'and a fourth prompt to finish'];
    const answers = await Promise.all(
      prompts.map(async (text) => {
        const { values, tokens } = embedPrompt(text);
        const { plan, frames } = encryptPacked(be, values, tokens, 'blocked');
        const r = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'projection', plan, frames) });
        assert.equal(r.status, 200);
        return maxAbsDiff(decryptOutputs(be, r.body, plan).values, workload.reference(values, tokens));
      }),
    );
    for (const err of answers) assert.ok(err <= workload.errorBound(1e-6), `max error ${err}`);
    // released as each response closes: the service holds no answer once all were read
    for (let i = 0; i < 200 && backend.liveHandles !== live; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(backend.liveHandles, live);
  });

  it('a client gone before its answer: the answers are released all the same, no handle left behind', async () => {
    const backend = server.service.backend as unknown as { readonly liveHandles: number };
    const before = backend.liveHandles;
    const text = Array.from({ length: 48 }, (_, i) => `word${i} and more`).join(' ');
    const { values, tokens } = embedPrompt(text);
    const { plan, frames } = encryptPacked(be, values, tokens, 'blocked');
    const body = evaluateBody(be, keyId, 'projection', plan, frames);
    await new Promise<void>((resolve) => {
      const u = new URL(server.url);
      const req = request({
        host: u.hostname,
        port: u.port,
        path: '/v1/evaluate',
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': FRAME_CONTENT_TYPE, 'content-length': body.length },
      });
      req.on('error', () => resolve());
      // Gone once the body is sent, while the service evaluates 48 ciphertexts.
      req.end(body, () => setTimeout(() => (req.destroy(), resolve()), 20));
    });
    for (let i = 0; i < 400 && backend.liveHandles !== before; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(backend.liveHandles, before);
  });
});

describe('evaluation in event-loop slices', () => {
  it('a request of 48 projection ciphertexts lets the event loop turn while it is evaluated, with the same answer', async () => {
    const text = Array.from({ length: 48 }, (_, i) => `word${i} and more`).join(' ');
    const { values, tokens } = embedPrompt(text);
    const { plan, frames } = encryptPacked(be, values, tokens, 'blocked');
    assert.ok(frames.length >= 40, `${frames.length} ciphertexts`);
    const { header, frames: parts } = decodeFrames(evaluateBody(be, keyId, 'projection', plan, frames));
    const loop = iterationCounter();
    const result = await server.service.evaluate(EvaluateRequestHeader.parse(header), parts);
    const turns = loop.now();
    loop.stop();
    // Each ciphertext is milliseconds of work; in one synchronous run the loop would turn only
    // around the queue's own hand-over (two or three iterations).
    assert.ok(turns >= 10, `the event loop turned ${turns} times during the evaluation`);
    assert.equal(result.header.ciphertexts, frames.length);
    // The sliced evaluation's answer is the plaintext reference's, as one run's would be.
    const body = Buffer.concat(encodeFramesParts({ ...result.header }, result.frames));
    result.release();
    const got = decryptOutputs(be, body, plan).values;
    const workload = new ProjectionWorkload();
    const err = maxAbsDiff(got, workload.reference(values, tokens));
    assert.ok(err <= workload.errorBound(1e-6), `max error ${err}`);
  });
});
