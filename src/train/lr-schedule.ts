/**
 * diffusers' `get_cosine_schedule_with_warmup` (diffusion_policy model/common/lr_scheduler.py), stepped
 * per batch: linear warm-up from 0 over `warmupSteps`, then half a cosine down to 0 at `totalSteps`.
 */
export function cosineWithWarmup(step: number, baseLr: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return (baseLr * step) / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return baseLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
