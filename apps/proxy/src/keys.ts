/**
 * The proxy's keys: generated at start, or loaded from a key file (`--key-file`), which is
 * written when absent. The secret key stays in this process and in that file; the upload to the
 * inference service carries only the public, relinearization and Galois keys.
 *
 * Key file: the frames of @hlp/protocol with header
 *   { "format": "hlp.keyfile/1", "params": {n, coeffModulusBits, scaleBits}, "keys": [kinds…],
 *     "galoisSteps": [steps…] }
 * and one frame of SEAL bytes per kind (secret, public, relin, galois). It is created with mode
 * 0600 (write to a temporary file in the same directory, then rename); a key file that group or
 * others may read is refused, as ssh refuses such a private key.
 */
import { chmod, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CkksBackend } from '@hlp/ckks';
import { decodeFrames, encodeFrames, keySetId, sameParams, sha256Hex, ParamsWire, type UploadKeyKind } from '@hlp/protocol';
import { z } from 'zod';

export const KEY_FILE_FORMAT = 'hlp.keyfile/1';

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

const KeyFileHeader = z.object({
  format: z.literal(KEY_FILE_FORMAT),
  params: ParamsWire,
  keys: z.array(z.enum(['secret', 'public', 'relin', 'galois'])),
  galoisSteps: z.array(z.number().int()),
  frames: z.number().int(),
});

export interface KeyNeeds {
  readonly relin: boolean;
  /** Galois steps the served workloads rotate by. */
  readonly galoisSteps: readonly number[];
}

/** What gets uploaded, and the id both sides compute for it. */
export interface UploadSet {
  readonly keyId: string;
  readonly kinds: UploadKeyKind[];
  readonly frames: Uint8Array[];
  readonly galoisSteps: readonly number[];
  readonly bytes: number;
}

function wire(be: CkksBackend): ParamsWire {
  return { n: be.params.n, coeffModulusBits: [...be.params.coeffModulusBits], scaleBits: be.params.scaleBits };
}

/** Serialize the backend's keys into key-file bytes. */
export function keyFileBytes(be: CkksBackend, galoisSteps: readonly number[]): Buffer {
  const kinds = (['secret', 'public', 'relin', 'galois'] as const).filter((k) => be.hasKey(k));
  return encodeFrames(
    { format: KEY_FILE_FORMAT, params: wire(be), keys: kinds, galoisSteps: [...galoisSteps] },
    kinds.map((k) => be.exportKey(k)),
  );
}

/** Write `bytes` to `path` with mode 0600, atomically. */
export async function writePrivateFile(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export interface LoadedKeys {
  /** True when the keys came from the key file (false: generated now). */
  readonly fromFile: boolean;
  /** True when the key file was (re)written. */
  readonly wroteFile: boolean;
  readonly galoisSteps: readonly number[];
}

/**
 * Give `be` its keys: from `keyFile` when it exists (checking its mode, format and parameters,
 * and adding Galois keys for missing steps), otherwise freshly generated (and written to
 * `keyFile` when one is named).
 */
export async function provisionKeys(be: CkksBackend, needs: KeyNeeds, keyFile?: string): Promise<LoadedKeys> {
  const steps = [...new Set(needs.galoisSteps)].sort((a, b) => a - b);
  if (keyFile) {
    let st;
    try {
      st = await stat(keyFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st) {
      if ((st.mode & 0o077) !== 0) {
        throw new KeyFileError(`key file ${keyFile} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
      }
      const fh = await open(keyFile, 'r');
      let bytes: Buffer;
      try {
        bytes = await fh.readFile();
      } finally {
        await fh.close();
      }
      let decoded;
      try {
        decoded = decodeFrames(bytes, { maxFrames: 8 });
      } catch (e) {
        throw new KeyFileError(`key file ${keyFile} is not an hlp key file: ${(e as Error).message}`, { cause: e });
      }
      const parsed = KeyFileHeader.safeParse(decoded.header);
      if (!parsed.success) throw new KeyFileError(`key file ${keyFile} has a bad header: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const h = parsed.data;
      if (!sameParams(h.params, wire(be))) {
        throw new KeyFileError(
          `key file ${keyFile} holds keys for n=${h.params.n} ${JSON.stringify(h.params.coeffModulusBits)}; the inference service uses n=${be.params.n} ${JSON.stringify(be.params.coeffModulusBits)}`,
        );
      }
      if (!h.keys.includes('secret')) throw new KeyFileError(`key file ${keyFile} has no secret key`);
      h.keys.forEach((k, i) => be.importKey(k, decoded.frames[i]!));
      if (!be.hasKey('public')) throw new KeyFileError(`key file ${keyFile} lacks a public key`);
      let rewrite = false;
      const have = new Set(h.galoisSteps);
      const missingSteps = steps.some((s) => !have.has(s));
      let galoisSteps: readonly number[] = h.galoisSteps;
      if (steps.length > 0 && (missingSteps || !be.hasKey('galois'))) {
        galoisSteps = [...new Set([...h.galoisSteps, ...steps])].sort((a, b) => a - b);
        be.generateGaloisKeys(galoisSteps);
        rewrite = true;
      }
      if (needs.relin && !be.hasKey('relin')) {
        throw new KeyFileError(`key file ${keyFile} lacks relinearization keys, which the served workloads need; delete it to generate a new one`);
      }
      if (rewrite) await writePrivateFile(keyFile, keyFileBytes(be, galoisSteps));
      return { fromFile: true, wroteFile: rewrite, galoisSteps };
    }
  }
  be.generateKeys({ relin: needs.relin, ...(steps.length > 0 ? { galoisSteps: steps } : {}) });
  if (keyFile) await writePrivateFile(keyFile, keyFileBytes(be, steps));
  return { fromFile: false, wroteFile: keyFile !== undefined, galoisSteps: steps };
}

/** The keys to upload: public, plus relinearization and Galois keys when the workloads need them. */
export function uploadSet(be: CkksBackend, needs: KeyNeeds, galoisSteps: readonly number[]): UploadSet {
  const kinds: UploadKeyKind[] = ['public'];
  if (needs.relin && be.hasKey('relin')) kinds.push('relin');
  if (needs.galoisSteps.length > 0 && be.hasKey('galois')) kinds.push('galois');
  const frames = kinds.map((k) => be.exportKey(k));
  const hashes: Record<string, string> = {};
  kinds.forEach((k, i) => (hashes[k] = sha256Hex(frames[i]!)));
  return { keyId: keySetId(hashes), kinds, frames, galoisSteps, bytes: frames.reduce((n, f) => n + f.length, 0) };
}
