/**
 * Binary framing of ciphertexts and keys (`application/octet-stream` bodies). SEAL bytes travel
 * as they are — never base64 inside JSON — after one small JSON header:
 *
 *   body   := magic · header · frame*
 *   magic  := the 4 ASCII bytes "HLP1"
 *   header := u32 LE length · UTF-8 JSON object (≤ 64 KiB) — must name `frames`, the frame count
 *   frame  := u32 LE length · length bytes (one serialized SEAL object: Ciphertext, PublicKey,
 *             RelinKeys, GaloisKeys; empty frames are allowed by the framing, not by the routes)
 *
 * The header is checked first (magic, length bounds, valid JSON object, `frames` a non-negative
 * integer ≤ maxFrames), then every frame length against the bytes that remain, then that exactly
 * `frames` frames fill the body with no trailing bytes. Frames are returned as views into the
 * body (no copy). Any violation throws ProtocolError BAD_FRAME with `param` naming the part.
 */
import { ProtocolError } from './errors.js';

export const FRAME_MAGIC = Uint8Array.from([0x48, 0x4c, 0x50, 0x31]); // "HLP1"
export const FRAME_CONTENT_TYPE = 'application/octet-stream';
export const MAX_FRAME_HEADER_BYTES = 64 * 1024;
export const DEFAULT_MAX_FRAMES = 4096;
/** u32 length prefix: a frame holds at most 4 GiB − 1 bytes. */
export const MAX_FRAME_BYTES = 0xffff_ffff;

export interface FrameHeader {
  readonly frames: number;
  readonly [key: string]: unknown;
}

export interface DecodedFrames {
  /** The parsed JSON header (an object with `frames`). Validate the rest with a schema. */
  readonly header: FrameHeader;
  /** Views into the body. */
  readonly frames: Uint8Array[];
}

export interface DecodeOptions {
  /** Largest frame count accepted (default 4096). */
  readonly maxFrames?: number;
}

function badFrame(param: string, message: string): ProtocolError {
  return new ProtocolError('BAD_FRAME', `malformed frames: ${message}`, param);
}

/**
 * Frame a header and payloads. `header.frames` is set to `frames.length` (any value given is
 * overwritten). Returns the pieces to write in order (no copy of the payloads); `concat` them with
 * `Buffer.concat` if one buffer is needed.
 */
/** One frame's payload: its bytes, or pieces of them to be written one after another (not joined). */
export type FramePayload = Uint8Array | readonly Uint8Array[];

/** The byte length of a payload. */
export function payloadLength(f: FramePayload): number {
  if (f instanceof Uint8Array) return f.length;
  let n = 0;
  for (const p of f) n += p.length;
  return n;
}

export function encodeFramesParts(header: Record<string, unknown>, frames: readonly FramePayload[]): Uint8Array[] {
  const json = Buffer.from(JSON.stringify({ ...header, frames: frames.length }), 'utf8');
  if (json.length > MAX_FRAME_HEADER_BYTES) throw new RangeError(`frame header of ${json.length} bytes exceeds ${MAX_FRAME_HEADER_BYTES}`);
  const head = Buffer.allocUnsafe(8);
  head.set(FRAME_MAGIC, 0);
  head.writeUInt32LE(json.length, 4);
  const parts: Uint8Array[] = [head, json];
  for (const f of frames) {
    const length = payloadLength(f);
    if (length > MAX_FRAME_BYTES) throw new RangeError(`frame of ${length} bytes exceeds the u32 length prefix`);
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(length, 0);
    parts.push(len);
    if (f instanceof Uint8Array) parts.push(f);
    else parts.push(...f);
  }
  return parts;
}

/** Frame a header and payloads into one buffer. */
export function encodeFrames(header: Record<string, unknown>, frames: readonly FramePayload[]): Buffer {
  return Buffer.concat(encodeFramesParts(header, frames));
}

/** Total body size of `encodeFrames(header, frames)` without building it. */
export function framesByteLength(header: Record<string, unknown>, frames: readonly FramePayload[]): number {
  const json = Buffer.byteLength(JSON.stringify({ ...header, frames: frames.length }), 'utf8');
  return 8 + json + frames.reduce((n, f) => n + 4 + payloadLength(f), 0);
}

/** Parse a framed body. @throws ProtocolError BAD_FRAME */
export function decodeFrames(body: Uint8Array, options: DecodeOptions = {}): DecodedFrames {
  const maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES;
  if (body.length < 8) throw badFrame('magic', `body of ${body.length} bytes is shorter than the 8-byte preamble`);
  for (let i = 0; i < 4; i++) {
    if (body[i] !== FRAME_MAGIC[i]) throw badFrame('magic', 'body does not start with "HLP1"');
  }
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const headerLen = dv.getUint32(4, true);
  if (headerLen > MAX_FRAME_HEADER_BYTES) throw badFrame('header', `header length ${headerLen} exceeds ${MAX_FRAME_HEADER_BYTES}`);
  if (8 + headerLen > body.length) throw badFrame('header', `header length ${headerLen} runs past the body (${body.length} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw badFrame('header', `header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badFrame('header', 'header is not a JSON object');
  const count = (parsed as Record<string, unknown>)['frames'];
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw badFrame('header.frames', 'header.frames must be a non-negative integer');
  if (count > maxFrames) throw badFrame('header.frames', `${count} frames exceed the limit of ${maxFrames}`);
  const frames: Uint8Array[] = [];
  let pos = 8 + headerLen;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > body.length) throw badFrame(`frames.${i}`, `truncated: frame ${i} of ${count} has no length prefix`);
    const len = dv.getUint32(pos, true);
    pos += 4;
    if (pos + len > body.length) {
      throw badFrame(`frames.${i}`, `truncated: frame ${i} declares ${len} bytes, ${body.length - pos} remain`);
    }
    frames.push(body.subarray(pos, pos + len));
    pos += len;
  }
  if (pos !== body.length) throw badFrame('frames', `${body.length - pos} trailing bytes after ${count} frames`);
  return { header: parsed as FrameHeader, frames };
}
