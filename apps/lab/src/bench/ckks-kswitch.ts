/**
 * The key-switching cases of `hlp bench ckks`: relinearization, one rotation, multiply +
 * relinearize + rescale, and hoisted rotations of one ciphertext (per rotation, for batches of
 * 8, 16 and 32). Both backends run them; the native backend's fused product and hoisting are
 * used when the loaded @hlp/ckks has them, and the seal backend composes the same result from
 * its single operations, so each pair of figures is the same work.
 *
 * The merge gate pairs them on the native backend (gate/pair-cases-kswitch.ts), and skips them
 * with a note against a reference from before native key switching, whose native backend went
 * through node-seal for them.
 */
import type { CiphertextHandle, CkksBackend } from '@hlp/ckks';
import type { RunMetricName } from '@hlp/results';

/** Report order of the key-switching metrics. */
export const KSWITCH_METRIC_ORDER = [
  'ckks.relinearize',
  'ckks.rotate',
  'ckks.mul_relin_rescale',
  'ckks.rotate_hoisted',
] as const satisfies readonly RunMetricName[];
export type KswitchOp = (typeof KSWITCH_METRIC_ORDER)[number];

export interface KswitchCase {
  readonly kind: 'kswitch';
  readonly name: KswitchOp;
  /** ckks.rotate_hoisted: rotations per call (the metric is per rotation). */
  readonly rotations?: number;
}

/** Hoisted batch sizes: quick mode times the smallest only. */
export function hoistedBatches(quick: boolean): number[] {
  return quick ? [8] : [8, 16, 32];
}

export function kswitchCases(quick: boolean): KswitchCase[] {
  return [
    { kind: 'kswitch', name: 'ckks.relinearize' },
    { kind: 'kswitch', name: 'ckks.rotate' },
    { kind: 'kswitch', name: 'ckks.mul_relin_rescale' },
    ...hoistedBatches(quick).map((rotations): KswitchCase => ({ kind: 'kswitch', name: 'ckks.rotate_hoisted', rotations })),
  ];
}

/** The Galois steps the cases rotate by: 1 … the largest batch. */
export function kswitchSteps(quick: boolean): number[] {
  const most = Math.max(...hoistedBatches(quick));
  return Array.from({ length: most }, (_, i) => i + 1);
}

interface FusedProduct {
  multiplyRelinRescale(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle;
}

function hasFusedProduct(b: CkksBackend): b is CkksBackend & FusedProduct {
  return typeof (b as Partial<FusedProduct>).multiplyRelinRescale === 'function';
}

/** The timed call of a case, how many operations one call performs, and what frees the inputs it made (the product `ckks.relinearize` relinearizes). */
export function kswitchFunction(
  c: KswitchCase,
  backend: CkksBackend,
  a: CiphertextHandle,
  b: CiphertextHandle,
  steps: readonly number[],
): { run: () => void; perCall: number; dispose: () => void } {
  const none = (): void => {};
  switch (c.name) {
    case 'ckks.relinearize': {
      const square = backend.multiply(a, b);
      return { run: () => backend.relinearize(square).dispose(), perCall: 1, dispose: () => square.dispose() };
    }
    case 'ckks.rotate': {
      // Through the same keys as the hoisted batches, so neither side has its key in cache alone.
      let next = 0;
      return { run: () => backend.rotate(a, steps[next++ % steps.length]!).dispose(), perCall: 1, dispose: none };
    }
    case 'ckks.mul_relin_rescale': {
      if (hasFusedProduct(backend)) return { run: () => backend.multiplyRelinRescale(a, b).dispose(), perCall: 1, dispose: none };
      return {
        run: () => {
          const product = backend.multiply(a, b);
          const relinearized = backend.relinearize(product);
          product.dispose();
          backend.rescaleToNext(relinearized).dispose();
          relinearized.dispose();
        },
        perCall: 1,
        dispose: none,
      };
    }
    case 'ckks.rotate_hoisted': {
      const count = c.rotations ?? 8;
      const steps = Array.from({ length: count }, (_, i) => i + 1);
      return {
        run: () => {
          for (const h of backend.rotateMany(a, steps)) h.dispose();
        },
        perCall: count,
        dispose: none,
      };
    }
  }
}
