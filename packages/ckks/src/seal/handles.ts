/** The seal backend's ciphertext and plaintext handles: node-seal objects, freed on dispose(). */
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import type { CiphertextHandle, PlaintextHandle } from '../backend.js';
import { CkksError } from '../errors.js';
import type { SealBackend } from './backend.js';

export interface Disposable {
  dispose(): void;
}

export class SealCiphertext implements CiphertextHandle {
  readonly backend = 'seal' as const;
  private ct: CipherText | null;
  private seededBytes: Uint8Array | null;
  private isDisposed = false;

  constructor(
    readonly owner: SealBackend,
    ct: CipherText | null,
    seededBytes: Uint8Array | null,
    readonly level: number,
    readonly scale: number,
    readonly size: number,
  ) {
    this.ct = ct;
    this.seededBytes = seededBytes;
  }

  get parmsId(): string {
    return this.owner.parmsIdAt(this.level);
  }
  get seeded(): boolean {
    return this.seededBytes !== null;
  }
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** @internal The SEAL ciphertext (a seeded one is loaded, i.e. its seed expanded, on first use). */
  native(): CipherText {
    if (this.isDisposed) throw new CkksError('DISPOSED', 'ciphertext handle used after dispose()');
    if (!this.ct) {
      const bytes = this.seededBytes;
      if (!bytes) throw new CkksError('BACKEND_ERROR', 'ciphertext handle has no data');
      this.ct = this.owner.loadCiphertextBytes(bytes);
    }
    return this.ct;
  }

  serializeParts(): readonly Uint8Array[] {
    return [this.serialize()];
  }

  lendParts(): readonly Uint8Array[] {
    return this.serializeParts();
  }

  serialize(): Uint8Array {
    if (this.isDisposed) throw new CkksError('DISPOSED', 'ciphertext handle used after dispose()');
    if (this.seededBytes) return this.seededBytes.slice();
    return this.owner.saveNone('serialize', () => this.native().saveArray(this.owner.comprNone()));
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.ct?.delete();
    this.ct = null;
    this.seededBytes = null;
    this.owner.forget(this);
  }
}

export class SealPlaintext implements PlaintextHandle {
  readonly backend = 'seal' as const;
  private pt: PlainText | null;

  constructor(
    readonly owner: SealBackend,
    pt: PlainText,
    readonly level: number,
    readonly scale: number,
  ) {
    this.pt = pt;
  }
  get parmsId(): string {
    return this.owner.parmsIdAt(this.level);
  }
  get disposed(): boolean {
    return this.pt === null;
  }
  /** @internal */
  native(): PlainText {
    if (!this.pt) throw new CkksError('DISPOSED', 'plaintext handle used after dispose()');
    return this.pt;
  }
  dispose(): void {
    if (!this.pt) return;
    this.pt.delete();
    this.pt = null;
    this.owner.forget(this);
  }
}
