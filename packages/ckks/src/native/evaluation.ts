/**
 * The native backend's evaluations: SEAL's operand checks, then one native call each, writing
 * into a pooled result buffer when one of the right size is free (NativeScope.into).
 */
import type { CiphertextHandle, PlaintextHandle } from '../backend.js';
import { addRotations, checkAccumulateGroups, checkAddInPlace, checkAccumulateTerms, checkRotateSumTerms } from '../backend.js';
import { CkksError } from '../errors.js';
import type { NativeScope } from './scope.js';
import type { NativeCiphertext } from './handles.js';

/** Scales of operands must agree to this relative tolerance (as SEAL's are_close). */
const SCALE_TOLERANCE = 1e-9;

function sameLevel(a: { level: number }, b: { level: number }, what: string): void {
  if (a.level !== b.level) {
    throw new CkksError('LEVEL_MISMATCH', `${what}: operands at levels ${a.level} and ${b.level}; mod-switch first`);
  }
}

function sameScale(a: { scale: number }, b: { scale: number }, what: string): void {
  if (Math.abs(a.scale - b.scale) > SCALE_TOLERANCE * Math.max(a.scale, b.scale)) {
    throw new CkksError('SCALE_MISMATCH', `${what}: scales ${a.scale} and ${b.scale} differ`);
  }
}

export function addSub(scope: NativeScope, op: 'add' | 'sub', a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const y = scope.ct(b);
  sameLevel(x, y, op);
  sameScale(x, y, op);
  const words = Math.max(x.size, y.size) * scope.polyWords(x.level);
  const data = scope.evaluate(op, [x, y], (check) => {
    const call = scope.into(check, words);
    return op === 'add' ? scope.core.add(x.data(), y.data(), x.level + 1, call) : scope.core.sub(x.data(), y.data(), x.level + 1, call);
  });
  return scope.wrapCt(data, x.level, x.scale, Math.max(x.size, y.size));
}

export function addInPlace(scope: NativeScope, a: CiphertextHandle, b: CiphertextHandle): void {
  const x = scope.ct(a);
  const y = scope.ct(b);
  sameLevel(x, y, 'addInPlace');
  checkAddInPlace(x, y);
  sameScale(x, y, 'addInPlace');
  if (x.escaped) throw new CkksError('INVALID_ARGUMENT', 'addInPlace: serializeParts handed out views of a, which would change under their reader; use add');
  // The kernel allows its output to be exactly its first operand (an element-wise pass).
  scope.evaluate('addInPlace', [x, y], (check) => scope.core.add(x.data(), y.data(), x.level + 1, { checkInput: check.checkInput, out: x.data() }));
}

export function negate(scope: NativeScope, a: CiphertextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const data = scope.evaluate('negate', [x], (check) => scope.core.negate(x.data(), x.level + 1, scope.into(check, x.data().length)));
  return scope.wrapCt(data, x.level, x.scale, x.size);
}

export function addPlain(scope: NativeScope, a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const y = scope.pt(p);
  sameLevel(x, y, 'addPlain');
  sameScale(x, y, 'addPlain');
  const data = scope.evaluate('addPlain', [x], (check) => scope.core.addPlain(x.data(), y.data(), x.level + 1, scope.into(check, x.data().length)));
  return scope.wrapCt(data, x.level, x.scale, x.size);
}

export function multiplyPlain(scope: NativeScope, a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const y = scope.pt(p);
  sameLevel(x, y, 'multiplyPlain');
  const data = scope.evaluate('multiplyPlain', [x], (check) => scope.core.multiplyPlain(x.data(), y.data(), x.level + 1, scope.into(check, x.data().length)));
  return scope.wrapCt(data, x.level, x.scale * y.scale, x.size);
}

export function multiplyPlainAccumulate(scope: NativeScope, cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): CiphertextHandle {
  const scale = checkAccumulateTerms(cts, plains);
  const handles = cts.map((c) => scope.ct(c));
  const xs = handles.map((h) => h.data());
  const ps = plains.map((p) => scope.pt(p).data());
  const level = cts[0]!.level;
  const data = scope.evaluate('multiplyPlainAccumulate', handles, (check) =>
    scope.core.multiplyPlainAccumulate(xs, ps, level + 1, scope.into(check, 2 * scope.polyWords(level))),
  );
  return scope.wrapCt(data, level, scale, 2);
}

export function multiplyPlainAccumulateGroups(
  scope: NativeScope,
  cts: readonly CiphertextHandle[],
  plains: readonly (readonly (PlaintextHandle | null)[])[],
): CiphertextHandle[] {
  const groups = checkAccumulateGroups(cts, plains);
  const handles = cts.map((c) => scope.ct(c));
  const xs = handles.map((h) => h.data());
  const pts = plains.map((row) => row.map((p) => (p === null ? null : scope.pt(p))));
  // Compact plaintexts are read as held when they all repeat alike (a matrix's masks do).
  const repeats = new Set(pts.flatMap((row) => row.map((p) => p?.repeat ?? null)).filter((r) => r !== null));
  const plainRepeat = repeats.size === 1 ? [...repeats][0]! : 1;
  const ps = pts.map((row) => row.map((p) => (p === null ? null : plainRepeat === 1 ? p.data() : p.held())));
  const level = cts[0]!.level;
  const data = scope.evaluate('multiplyPlainAccumulateGroups', handles, (check) =>
    scope.core.multiplyPlainAccumulateGroups(xs, ps, level + 1, {
      ...scope.outsFor(check, plains.length, 2 * scope.polyWords(level)),
      plainRepeat,
    }),
  );
  return data.map((d, g) => scope.wrapCt(d, level, groups[g]!.scale, 2));
}

export function multiply(scope: NativeScope, a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const y = scope.ct(b);
  sameLevel(x, y, 'multiply');
  if (x.size !== 2 || y.size !== 2) {
    throw new CkksError('INVALID_ARGUMENT', `multiply takes two size-2 ciphertexts (got sizes ${x.size} and ${y.size}); relinearize first`);
  }
  const data = scope.evaluate('multiply', [x, y], (check) =>
    scope.core.multiply(x.data(), y.data(), x.level + 1, scope.into(check, 3 * scope.polyWords(x.level))),
  );
  return scope.wrapCt(data, x.level, x.scale * y.scale, 3);
}

export function relinearize(scope: NativeScope, a: CiphertextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const key = scope.kswitch.relin;
  if (!key) throw new CkksError('MISSING_KEY', 'relinearization needs relinearization keys');
  if (x.size === 2) return scope.wrapCt(x.data().slice(), x.level, x.scale, 2, null, x.verified);
  const data = scope.evaluate('relinearize', [x], (check) =>
    scope.core.relinearize(key.data, x.data(), x.level + 1, scope.into(check, 2 * scope.polyWords(x.level))),
  );
  return scope.wrapCt(data, x.level, x.scale, 2);
}

export function multiplyRelinRescale(scope: NativeScope, a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const y = scope.ct(b);
  sameLevel(x, y, 'multiplyRelinRescale');
  if (x.size !== 2 || y.size !== 2) {
    throw new CkksError('INVALID_ARGUMENT', `multiplyRelinRescale takes two size-2 ciphertexts (got sizes ${x.size} and ${y.size})`);
  }
  if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'cannot rescale a level-0 product: no prime left to divide by');
  const key = scope.kswitch.relin;
  if (!key) throw new CkksError('MISSING_KEY', 'relinearization needs relinearization keys');
  const data = scope.evaluate('multiplyRelinRescale', [x, y], (check) =>
    scope.core.multiplyRelinRescale(key.data, x.data(), y.data(), x.level + 1, scope.into(check, 2 * scope.polyWords(x.level - 1))),
  );
  return scope.wrapCt(data, x.level - 1, scope.core.rescaledScale(x.scale * y.scale, x.level + 1), 2);
}

export function rescaleToNext(scope: NativeScope, a: CiphertextHandle): CiphertextHandle {
  const x = scope.ct(a);
  if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'cannot rescale a level-0 ciphertext: no prime left to divide by');
  const data = scope.evaluate('rescale', [x], (check) => scope.core.rescale(x.data(), x.level + 1, scope.into(check, x.size * scope.polyWords(x.level - 1))));
  return scope.wrapCt(data, x.level - 1, scope.core.rescaledScale(x.scale, x.level + 1), x.size);
}

/**
 * rescaleToNext(multiplyPlain(a, p)), plus `addend` (at the level below and the rescaled scale)
 * when given: one native call, bit for bit the three.
 */
export function multiplyPlainRescale(scope: NativeScope, a: CiphertextHandle, p: PlaintextHandle, addend?: PlaintextHandle): CiphertextHandle {
  const x = scope.ct(a);
  const y = scope.pt(p);
  sameLevel(x, y, 'multiplyPlainRescale');
  if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'cannot rescale a level-0 product: no prime left to divide by');
  const scale = scope.core.rescaledScale(x.scale * y.scale, x.level + 1);
  const z = addend === undefined ? null : scope.pt(addend);
  if (z !== null) {
    sameLevel({ level: x.level - 1 }, z, 'multiplyPlainRescale (the rescaled product and its addend)');
    sameScale({ scale }, z, 'multiplyPlainRescale (the rescaled product and its addend)');
  }
  const data = scope.evaluate('multiplyPlainRescale', [x], (check) =>
    scope.core.multiplyPlainRescale(x.data(), y.data(), z === null ? null : z.data(), x.level + 1, scope.into(check, x.size * scope.polyWords(x.level - 1))),
  );
  return scope.wrapCt(data, x.level - 1, scale, x.size);
}

export function modSwitchToNext(scope: NativeScope, a: CiphertextHandle): CiphertextHandle {
  const x = scope.ct(a);
  if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'cannot mod-switch a level-0 ciphertext');
  const data = scope.evaluate('modSwitch', [x], (check) =>
    scope.core.modSwitch(x.data(), x.level + 1, scope.into(check, x.size * scope.polyWords(x.level - 1))),
  );
  return scope.wrapCt(data, x.level - 1, x.scale, x.size);
}

export function rotate(scope: NativeScope, a: CiphertextHandle, steps: number): CiphertextHandle {
  const x = rotatable(scope, a);
  if (steps === 0) {
    if (!scope.kswitch.hasGalois) throw new CkksError('MISSING_KEY', 'rotation needs Galois keys');
    return scope.wrapCt(x.data().slice(), x.level, x.scale, 2, null, x.verified);
  }
  const plan = scope.kswitch.rotationPlan(steps);
  let data = x.data();
  for (const r of plan) {
    const input = data;
    // The first rotation reads x (checked while it is unverified); later ones read our own output.
    data = scope.evaluate(
      'rotate',
      input === x.data() ? [x] : [],
      (check) => scope.core.applyGalois([r.key.data], [r.elt], input, x.level + 1, scope.outsFor(check, 1, 2 * scope.polyWords(x.level)))[0]!,
    );
    // An intermediate of a composed rotation is ours alone.
    if (input !== x.data()) scope.giveResult(input);
  }
  return scope.wrapCt(data, x.level, x.scale, 2);
}

export function rotateMany(scope: NativeScope, a: CiphertextHandle, steps: readonly number[]): CiphertextHandle[] {
  const x = rotatable(scope, a);
  const hoisted: { index: number; elt: number }[] = [];
  const results: (CiphertextHandle | undefined)[] = new Array<CiphertextHandle | undefined>(steps.length);
  try {
    steps.forEach((s, index) => {
      const plan = s === 0 ? [] : scope.kswitch.rotationPlan(s);
      if (plan.length === 1) hoisted.push({ index, elt: plan[0]!.elt });
      else results[index] = rotate(scope, x, s);
    });
    if (hoisted.length === 1) results[hoisted[0]!.index] = rotate(scope, x, steps[hoisted[0]!.index]!);
    else if (hoisted.length > 1) {
      // Several share one decomposition of c1; their hoisting keys read it in order.
      const keys = hoisted.map((h) => scope.kswitch.hoistingKey(h.elt)!);
      const data = scope.evaluate('rotateMany', [x], (check) =>
        scope.core.applyGalois(
          keys,
          hoisted.map((h) => h.elt),
          x.data(),
          x.level + 1,
          { ...scope.outsFor(check, hoisted.length, 2 * scope.polyWords(x.level)), hoistingKeys: true },
        ),
      );
      hoisted.forEach((h, r) => {
        results[h.index] = scope.wrapCt(data[r]!, x.level, x.scale, 2);
      });
    }
    return results as CiphertextHandle[];
  } catch (error) {
    for (const r of results) r?.dispose();
    throw error;
  }
}

export function rotateSum(scope: NativeScope, cts: readonly CiphertextHandle[], steps: readonly number[]): CiphertextHandle {
  checkRotateSumTerms(cts, steps);
  const xs = cts.map((c) => scope.ct(c));
  const first = xs[0]!;
  const direct: { x: NativeCiphertext; elt: number; key: BigUint64Array }[] = [];
  const alone: number[] = [];
  steps.forEach((s, i) => {
    const plan = s === 0 ? [] : scope.kswitch.rotationPlan(s);
    if (plan.length === 1) direct.push({ x: xs[i]!, elt: plan[0]!.elt, key: plan[0]!.key.data });
    else alone.push(i);
  });
  let sum: CiphertextHandle | null = null;
  if (direct.length > 0) {
    const data = scope.evaluate(
      'rotateSum',
      direct.map((d) => d.x),
      (check) =>
        scope.core.rotateSum(
          direct.map((d) => d.key),
          direct.map((d) => d.elt),
          direct.map((d) => d.x.data()),
          first.level + 1,
          scope.into(check, 2 * scope.polyWords(first.level)),
        ),
    );
    sum = scope.wrapCt(data, first.level, first.scale, 2);
  }
  // step 0 and rotations composed of several keys' (NAF): rotated alone, then added
  const ops = {
    rotate: (a: CiphertextHandle, s: number) => rotate(scope, a, s),
    add: (a: CiphertextHandle, b: CiphertextHandle) => addSub(scope, 'add', a, b),
  };
  return addRotations(ops, sum, cts, steps, alone)!;
}

function rotatable(scope: NativeScope, a: CiphertextHandle): NativeCiphertext {
  const x = scope.ct(a);
  if (x.size !== 2) throw new CkksError('INVALID_ARGUMENT', `rotation takes a size-2 ciphertext (got size ${x.size}); relinearize first`);
  return x;
}
