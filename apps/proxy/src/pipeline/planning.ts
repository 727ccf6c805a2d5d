/**
 * How requests become ciphertexts before anything is encrypted: the layout and level of a
 * workload, how many tokens one batch may hold, and the ciphertexts a request or batch needs.
 */
import { ciphertextCount, type PackingLayout } from '@hlp/model';
import { ProtocolError, type ServiceInfo, type WorkloadInfo } from '@hlp/protocol';
import type { Prepared } from './types.js';

export interface PlanningDeps {
  readonly info: ServiceInfo;
  /** Slots per ciphertext of the backend in use. */
  readonly slotCount: number;
  /** The backend parameters' top level. */
  readonly maxLevel: number;
  /** Layout for workloads that support it (others use blocked). */
  readonly layout: PackingLayout;
  readonly dataLevel?: 'min' | 'max';
}

export class CiphertextPlanner {
  /** Batch capacities by layout and width: a binary search each, computed once. */
  readonly #capacities = new Map<string, number>();

  constructor(private readonly deps: PlanningDeps) {}

  layoutFor(w: WorkloadInfo): PackingLayout {
    return w.layouts.includes(this.deps.layout) ? this.deps.layout : 'blocked';
  }

  /** The CKKS level ciphertexts for `w` are made at. */
  levelFor(w: WorkloadInfo): number {
    const max = this.deps.maxLevel;
    return this.deps.dataLevel === 'max' ? max : Math.min(max, Math.max(1, w.depth));
  }

  /**
   * The most tokens one batch of requests like `p` may hold: the largest count whose packing
   * (the batch's tokens concatenated, as runBatch packs them) fits in the ciphertexts the
   * service accepts per call. Monotone in tokens, so a binary search; cached per layout and width.
   */
  batchCapacity(p: Prepared): number {
    const width = p.workload.inputWidth;
    const key = `${p.layout}/${width}`;
    const known = this.#capacities.get(key);
    if (known !== undefined) return known;
    const slots = this.deps.slotCount;
    const max = this.deps.info.limits.maxCiphertexts;
    let lo = 0;
    let hi = max * slots; // a token takes at least one slot
    while (lo < hi) {
      const mid = Math.floor((lo + hi + 1) / 2);
      if (ciphertextCount(p.layout, mid, slots, width) <= max) lo = mid;
      else hi = mid - 1;
    }
    this.#capacities.set(key, lo);
    return lo;
  }

  /**
   * Refuses at admission a request the service would refuse anyway (as a 502 after all the
   * encryption work). The count is a lower bound (no alignment padding), so nothing that fits is refused.
   * @throws ProtocolError TOO_MANY_CIPHERTEXTS
   */
  checkCiphertexts(layout: PackingLayout, tokens: number, width: number): void {
    const need = ciphertextCount(layout, tokens, this.deps.slotCount, width);
    const max = this.deps.info.limits.maxCiphertexts;
    if (need > max) {
      throw new ProtocolError(
        'TOO_MANY_CIPHERTEXTS',
        `the request's ${tokens} tokens need ${need} ciphertexts, more than the ${max} the inference service accepts per call (its limits.maxCiphertexts); send fewer tokens per request`,
        'input',
      );
    }
  }

  /** Ciphertexts a batch of `items` (one workload and layout) packs into; 0 for none. */
  batchCiphertexts(items: readonly Prepared[]): number {
    const first = items[0];
    if (!first) return 0;
    const tokens = items.reduce((n, p) => n + p.tokens, 0);
    return ciphertextCount(first.layout, tokens, this.deps.slotCount, first.workload.inputWidth);
  }
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
