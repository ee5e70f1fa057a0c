"""Golden values for CIA-LRA with labelScope 'train' (the @lab/cia-lra default), which the shared golden
file lacks (spec §6 "To add"). Independent float64 numpy re-statement of the spec §2.3-2.4 rules on the
shared golden graph (inputs read from ../test/fixtures/cia_lra.json):

  * Q = (rownorm(A + I))^L @ onehot_train(y): only training nodes (env >= 0) contribute a one-hot row,
    non-training rows are zero, no renormalisation;
  * candidate pairs: ordered (i, j), i != j, both training nodes, same class, 1 <= BFS hop <= t,
    row-major within each class;
  * raw = sum_k |Q_ik - Q_jk| / (hop * s), s = |Q_ic - Q_jc| (0 -> 1); min-max within the class
    (NaN when max = min); keep w > 0.1; loss = sum_kept w * ||h_i - h_j|| / #kept; gradient w.r.t. H.

    python3 tools/lra_train_scope_golden.py   # writes test/fixtures/lra_train_scope.json
"""
import json
import os
from collections import deque

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, '..', 'test', 'fixtures', 'cia_lra.json')
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'lra_train_scope.json')

inp = json.load(open(SRC))['inputs']
N, C, T, L, KEEP = inp['N'], inp['C'], inp['t_hops'], inp['L_layers'], inp['keep_threshold']
y = np.array(inp['y'])
train = np.array(inp['env']) >= 0
H = np.array(inp['H'], dtype=np.float64)

A = np.zeros((N, N))
for u, v in inp['edges']:
    A[u, v] = A[v, u] = 1.0
P = (A + np.eye(N)) / (A + np.eye(N)).sum(1, keepdims=True)
Q = np.zeros((N, C))
Q[np.arange(N)[train], y[train]] = 1.0
for _ in range(L):
    Q = P @ Q

hop = np.full((N, N), np.inf)
for s in range(N):
    hop[s, s] = 0
    queue = deque([s])
    while queue:
        u = queue.popleft()
        if hop[s, u] >= T:
            continue
        for v in np.nonzero(A[u])[0]:
            if np.isinf(hop[s, v]):
                hop[s, v] = hop[s, u] + 1
                queue.append(v)

tables, kept_i, kept_j, kept_w = [], [], [], []
for c in range(C):
    idx = [v for v in range(N) if y[v] == c and train[v]]
    rows = [(i, j) for i in idx for j in idx if i != j and 1 <= hop[i, j] <= T]
    if not rows:
        continue
    qd = np.array([np.abs(Q[i] - Q[j]).sum() for i, j in rows])
    qs = np.array([abs(Q[i, c] - Q[j, c]) for i, j in rows])
    qs[qs == 0] = 1.0
    hp = np.array([hop[i, j] for i, j in rows])
    raw = qd / (hp * qs)
    rng = raw.max() - raw.min()
    w = (raw - raw.min()) / rng if rng > 0 else np.full_like(raw, np.nan)
    kept = w > KEEP
    tables.append(dict(c=c, i=[int(i) for i, _ in rows], j=[int(j) for _, j in rows], hop=hp.tolist(), raw=raw.tolist(),
                       w=[None if np.isnan(v) else float(v) for v in w], kept=kept.tolist()))
    for (i, j), wk, k in zip(rows, w, kept):
        if k:
            kept_i.append(i); kept_j.append(j); kept_w.append(wk)

loss, grad = 0.0, np.zeros_like(H)
for i, j, w in zip(kept_i, kept_j, kept_w):
    d = H[i] - H[j]
    n = np.linalg.norm(d)
    loss += w * n
    grad[i] += w * d / n
    grad[j] -= w * d / n
k = len(kept_i)
out = dict(description="CIA-LRA labelScope 'train' (package default): see tools/lra_train_scope_golden.py",
           Q_train=(Q).tolist(), per_class=tables, kept_pairs=k,
           loss=loss / k if k else 0.0, grad_H=(grad / k if k else grad).tolist())
json.dump(out, open(OUT, 'w'), indent=1)
print('wrote', OUT, 'kept', k, 'loss', out['loss'])
