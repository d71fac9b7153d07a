#!/usr/bin/python3
"""Cross-check of DP-T's training, outside the project: trains the anchors' PyTorch TransformerForDiffusion
(../shared/anchors/torch_transformer_bench.py, written apart from this project) on a dpbench PushT-v0
keypoint dataset with `quick`'s DP-T recipe, and prints the validation loss every 1,000 steps, so that a
dpbench run of the same recipe can be read against it (README, Bench: How quick was sized).

Same as the project: obs = the T's 8 corners + agent xy (18 numbers), To 2, Tp 16, windows padded 1 before
and 7 after each episode by repeating the end frames, min-max normalization to [-1, 1], 100 training
steps of the squaredcos_cap_v2 schedule, epsilon target, AdamW (betas 0.9/0.95, weight decay on Linear and
attention weights only), linear warm-up then cosine decay, N(0, 0.02) init. Not the same: the data order,
the noise draws and which 2% of episodes are held out (here: the last ones), so losses agree only to
within their noise. No EMA (the validation loss of the raw weights).

Run: /usr/bin/python3 test/policies/diffusion/torch_train_dpt.py dataset=results/datasets/PushT-v0-<hash>/replay.zarr \
       [layers=4 emb=64 batch=64 steps=2000 lr=1e-3 wd=0.1 warmup=200 threads=1]
"""
import json, math, os, sys, time
import numpy as np, torch, torch.nn.functional as F, zarr

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../../../../shared/anchors'))
from torch_transformer_bench import TFD  # noqa: E402

a = dict(x.split('=', 1) for x in sys.argv[1:])
L, E, B, steps = int(a.get('layers', 4)), int(a.get('emb', 64)), int(a.get('batch', 64)), int(a.get('steps', 2000))
lr, wd, warm = float(a.get('lr', 1e-3)), float(a.get('wd', 0.1)), int(a.get('warmup', 200))
torch.set_num_threads(int(a.get('threads', 1)))
torch.manual_seed(0)
rng = np.random.default_rng(0)

z = zarr.open(a['dataset'], 'r')
ends = z['meta/episode_ends'][:]
n = len(z['data/action'])
obs = np.concatenate([z['data/keypoint'][:].reshape(n, -1)[:, :16], z['data/state'][:, :2]], 1).astype(np.float32)
act = z['data/action'][:].astype(np.float32)
starts = np.concatenate([[0], ends[:-1]])
nval = max(1, round(len(ends) * 0.02))


def windows(episodes):
    out = []
    for e in episodes:
        s, t = starts[e], ends[e]
        for i in range(-1, t - s - 8):  # pad_before 1, pad_after 7: L - 7 windows
            out.append(np.clip(np.arange(i, i + 16), 0, t - s - 1) + s)
    return np.array(out)


train_w, val_w = windows(range(len(ends) - nval)), windows(range(len(ends) - nval, len(ends)))


def minmax(x):
    lo, hi = x.min(0), x.max(0)
    return torch.tensor((x - lo) * (2 / np.maximum(hi - lo, 1e-4)) - 1)


O, A = minmax(obs), minmax(act)
t = torch.arange(101, dtype=torch.float64) / 100
abar_t = torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
abar = torch.cumprod(1 - torch.clamp(1 - abar_t[1:] / abar_t[:-1], max=0.999), 0).float()

m = TFD(Do=18, n_emb=E, n_layer=L)
decay, no_decay = [], []
for name, p in m.named_parameters():
    if p.dim() > 1 or 'pos' in name:
        torch.nn.init.normal_(p, 0, 0.02)
    elif name.endswith('bias'):
        torch.nn.init.zeros_(p)
    (decay if p.dim() > 1 and 'pos' not in name else no_decay).append(p)
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': wd}, {'params': no_decay, 'weight_decay': 0.0}], lr, betas=(0.9, 0.95))


def lr_at(s):
    return s / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm)))


def loss_of(idx, g=None):
    x0, o = A[idx], O[idx[:, :2]]
    k = torch.randint(0, 100, (len(idx),), generator=g)
    eps = torch.randn(x0.shape, generator=g)
    ab = abar[k][:, None, None]
    return F.mse_loss(m(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, k, o), eps)


print(json.dumps(dict(params=sum(p.numel() for p in m.parameters()), train_windows=len(train_w), val_windows=len(val_w), args=a)), flush=True)
t0, perm, pos = time.time(), rng.permutation(len(train_w)), 0
for s in range(1, steps + 1):
    if pos + B > len(perm):
        perm, pos = rng.permutation(len(train_w)), 0
    idx = torch.tensor(train_w[perm[pos:pos + B]])
    pos += B
    for group in opt.param_groups:
        group['lr'] = lr * lr_at(s)
    m.train()
    opt.zero_grad()
    loss = loss_of(idx)
    loss.backward()
    opt.step()
    if s % 1000 == 0 or s == steps:
        m.eval()
        g = torch.Generator().manual_seed(1)
        vr = np.random.default_rng(1)
        with torch.no_grad():
            val = np.mean([loss_of(torch.tensor(val_w[vr.integers(0, len(val_w), 256)]), g).item() for _ in range(4)])
        print(json.dumps(dict(step=s, loss=round(loss.item(), 4), val_loss=round(float(val), 4), seconds=round(time.time() - t0))), flush=True)
