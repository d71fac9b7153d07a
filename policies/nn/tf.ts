/**
 * The project's TensorFlow.js: tfjs-core with every gradient registered and the pure-JS `cpu` backend
 * always available. The wasm (CPU default), webgpu and tfjs-node backends are brought in by
 * `src/backend.ts`. Import tf from here, never from a tfjs package directly, so gradients are registered
 * exactly once.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
