/**
 * The service's key cache, three levels deep (DESIGN §7):
 *
 *   L1  in-process LRU bounded by bytes (KeyRegistry)            this process only
 *   L2  Redis (`--redis redis://127.0.0.1:6379`), ioredis client  shared by every instance
 *   L3  a directory on disk (`--key-cache-dir`)                   survives restarts without Redis
 *
 * A lookup tries L1, then L2, then L3; a hit at a lower level is promoted (into L1, and written
 * back to the levels above it that missed). An upload is written through to every level before
 * it is acknowledged, so a second instance sharing the Redis serves the key set at once, and a
 * restarted one finds it again. A miss everywhere answers UNKNOWN_KEY: the proxy uploads again.
 *
 * Stored form (L2 value and L3 file): the @hlp/protocol frames of
 *   { format: 'hlp.keyset/1', id, kinds, hashes, galoisSteps, bytes } + one SEAL key per kind.
 * The checksums are the key id itself: on load every frame is hashed (SHA-256) and the set id
 * recomputed from those hashes (@hlp/protocol keySetId); it must equal the id asked for and the
 * header's. The frames also go through the same validation as an upload (no secret key, kinds,
 * parameters). Anything that fails — a truncated or corrupted file, a foreign value — is
 * ignored (logged, counted, the file deleted) and the lookup goes on to the next level.
 *
 * L3 writes are atomic: a temporary file in the same directory, fsync, rename. The directory is
 * bounded by bytes (`--key-cache-disk-bytes`), least recently used files (by mtime, touched on a
 * hit) removed first. L2 entries expire after `--redis-key-ttl` seconds (refreshed on a hit);
 * beyond that Redis's own maxmemory policy applies.
 */
import { mkdir, open, readFile, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { CkksParams } from '@hlp/ckks';
import { KEY_KINDS_ACCEPTED, decodeFrames, encodeFramesParts } from '@hlp/protocol';
import type { LogFn } from '@hlp/service-runtime';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { KeyRegistry, validateUpload, type KeySet } from './keys.js';

export const KEYSET_FORMAT = 'hlp.keyset/1';

export type CacheLevel = 'l1' | 'l2' | 'l3';

/** What the metrics need to know: a hit or miss at a level, an entry found corrupt, sizes. */
export type KeyCacheEvent =
  | { readonly kind: 'hit' | 'miss'; readonly level: CacheLevel }
  | { readonly kind: 'corrupt'; readonly level: 'l2' | 'l3' }
  | { readonly kind: 'size'; readonly level: CacheLevel; readonly bytes: number };

const StoredHeader = z.object({
  format: z.literal(KEYSET_FORMAT),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  kinds: z.array(z.enum(KEY_KINDS_ACCEPTED)).min(1).max(8),
  hashes: z.record(z.string(), z.string()),
  galoisSteps: z.array(z.number().int()).nullable(),
  bytes: z.number().int().nonnegative(),
  frames: z.number().int(),
});

export class CorruptEntry extends Error {
  override readonly name = 'CorruptEntry';
}

/** The stored form of a key set, as the parts to write in order (no concatenation of the keys). */
export function encodeKeySet(set: KeySet): Uint8Array[] {
  const kinds = [...set.keys.keys()];
  return encodeFramesParts(
    { format: KEYSET_FORMAT, id: set.id, kinds, hashes: set.hashes, galoisSteps: set.galoisSteps ? [...set.galoisSteps] : null, bytes: set.bytes },
    kinds.map((k) => set.keys.get(k)!),
  );
}

/**
 * Read a stored key set back, checking everything (see the module comment).
 * @throws CorruptEntry when the bytes are not exactly key set `id`
 */
export function decodeKeySet(bytes: Uint8Array, id: string, params: CkksParams): KeySet {
  let decoded;
  try {
    decoded = decodeFrames(bytes, { maxFrames: 8 });
  } catch (e) {
    throw new CorruptEntry(`not a stored key set: ${(e as Error).message}`, { cause: e });
  }
  const h = StoredHeader.safeParse(decoded.header);
  if (!h.success) throw new CorruptEntry(`bad header: ${h.error.issues[0]?.message ?? 'invalid'}`);
  if (h.data.id !== id) throw new CorruptEntry(`holds key set ${h.data.id}, not ${id}`);
  let v;
  try {
    v = validateUpload(h.data.kinds, decoded.frames, params);
  } catch (e) {
    throw new CorruptEntry(`its keys do not validate: ${(e as Error).message}`, { cause: e });
  }
  // The checksum: SHA-256 of every frame, and the set id recomputed from them.
  if (v.id !== id) throw new CorruptEntry(`checksum mismatch: its keys hash to set ${v.id}`);
  return { id, keys: v.keys, hashes: v.hashes, bytes: v.bytes, galoisSteps: h.data.galoisSteps ?? undefined };
}

// -- L2: Redis ----------------------------------------------------------------------------------

export interface RedisStoreOptions {
  /** Key prefix (default `hlp:keyset:`). */
  readonly prefix?: string;
  /** Seconds an entry lives without being used (default 7 days; 0 = no expiry). */
  readonly ttlSeconds?: number;
  readonly log: LogFn;
}

export class RedisKeyStore {
  readonly client: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private lastError = 0;

  constructor(
    readonly url: string,
    private readonly options: RedisStoreOptions,
  ) {
    this.prefix = options.prefix ?? 'hlp:keyset:';
    this.ttl = options.ttlSeconds ?? 7 * 24 * 3600;
    this.client = new Redis(url, {
      lazyConnect: true,
      // Fail fast while Redis is away (a lookup then goes on to L3), reconnect in the background.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // A key set is up to ~100 MB: give its transfer time.
      commandTimeout: 30_000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    });
    this.client.on('error', (e: Error) => this.warn('redis error', e));
  }

  /** Connect (at start-up); a failure is logged, and the client keeps trying in the background. */
  async connect(): Promise<boolean> {
    try {
      await this.client.connect();
      return true;
    } catch (e) {
      this.warn('redis unreachable at start-up; L2 misses until it answers', e as Error);
      return false;
    }
  }

  private warn(message: string, e: Error): void {
    // One line per 10 s at most while Redis is down.
    const now = Date.now();
    if (now - this.lastError < 10_000) return;
    this.lastError = now;
    this.options.log('warn', message, { redis: this.url, error: e.message });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  async get(id: string): Promise<Buffer | undefined> {
    if (!this.ready) return undefined;
    try {
      const v = await this.client.getBuffer(this.prefix + id);
      if (v && this.ttl > 0) void this.client.expire(this.prefix + id, this.ttl).catch(() => undefined);
      return v ?? undefined;
    } catch (e) {
      this.warn('redis GET failed', e as Error);
      return undefined;
    }
  }

  async put(id: string, parts: readonly Uint8Array[]): Promise<boolean> {
    if (!this.ready) return false;
    try {
      const value = Buffer.concat(parts);
      if (this.ttl > 0) await this.client.set(this.prefix + id, value, 'EX', this.ttl);
      else await this.client.set(this.prefix + id, value);
      return true;
    } catch (e) {
      this.warn('redis SET failed', e as Error);
      return false;
    }
  }

  async delete(id: string): Promise<void> {
    if (!this.ready) return;
    await this.client.del(this.prefix + id).catch(() => undefined);
  }

  async close(): Promise<void> {
    try {
      if (this.client.status === 'ready') await this.client.quit();
      else this.client.disconnect();
    } catch {
      this.client.disconnect();
    }
  }
}

// -- L3: disk -------------------------------------------------------------------------------------

const FILE_SUFFIX = '.hlpkeys';

export class DiskKeyStore {
  private bytesUsed = 0;
  private readonly sizes = new Map<string, number>();

  constructor(
    readonly dir: string,
    /** Bound on the directory's key files (default 8 GiB). */
    readonly maxBytes: number = 8 * 1024 ** 3,
    private readonly log: LogFn = () => undefined,
  ) {}

  private path(id: string): string {
    return join(this.dir, `${id}${FILE_SUFFIX}`);
  }

  /** Create the directory (0700) and account for the files already there. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const f of await readdir(this.dir)) {
      if (f.startsWith('.') && f.endsWith('.tmp')) {
        // A temporary file left by a crash mid-write (not one another process is writing now).
        const st = await stat(join(this.dir, f)).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > 10 * 60_000) await unlink(join(this.dir, f)).catch(() => undefined);
        continue;
      }
      if (!f.endsWith(FILE_SUFFIX)) continue;
      const st = await stat(join(this.dir, f)).catch(() => undefined);
      if (!st) continue;
      this.sizes.set(f.slice(0, -FILE_SUFFIX.length), st.size);
      this.bytesUsed += st.size;
    }
  }

  get bytes(): number {
    return this.bytesUsed;
  }

  has(id: string): boolean {
    return this.sizes.has(id);
  }

  async get(id: string): Promise<Buffer | undefined> {
    if (!/^[0-9a-f]{64}$/.test(id)) return undefined;
    try {
      const bytes = await readFile(this.path(id));
      const now = new Date();
      void utimes(this.path(id), now, now).catch(() => undefined);
      return bytes;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log('warn', 'key cache file unreadable', { id, error: (e as Error).message });
      return undefined;
    }
  }

  /** Write atomically: temporary file in the same directory, fsync, rename over the final name. */
  async put(id: string, parts: readonly Uint8Array[]): Promise<void> {
    const tmp = join(this.dir, `.${id}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    let size = 0;
    try {
      for (const p of parts) {
        await fh.write(p);
        size += p.length;
      }
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    try {
      await rename(tmp, this.path(id));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    this.bytesUsed += size - (this.sizes.get(id) ?? 0);
    this.sizes.set(id, size);
    await this.evict(id);
  }

  async delete(id: string): Promise<void> {
    await unlink(this.path(id)).catch(() => undefined);
    this.bytesUsed -= this.sizes.get(id) ?? 0;
    this.sizes.delete(id);
  }

  /** Remove least recently used files (by mtime) until the directory fits its bound. */
  private async evict(keep: string): Promise<void> {
    if (this.bytesUsed <= this.maxBytes) return;
    const entries: { id: string; mtime: number }[] = [];
    for (const id of this.sizes.keys()) {
      if (id === keep) continue;
      const st = await stat(this.path(id)).catch(() => undefined);
      entries.push({ id, mtime: st?.mtimeMs ?? 0 });
    }
    entries.sort((a, b) => a.mtime - b.mtime);
    for (const e of entries) {
      if (this.bytesUsed <= this.maxBytes) break;
      await this.delete(e.id);
      this.log('info', 'key cache file evicted (disk bound)', { id: e.id });
    }
  }
}

// -- the three levels together ------------------------------------------------------------------------

export interface KeyCacheOptions {
  readonly l1Bytes: number;
  readonly redis?: RedisKeyStore;
  readonly disk?: DiskKeyStore;
  readonly params: CkksParams;
  readonly log: LogFn;
  readonly onEvent?: (event: KeyCacheEvent) => void;
}

export class KeyCache {
  readonly l1: KeyRegistry;
  private readonly pending = new Map<string, Promise<KeySet | undefined>>();

  constructor(private readonly options: KeyCacheOptions) {
    this.l1 = new KeyRegistry(options.l1Bytes);
  }

  get levels(): CacheLevel[] {
    return ['l1', ...(this.options.redis ? (['l2'] as const) : []), ...(this.options.disk ? (['l3'] as const) : [])];
  }

  private emit(e: KeyCacheEvent): void {
    this.options.onEvent?.(e);
  }

  private sizes(): void {
    this.emit({ kind: 'size', level: 'l1', bytes: this.l1.bytes });
    if (this.options.disk) this.emit({ kind: 'size', level: 'l3', bytes: this.options.disk.bytes });
  }

  /** In this process only (no I/O); not counted as a lookup. */
  peek(id: string): KeySet | undefined {
    return this.l1.get(id);
  }

  /** Look a key set up through the levels (concurrent lookups of one id share the work). */
  get(id: string): Promise<KeySet | undefined> {
    const hit = this.l1.get(id);
    if (hit) {
      this.emit({ kind: 'hit', level: 'l1' });
      return Promise.resolve(hit);
    }
    this.emit({ kind: 'miss', level: 'l1' });
    let p = this.pending.get(id);
    if (!p) {
      p = this.lookupLower(id).finally(() => this.pending.delete(id));
      this.pending.set(id, p);
    }
    return p;
  }

  private async lookupLower(id: string): Promise<KeySet | undefined> {
    const { redis, disk, params, log } = this.options;
    let found: KeySet | undefined;
    let from: 'l2' | 'l3' | undefined;
    if (redis) {
      const bytes = await redis.get(id);
      if (bytes) {
        try {
          found = decodeKeySet(bytes, id, params);
          from = 'l2';
        } catch (e) {
          this.emit({ kind: 'corrupt', level: 'l2' });
          log('warn', 'key cache: corrupt L2 entry ignored and deleted', { id, error: (e as Error).message });
          await redis.delete(id);
        }
      }
      this.emit({ kind: found ? 'hit' : 'miss', level: 'l2' });
    }
    if (!found && disk) {
      const bytes = await disk.get(id);
      if (bytes) {
        try {
          found = decodeKeySet(bytes, id, params);
          from = 'l3';
        } catch (e) {
          this.emit({ kind: 'corrupt', level: 'l3' });
          log('warn', 'key cache: corrupt L3 file ignored and deleted', { id, file: join(disk.dir, `${id}${FILE_SUFFIX}`), error: (e as Error).message });
          await disk.delete(id);
        }
      }
      this.emit({ kind: found ? 'hit' : 'miss', level: 'l3' });
    }
    if (!found) {
      this.sizes();
      return undefined;
    }
    this.l1.add(found);
    log('info', `key set loaded from ${from === 'l2' ? 'L2 (redis)' : 'L3 (disk)'}`, { keyId: id, bytes: found.bytes });
    // Write back to the levels that missed (in the background: the request need not wait).
    const parts = encodeKeySet(found);
    if (from === 'l3' && redis) void redis.put(id, parts);
    if (from === 'l2' && disk && !disk.has(id)) {
      void disk.put(id, parts).then(
        () => this.sizes(),
        (e: unknown) => log('warn', 'key cache: L3 write failed', { id, error: (e as Error).message }),
      );
    }
    this.sizes();
    return found;
  }

  /** Store a freshly uploaded (validated) set in every level; resolves once all are written. */
  async put(set: KeySet): Promise<string[]> {
    const evicted = this.l1.add(set);
    const { redis, disk, log } = this.options;
    const parts = redis || disk ? encodeKeySet(set) : [];
    await Promise.all([
      redis ? redis.put(set.id, parts) : undefined,
      disk ? disk.put(set.id, parts).catch((e: unknown) => log('warn', 'key cache: L3 write failed', { id: set.id, error: (e as Error).message })) : undefined,
    ]);
    this.sizes();
    return evicted;
  }

  async close(): Promise<void> {
    await this.options.redis?.close();
  }
}
