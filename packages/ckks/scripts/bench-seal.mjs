#!/usr/bin/env node
// Median latencies of node-seal 6.0.3 CKKS encryption at N = 8192, {60, 40, 40, 60}, scale 2^40.
// Usage: npm run build && node scripts/bench-seal.mjs [runs=50]
import { CKKS_PRESETS, createSealBackend, encryptValues, loadSealLibrary } from '../dist/src/index.js';

const runs = Number(process.argv[2] ?? 50);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function time(name, fn) {
  for (let i = 0; i < 5; i++) fn(); // warm-up
  const t = [];
  for (let i = 0; i < runs; i++) {
    const a = performance.now();
    fn();
    t.push(performance.now() - a);
  }
  console.log(`${name.padEnd(64)} median ${median(t).toFixed(3)} ms  (min ${Math.min(...t).toFixed(3)}, max ${Math.max(...t).toFixed(3)}, n=${runs})`);
}

const seal = await loadSealLibrary();
const b = await createSealBackend(CKKS_PRESETS[8192]);
b.generateKeys({ relin: false });
// raw node-seal objects on the same parameters and keys
const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
parms.setPolyModulusDegree(8192);
const cm = seal.CoeffModulus.Create(8192, Int32Array.from([60, 40, 40, 60]));
parms.setCoeffModulus(cm);
const ctx = seal.Context(parms, true, seal.SecurityLevel.tc128);
const sk = seal.SecretKey();
sk.loadArray(ctx, b.exportKey('secret'));
const pk = seal.PublicKey();
pk.loadArray(ctx, b.exportKey('public'));
const encoder = seal.CKKSEncoder(ctx);
const encryptor = seal.Encryptor(ctx, pk, sk);
const none = seal.ComprModeType.none;
const values = Float64Array.from({ length: 4096 }, (_, i) => Math.sin(i));

time('node-seal encode + encrypt (public key)', () => {
  const p = encoder.encode(values, 2 ** 40);
  encryptor.encrypt(p).delete();
  p.delete();
});
time('node-seal encode + encryptSymmetric (full ciphertext)', () => {
  const p = encoder.encode(values, 2 ** 40);
  encryptor.encryptSymmetric(p).delete();
  p.delete();
});
time('node-seal encode + encryptSymmetricSerializable + save', () => {
  const p = encoder.encode(values, 2 ** 40);
  const s = encryptor.encryptSymmetricSerializable(p);
  s.saveArray(none);
  s.delete();
  p.delete();
});
time('node-seal encode only', () => encoder.encode(values, 2 ** 40).delete());
time('@hlp/ckks seal: encryptValues (public) + serialize', () => {
  const c = encryptValues(b, values);
  c.serialize();
  c.dispose();
});
time('@hlp/ckks seal: encryptValues (symmetric) + serialize (seeded)', () => {
  const c = encryptValues(b, values, { symmetric: true });
  c.serialize();
  c.dispose();
});
for (const o of [encryptor, encoder, pk, sk, ctx, cm, parms]) o.delete();
b.dispose();
