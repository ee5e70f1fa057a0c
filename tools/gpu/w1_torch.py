# PyTorch twin of the W1 probe (same shapes, same step), CPU single-thread and CUDA.
import json, sys, time, torch
def run(device, threads=None):
    if threads: torch.set_num_threads(threads)
    torch.manual_seed(0)
    B = 512
    enc = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 128)).to(device)
    opt = torch.optim.Adam(enc.parameters(), 1e-3)
    x = torch.rand(B, 784, device=device)
    labels = torch.arange(B, device=device)
    def step():
        v1 = x + 0.1 * torch.randn_like(x); v2 = x + 0.1 * torch.randn_like(x)
        z1 = torch.nn.functional.normalize(enc(v1), dim=1); z2 = torch.nn.functional.normalize(enc(v2), dim=1)
        loss = torch.nn.functional.cross_entropy(z1 @ z2.T / 0.5, labels)
        opt.zero_grad(); loss.backward(); opt.step()
        return loss.item()
    for _ in range(3): step()
    ts = []
    for _ in range(10):
        t0 = time.perf_counter(); step()
        if device == 'cuda': torch.cuda.synchronize()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    print(json.dumps({"workload": "W1", "torch": torch.__version__, "device": device, "threads": threads, "medianMs": round(ts[5], 2), "minMs": round(ts[0], 2)}))
run('cpu', 1)
if torch.cuda.is_available(): run('cuda')
