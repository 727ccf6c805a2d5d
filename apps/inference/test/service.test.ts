import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { createNativeBackend, createSealBackend, encryptValues, presetParams, type CkksBackend } from '@hlp/ckks';
import { AffineWorkload, MlpWorkload, ProjectionWorkload, pack, type Workload } from '@hlp/model';
import { KeyUploadResponse, ServiceInfo, decodeFrames, encodeFrames, type PlanWire } from '@hlp/protocol';
import { startInference, type InferenceServer, type RecordedRequest } from '../src/index.js';
import {
  TOKEN,
  call,
  clientBackend,
  decryptOutputs,
  embedPrompt,
  encryptPacked,
  errorCode,
  evaluateBody,
  keyUploadBody,
  maxAbsDiff,
  quiet,
} from './helpers.js';

/** Per-slot CKKS error assumed by the bounds (2^40 scale gives ~1e-8 in practice; 1e-6 is conservative). */
const E = 1e-6;

let server: InferenceServer;
let info: ServiceInfo;
let be: CkksBackend;
let keyId: string;
const recorded: RecordedRequest[] = [];

before(async () => {
  server = await startInference({ port: 0, token: TOKEN, log: quiet, defaultMetrics: false, onRequest: (r) => recorded.push(r) });
  info = ServiceInfo.parse((await call(server.url, '/v1/info')).json);
  be = await clientBackend(info);
  const steps = [...new Set(info.workloads.flatMap((w) => w.rotationSteps))];
  const up = await call(server.url, '/v1/keys', { body: keyUploadBody(be, ['public', 'relin', 'galois'], steps) });
  assert.equal(up.status, 201, up.body.toString());
  keyId = KeyUploadResponse.parse(up.json).keyId;
});

after(async () => {
  be?.dispose();
  await server?.close();
});

const prompt = 'The quick brown fox jumps over the lazy dog';

function checkWorkload(workload: Workload, layout: 'blocked' | 'dense', text: string) {
  return async () => {
    const { values, tokens } = embedPrompt(text);
    const { plan, frames } = encryptPacked(be, values, tokens, layout);
    const r = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, workload.name, plan, frames) });
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    const { header, values: got } = decryptOutputs(be, r.body, plan);
    const want = workload.reference(values, tokens);
    const err = maxAbsDiff(got, want);
    const bound = workload.errorBound(E);
    assert.ok(err <= bound, `${workload.name}: max error ${err} > bound ${bound}`);
    const cost = workload.describe({ layout, tokens, slotCount: be.slotCount });
    assert.deepEqual(header.ops, {
      rotations: cost.rotations,
      plaintextMultiplications: cost.plaintextMultiplications,
      ciphertextMultiplications: cost.ciphertextMultiplications,
      relinearizations: cost.relinearizations,
      rescales: cost.rescales,
      additions: cost.additions,
    });
    assert.equal(header.ciphertexts, cost.outputCiphertexts);
    assert.equal(header.outputWidth, workload.outputWidth);
  };
}

describe('inference service: workloads', () => {
  it('publishes parameters, workloads and their rotation steps', () => {
    assert.deepEqual(info.params, { n: 8192, coeffModulusBits: [60, 40, 40, 60], scaleBits: 40 });
    assert.deepEqual(
      info.workloads.map((w) => w.name),
      ['affine', 'projection', 'mlp'],
    );
    assert.equal(info.workloads[1]!.rotationSteps.length, 20);
    assert.equal(info.workloads[0]!.rotationSteps.length, 0);
  });

  it("lists the seed streams it reads: SEAL's two, and AES-256-CTR on the native backend", () => {
    assert.deepEqual(info.seedStreams, ['shake256', 'blake2xb', 'aes256ctr']);
    assert.ok(info.workloads.every((w) => w.backend === 'native'));
  });

  it('affine on AES-256-CTR seeded ciphertexts (a native client with the same keys) matches the plaintext reference', async () => {
    const client = await createNativeBackend(presetParams(8192), { symmetricPrng: 'aes256ctr' });
    try {
      for (const kind of ['secret', 'public'] as const) client.importKey(kind, be.exportKey(kind));
      const { values, tokens } = embedPrompt(prompt);
      const packed = pack(values, tokens, 'blocked', client.slotCount);
      const frames = packed.vectors.map((v) => encryptValues(client, v, { symmetric: true }).serialize());
      const r = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', packed.plan, frames) });
      assert.equal(r.status, 200, r.body.toString().slice(0, 300));
      const workload = new AffineWorkload();
      const err = maxAbsDiff(decryptOutputs(be, r.body, packed.plan).values, workload.reference(values, tokens));
      assert.ok(err <= workload.errorBound(E), `max error ${err}`);
    } finally {
      client.dispose();
    }
  });

  it('affine (blocked) matches the plaintext reference; op counts = describe()', checkWorkload(new AffineWorkload(), 'blocked', prompt));
  it('affine (dense) matches the plaintext reference', checkWorkload(new AffineWorkload(), 'dense', `${prompt} and keeps running for a while longer`));
  it(
    'projection (BSGS, 13 diagonals per mask, 20 rotations per ciphertext) matches the reference',
    checkWorkload(new ProjectionWorkload(), 'blocked', 'Hello there, world'),
  );
  it('mlp (projection + degree-2 activation) matches the reference', checkWorkload(new MlpWorkload(), 'blocked', 'Hi again'));

  it('reads request bodies into reused memory: back-to-back prompts each match their reference, and a recorded body stays as sent', async () => {
    const workload = new AffineWorkload();
    // the second body is a little shorter than the first, so it is read into the first one's memory
    const requests = ['A first prompt, long enough to need several ciphertexts of four tokens each', 'and a second one, a little shorter than it'].map(
      (text) => {
        const { values, tokens } = embedPrompt(text);
        const { plan, frames } = encryptPacked(be, values, tokens, 'blocked');
        return { values, tokens, plan, body: evaluateBody(be, keyId, workload.name, plan, frames) };
      },
    );
    const seen = recorded.length;
    const held: number[] = [];
    for (const q of requests) {
      const r = await call(server.url, '/v1/evaluate', { body: q.body });
      assert.equal(r.status, 200, r.body.toString().slice(0, 300));
      const err = maxAbsDiff(decryptOutputs(be, r.body, q.plan).values, workload.reference(q.values, q.tokens));
      assert.ok(err <= workload.errorBound(E), `max error ${err}`);
      held.push(server.service.bodies.bytes);
    }
    assert.ok(held[0]! > 0, 'the body went back to the pool once evaluated');
    assert.equal(held[1], held[0], "the second body was read into the first one's memory");
    const mine = recorded.slice(seen).filter((r) => r.path === '/v1/evaluate');
    assert.equal(mine.length, 2);
    mine.forEach((r, i) => assert.ok(r.body.equals(requests[i]!.body), `recorded body ${i} is what was sent`));
  });

  it('serves the same API over h2c', async () => {
    const s = http2.connect(server.url);
    try {
      const body = await new Promise<Buffer>((resolve, reject) => {
        const st = s.request({ ':path': '/v1/info', authorization: `Bearer ${TOKEN}` });
        const c: Buffer[] = [];
        st.on('data', (d: Buffer) => c.push(d));
        st.on('end', () => resolve(Buffer.concat(c)));
        st.on('error', reject);
        st.end();
      });
      assert.equal(ServiceInfo.parse(JSON.parse(body.toString())).service, 'hlp-inference');
    } finally {
      s.close();
    }
  });
});

/** One encrypted prompt (its plan and ciphertexts) for the bad-input cases. */
const plan1 = (): { plan: PlanWire; frames: Uint8Array[] } => {
  const { values, tokens } = embedPrompt('bad input');
  const r = encryptPacked(be, values, tokens, 'blocked');
  return { plan: r.plan, frames: r.frames };
};

describe('inference service: bad credentials, keys and ciphertexts answer 4xx with a stable code', () => {
  it('no token / wrong token → 401 UNAUTHORIZED', async () => {
    for (const token of [null, 'wrong']) {
      const r = await call(server.url, '/v1/info', { token });
      assert.equal(r.status, 401);
      assert.equal(errorCode(r), 'UNAUTHORIZED');
      assert.deepEqual(Object.keys((r.json as { error: object }).error).sort(), ['code', 'message', 'param', 'type']);
    }
  });

  it('a secret key is refused, under its own name or disguised as a public key', async () => {
    const asSecret = await call(server.url, '/v1/keys', { body: keyUploadBody(be, ['public', 'secret']) });
    assert.equal(asSecret.status, 400);
    assert.equal(errorCode(asSecret), 'SECRET_KEY_REJECTED');
    const p = be.params;
    const disguised = encodeFrames({ params: { n: p.n, coeffModulusBits: [...p.coeffModulusBits], scaleBits: p.scaleBits }, keys: ['public'] }, [
      be.exportKey('secret'),
    ]);
    const r = await call(server.url, '/v1/keys', { body: disguised });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'SECRET_KEY_REJECTED');
    // Compressed (zlib) keys are refused; a zlib-compressed secret key is still recognised as one.
    const { deflateSync } = await import('node:zlib');
    const compress = (b: Uint8Array): Buffer => {
      const out = Buffer.concat([Buffer.from(b.subarray(0, 16)), deflateSync(b.subarray(16))]);
      out[5] = 1; // compr_mode zlib
      out.writeBigUInt64LE(BigInt(out.length), 8);
      return out;
    };
    const zsk = await call(server.url, '/v1/keys', {
      body: encodeFrames({ params: { n: p.n, coeffModulusBits: [...p.coeffModulusBits], scaleBits: p.scaleBits }, keys: ['public'] }, [
        compress(be.exportKey('secret')),
      ]),
    });
    assert.equal(errorCode(zsk), 'SECRET_KEY_REJECTED');
    const zpk = await call(server.url, '/v1/keys', {
      body: encodeFrames({ params: { n: p.n, coeffModulusBits: [...p.coeffModulusBits], scaleBits: p.scaleBits }, keys: ['public'] }, [
        compress(be.exportKey('public')),
      ]),
    });
    assert.equal(errorCode(zpk), 'BAD_KEY');
    assert.equal(server.service.registry.size, 1);
  });

  it('unknown key id → 404 UNKNOWN_KEY', async () => {
    const { plan, frames } = plan1();
    const r = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, 'f'.repeat(64), 'affine', plan as never, frames) });
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'UNKNOWN_KEY');
  });

  it('truncated, corrupted and non-SEAL ciphertexts → 400 BAD_CIPHERTEXT', async () => {
    const { plan, frames } = plan1();
    const f = frames[0]!;
    const corrupt = Uint8Array.from(f);
    corrupt[0] = 0; // SEAL magic
    const unreduced = Uint8Array.from(f);
    new DataView(unreduced.buffer).setBigUint64(unreduced.length - 81 - 8 * 5, 0xffffffffffffffffn, true); // a coefficient ≥ q
    for (const bad of [f.subarray(0, f.length - 100), corrupt, Buffer.from('not a ciphertext at all'), unreduced]) {
      const r = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', plan as never, [bad]) });
      assert.equal(r.status, 400, r.body.toString());
      assert.equal(errorCode(r), 'BAD_CIPHERTEXT', r.body.toString());
    }
  });

  it('malformed frames → 400 BAD_FRAME; frame count ≠ plan → 400 BAD_FRAME', async () => {
    const { plan, frames } = plan1();
    const body = evaluateBody(be, keyId, 'affine', plan as never, frames);
    const r = await call(server.url, '/v1/evaluate', { body: body.subarray(0, body.length - 10) });
    assert.equal(errorCode(r), 'BAD_FRAME');
    const r2 = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', plan as never, [...frames, ...frames]) });
    assert.equal(errorCode(r2), 'BAD_FRAME');
    const r3 = await call(server.url, '/v1/evaluate', { body: Buffer.from('{"keyId":"x"}') });
    assert.equal(errorCode(r3), 'BAD_FRAME');
  });
});

describe('inference service: bad requests and parameters answer 4xx with a stable code and the service survives', () => {
  it('wrong content type → 415; bad header → 400 INVALID_REQUEST; unknown workload → 404 UNKNOWN_MODEL', async () => {
    const { plan, frames } = plan1();
    const r = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', plan as never, frames), contentType: 'application/json' });
    assert.equal(r.status, 415);
    assert.equal(errorCode(r), 'UNSUPPORTED_MEDIA_TYPE');
    const r2 = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, 'nothex', 'affine', plan as never, frames) });
    assert.equal(errorCode(r2), 'INVALID_REQUEST');
    const r3 = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'transformer', plan as never, frames) });
    assert.equal(r3.status, 404);
    assert.equal(errorCode(r3), 'UNKNOWN_MODEL');
  });

  it('mismatched parameters (header, ciphertexts of another parameter set, keys) → 400 PARAMETER_MISMATCH', async () => {
    const { plan, frames } = plan1();
    const r = await call(server.url, '/v1/evaluate', {
      body: evaluateBody(be, keyId, 'affine', plan as never, frames, {
        params: { n: 16384, coeffModulusBits: [60, 40, 40, 40, 40, 40, 40, 40, 60], scaleBits: 40 },
      }),
    });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'PARAMETER_MISMATCH');
    // A genuine ciphertext of another (small, insecure, test-only) parameter set at N = 8192.
    const other = await createSealBackend({ n: 8192, coeffModulusBits: [50, 30, 30, 50], scaleBits: 30 });
    try {
      other.generateKeys({ relin: false });
      const foreign = encryptValues(other, [1, 2, 3]).serialize();
      const r2 = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', plan as never, [foreign]) });
      assert.equal(r2.status, 400);
      assert.equal(errorCode(r2), 'PARAMETER_MISMATCH', r2.body.toString());
      const r3 = await call(server.url, '/v1/keys', { body: encodeFrames({ params: info.params, keys: ['public'] }, [other.exportKey('public')]) });
      assert.equal(errorCode(r3), 'PARAMETER_MISMATCH', r3.body.toString());
    } finally {
      other.dispose();
    }
    // A ciphertext already at level 0 cannot take a depth-1 workload.
    const low = be.modSwitchToNext(be.modSwitchToNext(be.deserialize(frames[0]!)));
    const r4 = await call(server.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', plan as never, [low.serialize()]) });
    assert.equal(errorCode(r4), 'PARAMETER_MISMATCH');
  });

  it('oversized bodies → 413 before evaluation', async () => {
    const small = await startInference({
      port: 0,
      token: TOKEN,
      log: quiet,
      defaultMetrics: false,
      maxBodyBytes: 4096,
      workloads: ['affine'],
      backend: 'seal',
    });
    try {
      const { plan, frames } = plan1();
      const r = await call(small.url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', plan as never, frames) });
      assert.equal(r.status, 413);
      assert.equal(errorCode(r), 'PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });

  it('is still healthy and counted the errors', async () => {
    assert.equal((await call(server.url, '/healthz', { token: null })).status, 200);
    const text = (await call(server.url, '/metrics', { token: null })).body.toString();
    assert.match(text, /hlp_errors_total\{code="BAD_CIPHERTEXT"\} [1-9]/);
    assert.match(text, /hlp_workload_evaluation_duration_seconds_count\{workload="projection",layout="blocked"\} 1/);
    assert.match(text, /hlp_key_cache_size_bytes\{level="l1"\} [1-9]/);
    assert.match(text, /hlp_workload_operations_total\{workload="projection",op="rotation"\} [1-9]/);
    assert.match(text, /hlp_workload_operations_total\{workload="projection",op="plaintext_multiplication"\} [1-9]/);
    assert.ok(recorded.some((r) => r.path === '/v1/evaluate'));
    const evalBodies = recorded.filter((r) => r.path === '/v1/evaluate');
    assert.ok(evalBodies.every((r) => r.headers['authorization'] === undefined || typeof r.headers['authorization'] === 'string'));
    void decodeFrames;
  });
});
