/**
 * Choosing the TensorFlow.js backend (`--backend auto|wasm|cpu|webgpu|tensorflow`).
 *
 * - `wasm`: the CPU default. XNNPACK with SIMD, single-threaded in Node. No Conv2DBackpropFilter and
 *   slow transposed/batched matMuls: the layers in policies/nn route around both.
 * - `cpu`: pure JavaScript, always there, slow; a reference.
 * - `webgpu`: tfjs-backend-webgpu on Dawn (the `webgpu` package) over the system's Vulkan driver.
 * - `tensorflow`: @tensorflow/tfjs-node(-gpu), used only when already installed (it downloads
 *   libtensorflow at install time, which the npm registry alone cannot provide).
 * - `auto`: tensorflow if installed, else webgpu on a real (non-software) GPU adapter, else wasm.
 *
 * A backend asked for by name that cannot start is an error, never a silent fallback, and the backend
 * actually in use is what `initBackend` returns (it goes into every run's env_info.json).
 */
import * as tf from '../policies/nn/tf.ts';
import { installWasmKernels } from '../policies/nn/kernels.ts';

export const BACKENDS = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** The backend tfjs reports it is using. */
  name: string;
  requested: BackendChoice;
  /** Backend-specific facts: SIMD/threads for wasm, the adapter for webgpu, the binding for tensorflow. */
  details: Record<string, unknown>;
}

let current: BackendInfo | null = null;

/** The backend chosen by the last `initBackend`, or null before any. */
export function backendInfo(): BackendInfo | null {
  return current;
}

export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (!(BACKENDS as readonly string[]).includes(requested)) {
    throw new Error(`backend must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(requested)}`);
  }
  if (current && (current.requested === requested || current.name === requested)) return current;
  let info: BackendInfo;
  if (requested === 'auto') {
    info = (await tryTensorflow()) ?? (await tryWebgpu(true)) ?? (await startWasm());
    info.requested = 'auto';
  } else if (requested === 'wasm') {
    info = await startWasm();
  } else if (requested === 'cpu') {
    await setOrThrow('cpu');
    info = { name: 'cpu', requested, details: {} };
  } else if (requested === 'webgpu') {
    const w = await tryWebgpu(false);
    if (!w) throw new Error('backend webgpu: no WebGPU adapter (Dawn found no Vulkan device; is a GPU driver installed?)');
    info = w;
  } else {
    const t = await tryTensorflow();
    if (!t) {
      throw new Error(
        'backend tensorflow: @tensorflow/tfjs-node(-gpu) is not installed (it downloads libtensorflow at install time, which the npm registry alone cannot provide); use --backend wasm or webgpu',
      );
    }
    info = t;
  }
  current = info;
  return info;
}

async function setOrThrow(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) throw new Error(`backend ${name}: failed to start (tfjs is on ${tf.getBackend()})`);
}

async function startWasm(): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-wasm');
  installWasmKernels();
  await setOrThrow('wasm');
  return {
    name: 'wasm',
    requested: 'wasm',
    details: { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') },
  };
}

/** webgpu through Dawn; with `realOnly`, software adapters (SwiftShader, lavapipe) do not count. */
async function tryWebgpu(realOnly: boolean): Promise<BackendInfo | null> {
  let gpu: GPU;
  try {
    const dawn = (await import('webgpu')) as unknown as { create: (o: string[]) => GPU; globals: object };
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create([]);
  } catch (e) {
    if (realOnly) return null;
    throw new Error(`backend webgpu: the webgpu package (Dawn) failed to load: ${(e as Error).message}`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const ai = adapter.info;
  const adapterInfo = { vendor: ai.vendor, architecture: ai.architecture, device: ai.device, description: ai.description };
  const software = /swiftshader|lavapipe|llvmpipe|software/i.test(`${ai.vendor} ${ai.architecture} ${ai.device} ${ai.description}`);
  if (realOnly && software) return null;
  // tfjs-backend-webgpu looks for navigator.gpu when it registers, so define it before importing.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  await setOrThrow('webgpu');
  return { name: 'webgpu', requested: 'webgpu', details: { adapter: adapterInfo, software } };
}

async function tryTensorflow(): Promise<BackendInfo | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
    } catch {
      continue;
    }
    await setOrThrow('tensorflow');
    return { name: 'tensorflow', requested: 'tensorflow', details: { binding: pkg } };
  }
  return null;
}
