import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  GPT2,
  SafetensorsEmbeddings,
  bf16ToNumber,
  encodeSafetensors,
  halfToNumber,
  isModelError,
  numberToBf16,
  numberToHalf,
  parseSafetensors,
  type SafetensorsDtype,
  type TensorToWrite,
} from '../src/index.js';

const V = 10;
const C = 4;
const D = 8;
/** Values k/64 − 0.5: exact in F32, F16 and BF16. */
const wte = Float64Array.from({ length: V * D }, (_, i) => i / 64 - 0.5);
const wpe = Float64Array.from({ length: C * D }, (_, i) => -(i / 128));

const dir = mkdtempSync(join(tmpdir(), 'hlp-model-st-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function tables(dtype: SafetensorsDtype, prefix = ''): TensorToWrite[] {
  return [
    { name: `${prefix}wpe.weight`, dtype, shape: [C, D], data: wpe },
    { name: `${prefix}ln_f.weight`, dtype, shape: [D], data: new Float64Array(D).fill(1) },
    { name: `${prefix}wte.weight`, dtype, shape: [V, D], data: wte },
  ];
}

/** Writes a raw file: 8-byte length, header JSON (as given), then `data` bytes. */
function raw(header: unknown, dataBytes: number, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  out.set(json, 8);
  return out;
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isModelError(e, 'BAD_SAFETENSORS'), `expected BAD_SAFETENSORS, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('half and bfloat16 conversions', () => {
  it('converts known values', () => {
    assert.equal(numberToHalf(1), 0x3c00);
    assert.equal(numberToHalf(-2), 0xc000);
    assert.equal(numberToHalf(65504), 0x7bff);
    assert.equal(numberToHalf(1e6), 0x7c00);
    assert.equal(numberToHalf(2 ** -24), 0x0001);
    assert.equal(numberToHalf(2 ** -26), 0x0000);
    assert.equal(numberToHalf(1 + 2 ** -11), 0x3c00); // tie → even
    assert.equal(numberToHalf(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
    assert.equal(halfToNumber(0x3555), 0.333251953125);
    assert.equal(halfToNumber(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToNumber(0x7e00)));
    assert.equal(numberToBf16(1), 0x3f80);
    assert.equal(bf16ToNumber(0xc040), -3);
    for (let h = 0; h < 0x7c00; h += 37) assert.equal(numberToHalf(halfToNumber(h)), h);
  });
});

describe('SafetensorsEmbeddings', () => {
  for (const dtype of ['F32', 'F16', 'BF16', 'F64'] as const) {
    for (const mode of ['lazy', 'eager'] as const) {
      it(`reads ${dtype} tables (${mode})`, () => {
        const path = file(`gpt-${dtype}-${mode}.safetensors`, encodeSafetensors(tables(dtype), { format: 'pt' }));
        const e = SafetensorsEmbeddings.open(path, { mode });
        try {
          assert.equal(e.kind, 'safetensors');
          assert.equal(e.mode, mode);
          assert.deepEqual([e.vocabSize, e.width, e.context], [V, D, C]);
          assert.equal(e.isGpt2Shape, false);
          assert.deepEqual(e.metadata, { format: 'pt' });
          assert.match(e.describe(), /wte\.weight \(\w+ \[10, 8\]\).*wpe\.weight \(\w+ \[4, 8\]\)/);
          assert.deepEqual(e.tokenEmbedding(7), wte.subarray(7 * D, 8 * D));
          assert.deepEqual(e.positionEmbedding(3), wpe.subarray(3 * D, 4 * D));
          const x = e.embed([9, 0, 4]);
          for (let t = 0; t < 3; t++) {
            const id = [9, 0, 4][t] as number;
            for (let d = 0; d < D; d++) assert.equal(x[t * D + d], (wte[id * D + d] as number) + (wpe[t * D + d] as number));
          }
          assert.throws(
            () => e.embed([0, 1, 2, 3, 4]),
            (err: unknown) => isModelError(err, 'TOO_MANY_TOKENS'),
          );
          assert.throws(
            () => e.tokenEmbedding(V),
            (err: unknown) => isModelError(err, 'INVALID_TOKEN_ID'),
          );
        } finally {
          e.close();
        }
      });
    }
  }

  it('accepts transformer.-prefixed names, in memory too', () => {
    const bytes = encodeSafetensors(tables('F32', 'transformer.'));
    const e = SafetensorsEmbeddings.fromBytes(bytes);
    assert.equal(e.tokenTensor.name, 'transformer.wte.weight');
    assert.equal(e.mode, 'eager');
    assert.deepEqual(e.tokenEmbedding(2), wte.subarray(2 * D, 3 * D));
    const other = SafetensorsEmbeddings.fromBytes(encodeSafetensors(tables('F32', 'model.')));
    assert.equal(other.positionTensor.name, 'model.wpe.weight');
    const named = SafetensorsEmbeddings.fromBytes(
      encodeSafetensors([
        { name: 'tok', dtype: 'F32', shape: [V, D], data: wte },
        { name: 'pos', dtype: 'F32', shape: [C, D], data: wpe },
      ]),
      { tokenTensor: 'tok', positionTensor: 'pos' },
    );
    assert.deepEqual(named.positionEmbedding(1), wpe.subarray(D, 2 * D));
  });

  it('parses the header of a file it wrote', () => {
    const header = parseSafetensors(encodeSafetensors(tables('F16')));
    assert.equal(header.dataStart % 8, 0);
    assert.deepEqual(header.tensors.get('wte.weight')?.shape, [V, D]);
    assert.equal(header.tensors.get('wte.weight')?.dtype, 'F16');
  });

  it('names what is wrong with bad or truncated files', () => {
    const good = encodeSafetensors(tables('F32'));
    rejects(() => SafetensorsEmbeddings.fromBytes(good.subarray(0, good.length - 4)), /truncated data: tensor "wte\.weight"/);
    rejects(() => SafetensorsEmbeddings.open(file('truncated.safetensors', good.subarray(0, good.length - 4))), /truncated/);
    rejects(() => SafetensorsEmbeddings.fromBytes(good.subarray(0, 5)), /shorter than the 8-byte header length/);
    rejects(() => SafetensorsEmbeddings.fromBytes(good.subarray(0, 40)), /truncated header/);
    rejects(() => SafetensorsEmbeddings.fromBytes(raw('{}', 0, 2 ** 40)), /exceeds/);
    rejects(() => SafetensorsEmbeddings.fromBytes(raw('{"wte.weight": ', 0)), /not valid UTF-8 JSON/);
    rejects(() => SafetensorsEmbeddings.fromBytes(raw('[1, 2]', 0)), /not a JSON object/);
    rejects(
      () => SafetensorsEmbeddings.fromBytes(raw({ 'wte.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0] } }, 16)),
      /"wte\.weight" has a malformed entry \(data_offsets/,
    );
    rejects(
      () => SafetensorsEmbeddings.fromBytes(raw({ 'wte.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, 16)),
      /needs 16 bytes but data_offsets span 12/,
    );
    rejects(
      () => SafetensorsEmbeddings.fromBytes(encodeSafetensors([tables('F32')[1] as TensorToWrite])),
      /no token embedding \(wte\) tensor: .*the file has: ln_f\.weight/,
    );
    rejects(
      () =>
        SafetensorsEmbeddings.fromBytes(
          encodeSafetensors([
            { name: 'wte.weight', dtype: 'F32', shape: [V, D], data: wte },
            { name: 'wpe.weight', dtype: 'F32', shape: [C, D / 2], data: wpe.subarray(0, (C * D) / 2) },
          ]),
        ),
      /width mismatch: wte\.weight \(F32 \[10, 8\]\) vs wpe\.weight \(F32 \[4, 4\]\)/,
    );
    rejects(
      () =>
        SafetensorsEmbeddings.fromBytes(
          encodeSafetensors([
            { name: 'wte.weight', dtype: 'F32', shape: [V * D], data: wte },
            { name: 'wpe.weight', dtype: 'F32', shape: [C, D], data: wpe },
          ]),
        ),
      /expected a non-empty 2-D/,
    );
    rejects(
      () =>
        SafetensorsEmbeddings.fromBytes(
          raw(
            {
              'wte.weight': { dtype: 'I32', shape: [V, D], data_offsets: [0, V * D * 4] },
              'wpe.weight': { dtype: 'F32', shape: [C, D], data_offsets: [V * D * 4, V * D * 4 + C * D * 4] },
            },
            (V + C) * D * 4,
          ),
        ),
      /unsupported dtype I32/,
    );
    rejects(() => SafetensorsEmbeddings.fromBytes(good, { expectShape: GPT2 }), /expected vocabSize 50257 but found 10: wte\.weight \(F32 \[10, 8\]\)/);
    rejects(() => SafetensorsEmbeddings.fromBytes(good, { tokenTensor: 'nope' }), /no tensor named "nope"/);
  });

  it('reports non-finite values when a row is read', () => {
    const withNaN = Float64Array.from(wte);
    withNaN[3 * D + 5] = Number.NaN;
    const e = SafetensorsEmbeddings.fromBytes(
      encodeSafetensors([
        { name: 'wte.weight', dtype: 'F16', shape: [V, D], data: withNaN },
        { name: 'wpe.weight', dtype: 'F16', shape: [C, D], data: wpe },
      ]),
    );
    assert.doesNotThrow(() => e.tokenEmbedding(2));
    rejects(() => e.tokenEmbedding(3), /non-finite value in wte\.weight row 3, column 5/);
  });

  it('fails with IO for a missing file and after close', () => {
    assert.throws(
      () => SafetensorsEmbeddings.open(join(dir, 'missing.safetensors')),
      (e: unknown) => isModelError(e, 'IO'),
    );
    const e = SafetensorsEmbeddings.open(file('closing.safetensors', encodeSafetensors(tables('F32'))));
    e.close();
    e.close();
    assert.throws(
      () => e.tokenEmbedding(0),
      (err: unknown) => isModelError(err, 'IO'),
    );
  });
});
