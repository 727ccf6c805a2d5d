import { readFile } from 'node:fs/promises';
import { AffineWorkload, MlpWorkload, ProjectionWorkload, SeededEmbeddings, tokenize, type Workload } from '@hlp/model';
import { decodeFrames } from '@hlp/protocol';

export const TOKEN = 'proxy-test-service-token';
export const quiet = (): void => undefined;

/**
 * Error bound of a returned embedding value: the workload's worst-case bound (@hlp/model
 * errorBound) for a per-slot CKKS error E = 1e-6 (N = 8192, scale 2^40 gives ~1e-8 in practice:
 * 1e-6 is a conservative "relative to values ≤ 1" figure), plus float32 rounding of the base64
 * transport (2^-24 relative).
 */
export const CKKS_SLOT_ERROR = 1e-6;

export function workloadByModel(model: string): Workload {
  switch (model) {
    case 'hlp-affine':
      return new AffineWorkload();
    case 'hlp-projection':
      return new ProjectionWorkload();
    case 'hlp-mlp':
      return new MlpWorkload();
    default:
      throw new Error(model);
  }
}

/** The plaintext reference embedding of a prompt: workload over wte + wpe, mean over tokens. */
export function referenceEmbedding(model: string, input: string | number[]): Float64Array {
  const w = workloadByModel(model);
  const ids = typeof input === 'string' ? tokenize(input) : input;
  const y = w.reference(new SeededEmbeddings().embed(ids), ids.length);
  const k = w.outputWidth;
  const out = new Float64Array(k);
  for (let t = 0; t < ids.length; t++) for (let r = 0; r < k; r++) out[r] = out[r]! + y[t * k + r]!;
  return out.map((v) => v / ids.length);
}

export function assertClose(model: string, got: readonly number[], want: Float64Array): number {
  if (got.length !== want.length) throw new Error(`${model}: ${got.length} dimensions, expected ${want.length}`);
  const bound = workloadByModel(model).errorBound(CKKS_SLOT_ERROR);
  let max = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    const allowed = bound + Math.abs(want[i]!) * 2 ** -23;
    if (!(err <= allowed)) throw new Error(`${model}: dimension ${i}: got ${got[i]}, want ${want[i]} (error ${err} > ${allowed})`);
    max = Math.max(max, err);
  }
  return max;
}

/** The secret key's SEAL bytes from an hlp key file. */
export async function secretKeyFromFile(path: string): Promise<Uint8Array> {
  const { header, frames } = decodeFrames(await readFile(path));
  const kinds = header['keys'] as string[];
  const i = kinds.indexOf('secret');
  if (i < 0) throw new Error('no secret key in the key file');
  return frames[i]!;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, json, headers: r.headers };
}

export function codeOf(json: unknown): string | undefined {
  return (json as { error?: { code?: string } }).error?.code;
}
