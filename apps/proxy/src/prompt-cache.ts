/**
 * The optional cache of encrypted prompt blocks (`--prompt-cache-bytes`, off by default).
 *
 * With the blocked layout a ciphertext holds whole tokens (4 at N = 8192), and its plaintext is
 * fixed by those tokens' ids and positions (the embeddings are deterministic). The cache maps
 * that content to the serialized ciphertext made for it the first time, so a repeated prompt
 * (a system prompt, a retried request) skips encoding and encryption for its blocks. With the
 * cache on, every input starts at a ciphertext boundary (the gap is zero padding) so the same
 * prompt always produces the same blocks.
 *
 * THE LEAK: a cached block is sent byte for byte again, so equal prompt blocks give equal
 * ciphertexts on the upstream link. CKKS encryption is randomized precisely so that this does
 * not happen; with the cache, anyone who sees the proxy → inference traffic (the inference
 * service itself included) learns which requests share prompt blocks — that two users sent the
 * same system prompt, that a request repeats an earlier one — though not what the blocks say.
 * Off by default for that reason; see the proxy README.
 *
 * Entries are addressed by SHA-256 over the key set id, the CKKS level, the embedding seed, the
 * encryption mode and the block's (token id, position) pairs; bounded by bytes, least recently
 * used first out.
 */
import { createHash } from 'node:crypto';

export interface BlockToken {
  /** Token id, or -1 for padding. */
  readonly id: number;
  /** Position within its own input (what the position embedding depends on). */
  readonly position: number;
}

export class PromptBlockCache {
  private readonly map = new Map<string, Uint8Array>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }

  static key(context: string, block: readonly BlockToken[]): string {
    const h = createHash('sha256').update(context).update('\n');
    const ints = new Int32Array(block.length * 2);
    block.forEach((t, i) => {
      ints[2 * i] = t.id;
      ints[2 * i + 1] = t.position;
    });
    return h.update(new Uint8Array(ints.buffer)).digest('hex');
  }

  get(key: string): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, value: Uint8Array): void {
    if (value.length > this.maxBytes) return;
    const old = this.map.get(key);
    if (old) {
      this.total -= old.length;
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.total += value.length;
    for (const [k, v] of this.map) {
      if (this.total <= this.maxBytes) break;
      this.map.delete(k);
      this.total -= v.length;
    }
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}
