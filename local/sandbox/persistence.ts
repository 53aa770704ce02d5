import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BerbixApi } from './api';
import type { AcceptedImage, Transaction } from './engine';
import type { TokenRecord, TokenStore } from './tokens';

/** Bumped when the file's shape changes; a file of another version is ignored, not misread. */
const FILE_VERSION = 1;

type StoredImage = Omit<AcceptedImage, 'bytes'> & { bytes: string };
type StoredTransaction = Omit<Transaction, 'createdAt' | 'completedAt' | 'deletedAt' | 'front' | 'back'> & {
  createdAt: string;
  completedAt?: string;
  deletedAt?: string;
  front?: StoredImage;
  back?: StoredImage;
};
type StoredToken = Omit<TokenRecord, 'expiresAt'> & { token: string; expiresAt: number | null };

interface StoredState {
  version: number;
  transactions: StoredTransaction[];
  tokens: StoredToken[];
}

const storeImage = (image: AcceptedImage | undefined): StoredImage | undefined =>
  image && { ...image, bytes: image.bytes.toString('base64') };
const loadImage = (image: StoredImage | undefined): AcceptedImage | undefined =>
  image && { ...image, bytes: Buffer.from(image.bytes, 'base64') };

/**
 * The sandbox's transactions and tokens in one JSON file, so a restarted sandbox still knows every
 * transaction and token it issued (what a `--persist` local cloud needs to resume and delete).
 * Written after each change (coalesced, atomically by rename); read once at start.
 */
export class SandboxStateFile {
  #pending: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly api: BerbixApi,
    private readonly tokens: TokenStore,
  ) {}

  /** Restores what the file holds; a missing file is an empty sandbox. Returns how many transactions. */
  load(): number {
    if (!existsSync(this.file)) return 0;
    const state = JSON.parse(readFileSync(this.file, 'utf8')) as StoredState;
    if (state.version !== FILE_VERSION) return 0;
    for (const stored of state.transactions) {
      const { createdAt, completedAt, deletedAt, front, back, ...rest } = stored;
      const tx: Transaction = {
        ...rest,
        createdAt: new Date(createdAt),
        ...(completedAt ? { completedAt: new Date(completedAt) } : {}),
        ...(deletedAt ? { deletedAt: new Date(deletedAt) } : {}),
        ...(front ? { front: loadImage(front) } : {}),
        ...(back ? { back: loadImage(back) } : {}),
      };
      this.api.transactions.set(tx.id, tx);
    }
    this.tokens.restore(
      state.tokens.map(({ token, expiresAt, ...record }) => [
        token,
        { ...record, expiresAt: expiresAt ?? Number.POSITIVE_INFINITY },
      ]),
    );
    return state.transactions.length;
  }

  /** Writes soon; several changes in a row make one write. */
  scheduleSave(): void {
    this.#pending ??= setTimeout(() => this.save(), 20);
  }

  /** Writes now (and cancels a scheduled write). */
  save(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    const state: StoredState = {
      version: FILE_VERSION,
      transactions: [...this.api.transactions.values()].map((tx) => {
        const { createdAt, completedAt, deletedAt, front, back, ...rest } = tx;
        return {
          ...rest,
          createdAt: createdAt.toISOString(),
          ...(completedAt ? { completedAt: completedAt.toISOString() } : {}),
          ...(deletedAt ? { deletedAt: deletedAt.toISOString() } : {}),
          ...(front ? { front: storeImage(front) } : {}),
          ...(back ? { back: storeImage(back) } : {}),
        };
      }),
      tokens: this.tokens.entries().map(([token, record]) => ({
        token,
        ...record,
        expiresAt: Number.isFinite(record.expiresAt) ? record.expiresAt : null,
      })),
    };
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
