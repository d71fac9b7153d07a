/**
 * A minimal module system for tfjs: a Module owns named parameters (tf.Variable) and child modules,
 * and exposes them as a flat, ordered map of dotted names (`down.0.res1.conv1.weight`), as PyTorch's
 * `named_parameters()` does, so checkpoints, weight-decay groups and parameter counts are by name.
 * Forward passes are plain methods taking and returning tensors; call them inside `tf.tidy`.
 */
import * as tf from './tf.ts';

export abstract class Module {
  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter with its initial value (the tensor is adopted, not copied). */
  protected param(name: string, init: tf.Tensor): tf.Variable {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`Module: duplicate name ${JSON.stringify(name)}`);
    const v = tf.variable(init, true, undefined, 'float32');
    init.dispose();
    this.ownParams.set(name, v);
    return v;
  }

  /** Registers a child module under `name`. */
  protected child<M extends Module>(name: string, m: M): M {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`Module: duplicate name ${JSON.stringify(name)}`);
    this.children.set(name, m);
    return m;
  }

  /** Every parameter under this module, by dotted name, in registration order. */
  namedParameters(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [n, v] of this.ownParams) out.set(prefix + n, v);
    for (const [n, c] of this.children) for (const [cn, v] of c.namedParameters(`${prefix}${n}.`)) out.set(cn, v);
    return out;
  }

  parameters(): tf.Variable[] {
    return [...this.namedParameters().values()];
  }

  /** Number of scalar parameters (PyTorch's sum(p.numel())). */
  parameterCount(): number {
    let n = 0;
    for (const v of this.namedParameters().values()) n += v.size;
    return n;
  }

  /** Sets training mode (dropout on) for this module and its children. */
  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  training = false;

  dispose(): void {
    for (const v of this.ownParams.values()) v.dispose();
    for (const c of this.children.values()) c.dispose();
    this.ownParams.clear();
    this.children.clear();
  }
}

/** A seeded source of initial values, so the same seed gives the same weights on every backend. */
export interface Init {
  /** U(low, high) samples of `shape`, float32. */
  uniform(shape: number[], low: number, high: number): tf.Tensor;
  /** N(0, std) samples of `shape`, float32. */
  normal(shape: number[], std: number): tf.Tensor;
}

/**
 * A named container of child modules, for parameter names that mirror PyTorch's nn.Sequential /
 * nn.ModuleList indices (`down_modules.0.1.blocks.0.block.0.weight`). Holds no computation.
 */
export class ModuleList extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.child(name, m);
  }
}
