import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import type { CKKSEncoder } from 'node-seal/implementation/ckks-encoder.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { Decryptor } from 'node-seal/implementation/decryptor.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { Evaluator } from 'node-seal/implementation/evaluator.js';
import type { KeyGenerator } from 'node-seal/implementation/key-generator.js';
import type { ParmsIdType } from 'node-seal/implementation/parms-id-type.js';
import type { PublicKey } from 'node-seal/implementation/public-key.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import { CkksError, type CkksErrorCode } from '../src/errors.js';
import { parseParams, presetParams, type CkksParams } from '../src/params.js';
import { blake2b } from '../src/blake2b.js';
import { expandSeed } from '../src/seal-prng.js';
import {
  checkCiphertextAgainst,
  computeParmsId,
  parmsIdChain,
  parmsIdFromWords,
  parmsIdToHex,
  parseCiphertext,
  parseCiphertextView,
  parseKSwitchKeys,
  parsePlaintext,
  parsePublicKey,
  parseSecretKey,
  readSealHeader,
  writeCiphertext,
  ciphertextParts,
  writeKSwitchKeys,
  writePlaintext,
  writePublicKey,
  writeSecretKey,
  type SealCiphertext,
} from '../src/seal-format.js';
import { got, hex, maxAbsDiff, none, rng, sealContext, sealLib, zlibMode, zstdMode } from './helpers.js';

function idHex(p: ParmsIdType): string {
  const h = parmsIdToHex(parmsIdFromWords(p.values));
  p.delete();
  return h;
}

function expectCode(fn: () => unknown, code: CkksErrorCode, field?: string): CkksError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CkksError, `expected CkksError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.field, field, e.message);
    return e;
  }
  assert.fail(`expected CkksError ${code}`);
}

interface Kit {
  p: CkksParams;
  ctx: Context;
  kg: KeyGenerator;
  sk: SecretKey;
  pk: PublicKey;
  enc: CKKSEncoder;
  encryptor: Encryptor;
  decryptor: Decryptor;
  evaluator: Evaluator;
  dispose(): void;
}

function kit(seal: SEALLibrary, p: CkksParams): Kit {
  const ctx = sealContext(seal, p);
  const kg = seal.KeyGenerator(ctx);
  const sk = kg.secretKey();
  const pk = kg.createPublicKey();
  const enc = seal.CKKSEncoder(ctx);
  const encryptor = seal.Encryptor(ctx, pk, sk);
  const decryptor = seal.Decryptor(ctx, sk);
  const evaluator = seal.Evaluator(ctx);
  return {
    p,
    ctx,
    kg,
    sk,
    pk,
    enc,
    encryptor,
    decryptor,
    evaluator,
    dispose() {
      for (const o of [evaluator, decryptor, encryptor, enc, pk, sk, kg, ctx]) o.delete();
    },
  };
}

function values(count: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: count }, () => r() * 2 - 1);
}

/** node-seal and a kit at `p`, for one describe (its before() opens, its after() disposes). */
async function openKit(p: CkksParams): Promise<{ seal: SEALLibrary; k: Kit }> {
  const seal = await sealLib();
  return { seal, k: kit(seal, p) };
}

function encryptWith(k: Kit, v: Float64Array) {
  const pt = got(k.enc.encode(v, 2 ** 40));
  const ct = got(k.encryptor.encrypt(pt));
  pt.delete();
  return ct;
}

function decryptBytesWith(seal: SEALLibrary, k: Kit, bytes: Uint8Array): Float64Array {
  const ct = seal.CipherText();
  ct.loadArray(k.ctx, bytes);
  const pt = got(k.decryptor.decrypt(ct));
  const out = k.enc.decode(pt);
  pt.delete();
  ct.delete();
  return out;
}

describe('SEAL binary format against node-seal 6.0.3: header and parms_id', () => {
  let seal: SEALLibrary;
  let k: Kit;
  const vals = values(4096, 7);

  before(async () => {
    ({ seal, k } = await openKit(presetParams(8192)));
  });
  after(() => k.dispose());

  const encrypt = (v: Float64Array = vals) => encryptWith(k, v);

  it('reads the SEALHeader', () => {
    const ct = encrypt();
    const bytes = ct.saveArray(none(seal));
    ct.delete();
    const h = readSealHeader(bytes);
    assert.equal(h.magic, 0xa15e);
    assert.equal(h.headerSize, 16);
    assert.deepEqual(h.version, { major: 4, minor: 1 });
    assert.equal(h.comprMode, 'none');
    assert.equal(h.reserved, 0);
    assert.equal(h.size, bytes.length);
    assert.equal(hex(bytes.subarray(0, 8)), '5ea1100401000000');
  });

  it('computes parms_id for every level as SEAL does', () => {
    const chain = parmsIdChain(8192, k.p.coeffModulus);
    assert.equal(chain[0]!.parmsIdHex, idHex(k.ctx.keyParmsId));
    assert.equal(chain[1]!.parmsIdHex, idHex(k.ctx.firstParmsId));
    assert.equal(chain.at(-1)!.parmsIdHex, idHex(k.ctx.lastParmsId));
    assert.deepEqual(
      chain.map((c) => c.level),
      [-1, 2, 1, 0],
    );
    // 16384 preset: walk SEAL's whole chain
    const p16 = presetParams(16384);
    const ctx = sealContext(seal, p16);
    const ours = parmsIdChain(16384, p16.coeffModulus);
    let cd = ctx.keyContextData;
    for (let i = 0; i < ours.length; i++) {
      assert.equal(idHex(cd.parmsId), ours[i]!.parmsIdHex, `level ${ours[i]!.level}`);
      assert.equal(cd.chainIndex, ours.length - 1 - i);
      if (i < ours.length - 1) {
        const next = cd.nextContextData;
        cd.delete();
        cd = next;
      }
    }
    cd.delete();
    ctx.delete();
    // the hash is BLAKE2b-256 of [scheme=2, n, q..., 0] as u64 LE
    const words = new BigUint64Array([2n, 8192n, ...k.p.coeffModulus, 0n]);
    assert.equal(hex(blake2b(new Uint8Array(words.buffer), 32)), chain[0]!.parmsIdHex);
    assert.equal(hex(computeParmsId(8192, k.p.coeffModulus)), chain[0]!.parmsIdHex);
  });
});

describe('SEAL binary format against node-seal 6.0.3: ciphertexts', () => {
  let seal: SEALLibrary;
  let k: Kit;
  const vals = values(4096, 7);

  before(async () => {
    ({ seal, k } = await openKit(presetParams(8192)));
  });
  after(() => k.dispose());

  const encrypt = (v: Float64Array = vals) => encryptWith(k, v);
  const decryptBytes = (bytes: Uint8Array): Float64Array => decryptBytesWith(seal, k, bytes);

  it('parses a ciphertext field by field, re-emits identical bytes, and node-seal decrypts them', () => {
    const ct = encrypt();
    const bytes = ct.saveArray(none(seal));
    const firstId = idHex(ct.parmsId);
    ct.delete();
    const c = parseCiphertext(bytes);
    assert.equal(hex(c.parmsId), firstId);
    assert.equal(hex(c.parmsId), idHex(k.ctx.firstParmsId));
    assert.equal(c.isNttForm, true);
    assert.equal(c.size, 2);
    assert.equal(c.polyModulusDegree, 8192);
    assert.equal(c.coeffModulusSize, 3);
    assert.equal(c.scale, 2 ** 40);
    assert.equal(c.correctionFactor, 1n);
    assert.equal(c.data.length, 2 * 3 * 8192);
    assert.equal(c.seed, undefined);
    assert.equal(bytes.length, 16 + 73 + 16 + 8 + c.data.length * 8);
    const lvl = checkCiphertextAgainst(c, parmsIdChain(8192, k.p.coeffModulus), 8192);
    assert.equal(lvl.level, 2);
    const again = writeCiphertext(c);
    assert.deepEqual(again, bytes);
    assert.ok(maxAbsDiff(decryptBytes(again), vals, 4096) < 1e-6);
    // in pieces: the same bytes, the coefficients a view of c.data (not a copy)
    const parts = ciphertextParts(c);
    assert.deepEqual(Buffer.concat(parts), Buffer.from(bytes));
    assert.equal(parts[1]!.buffer, c.data.buffer);
    // parsed as a view: the same fields, the coefficients' bytes left in the input (not a copy)
    const framed = new Uint8Array(bytes.length + 3);
    framed.set(bytes, 3);
    const view = parseCiphertextView(framed.subarray(3));
    const { data, ...fields } = c;
    const { dataBytes, ...viewFields } = view;
    assert.deepEqual(viewFields, fields);
    assert.equal(dataBytes.buffer, framed.buffer);
    assert.deepEqual(Buffer.from(dataBytes), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    assert.throws(
      () => parseCiphertextView(bytes.subarray(0, bytes.length - 8)),
      (e: unknown) => e instanceof CkksError && e.code === 'MALFORMED',
    );
  });

  it('follows the level and size through rescale and multiply', () => {
    const a = encrypt();
    const rk = k.kg.createRelinKeys();
    const sq = got(k.evaluator.multiply(a, a));
    const s3 = parseCiphertext(sq.saveArray(none(seal)));
    assert.equal(s3.size, 3);
    assert.equal(s3.data.length, 3 * 3 * 8192);
    assert.deepEqual(writeCiphertext(s3), sq.saveArray(none(seal)));
    k.evaluator.relinearize(sq, rk, sq);
    k.evaluator.rescaleToNext(sq, sq);
    const r = parseCiphertext(sq.saveArray(none(seal)));
    const chain = parmsIdChain(8192, k.p.coeffModulus);
    assert.equal(r.size, 2);
    assert.equal(r.coeffModulusSize, 2);
    assert.equal(hex(r.parmsId), chain.find((c) => c.level === 1)!.parmsIdHex);
    assert.equal(r.scale, sq.scale);
    assert.ok(Math.abs(Math.log2(r.scale) - 40) < 0.01);
    k.evaluator.cipherModSwitchToNext(sq, sq);
    const z = parseCiphertext(sq.saveArray(none(seal)));
    assert.equal(hex(z.parmsId), chain.find((c) => c.level === 0)!.parmsIdHex);
    const out = decryptBytes(writeCiphertext(z));
    assert.ok(
      maxAbsDiff(
        out,
        vals.map((v) => v * v),
        4096,
      ) < 1e-4,
    );
    for (const o of [a, sq, rk]) o.delete();
  });

  it('parses the seeded symmetric ciphertext: c0, then a BLAKE2Xb seed that expands to SEAL’s c1', () => {
    const pt = got(k.enc.encode(vals, 2 ** 40));
    const ser = k.encryptor.encryptSymmetricSerializable(pt);
    const bytes = ser.saveArray(none(seal));
    ser.delete();
    pt.delete();
    const c = parseCiphertext(bytes);
    assert.equal(c.size, 2);
    assert.equal(c.coeffModulusSize, 3);
    assert.equal(c.data.length, 3 * 8192);
    assert.ok(c.seed);
    assert.equal(c.seed.prngType, 'blake2xb');
    assert.equal(c.seed.seed.length, 64);
    assert.ok(c.seed.seed.some((b) => b !== 0));
    // layout: header, 73 bytes of metadata, DynArray (16 + 8 + 8·N·L), PRNG info (16 + 1 + 64)
    assert.equal(bytes.length, 16 + 73 + 24 + 3 * 8192 * 8 + 81);
    assert.equal(hex(bytes.subarray(bytes.length - 81, bytes.length - 64)), `5ea1100401000000${'51'}00000000000000${'01'}`);
    assert.deepEqual(bytes.subarray(bytes.length - 64), c.seed.seed);
    const again = writeCiphertext(c);
    assert.deepEqual(again, bytes);
    assert.deepEqual(Buffer.concat(ciphertextParts(c)), Buffer.from(bytes), 'seeded, in pieces (with the seed trailer)');
    // node-seal loads the re-emitted seeded bytes (expanding the seed) and decrypts them
    assert.ok(maxAbsDiff(decryptBytes(again), vals, 4096) < 1e-6);
    // our expansion of the seed equals the c1 SEAL expanded
    const loaded = seal.CipherText();
    loaded.loadArray(k.ctx, again);
    const full = parseCiphertext(loaded.saveArray(none(seal)));
    loaded.delete();
    assert.equal(full.seed, undefined);
    assert.deepEqual(full.data.subarray(0, 3 * 8192), c.data);
    const c1 = expandSeed(c.seed.prngType, c.seed.seed, 8192, k.p.coeffModulus.slice(0, 3));
    assert.deepEqual(c1, full.data.subarray(3 * 8192));
  });
});

describe('SEAL binary format against node-seal 6.0.3: keys', () => {
  let seal: SEALLibrary;
  let k: Kit;
  const vals = values(4096, 7);

  before(async () => {
    ({ seal, k } = await openKit(presetParams(8192)));
  });
  after(() => k.dispose());

  const encrypt = (v: Float64Array = vals) => encryptWith(k, v);
  const decryptBytes = (bytes: Uint8Array): Float64Array => decryptBytesWith(seal, k, bytes);

  it('parses and re-emits the public key; node-seal encrypts with the re-emitted key', () => {
    const bytes = k.pk.saveArray(none(seal));
    const pk = parsePublicKey(bytes);
    assert.equal(hex(pk.parmsId), idHex(k.ctx.keyParmsId));
    assert.equal(pk.size, 2);
    assert.equal(pk.isNttForm, true);
    assert.equal(pk.coeffModulusSize, 4);
    assert.equal(pk.polyModulusDegree, 8192);
    assert.equal(pk.scale, 1);
    assert.equal(pk.data.length, 2 * 4 * 8192);
    assert.equal(pk.seed, undefined);
    const again = writePublicKey(pk);
    assert.deepEqual(again, bytes);
    const loaded = seal.PublicKey();
    loaded.loadArray(k.ctx, again);
    const e2 = seal.Encryptor(k.ctx, loaded);
    const pt = got(k.enc.encode(vals, 2 ** 40));
    const ct = got(e2.encrypt(pt));
    assert.ok(maxAbsDiff(decryptBytes(ct.saveArray(none(seal))), vals, 4096) < 1e-6);
    for (const o of [ct, pt, e2, loaded]) o.delete();
  });

  it('parses and re-emits the secret key (a plaintext in NTT form)', () => {
    const bytes = k.sk.saveArray(none(seal));
    const sk = parseSecretKey(bytes);
    assert.equal(hex(sk.parmsId), idHex(k.ctx.keyParmsId));
    assert.equal(sk.coeffCount, 4 * 8192);
    assert.equal(sk.scale, 1);
    assert.equal(sk.data.length, 4 * 8192);
    assert.deepEqual(writeSecretKey(sk), bytes);
    assert.deepEqual(writePlaintext(parsePlaintext(bytes)), bytes);
    const loaded = seal.SecretKey();
    loaded.loadArray(k.ctx, writeSecretKey(sk));
    const d2 = seal.Decryptor(k.ctx, loaded);
    const ct = encrypt();
    const pt = got(d2.decrypt(ct));
    assert.ok(maxAbsDiff(k.enc.decode(pt), vals, 4096) < 1e-6);
    for (const o of [pt, ct, d2, loaded]) o.delete();
    // a coefficient-form plaintext (zero parms_id) is not a secret key
    const pl = parsePlaintext(bytes);
    expectCode(() => parseSecretKey(writePlaintext({ ...pl, parmsId: new Uint8Array(32) })), 'MALFORMED', 'secretKey.parmsId');
  });

  it('parses and re-emits relinearization and Galois keys', () => {
    const rk = k.kg.createRelinKeys();
    const rb = rk.saveArray(none(seal));
    const r = parseKSwitchKeys(rb);
    assert.equal(hex(r.parmsId), idHex(k.ctx.keyParmsId));
    assert.equal(r.keys.length, 1);
    assert.equal(r.keys[0]!.length, 3); // one key per data prime
    for (const key of r.keys[0]!) {
      assert.equal(key.size, 2);
      assert.equal(key.coeffModulusSize, 4);
      assert.equal(hex(key.parmsId), hex(r.parmsId));
    }
    assert.deepEqual(writeKSwitchKeys(r), rb);
    const gk = k.kg.createGaloisKeys(Int32Array.from([1, -3]));
    const gb = gk.saveArray(none(seal));
    const g = parseKSwitchKeys(gb);
    assert.equal(g.keys.filter((row) => row.length > 0).length, 2);
    assert.deepEqual(writeKSwitchKeys(g), gb);
    const back = seal.GaloisKeys();
    back.loadArray(k.ctx, writeKSwitchKeys(g));
    assert.equal(back.size, 2);
    for (const o of [back, gk, rk]) o.delete();
  });

  it('parses a seeded public key', () => {
    const s = k.kg.createPublicKeySerializable();
    const bytes = s.saveArray(none(seal));
    s.delete();
    const pk = parsePublicKey(bytes);
    assert.equal(pk.seed?.prngType, 'blake2xb');
    assert.equal(pk.data.length, 4 * 8192);
    assert.deepEqual(writePublicKey(pk), bytes);
  });
});

describe('SEAL binary format against node-seal 6.0.3: compression', () => {
  let seal: SEALLibrary;
  let k: Kit;
  const vals = values(4096, 7);

  before(async () => {
    ({ seal, k } = await openKit(presetParams(8192)));
  });
  after(() => k.dispose());

  const encrypt = (v: Float64Array = vals) => encryptWith(k, v);

  it('node-seal defaults to zstd; zlib is read through node:zlib, zstd is a typed error on Node 20', () => {
    const ct = encrypt();
    const plain = parseCiphertext(ct.saveArray(none(seal)));
    const z = ct.saveArray(zlibMode(seal));
    assert.equal(readSealHeader(z).comprMode, 'zlib');
    const fromZlib = parseCiphertext(z);
    assert.deepEqual(fromZlib, plain);
    const def = ct.saveArray();
    assert.equal(readSealHeader(def).comprMode, 'zstd');
    assert.deepEqual(readSealHeader(ct.saveArray(zstdMode(seal))).comprMode, 'zstd');
    if (typeof (zlib as unknown as Record<string, unknown>)['zstdDecompressSync'] === 'function') {
      assert.deepEqual(parseCiphertext(def), plain);
    } else {
      expectCode(() => parseCiphertext(def), 'UNSUPPORTED_COMPRESSION', 'header.comprMode');
    }
    // decompression is bounded
    expectCode(() => parseCiphertext(z, { maxDecompressedBytes: 1000 }), 'MALFORMED', 'zlib');
    // corrupted zlib stream
    const bad = z.slice();
    bad[40] = bad[40]! ^ 0xff;
    bad[41] = bad[41]! ^ 0xff;
    assert.throws(
      () => parseCiphertext(bad),
      (e) => e instanceof CkksError && e.code === 'MALFORMED',
    );
    ct.delete();
  });
});

describe('SEAL format robustness (n = 1024, insecure)', () => {
  let seal: SEALLibrary;
  let k: Kit;
  let samples: { name: string; bytes: Uint8Array; parse: (b: Uint8Array) => unknown }[];

  before(async () => {
    seal = await sealLib();
    k = kit(seal, parseParams({ n: 1024, coeffModulusBits: [30, 30, 30], scaleBits: 25, insecure: true }));
    const pt = got(k.enc.encode(values(512, 3), 2 ** 25));
    const ct = got(k.encryptor.encrypt(pt));
    const ser = k.encryptor.encryptSymmetricSerializable(pt);
    const rk = k.kg.createRelinKeys();
    samples = [
      { name: 'ciphertext', bytes: ct.saveArray(none(seal)), parse: parseCiphertext },
      { name: 'seeded', bytes: ser.saveArray(none(seal)), parse: parseCiphertext },
      { name: 'publicKey', bytes: k.pk.saveArray(none(seal)), parse: parsePublicKey },
      { name: 'secretKey', bytes: k.sk.saveArray(none(seal)), parse: parseSecretKey },
      { name: 'relinKeys', bytes: rk.saveArray(none(seal)), parse: parseKSwitchKeys },
      { name: 'zlib', bytes: ct.saveArray(zlibMode(seal)), parse: parseCiphertext },
    ];
    for (const o of [pt, ct, ser, rk]) o.delete();
  });
  after(() => k.dispose());

  const ALLOWED: readonly CkksErrorCode[] = ['MALFORMED', 'UNSUPPORTED_VERSION', 'UNSUPPORTED_COMPRESSION'];

  function outcome(parse: (b: Uint8Array) => unknown, b: Uint8Array): 'ok' | CkksErrorCode {
    try {
      parse(b);
      return 'ok';
    } catch (e) {
      if (!(e instanceof CkksError)) throw new Error(`non-CkksError thrown: ${String(e)}`, { cause: e });
      assert.ok(ALLOWED.includes(e.code), `${e.code}: ${e.message}`);
      return e.code;
    }
  }

  it('rejects every truncation with MALFORMED', () => {
    for (const s of samples) {
      assert.equal(outcome(s.parse, s.bytes), 'ok', s.name);
      const n = s.bytes.length;
      for (let len = 0; len < n; len += len < 400 || len > n - 400 ? 1 : 37) {
        const r = outcome(s.parse, s.bytes.subarray(0, len));
        assert.equal(r, 'MALFORMED', `${s.name} truncated to ${len}`);
      }
      assert.equal(outcome(s.parse, Uint8Array.from([...s.bytes, 0])), 'MALFORMED', `${s.name} + trailing byte`);
    }
  });

  it('survives 4000 random mutations with CkksError only (deterministic seed)', () => {
    const r = rng(0xc0ffee);
    const stats = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const s = samples[i % samples.length]!;
      const b = s.bytes.slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let f = 0; f < flips; f++) {
        // mostly the structural bytes (headers, metadata, counts, seed), sometimes anywhere
        const where = r();
        let pos: number;
        if (where < 0.5) pos = Math.floor(r() * Math.min(200, b.length));
        else if (where < 0.7) pos = b.length - 1 - Math.floor(r() * Math.min(120, b.length));
        else pos = Math.floor(r() * b.length);
        b[pos] = r() < 0.5 ? Math.floor(r() * 256) : b[pos]! ^ (1 << Math.floor(r() * 8));
      }
      const o = outcome(s.parse, b);
      stats.set(o, (stats.get(o) ?? 0) + 1);
    }
    assert.ok((stats.get('MALFORMED') ?? 0) > 1000, JSON.stringify([...stats]));
  });

  it('rejects random garbage and wrong input types', () => {
    const r = rng(42);
    for (let i = 0; i < 500; i++) {
      const len = Math.floor(r() * 300);
      const b = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
      if (i % 2 === 0 && len >= 16) b.set([0x5e, 0xa1, 0x10, 0x04, 0x01, 0x00], 0);
      for (const s of samples) outcome(s.parse, b);
    }
    expectCode(() => parseCiphertext(new Uint8Array(0)), 'MALFORMED', 'header');
    expectCode(() => parseCiphertext('nope' as unknown as Uint8Array), 'MALFORMED', 'input');
  });

  it('names the field at fault', () => {
    const ct = samples[0]!.bytes;
    const seeded = samples[1]!.bytes;
    const mut = (src: Uint8Array, at: number, bytes: number[]) => {
      const b = src.slice();
      b.set(bytes, at);
      return b;
    };
    const u64 = (v: bigint) => [...new Uint8Array(new BigUint64Array([v]).buffer)];
    expectCode(() => parseCiphertext(mut(ct, 0, [0, 0])), 'MALFORMED', 'header.magic');
    expectCode(() => parseCiphertext(mut(ct, 2, [8])), 'MALFORMED', 'header.headerSize');
    expectCode(() => parseCiphertext(mut(ct, 3, [5])), 'UNSUPPORTED_VERSION', 'header.version');
    expectCode(() => parseCiphertext(mut(ct, 5, [9])), 'MALFORMED', 'header.comprMode');
    expectCode(() => parseCiphertext(mut(ct, 8, u64(1n << 62n))), 'MALFORMED', 'header.size');
    expectCode(() => parseCiphertext(mut(ct, 16 + 32, [2])), 'MALFORMED', 'ciphertext.isNttForm');
    expectCode(() => parseCiphertext(mut(ct, 16 + 33, u64(17n))), 'MALFORMED', 'ciphertext.size');
    expectCode(() => parseCiphertext(mut(ct, 16 + 41, u64(1000n))), 'MALFORMED', 'ciphertext.polyModulusDegree');
    expectCode(() => parseCiphertext(mut(ct, 16 + 49, u64(0n))), 'MALFORMED', 'ciphertext.coeffModulusSize');
    expectCode(() => parseCiphertext(mut(ct, 16 + 57, u64(0x7ff8000000000000n))), 'MALFORMED', 'ciphertext.scale');
    expectCode(() => parseCiphertext(mut(ct, 16 + 65, u64(0n))), 'MALFORMED', 'ciphertext.correctionFactor');
    // an absurd coefficient count is refused before anything is allocated
    expectCode(() => parseCiphertext(mut(ct, 16 + 73 + 16, u64(1n << 60n))), 'MALFORMED', 'ciphertext.data.count');
    expectCode(() => parseCiphertext(mut(ct, 16 + 73 + 16, u64(5n))), 'MALFORMED', 'ciphertext.data.count');
    expectCode(() => parseCiphertext(mut(ct, 16 + 73 + 8, u64(1n << 40n))), 'MALFORMED', 'ciphertext.data.header.size');
    expectCode(() => parseCiphertext(mut(seeded, seeded.length - 65, [0])), 'MALFORMED', 'ciphertext.seed.prngType');
    expectCode(() => parseCiphertext(mut(seeded, seeded.length - 81 + 5, [1])), 'UNSUPPORTED_COMPRESSION', 'ciphertext.seed.header.comprMode');
    const rk = samples[4]!.bytes;
    expectCode(() => parseKSwitchKeys(mut(rk, 16 + 32, u64(1n << 50n))), 'MALFORMED', 'kswitchKeys.count');
    expectCode(() => parseKSwitchKeys(mut(rk, 16 + 40, u64(1n << 50n))), 'MALFORMED', 'kswitchKeys.keys.0.count');
  });

  it('checks coefficients against the moduli on request', () => {
    const c = parseCiphertext(samples[0]!.bytes);
    const chain = parmsIdChain(1024, k.p.coeffModulus);
    assert.equal(checkCiphertextAgainst(c, chain, 1024).level, 1);
    const data = c.data.slice();
    data[5] = k.p.coeffModulus[0]!;
    const bad: SealCiphertext = { ...c, data };
    expectCode(() => checkCiphertextAgainst(bad, chain, 1024), 'MALFORMED', 'ciphertext.data');
    expectCode(() => checkCiphertextAgainst(c, parmsIdChain(1024, [k.p.coeffModulus[0]!]), 1024), 'PARAMETER_MISMATCH', 'parmsId');
  });
});
