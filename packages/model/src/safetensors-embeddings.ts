/**
 * GPT-2's real `wte` / `wpe` tables from a safetensors file that the user supplies (e.g. the
 * `model.safetensors` of the public GPT-2 checkpoint). Nothing is downloaded.
 *
 * Two ways to hold the data (option `mode`):
 * - `lazy` (default for files): only the header is read at open; every row is read on demand
 *   with one positioned read (`pread`) of width × dtype bytes — 3 KiB per token for F32 GPT-2 —
 *   so memory stays at a few KiB whatever the file size. Keep the object open while in use and
 *   `close()` it afterwards. Reads are synchronous; at 1024 rows per prompt they take a few
 *   milliseconds from the page cache.
 * - `eager`: both tensors' bytes are read into memory at open (about 150 MB for F32 GPT-2, in
 *   the file's dtype) and the file is closed; rows then cost only the decoding.
 */
import { GPT2 } from './constants.js';
import { RowEmbeddings, type EmbeddingShape } from './embeddings.js';
import { ModelError } from './errors.js';
import {
  DTYPE_BYTES,
  FileByteSource,
  MemoryByteSource,
  decodeValues,
  readHeader,
  type ByteSource,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type TensorInfo,
} from './safetensors.js';

/** Names tried, in order, for the token table; then any single name ending in `.wte.weight`. */
export const TOKEN_TENSOR_NAMES = ['wte.weight', 'transformer.wte.weight'] as const;
/** Names tried, in order, for the position table; then any single name ending in `.wpe.weight`. */
export const POSITION_TENSOR_NAMES = ['wpe.weight', 'transformer.wpe.weight'] as const;

export interface SafetensorsEmbeddingsOptions {
  /** `lazy` (default): rows read from the file on demand; `eager`: both tables read at open. */
  readonly mode?: 'lazy' | 'eager';
  /** Exact name of the token table (default: see TOKEN_TENSOR_NAMES). */
  readonly tokenTensor?: string;
  /** Exact name of the position table (default: see POSITION_TENSOR_NAMES). */
  readonly positionTensor?: string;
  /** Require these dimensions (e.g. `GPT2`); by default any [V, D] / [C, D] with equal D is accepted. */
  readonly expectShape?: Partial<EmbeddingShape>;
}

interface RowReader {
  readRow(row: number, out: Float64Array): void;
}

function bad(message: string, details: Record<string, string | number> = {}): ModelError {
  return new ModelError('BAD_SAFETENSORS', message, details);
}

function pickTensor(header: SafetensorsHeader, explicit: string | undefined, candidates: readonly string[], role: string): TensorInfo {
  if (explicit !== undefined) {
    const t = header.tensors.get(explicit);
    if (t === undefined) throw bad(`no tensor named "${explicit}" (${role})`, { tensor: explicit });
    return t;
  }
  for (const name of candidates) {
    const t = header.tensors.get(name);
    if (t !== undefined) return t;
  }
  const suffix = `.${candidates[0] ?? ''}`;
  const matches = [...header.tensors.values()].filter((t) => t.name.endsWith(suffix));
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  const found = [...header.tensors.keys()];
  const listed = found.slice(0, 8).join(', ') + (found.length > 8 ? `, … (${found.length} in all)` : '');
  if (matches.length > 1) {
    throw bad(`ambiguous ${role}: ${matches.map((m) => m.name).join(', ')}; pass its name explicitly`);
  }
  throw bad(`no ${role} tensor: looked for ${candidates.join(', ')} or *${suffix}; the file has: ${listed || 'no tensors'}`);
}

function describeTensor(t: TensorInfo): string {
  return `${t.name} (${t.dtype} [${t.shape.join(', ')}])`;
}

function checkTensor(t: TensorInfo): { rows: number; cols: number; dtype: SafetensorsDtype } {
  if (!Object.hasOwn(DTYPE_BYTES, t.dtype)) {
    throw bad(`${describeTensor(t)}: unsupported dtype ${t.dtype} (supported: F32, F16, BF16, F64)`, {
      tensor: t.name,
      dtype: t.dtype,
    });
  }
  if (t.shape.length !== 2 || (t.shape[0] ?? 0) < 1 || (t.shape[1] ?? 0) < 1) {
    throw bad(`${describeTensor(t)}: expected a non-empty 2-D [rows, width] table`, { tensor: t.name });
  }
  return { rows: t.shape[0] as number, cols: t.shape[1] as number, dtype: t.dtype as SafetensorsDtype };
}

class SourceRowReader implements RowReader {
  private readonly rowBytes: number;
  private readonly scratch: Uint8Array;
  private readonly view: DataView;
  constructor(
    private readonly source: ByteSource,
    private readonly start: number,
    private readonly dtype: SafetensorsDtype,
    cols: number,
    private readonly name: string,
  ) {
    this.rowBytes = cols * DTYPE_BYTES[dtype];
    this.scratch = new Uint8Array(this.rowBytes);
    this.view = new DataView(this.scratch.buffer);
  }
  readRow(row: number, out: Float64Array): void {
    this.source.readInto(this.start + row * this.rowBytes, this.scratch);
    const i = decodeValues(this.view, 0, this.dtype, out);
    if (i >= 0) throw bad(`non-finite value in ${this.name} row ${row}, column ${i}`, { tensor: this.name, row, column: i });
  }
}

class MemoryRowReader implements RowReader {
  private readonly rowBytes: number;
  private readonly view: DataView;
  constructor(
    bytes: Uint8Array,
    private readonly dtype: SafetensorsDtype,
    cols: number,
    private readonly name: string,
  ) {
    this.rowBytes = cols * DTYPE_BYTES[dtype];
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  readRow(row: number, out: Float64Array): void {
    const i = decodeValues(this.view, row * this.rowBytes, this.dtype, out);
    if (i >= 0) throw bad(`non-finite value in ${this.name} row ${row}, column ${i}`, { tensor: this.name, row, column: i });
  }
}

interface Prepared extends EmbeddingShape {
  readonly tokenTensor: TensorInfo;
  readonly positionTensor: TensorInfo;
  readonly metadata: Readonly<Record<string, string>>;
  readonly mode: 'lazy' | 'eager';
  readonly tokens: RowReader;
  readonly positions: RowReader;
  /** Kept open in lazy mode only. */
  readonly source: ByteSource | undefined;
}

/** Reads the header, picks and checks both tables, and sets up the row readers. */
function prepare(source: ByteSource, options: SafetensorsEmbeddingsOptions, label: string): Prepared {
  try {
    const header = readHeader(source);
    const wte = pickTensor(header, options.tokenTensor, TOKEN_TENSOR_NAMES, 'token embedding (wte)');
    const wpe = pickTensor(header, options.positionTensor, POSITION_TENSOR_NAMES, 'position embedding (wpe)');
    const t = checkTensor(wte);
    const p = checkTensor(wpe);
    if (t.cols !== p.cols) {
      throw bad(`width mismatch: ${describeTensor(wte)} vs ${describeTensor(wpe)}`, {
        tokenWidth: t.cols,
        positionWidth: p.cols,
      });
    }
    const want = options.expectShape ?? {};
    const found = { vocabSize: t.rows, width: t.cols, context: p.rows };
    for (const key of ['vocabSize', 'width', 'context'] as const) {
      const expected = want[key];
      if (expected !== undefined && expected !== found[key]) {
        throw bad(`expected ${key} ${expected} but found ${found[key]}: ${describeTensor(wte)}, ${describeTensor(wpe)}`, {
          [key]: found[key],
        });
      }
    }
    const common = { ...found, tokenTensor: wte, positionTensor: wpe, metadata: header.metadata };
    const mode = source instanceof MemoryByteSource ? 'eager' : (options.mode ?? 'lazy');
    if (mode === 'lazy') {
      return {
        ...common,
        mode,
        source,
        tokens: new SourceRowReader(source, header.dataStart + wte.dataOffsets[0], t.dtype, t.cols, wte.name),
        positions: new SourceRowReader(source, header.dataStart + wpe.dataOffsets[0], p.dtype, p.cols, wpe.name),
      };
    }
    const load = (info: TensorInfo): Uint8Array => {
      const start = header.dataStart + info.dataOffsets[0];
      const length = info.dataOffsets[1] - info.dataOffsets[0];
      if (source instanceof MemoryByteSource) return source.view(start, length);
      const bytes = new Uint8Array(length);
      source.readInto(start, bytes);
      return bytes;
    };
    const prepared: Prepared = {
      ...common,
      mode,
      source: undefined,
      tokens: new MemoryRowReader(load(wte), t.dtype, t.cols, wte.name),
      positions: new MemoryRowReader(load(wpe), p.dtype, p.cols, wpe.name),
    };
    source.close();
    return prepared;
  } catch (err) {
    source.close();
    if (err instanceof ModelError && err.code === 'BAD_SAFETENSORS') {
      throw new ModelError(err.code, `${label}: ${err.message}`, err.details, { cause: err });
    }
    throw err;
  }
}

export class SafetensorsEmbeddings extends RowEmbeddings {
  readonly kind = 'safetensors' as const;
  /** The tensors in use, as found in the file. */
  readonly tokenTensor: TensorInfo;
  readonly positionTensor: TensorInfo;
  readonly metadata: Readonly<Record<string, string>>;
  readonly mode: 'lazy' | 'eager';
  private readonly tokens: RowReader;
  private readonly positions: RowReader;
  private source: ByteSource | undefined;

  private constructor(prepared: Prepared) {
    super(prepared.vocabSize, prepared.width, prepared.context);
    this.tokenTensor = prepared.tokenTensor;
    this.positionTensor = prepared.positionTensor;
    this.metadata = prepared.metadata;
    this.mode = prepared.mode;
    this.tokens = prepared.tokens;
    this.positions = prepared.positions;
    this.source = prepared.source;
  }

  /** Opens a safetensors file (see the module comment for `lazy` versus `eager`). */
  static open(path: string, options: SafetensorsEmbeddingsOptions = {}): SafetensorsEmbeddings {
    return new SafetensorsEmbeddings(prepare(new FileByteSource(path), options, path));
  }

  /** Uses an in-memory safetensors image (always `eager`; the bytes are viewed, not copied). */
  static fromBytes(bytes: Uint8Array, options: SafetensorsEmbeddingsOptions = {}): SafetensorsEmbeddings {
    return new SafetensorsEmbeddings(prepare(new MemoryByteSource(bytes), options, 'safetensors bytes'));
  }

  /** True when the shapes are exactly GPT-2 small's. */
  get isGpt2Shape(): boolean {
    return this.vocabSize === GPT2.vocabSize && this.width === GPT2.width && this.context === GPT2.context;
  }

  /** A one-line account of what was found, e.g. for logs. */
  describe(): string {
    return `safetensors ${this.mode}: wte = ${describeTensor(this.tokenTensor)}, wpe = ${describeTensor(this.positionTensor)}`;
  }

  /** Releases the file (lazy mode); later reads fail with IO. Idempotent. */
  close(): void {
    this.source?.close();
  }

  protected readTokenRow(id: number, out: Float64Array): void {
    this.tokens.readRow(id, out);
  }

  protected readPositionRow(pos: number, out: Float64Array): void {
    this.positions.readRow(pos, out);
  }
}
