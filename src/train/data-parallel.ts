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
 * - Per step, a worker receives only its rows of the batch (copied, transferred) and a task; nothing big
 *   is allocated.
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
import { canRebuild, policyIdOf } from './policy-json.ts';

/** What a worker starts with (structured-cloned; the buffers are shared). */
export interface WorkerInit {
  backend: string;
  policy: object;
  signature: string;
  total: number;
  params: SharedArrayBuffer;
  slot: SharedArrayBuffer;
}

/** One step's work for a worker: parts [a, b) of `parts`, whose rows are `rows`. */
export interface WorkerTask {
  id: number;
  version: number;
  seed: number;
  parts: number;
  a: number;
  b: number;
  rows: TrainBatch;
}

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'done'; id: number; losses: number[]; numTensors: number }
  | { type: 'error'; id: number; message: string; stack?: string };

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
  ) {
    const named = policy.namedVariables();
    this.vars = [...named.values()];
    this.layout = layout;
    this.params = params;
    this.grad = new Float32Array(layout.total);
    this.handles = handles;
    this.workers = handles.length + 1;
    this.workerTensors = handles.map(() => 0);
    layout.gather(this.vars, params);
  }

  /** Starts `workers − 1` worker threads with copies of the policy (whose weights come from this thread). */
  static async create(policy: TrainablePolicy, o: GradientPoolOptions): Promise<GradientPool> {
    const layout = new ParamLayout(policy.namedVariables());
    const shared = o.workers > 1;
    const params = new Float32Array(shared ? new SharedArrayBuffer(4 * layout.total) : new ArrayBuffer(4 * layout.total));
    const json = policy.toJSON();
    const handles: Handle[] = [];
    try {
      for (let i = 1; i < o.workers; i++) {
        const slot = new SharedArrayBuffer(4 * layout.total);
        const init: WorkerInit = { backend: tf.getBackend(), policy: json, signature: layout.signature(), total: layout.total, params: params.buffer as SharedArrayBuffer, slot };
        handles.push(await startWorker(i, init, new Float32Array(slot)));
      }
    } catch (e) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw e;
    }
    return new GradientPool(policy, o, handles, layout, params);
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
    const replies = shares.slice(1).map((s) => this.post(this.handles[s.slot - 1], { id, version: this.version, seed, parts: P, a: s.a, b: s.b, rows: compact(sliceBatch(batch, s.a * m, s.b * m)) }));
    // Keep every reply observed, so a failure while this thread computes is not an unhandled rejection.
    const settled = Promise.allSettled(replies);
    const own = shares[0];
    const { grads, losses: ownLosses } = partGradientSum(this.policy, this.vars, sliceBatch(batch, own.a * m, own.b * m), seed, P, own.a, own.b);
    this.layout.gather(grads, this.grad);
    for (const g of grads) g.dispose();
    ownLosses.forEach((l, i) => (losses[own.a + i] = l));
    const results = await settled;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    results.forEach((r, i) => {
      const reply = (r as PromiseFulfilledResult<WorkerReply & { type: 'done' }>).value;
      reply.losses.forEach((l, j) => (losses[shares[i + 1].a + j] = l));
      this.workerTensors[shares[i + 1].slot - 1] = reply.numTensors;
    });
    const slot = (s: number) => (s === 0 ? this.grad : this.handles[s - 1].slot);
    for (const [l, r] of merges) {
      const x = slot(l);
      const y = slot(r);
      for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i] + y[i]);
    }
    if (P > 1) {
      const g = this.grad;
      for (let i = 0; i < g.length; i++) g[i] = Math.fround(g[i] / P);
    }
    return meanLoss(losses);
  }

  private post(h: Handle, task: WorkerTask): Promise<WorkerReply & { type: 'done' }> {
    if (h.dead) return Promise.reject(h.dead);
    return new Promise((resolve, reject) => {
      h.pending = { resolve, reject };
      h.worker.postMessage(task, transferables(task.rows));
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
