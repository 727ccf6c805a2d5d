import { createSealBackend, decryptValues, encryptValues, presetParams, type CkksBackend } from '@hlp/ckks';
import { SeededEmbeddings, pack, tokenize, type PackingLayout, type PackingPlan } from '@hlp/model';
import { EvaluateResponseHeader, FRAME_CONTENT_TYPE, decodeFrames, encodeFrames, type ServiceInfo } from '@hlp/protocol';

export const TOKEN = 'test-service-token';
export const quiet = (): void => undefined;

export interface Reply {
  readonly status: number;
  readonly json?: unknown;
  readonly body: Buffer;
}

export async function call(
  url: string,
  path: string,
  init: { method?: string; body?: Uint8Array; contentType?: string; token?: string | null } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (init.body) headers['content-type'] = init.contentType ?? FRAME_CONTENT_TYPE;
  const r = await fetch(`${url}${path}`, { method: init.method ?? (init.body ? 'POST' : 'GET'), headers, ...(init.body ? { body: init.body } : {}) });
  const body = Buffer.from(await r.arrayBuffer());
  const isJson = (r.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: r.status, body, ...(isJson ? { json: JSON.parse(body.toString('utf8')) as unknown } : {}) };
}

export function errorCode(r: Reply): string | undefined {
  return (r.json as { error?: { code?: string } } | undefined)?.error?.code;
}

/** A client-side (trusted) backend with keys for everything the service offers. */
export async function clientBackend(info: ServiceInfo): Promise<CkksBackend> {
  const be = await createSealBackend(presetParams(8192));
  const steps = [...new Set(info.workloads.flatMap((w) => w.rotationSteps))];
  be.generateKeys({ relin: true, galoisSteps: steps });
  return be;
}

export function keyUploadBody(
  be: CkksBackend,
  kinds: readonly ('public' | 'relin' | 'galois' | 'secret')[] = ['public', 'relin', 'galois'],
  steps?: readonly number[],
): Buffer {
  const p = be.params;
  return encodeFrames(
    { params: { n: p.n, coeffModulusBits: [...p.coeffModulusBits], scaleBits: p.scaleBits }, keys: kinds, ...(steps ? { galoisSteps: steps } : {}) },
    kinds.map((k) => be.exportKey(k)),
  );
}

export function embedPrompt(text: string): { values: Float64Array; tokens: number } {
  const ids = tokenize(text);
  return { values: new SeededEmbeddings().embed(ids), tokens: ids.length };
}

export function encryptPacked(be: CkksBackend, values: Float64Array, tokens: number, layout: PackingLayout): { plan: PackingPlan; frames: Uint8Array[] } {
  const packed = pack(values, tokens, layout, be.slotCount);
  return { plan: packed.plan, frames: packed.vectors.map((v) => encryptValues(be, v, { symmetric: true }).serialize()) };
}

export function evaluateBody(
  be: CkksBackend,
  keyId: string,
  workload: string,
  plan: PackingPlan,
  frames: readonly Uint8Array[],
  overrides: Record<string, unknown> = {},
): Buffer {
  const p = be.params;
  return encodeFrames(
    {
      keyId,
      workload,
      params: { n: p.n, coeffModulusBits: [...p.coeffModulusBits], scaleBits: p.scaleBits },
      plan: { layout: plan.layout, slotCount: plan.slotCount, width: plan.width, tokens: plan.tokens, ciphertexts: plan.ciphertexts },
      ...overrides,
    },
    frames,
  );
}

/** Decrypt an evaluate response; token t's outputs (outputWidth values) read at their place in the plan. */
export function decryptOutputs(be: CkksBackend, body: Buffer, plan: PackingPlan): { header: EvaluateResponseHeader; values: Float64Array } {
  const { header, frames } = decodeFrames(body);
  const h = EvaluateResponseHeader.parse(header);
  const vectors = frames.map((f) => {
    const ct = be.deserialize(f);
    try {
      return decryptValues(be, ct);
    } finally {
      ct.dispose();
    }
  });
  const k = h.outputWidth;
  const out = new Float64Array(plan.tokens * k);
  for (let t = 0; t < plan.tokens; t++) {
    let ct: number;
    let slot: number;
    switch (plan.layout) {
      case 'blocked':
        ct = Math.floor(t / plan.tokensPerCiphertext);
        slot = (t % plan.tokensPerCiphertext) * plan.blockSize;
        for (let r = 0; r < k; r++) out[t * k + r] = vectors[ct]![slot + r]!;
        break;
      case 'dense':
        for (let r = 0; r < k; r++) {
          const i = t * plan.width + r;
          out[t * k + r] = vectors[Math.floor(i / plan.slotCount)]![i % plan.slotCount]!;
        }
        break;
      case 'dimension-major':
        for (let r = 0; r < k; r++) out[t * k + r] = vectors[Math.floor(t / plan.slotCount) * plan.width + r]![t % plan.slotCount]!;
        break;
    }
  }
  return { header: h, values: out };
}

export function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
