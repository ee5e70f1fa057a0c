#!/usr/bin/env python3
"""PyTorch twins of @lab/core's reference workloads W1-W4 (packages/core/bench/workloads.ts).

Same shapes and maths as the TypeScript versions; one full training step each (forward, backward,
Adam). Runs on the CPU with ONE thread, the comparison point of issue #3. Optional tool: needs
`apt-get install python3-torch libopenblas0-pthread` (PyTorch 1.13 on Debian; without OpenBLAS it runs on the slow reference BLAS); never run in CI.

    /usr/bin/python3 tools/reference/workloads.py [--steps 5] [--only W1,W3]

Prints one line per workload: median wall and CPU (process) milliseconds per step, and the loss.
"""
import argparse
import math
import os
import statistics
import time

# One thread everywhere, set before torch (and its BLAS) load.
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(var, '1')

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)


def he(fan_in, fan_out):
    return (torch.randn(fan_in, fan_out) * math.sqrt(2 / fan_in)).requires_grad_()


def zeros(*shape):
    return torch.zeros(*shape, requires_grad=True)


def w1_contrastive():
    """Batch 512, MLP 784-512-128 (ReLU), two views, InfoNCE (tau = 0.1) on L2-normalised features."""
    b, din, dh, dout = 512, 784, 512, 128
    v1, v2 = torch.randn(b, din), torch.randn(b, din)
    labels = torch.arange(b)
    params = [he(din, dh), zeros(dh), he(dh, dout), zeros(dout)]
    w1, b1, w2, b2 = params

    def encode(x):
        z = torch.relu(x @ w1 + b1) @ w2 + b2
        return z / z.norm(dim=-1, keepdim=True)

    def loss():
        return F.cross_entropy(encode(v1) @ encode(v2).T / 0.1, labels)

    return params, loss


def w2_cnn():
    """28x28 input, conv 3x3x32, conv 3x3x64, max-pool 2, fc 128, fc 10, batch 256 (NHWC in tfjs, NCHW here)."""
    b = 256
    x = torch.randn(b, 1, 28, 28)
    y = torch.tensor([(i * 7) % 10 for i in range(b)])
    c1 = (torch.randn(32, 1, 3, 3) * math.sqrt(2 / 9)).requires_grad_()
    c2 = (torch.randn(64, 32, 3, 3) * math.sqrt(2 / 288)).requires_grad_()
    params = [c1, zeros(32), c2, zeros(64), he(12 * 12 * 64, 128), zeros(128), he(128, 10), zeros(10)]
    _, c1b, _, c2b, f1, f1b, f2, f2b = params

    def loss():
        h = torch.relu(F.conv2d(x, c1, c1b))
        h = torch.relu(F.conv2d(h, c2, c2b))
        h = F.max_pool2d(h, 2).flatten(1)
        h = torch.relu(h @ f1 + f1b)
        return F.cross_entropy(h @ f2 + f2b, y)

    return params, loss


def w3_message_passing():
    """10k nodes, 50k edges (same LCG as the TypeScript version), hidden 64, two rounds of
    h <- ReLU(segment_sum(h[src], dst) W + b); loss mean(h^2)."""
    n, e, d = 10_000, 50_000, 64
    x = torch.randn(n, d)
    s = 12345
    idx = []
    for _ in range(2 * e):
        s = (s * 1103515245 + 12345) % 2**32
        idx.append((s >> 8) % n)
    src = torch.tensor(idx[0::2])
    dst = torch.tensor(idx[1::2])
    params = [he(d, d), zeros(d), he(d, d), zeros(d)]
    w1, b1, w2, b2 = params

    def round_(h, w, bb):
        agg = torch.zeros(n, d).index_add_(0, dst, h[src])
        return torch.relu(agg @ w + bb)

    def loss():
        return round_(round_(x, w1, b1), w2, b2).pow(2).mean()

    return params, loss


def w4_transformer():
    """4 pre-LN layers, d = 128, 4 heads, MLP 4d with tanh-GELU, T = 128, B = 16, vocab 256, causal."""
    b, t, d, heads, layers, vocab = 16, 128, 128, 4, 4, 256
    dh = d // heads
    tokens = torch.tensor([(i * 31 + 7) % vocab for i in range(b * t)]).view(b, t)
    targets = torch.tensor([(i * 31 + 38) % vocab for i in range(b * t)])
    mask = torch.triu(torch.full((t, t), -1e9), diagonal=1)
    normal = lambda *shape: (torch.randn(*shape) * 0.02).requires_grad_()
    ones = lambda n: torch.ones(n, requires_grad=True)
    tok_emb, pos_emb = normal(vocab, d), normal(t, d)
    blocks = [dict(ln1g=ones(d), ln1b=zeros(d), qkv=normal(d, 3 * d), qkvb=zeros(3 * d), proj=normal(d, d), projb=zeros(d),
                   ln2g=ones(d), ln2b=zeros(d), fc=normal(d, 4 * d), fcb=zeros(4 * d), out=normal(4 * d, d), outb=zeros(d))
              for _ in range(layers)]
    lnfg, lnfb, head = ones(d), zeros(d), normal(d, vocab)
    params = [tok_emb, pos_emb, lnfg, lnfb, head] + [p for blk in blocks for p in blk.values()]

    def layer_norm(x, g, bb):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * g + bb

    def gelu(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

    def loss():
        h = tok_emb[tokens.reshape(-1)] + pos_emb.repeat(b, 1)  # [B*T, d]
        for blk in blocks:
            qkv = layer_norm(h, blk['ln1g'], blk['ln1b']) @ blk['qkv'] + blk['qkvb']
            q, k, v = qkv.view(b, t, 3, heads, dh).permute(2, 0, 3, 1, 4)  # [B, H, T, dh] each
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + mask, -1) @ v
            h = h + att.permute(0, 2, 1, 3).reshape(b * t, d) @ blk['proj'] + blk['projb']
            h = h + gelu(layer_norm(h, blk['ln2g'], blk['ln2b']) @ blk['fc'] + blk['fcb']) @ blk['out'] + blk['outb']
        logits = layer_norm(h, lnfg, lnfb) @ head
        return F.cross_entropy(logits, targets)

    return params, loss


WORKLOADS = {'W1': w1_contrastive, 'W2': w2_cnn, 'W3': w3_message_passing, 'W4': w4_transformer}


def measure(build, steps, warmup=1):
    params, loss_fn = build()
    opt = torch.optim.Adam(params, lr=1e-3)
    walls, cpus, value = [], [], float('nan')
    for i in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        value = loss.item()
        if i >= warmup:
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus), value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--only', default='W1,W2,W3,W4')
    args = parser.parse_args()
    print(f'# torch {torch.__version__}, threads {torch.get_num_threads()}')
    for name in args.only.split(','):
        wall, cpu, value = measure(WORKLOADS[name], args.steps)
        print(f'{name} torch-cpu-1thread wall {wall:.1f} ms/step cpu {cpu:.1f} ms/step loss {value:.4f}')


if __name__ == '__main__':
    main()
