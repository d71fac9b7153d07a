/** Registers every trainable policy (see registry.ts) and re-exports the registry. */
import { MlpBcConfig, MlpBcPolicy } from './baselines/mlp-bc.ts';
import { DiffusionPolicy, DiffusionPolicyConfig } from './diffusion/policy.ts';
import { policyIds, registerPolicy } from './registry.ts';

const DiffusionInRun = DiffusionPolicyConfig.omit({ obsDim: true, actionDim: true, imageShape: true });

if (!policyIds().includes('diffusion_unet')) {
  // The original's per-variant recipe (facts §3.3, §3.8): the U-Net trains with AdamW betas (0.95, 0.999),
  // weight decay 1e-6 on every parameter and 500 warm-up steps; the transformer with betas (0.9, 0.95),
  // weight decay 0.1 on Linear/attention weights (Push-T) and 1000.
  registerPolicy({
    id: 'diffusion_unet',
    description: 'Diffusion Policy, CNN variant (DP-C): 1D conv U-Net with FiLM conditioning',
    runSchema: DiffusionInRun,
    policyDefaults: (raw) => ({ ...raw, weightDecay: raw.weightDecay ?? 1e-6 }),
    trainDefaults: { betas: [0.95, 0.999], warmupSteps: 500 },
    stochastic: true,
    imageEncoder: true,
    make: (config, normalizers) => new DiffusionPolicy(config as never, normalizers),
  });
  registerPolicy({
    id: 'diffusion_transformer',
    description: 'Diffusion Policy, transformer variant (DP-T): action tokens cross-attend to observation tokens',
    runSchema: DiffusionInRun,
    policyDefaults: (raw) => ({ ...raw, weightDecay: raw.weightDecay ?? 0.1 }),
    trainDefaults: { betas: [0.9, 0.95], warmupSteps: 1000 },
    stochastic: true,
    imageEncoder: true,
    make: (config, normalizers) => new DiffusionPolicy(config as never, normalizers),
  });
  registerPolicy({
    id: 'mlp_bc',
    description: "MLP behaviour cloning baseline: deterministic regression of the action chunk (IBC's pre-activation ResNet MLP)",
    runSchema: MlpBcConfig.omit({ obsDim: true, actionDim: true }),
    stochastic: false,
    imageEncoder: false,
    make: (config, normalizers) => new MlpBcPolicy(config as never, normalizers),
  });
}

export { registerPolicy, policyIds, policyRegistration } from './registry.ts';
export type { PolicyRegistration, TrainDefaults } from './registry.ts';
