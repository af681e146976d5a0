// The buzhash kernel in C (native/buzhash.c, part of the project's addon): the same scan as
// TsBuzhashKernel at about C speed. Chosen by default when the addon is built; the TypeScript
// kernel stays the reference and the fallback, and both pass the same conformance tests.
import { buzhashScan, nativeAvailable } from '../platform/native.js';
import { rotl, seededTable, windowHashWith, type BuzhashKernel, type BuzhashKernelOptions, TsBuzhashKernel } from './buzhash.js';

export class NativeBuzhashKernel implements BuzhashKernel {
  readonly name = 'native';
  hash = 0;
  readonly #addTable: Int32Array;
  /** add (256 int32) then drop (256 int32), as bytes for the addon. */
  readonly #tables: Uint8Array;
  readonly #out = new Int32Array(1);
  readonly #outBytes = new Uint8Array(this.#out.buffer);
  readonly #windowSize: number;
  readonly #mask: number;

  constructor(options: BuzhashKernelOptions) {
    this.#addTable = seededTable(options.seed);
    const both = new Int32Array(512);
    both.set(this.#addTable, 0);
    both.set(this.#addTable.map((v) => rotl(v, options.windowSize)), 256);
    this.#tables = new Uint8Array(both.buffer);
    this.#windowSize = options.windowSize;
    this.#mask = (2 ** options.maskBits - 1) >>> 0;
  }

  windowHash(buf: Uint8Array, p: number): number {
    return windowHashWith(this.#addTable, buf, p, this.#windowSize);
  }

  scan(buf: Uint8Array, p: number, stop: number, hash: number): number {
    const pos = buzhashScan(buf, p, stop, hash | 0, this.#tables, this.#mask, this.#windowSize, this.#outBytes);
    this.hash = this.#out[0]!;
    return pos;
  }
}

/** The fastest kernel this installation has. */
export function defaultBuzhashKernel(options: BuzhashKernelOptions): BuzhashKernel {
  return nativeAvailable() ? new NativeBuzhashKernel(options) : new TsBuzhashKernel(options);
}
