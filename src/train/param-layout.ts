/**
 * A policy's parameters as one flat float32 vector, in `namedVariables()` order: what the optimizer
 * updates and what the data-parallel trainer shares between threads (a SharedArrayBuffer, written once
 * per step, no per-step allocation).
 */
import * as tf from '../../policies/nn/tf.ts';

export class ParamLayout {
  readonly names: string[];
  readonly shapes: number[][];
  readonly offsets: number[];
  readonly sizes: number[];
  /** Scalars in all. */
  readonly total: number;

  constructor(vars: ReadonlyMap<string, tf.Variable>) {
    this.names = [...vars.keys()];
    this.shapes = [...vars.values()].map((v) => [...v.shape]);
    this.sizes = [...vars.values()].map((v) => v.size);
    this.offsets = [];
    let o = 0;
    for (const n of this.sizes) {
      this.offsets.push(o);
      o += n;
    }
    this.total = o;
  }

  /** Names and shapes, for checking that two copies of a policy are laid out alike. */
  signature(): string {
    return this.names.map((n, i) => `${n}[${this.shapes[i].join(',')}]`).join(' ');
  }

  /** Parameter i's span of a flat vector. */
  view(flat: Float32Array, i: number): Float32Array {
    return flat.subarray(this.offsets[i], this.offsets[i] + this.sizes[i]);
  }

  /** Copies tensors (in layout order) into a flat vector. */
  gather(tensors: readonly tf.Tensor[], into: Float32Array): void {
    // On wasm, straight from the heap: dataSync would first copy each tensor into a new ArrayBuffer
    // (65 M parameters: 260 MB allocated and zeroed per call).
    const heap = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as { typedArrayFromHeap(t: tf.Tensor): Float32Array }) : null;
    tensors.forEach((t, i) => into.set(heap && t.dtype === 'float32' ? heap.typedArrayFromHeap(t) : (t.dataSync() as Float32Array), this.offsets[i]));
  }

  /** Assigns a flat vector to the variables (in layout order). */
  scatter(from: Float32Array, vars: readonly tf.Variable[]): void {
    // wasm copies a new tensor's values into its heap; other backends may keep the array itself, which
    // must then not be a view of `from` (updated in place by the next step).
    const copies = tf.getBackend() !== 'wasm';
    tf.tidy(() =>
      vars.forEach((v, i) => {
        const values = copies ? this.view(from, i).slice() : this.view(from, i);
        v.assign(tf.tensor(values, this.shapes[i], 'float32'));
      }),
    );
  }
}
