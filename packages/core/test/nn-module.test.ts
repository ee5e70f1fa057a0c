import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  Linear,
  MLP,
  Module,
  ModuleList,
  Rng,
  Sequential,
  initBackend,
  kaimingNormalInit,
  kaimingUniformInit,
  normalInit,
  tensorLeak,
  tf,
  xavierNormalInit,
  xavierUniformInit,
  computeFans,
  calculateGain,
  Conv2d,
  torchLayoutTransform,
} from '@lab/core';

class Block extends Module {
  readonly q_proj: Linear;
  readonly out: Linear;
  constructor(rng: Rng) {
    super();
    this.q_proj = this.addModule('q_proj', new Linear(4, 4, { rng }));
    this.out = this.addModule('out', new Linear(4, 2, { rng, bias: false }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.out.forward(tf.relu(this.q_proj.forward(x))));
  }
}

class Net extends Module {
  readonly layers: ModuleList<Block>;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.layers = this.addModule('layers', new ModuleList([new Block(rng), new Block(rng)]));
  }
}

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'lab-nn-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Module', () => {
  it('names parameters with dotted paths in registration order', () => {
    const net = new Net(0);
    expect(Object.keys(net.namedParameters())).toEqual([
      'layers.0.q_proj.weight',
      'layers.0.q_proj.bias',
      'layers.0.out.weight',
      'layers.1.q_proj.weight',
      'layers.1.q_proj.bias',
      'layers.1.out.weight',
    ]);
    expect(net.parameters()).toHaveLength(6);
    expect(net.numParameters()).toBe(2 * (16 + 4 + 8));
    expect(net.namedModules().map(([n]) => n)).toEqual([
      '',
      'layers',
      'layers.0',
      'layers.0.q_proj',
      'layers.0.out',
      'layers.1',
      'layers.1.q_proj',
      'layers.1.out',
    ]);
    net.dispose();
  });

  it('freezes and unfreezes; trainableOnly leaves frozen parameters out', () => {
    const net = new Net(0);
    net.layers.at(0).freeze();
    expect(Object.keys(net.namedParameters({ trainableOnly: true }))).toEqual([
      'layers.1.q_proj.weight',
      'layers.1.q_proj.bias',
      'layers.1.out.weight',
    ]);
    net.unfreeze();
    expect(net.parameters({ trainableOnly: true })).toHaveLength(6);
    net.dispose();
  });

  it('train()/eval() propagate to every descendant', () => {
    const net = new Net(0);
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.layers.at(1).q_proj.training).toBe(true);
    net.dispose();
  });

  it('round-trips a state dict through safetensors and reports mismatches', () => {
    const a = new Net(1);
    const b = new Net(2);
    const path = join(dir, 'net.safetensors');
    a.save(path, { note: 'test' });
    b.load(path);
    for (const [name, v] of Object.entries(a.stateDict())) {
      expect(Array.from(b.stateDict()[name]!.dataSync())).toEqual(Array.from(v.dataSync()));
    }
    const partial = { 'layers.0.out.weight': tf.zeros([4, 2]), extra: tf.zeros([1]) };
    expect(() => b.loadStateDict(partial)).toThrow(/missing 'layers.0.q_proj.weight'.*unexpected 'extra'/);
    const res = b.loadStateDict(partial, { strict: false });
    expect(res.unexpected).toEqual(['extra']);
    expect(res.missing).toHaveLength(5);
    expect(b.layers.at(0).out.weight.sum().dataSync()[0]).toBe(0);
    expect(() => b.loadStateDict({ 'layers.0.out.weight': tf.zeros([2, 4]) }, { strict: false })).toThrow(
      /expected shape \[4, 2\], got \[2, 4\]/,
    );
    // transform: accept a PyTorch-layout weight [out, in]
    b.loadStateDict({ 'layers.0.out.weight': tf.ones([2, 4]) }, { strict: false, transform: (_, t) => t.transpose() });
    expect(b.layers.at(0).out.weight.sum().dataSync()[0]).toBe(8);
    Object.values(partial).forEach((t) => t.dispose());
    a.dispose();
    b.dispose();
  });

  it('rejects bad names and duplicate registration', () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.addParameter(name, tf.zeros([1]));
        this.addParameter('w', tf.zeros([1]));
      }
    }
    expect(() => new Bad('a.b')).toThrow(LabError);
    expect(() => new Bad('w')).toThrow(/already registered/);
  });

  it('dispose frees every variable', async () => {
    const leaked = await tensorLeak(() => new Net(3).dispose());
    expect(leaked).toBe(0);
  });
});

describe('seeded initialisers', () => {
  it('same seed gives identical weights, different seeds differ', () => {
    const w = (seed: number) => Array.from(new MLP([5, 7, 3], { rng: new Rng(seed) }).parameters()[0]!.dataSync());
    expect(w(11)).toEqual(w(11));
    expect(w(11)).not.toEqual(w(12));
  });

  it('same seed gives identical weights on cpu and wasm', async () => {
    const draw = () => {
      const m = new MLP([6, 8, 2], { rng: new Rng(5) });
      const out = Object.values(m.stateDict()).map((t) => Array.from(t.dataSync()));
      m.dispose();
      return out;
    };
    const onWasm = draw();
    await initBackend('cpu');
    const onCpu = draw();
    await initBackend('wasm');
    expect(onCpu).toEqual(onWasm);
  });

  it('fans and gains follow PyTorch', () => {
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
    expect(computeFans([10, 20])).toEqual({ fanIn: 10, fanOut: 20 });
    expect(calculateGain('relu')).toBeCloseTo(Math.SQRT2);
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(2 / 6));
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3);
  });

  it('draw with the documented spread', () => {
    const rng = new Rng(0);
    const stats = (t: tf.Tensor) => {
      const v = t.dataSync();
      let m = 0;
      let s = 0;
      let max = 0;
      for (const x of v) m += x;
      m /= v.length;
      for (const x of v) {
        s += (x - m) ** 2;
        max = Math.max(max, Math.abs(x));
      }
      t.dispose();
      return { mean: m, std: Math.sqrt(s / v.length), max };
    };
    const fanIn = 200;
    const ku = stats(kaimingUniformInit([fanIn, 100], rng, { nonlinearity: 'relu' }));
    expect(ku.max).toBeLessThanOrEqual(Math.sqrt(2) * Math.sqrt(3 / fanIn) + 1e-6);
    expect(ku.std).toBeCloseTo(Math.sqrt(2 / fanIn), 2);
    const kn = stats(kaimingNormalInit([fanIn, 100], rng, { nonlinearity: 'relu' }));
    expect(kn.std).toBeCloseTo(Math.sqrt(2 / fanIn), 2);
    const xu = stats(xavierUniformInit([fanIn, 100], rng));
    expect(xu.max).toBeLessThanOrEqual(Math.sqrt(6 / 300) + 1e-6);
    expect(xu.std).toBeCloseTo(Math.sqrt(2 / 300), 2);
    const xn = stats(xavierNormalInit([fanIn, 100], rng));
    expect(xn.std).toBeCloseTo(Math.sqrt(2 / 300), 2);
    const n = stats(normalInit([100, 100], rng, 0.02, 1));
    expect(n.mean).toBeCloseTo(1, 2);
    expect(n.std).toBeCloseTo(0.02, 3);
  });
});

describe('torchLayoutTransform', () => {
  it('transposes Linear and Conv2d weights from PyTorch layouts, passes the rest through', () => {
    class M extends Module {
      readonly fc: Linear;
      readonly conv: Conv2d;
      constructor() {
        super();
        this.fc = this.addModule('fc', new Linear(3, 2, { rng: new Rng(0) }));
        this.conv = this.addModule('conv', new Conv2d(2, 4, 3, { rng: new Rng(0) }));
      }
    }
    const m = new M();
    // PyTorch tensors: fc.weight [out=2, in=3], conv.weight [out=4, in=2, 3, 3]
    const torchFc = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const torchConv = tf.tensor4d(
      Array.from({ length: 72 }, (_, i) => i),
      [4, 2, 3, 3],
    );
    m.loadStateDict(
      { 'fc.weight': torchFc, 'fc.bias': tf.zeros([2]), 'conv.weight': torchConv, 'conv.bias': tf.zeros([4]) },
      { transform: torchLayoutTransform(m) },
    );
    expect(m.fc.weight.arraySync()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    // ours[kh, kw, in, out] = torch[out, in, kh, kw]: pick out = 3, in = 1, kh = 2, kw = 0
    expect((m.conv.weight.arraySync() as number[][][][])[2]![0]![1]![3]).toBe(3 * 18 + 1 * 9 + 2 * 3 + 0);
    m.dispose();
  });
});

describe('Sequential', () => {
  it('chains layers and names them by index', () => {
    const rng = new Rng(0);
    const seq = new Sequential([new Linear(3, 4, { rng }), new Linear(4, 2, { rng })]);
    expect(Object.keys(seq.namedParameters())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    const y = seq.forward(tf.ones([5, 3]));
    expect(y.shape).toEqual([5, 2]);
    y.dispose();
    seq.dispose();
  });
});
