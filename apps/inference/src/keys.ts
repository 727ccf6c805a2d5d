/**
 * The service's key registry: public and evaluation keys only, addressed by their hash.
 *
 * In memory (the L1 of DESIGN §7; L2 Redis and L3 disk come later), bounded by bytes with
 * least-recently-used eviction; an evicted set answers UNKNOWN_KEY and the proxy uploads it again.
 *
 * Every uploaded frame is checked before anything else: one that parses as a SEAL SecretKey is
 * refused (SECRET_KEY_REJECTED), whatever kind the header claims; so is a header that names a
 * `secret` kind. The rest must be uncompressed (a zstd frame could hide a secret key from the
 * check), parse as the kind declared and belong to the service's parameters.
 */
import { CkksError, isCkksError, parmsIdChain, parmsIdToHex, parsePublicKey, parseSecretKey, readSealHeader, type CkksParams } from '@hlp/ckks';
import { KEY_KINDS_ACCEPTED, ProtocolError, keySetId, sha256Hex, type UploadKeyKind } from '@hlp/protocol';

export interface KeySet {
  readonly id: string;
  readonly keys: ReadonlyMap<UploadKeyKind, Uint8Array>;
  readonly hashes: Readonly<Record<string, string>>;
  readonly bytes: number;
  readonly galoisSteps: readonly number[] | undefined;
}

export interface ValidatedUpload {
  readonly id: string;
  readonly keys: Map<UploadKeyKind, Uint8Array>;
  readonly hashes: Record<string, string>;
  readonly bytes: number;
}

function isUploadKind(k: string): k is UploadKeyKind {
  return (KEY_KINDS_ACCEPTED as readonly string[]).includes(k);
}

/** True when the bytes parse as a SEAL SecretKey (compression none or zlib). */
export function looksLikeSecretKey(bytes: Uint8Array): boolean {
  try {
    parseSecretKey(bytes, { maxDecompressedBytes: 64 * 1024 * 1024 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Check an upload's kinds and frames (no SEAL objects are created here; the service imports the
 * keys afterwards, which checks the key-switching keys in depth).
 * @throws ProtocolError SECRET_KEY_REJECTED, INVALID_REQUEST, BAD_FRAME, BAD_KEY, PARAMETER_MISMATCH
 */
export function validateUpload(kinds: readonly string[], frames: readonly Uint8Array[], params: CkksParams): ValidatedUpload {
  if (kinds.some((k) => k.toLowerCase() === 'secret')) {
    throw new ProtocolError('SECRET_KEY_REJECTED', 'the inference service never accepts a secret key', 'keys');
  }
  if (frames.length !== kinds.length) {
    throw new ProtocolError('BAD_FRAME', `header lists ${kinds.length} keys but the body has ${frames.length} frames`, 'frames');
  }
  frames.forEach((f, i) => {
    if (looksLikeSecretKey(f)) {
      throw new ProtocolError(
        'SECRET_KEY_REJECTED',
        `frame ${i} (declared ${kinds[i]}) is a SEAL SecretKey; the inference service never accepts one`,
        `frames.${i}`,
      );
    }
  });
  const keys = new Map<UploadKeyKind, Uint8Array>();
  kinds.forEach((k, i) => {
    if (!isUploadKind(k)) throw new ProtocolError('INVALID_REQUEST', `unknown key kind ${JSON.stringify(k)} (public, relin, galois)`, `keys.${i}`);
    if (keys.has(k)) throw new ProtocolError('INVALID_REQUEST', `key kind ${k} listed twice`, `keys.${i}`);
    keys.set(k, frames[i]!);
  });
  const pk = keys.get('public');
  if (!pk) throw new ProtocolError('INVALID_REQUEST', 'a key set needs its public key', 'keys');
  const keyLevelId = parmsIdChain(params.n, params.coeffModulus)[0]!.parmsIdHex;
  for (const [kind, bytes] of keys) {
    try {
      const header = readSealHeader(bytes);
      if (header.size !== bytes.length) throw new CkksError('MALFORMED', `declares ${header.size} bytes, ${bytes.length} given`, 'header.size');
      // Only uncompressed keys: SEAL itself would inflate zstd, which this side cannot inspect
      // first (Node 20 has no zstd), so a compressed secret key could not be recognised.
      if (header.comprMode !== 'none') throw new CkksError('MALFORMED', `keys must be uploaded uncompressed, not ${header.comprMode}`, 'header.comprMode');
      if (kind === 'public') {
        const parsed = parsePublicKey(bytes);
        const hex = parmsIdToHex(parsed.parmsId);
        if (hex !== keyLevelId || parsed.polyModulusDegree !== params.n) {
          throw new ProtocolError('PARAMETER_MISMATCH', `the public key belongs to other CKKS parameters (parms_id ${hex})`, 'keys.public');
        }
      }
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      if (isCkksError(e)) throw new ProtocolError('BAD_KEY', `${kind} key: ${e.message}`, `keys.${kind}`, { cause: e });
      throw e;
    }
  }
  const hashes: Record<string, string> = {};
  let bytes = 0;
  for (const [kind, b] of keys) {
    hashes[kind] = sha256Hex(b);
    bytes += b.length;
  }
  return { id: keySetId(hashes), keys, hashes, bytes };
}

export class KeyRegistry {
  private readonly sets = new Map<string, KeySet>();
  private total = 0;
  constructor(readonly maxBytes: number) {}

  get(id: string): KeySet | undefined {
    const set = this.sets.get(id);
    if (set) {
      this.sets.delete(id);
      this.sets.set(id, set);
    }
    return set;
  }

  has(id: string): boolean {
    return this.sets.has(id);
  }

  /** Add a set; evicts least recently used sets beyond maxBytes. Returns the evicted ids. */
  add(set: KeySet): string[] {
    if (this.sets.has(set.id)) return [];
    this.sets.set(set.id, set);
    this.total += set.bytes;
    const evicted: string[] = [];
    for (const [id, s] of this.sets) {
      if (this.total <= this.maxBytes || id === set.id) break;
      this.sets.delete(id);
      this.total -= s.bytes;
      evicted.push(id);
    }
    return evicted;
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.sets.size;
  }
}

export { CkksError };
