import type { Env, EnvSpec, Info, Obs, ResetOptions, SceneFrame, StepResult } from './types.ts';

/** Base for one-concern wrappers (Gymnasium style): forwards everything to the wrapped env. */
export abstract class Wrapper implements Env {
  constructor(readonly env: Env) {}
  get spec(): EnvSpec {
    return this.env.spec;
  }
  reset(opts?: ResetOptions): { obs: Obs; info: Info } {
    return this.env.reset(opts);
  }
  step(action: ArrayLike<number>): StepResult {
    return this.env.step(action);
  }
  getState(): number[] {
    return this.env.getState();
  }
  frame(): SceneFrame {
    return this.env.frame();
  }
  close(): void {
    this.env.close();
  }
  /** The innermost env. */
  get unwrapped(): Env {
    return this.env instanceof Wrapper ? this.env.unwrapped : this.env;
  }
}

/**
 * Truncates episodes after `maxEpisodeSteps` control steps and refuses to step a truncated episode.
 * The count restarts at every reset, including `reset({ state })`: a restored state starts a new
 * episode, as in the original's `reset_to_state`.
 */
export class TimeLimit extends Wrapper {
  private elapsed = 0;
  private ended = true;

  constructor(env: Env, readonly maxEpisodeSteps: number = env.spec.maxEpisodeSteps) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new Error(`${env.spec.id}: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  /** Control steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(opts?: ResetOptions): { obs: Obs; info: Info } {
    const out = this.env.reset(opts);
    this.elapsed = 0;
    this.ended = false;
    return out;
  }

  override step(action: ArrayLike<number>): StepResult {
    if (this.ended && this.elapsed >= this.maxEpisodeSteps) {
      throw new Error(`${this.spec.id}: step() called after the episode was truncated at ${this.maxEpisodeSteps} steps; call reset() first`);
    }
    const out = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps) {
      out.truncated = true;
      this.ended = true;
    }
    return out;
  }
}
