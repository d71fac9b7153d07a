/**
 * One gradient worker of the data-parallel trainer (data-parallel.ts): its own tfjs and wasm heap, its
 * own copy of the policy. A gradient task takes the shared parameters when they changed, computes the tree
 * sum of its parts' gradients (grads.ts) and writes it to its slot of shared memory; an update task runs
 * the optimizer step on its range of the shared parameters and moments.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '../../policies/nn/tf.ts';
import { initBackend, type BackendChoice } from '../backend.ts';
import { partGradientSum } from './grads.ts';
import { ParamLayout } from './param-layout.ts';
import { updateRange } from './data-parallel.ts';
import { policyFromJSON } from './policy-json.ts';
import type { WorkerInit, WorkerReply, WorkerTask } from './data-parallel.ts';

const port = parentPort!;
const init = workerData as WorkerInit;
const reply = (r: WorkerReply) => port.postMessage(r);

try {
  await initBackend(init.backend as BackendChoice);
  const policy = policyFromJSON(init.policy);
  const named = policy.namedVariables();
  const layout = new ParamLayout(named);
  if (layout.signature() !== init.signature) {
    throw new Error(`the rebuilt policy's parameters differ from the trainer's (${layout.total} vs ${init.total} scalars)`);
  }
  const vars = [...named.values()];
  const params = new Float32Array(init.params);
  const slots = init.slots.map((b) => new Float32Array(b));
  const slot = slots[init.slot];
  const m = init.optimizer ? new Float32Array(init.optimizer.m) : null;
  const v = init.optimizer ? new Float32Array(init.optimizer.v) : null;
  let version = -1;
  policy.setTraining(true);
  port.on('message', (task: WorkerTask) => {
    const t0 = performance.now();
    try {
      if (task.type === 'update') {
        if (!m || !v || !init.optimizer) throw new Error('an update task, but the worker was started without the optimizer');
        updateRange(slots, task.merges, task.parts, params, m, v, task.lo, task.hi, layout, init.optimizer.decay, task.scalars);
        reply({ type: 'done', id: task.id, losses: [], numTensors: tf.memory().numTensors, ms: performance.now() - t0 });
        return;
      }
      if (task.version !== version) {
        layout.scatter(params, vars);
        version = task.version;
      }
      const { grads, losses } = partGradientSum(policy, vars, task.rows, task.seed, task.parts, task.a, task.b);
      layout.gather(grads, slot);
      for (const g of grads) g.dispose();
      reply({ type: 'done', id: task.id, losses, numTensors: tf.memory().numTensors, ms: performance.now() - t0 });
    } catch (e) {
      reply({ type: 'error', id: task.id, message: (e as Error).message, stack: (e as Error).stack });
    }
  });
  reply({ type: 'ready', backend: tf.getBackend() });
} catch (e) {
  reply({ type: 'error', id: -1, message: (e as Error).message, stack: (e as Error).stack });
}
