/**
 * Data-parallel gradients over worker threads. tfjs-backend-wasm runs one thread per process in Node, so
 * on a machine with W cores the batch's parts (micro-batches, grads.ts) are shared out to W threads: this
 * one and W − 1 workers (grad-worker.ts), each with its own tfjs, wasm heap and copy of the policy.
 *
 * - The parameters live in one SharedArrayBuffer (param-layout.ts): the optimizer updates it in place,
 *   this thread assigns its variables from it, and each worker does so before its next task.
 * - Each thread computes the sum of a subtree of the fixed summation tree over the parts and writes it to
 *   its own slot of shared memory; the subtrees are combined here in the tree's order and divided by the
 *   number of parts. Float32 addition is correctly rounded everywhere, so the mean gradient has the same
 *   bits for any number of workers: it depends on the micro-batch alone (the tests hold W = 1 and W = 2 to
 *   bit identity).
 * - The optimizer step (AdamW, with the subtree merges and the division) is shared out too: each thread
 *   updates a range of the flat parameters and moments (SharedArrayBuffers) with the same code.
 * - Per step, a worker receives only its rows of the batch (copied, transferred) and two small tasks;
 *   nothing big is allocated.
 *
 * An error in a worker (an exception in its task, a crash, an exit) rejects the step with the worker's
 * message; `dispose()` terminates the workers.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '../../policies/nn/tf.ts';
import type { TrainablePolicy, TrainBatch } from '../../policies/core/trainable.ts';
import { meanLoss, partCount, partGradientSum, sliceBatch, treeSplit } from './grads.ts';
import { ParamLayout } from './param-layout.ts';
import { adamwRange, type AdamW, type AdamWScalars } from './adamw.ts';
import { canRebuild, policyIdOf } from './policy-json.ts';

/** What a worker starts with (structured-cloned; the buffers are shared). */
export interface WorkerInit {
  backend: string;
  policy: object;
  signature: string;
  total: number;
  params: SharedArrayBuffer;
  /** Every thread's gradient slot (0: the main thread's); this worker writes `slot`. */
  slots: SharedArrayBuffer[];
  slot: number;
  /** The optimizer's moments and weight decay per parameter, when the workers share its step. */
  optimizer: { m: SharedArrayBuffer; v: SharedArrayBuffer; decay: number[] } | null;
}

/** Gradients of parts [a, b) of `parts`, whose rows are `rows`. */
export interface GradTask {
  type: 'grad';
  id: number;
  version: number;
  seed: number;
  parts: number;
  a: number;
  b: number;
  rows: TrainBatch;
}

/** The optimizer step on elements [lo, hi): merge the slots, divide by the parts, AdamW. */
export interface UpdateTask {
  type: 'update';
  id: number;
  lo: number;
  hi: number;
  merges: Array<[number, number]>;
  parts: number;
  scalars: AdamWScalars;
}

export type WorkerTask = GradTask | UpdateTask;

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'done'; id: number; losses: number[]; numTensors: number; ms: number }
  | { type: 'error'; id: number; message: string; stack?: string };

/**
 * The optimizer step on elements [lo, hi): the merges, the mean and AdamW, in one pass when at most one
 * merge is left (two threads), else merges first. Every thread runs this on its share.
 */
export function updateRange(
  slots: Float32Array[],
  merges: ReadonlyArray<readonly [number, number]>,
  parts: number,
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lo: number,
  hi: number,
  layout: { offsets: readonly number[]; sizes: readonly number[] },
  decay: readonly number[],
  scalars: AdamWScalars,
): void {
  if (merges.length === 0 || (merges.length === 1 && merges[0][0] === 0)) {
    adamwRange(p, m, v, slots[0], lo, hi, layout.offsets, layout.sizes, decay, scalars, { y: merges.length ? slots[merges[0][1]] : null, parts });
    return;
  }
  mergeRange(slots, merges, parts, lo, hi);
  adamwRange(p, m, v, slots[0], lo, hi, layout.offsets, layout.sizes, decay, scalars);
}

/**
 * Merges the subtree sums (slots[l] += slots[r], in the tree's order) and divides by the parts, on
 * elements [lo, hi) of slots[0]: the mean gradient.
 */
export function mergeRange(slots: Float32Array[], merges: ReadonlyArray<readonly [number, number]>, parts: number, lo: number, hi: number): void {
  for (const [l, r] of merges) {
    const x = slots[l];
    const y = slots[r];
    for (let i = lo; i < hi; i++) x[i] = Math.fround(x[i] + y[i]);
  }
  if (parts > 1) {
    const g = slots[0];
    for (let i = lo; i < hi; i++) g[i] = Math.fround(g[i] / parts);
  }
}

/** Backends whose kernels run on this thread's CPU core: the ones worth more threads. */
const CPU_BACKENDS = ['wasm', 'cpu'];

/**
 * Gradient threads to use: `requested` when given (an error where it cannot be honoured), else one per
 * core up to 2 on a CPU backend (the machines this project targets) and 1 otherwise; never more than
 * there are parts to share.
 */
export function resolveWorkers(requested: number | undefined, backend: string, parts: number, policy: object): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new Error(`workers must be a positive integer, got ${requested}`);
    if (requested > 1 && !CPU_BACKENDS.includes(backend)) throw new Error(`workers: ${requested} gradient threads need a CPU backend (wasm or cpu), this run uses ${backend}`);
    if (requested > 1 && !canRebuild(policy)) throw new Error(`workers: policy ${JSON.stringify(policyIdOf(policy))} cannot be rebuilt in a worker thread; use workers 1`);
    return Math.min(requested, parts);
  }
  if (!CPU_BACKENDS.includes(backend) || !canRebuild(policy)) return 1;
  return Math.min(availableParallelism(), 2, parts);
}

interface Handle {
  worker: Worker;
  /** The reply being waited for (one task at a time). */
  pending: { resolve: (r: WorkerReply & { type: 'done' }) => void; reject: (e: Error) => void } | null;
  /** Set once the worker failed or exited; every later use rejects with it. */
  dead: Error | null;
  slot: Float32Array;
}

/** A leaf of the work split: thread `slot` sums parts [a, b). */
interface Share {
  slot: number;
  a: number;
  b: number;
}

export interface GradientPoolOptions {
  /** Gradient threads, this one included (see resolveWorkers). */
  workers: number;
  /** Rows per part (0: the whole batch is one part). */
  microBatch: number;
  /** The optimizer `step()` applies (its moments must be shared when workers > 1). */
  optimizer?: AdamW;
}

export class GradientPool {
  readonly layout: ParamLayout;
  /** The parameters, shared with the workers; update in place, then call `pushParams()`. */
  readonly params: Float32Array;
  /** The mean gradient of the last `gradients()` call (layout order). */
  readonly grad: Float32Array;
  readonly workers: number;
  /** Live tensors in each worker after its last task (leak checks). */
  readonly workerTensors: number[];
  /**
   * Where the last step's time went (ms): this thread's gradients, then its wait for the workers' (each
   * worker's own compute time beside), the optimizer update (this thread's share and the wait for the
   * rest), publishing the parameters to this thread's variables.
   */
  readonly lastStep = { gradients: 0, waitGradients: 0, workerGradients: [] as number[], update: 0, waitUpdate: 0, publish: 0 };
  private readonly vars: tf.Variable[];
  private readonly handles: Handle[];
  private version = 0;
  private nextId = 0;
  private disposed = false;

  private constructor(
    private readonly policy: TrainablePolicy,
    private readonly o: GradientPoolOptions,
    handles: Handle[],
    layout: ParamLayout,
    params: Float32Array,
    grad: Float32Array,
  ) {
    const named = policy.namedVariables();
    this.vars = [...named.values()];
    this.layout = layout;
    this.params = params;
    this.grad = grad;
    this.handles = handles;
    this.workers = handles.length + 1;
    this.workerTensors = handles.map(() => 0);
    layout.gather(this.vars, params);
  }

  /** Starts `workers − 1` worker threads with copies of the policy (whose weights come from this thread). */
  static async create(policy: TrainablePolicy, o: GradientPoolOptions): Promise<GradientPool> {
    const layout = new ParamLayout(policy.namedVariables());
    const shared = o.workers > 1;
    const alloc = () => new Float32Array(shared ? new SharedArrayBuffer(4 * layout.total) : new ArrayBuffer(4 * layout.total));
    const params = alloc();
    const slots = Array.from({ length: o.workers }, alloc);
    const opt = o.optimizer;
    if (opt && opt.layout.signature() !== layout.signature()) throw new Error('GradientPool: the optimizer was made for other parameters');
    if (opt && shared && !(opt.m.buffer instanceof SharedArrayBuffer)) throw new Error('GradientPool: with workers, the optimizer needs shared moments (new AdamW(…, { shared: true }))');
    const json = policy.toJSON();
    const handles: Handle[] = [];
    try {
      for (let i = 1; i < o.workers; i++) {
        const init: WorkerInit = {
          backend: tf.getBackend(),
          policy: json,
          signature: layout.signature(),
          total: layout.total,
          params: params.buffer as SharedArrayBuffer,
          slots: slots.map((x) => x.buffer as SharedArrayBuffer),
          slot: i,
          optimizer: opt ? { m: opt.m.buffer as SharedArrayBuffer, v: opt.v.buffer as SharedArrayBuffer, decay: opt.decay } : null,
        };
        handles.push(await startWorker(i, init, slots[i]));
      }
    } catch (e) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw e;
    }
    return new GradientPool(policy, o, handles, layout, params, slots[0]);
  }

  /** Reads the policy's variables into `params` (after weights were loaded into the policy). */
  pullParams(): void {
    this.layout.gather(this.vars, this.params);
    this.version++;
  }

  /** Publishes `params` after an in-place update: this thread's variables now, the workers' at their next task. */
  pushParams(): void {
    this.layout.scatter(this.params, this.vars);
    this.version++;
  }

  /** Mean loss of `batch`; its mean gradient is left in `grad`. */
  async gradients(batch: TrainBatch, seed: number): Promise<number> {
    const { loss, parts, merges } = await this.partSums(batch, seed);
    mergeRange(this.slots(), merges, parts, 0, this.layout.total);
    return loss;
  }

  /**
   * One training step on `batch`: the gradients, then the optimizer's update of `params` (every thread
   * a range of it), published to this thread's variables. Returns the mean loss; `grad` holds the mean
   * gradient.
   */
  async step(batch: TrainBatch, seed: number, lr: number): Promise<number> {
    const opt = this.o.optimizer;
    if (!opt) throw new Error('GradientPool.step: the pool was made without an optimizer');
    const { loss, parts, merges } = await this.partSums(batch, seed);
    const scalars = opt.nextStep(lr);
    const N = this.layout.total;
    const threads = this.handles.length + 1;
    const bound = (k: number) => Math.round((N * k) / threads);
    const id = this.nextId++;
    const replies = this.handles.map((h, i) => this.post(h, { type: 'update', id, lo: bound(i + 1), hi: bound(i + 2), merges, parts, scalars }));
    const settled = Promise.allSettled(replies);
    const t0 = performance.now();
    updateRange(this.slots(), merges, parts, this.params, opt.m, opt.v, 0, bound(1), this.layout, opt.decay, scalars);
    const t1 = performance.now();
    const failed = (await settled).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const t2 = performance.now();
    this.pushParams();
    Object.assign(this.lastStep, { update: t1 - t0, waitUpdate: t2 - t1, publish: performance.now() - t2 });
    return loss;
  }

  private slots(): Float32Array[] {
    return [this.grad, ...this.handles.map((h) => h.slot)];
  }

  /** Every thread sums its subtree of the parts into its slot; returns the loss and the merges left to do. */
  private async partSums(batch: TrainBatch, seed: number): Promise<{ loss: number; parts: number; merges: Array<[number, number]> }> {
    if (this.disposed) throw new Error('GradientPool: used after dispose()');
    const P = partCount(batch.batchSize, this.o.microBatch);
    const m = batch.batchSize / P;
    const threads = Math.min(this.workers, P);
    const shares: Share[] = [];
    const merges: Array<[number, number]> = [];
    const split = (a: number, b: number, k: number, first: number): number => {
      if (k === 1) {
        shares.push({ slot: first, a, b });
        return first;
      }
      const mid = treeSplit(a, b);
      const kl = Math.ceil(k / 2);
      const l = split(a, mid, kl, first);
      const r = split(mid, b, k - kl, first + kl);
      merges.push([l, r]);
      return l;
    };
    split(0, P, threads, 0);
    const losses = new Array<number>(P);
    const id = this.nextId++;
    const replies = shares.slice(1).map((s) => this.post(this.handles[s.slot - 1], { type: 'grad', id, version: this.version, seed, parts: P, a: s.a, b: s.b, rows: compact(sliceBatch(batch, s.a * m, s.b * m)) }));
    // Keep every reply observed, so a failure while this thread computes is not an unhandled rejection.
    const settled = Promise.allSettled(replies);
    const own = shares[0];
    const t0 = performance.now();
    const { grads, losses: ownLosses } = partGradientSum(this.policy, this.vars, sliceBatch(batch, own.a * m, own.b * m), seed, P, own.a, own.b);
    this.layout.gather(grads, this.grad);
    for (const g of grads) g.dispose();
    ownLosses.forEach((l, i) => (losses[own.a + i] = l));
    const t1 = performance.now();
    const results = await settled;
    this.lastStep.gradients = t1 - t0;
    this.lastStep.waitGradients = performance.now() - t1;
    this.lastStep.workerGradients = results.map((r) => (r.status === 'fulfilled' ? r.value.ms : NaN));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    results.forEach((r, i) => {
      const reply = (r as PromiseFulfilledResult<WorkerReply & { type: 'done' }>).value;
      reply.losses.forEach((l, j) => (losses[shares[i + 1].a + j] = l));
      this.workerTensors[shares[i + 1].slot - 1] = reply.numTensors;
    });
    return { loss: meanLoss(losses), parts: P, merges };
  }

  private post(h: Handle, task: WorkerTask): Promise<WorkerReply & { type: 'done' }> {
    if (h.dead) return Promise.reject(h.dead);
    return new Promise((resolve, reject) => {
      h.pending = { resolve, reject };
      h.worker.postMessage(task, task.type === 'grad' ? transferables(task.rows) : []);
    });
  }

  /** Terminates the workers (the pool cannot be used afterwards). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of this.handles) h.dead ??= new Error('GradientPool: disposed');
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }
}

function startWorker(index: number, init: WorkerInit, slot: Float32Array): Promise<Handle> {
  const worker = new Worker(new URL('./grad-worker.js', import.meta.url), { workerData: init });
  const h: Handle = { worker, pending: null, dead: null, slot };
  const fail = (e: Error) => {
    h.dead ??= e;
    const p = h.pending;
    h.pending = null;
    p?.reject(h.dead);
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    worker.on('message', (r: WorkerReply) => {
      if (r.type === 'ready') {
        ready = true;
        resolve(h);
      } else if (r.type === 'error') {
        const e = new Error(`gradient worker ${index}: ${r.message}`);
        if (r.stack) e.stack = `${e.message}\n  worker stack: ${r.stack}`;
        if (!ready) {
          void worker.terminate();
          reject(e);
        } else fail(e);
      } else {
        const p = h.pending;
        h.pending = null;
        p?.resolve(r);
      }
    });
    worker.on('error', (e) => {
      const err = new Error(`gradient worker ${index} crashed: ${e.message}`);
      if (!ready) reject(err);
      fail(err);
    });
    worker.on('exit', (code) => {
      const err = new Error(`gradient worker ${index} exited (code ${code})`);
      if (!ready) reject(err);
      fail(err);
    });
  });
}

/** The rows' typed arrays as compact copies (a view would clone its whole buffer). */
function compact(batch: TrainBatch): TrainBatch {
  const out: Record<string, unknown> = { ...batch };
  for (const [k, v] of Object.entries(batch)) if (ArrayBuffer.isView(v) && !(v instanceof DataView)) out[k] = (v as unknown as Float32Array).slice();
  return out as unknown as TrainBatch;
}

function transferables(batch: TrainBatch): ArrayBuffer[] {
  return Object.values(batch).filter((v) => ArrayBuffer.isView(v)).map((v) => (v as ArrayBufferView).buffer as ArrayBuffer);
}
