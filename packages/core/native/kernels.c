/*
 * SIMD kernels for @lab/core's WASM backend (see src/wasm/simd.ts).
 *
 * They run on tensors that already live in tfjs-backend-wasm's heap: this module imports that memory,
 * so every argument is a byte offset into it and nothing is copied. Rules that keep the module safe
 * next to tfjs's own code: no data segment, no static state, no stack use (tools/scripts/build-kernels.sh
 * checks the linked binary). Only the matrix product runs on several threads at once (the worker pool,
 * src/wasm/pool.ts), on disjoint rows of C.
 *
 * Build: tools/scripts/build-kernels.sh (clang 19 + wasm-ld, Debian packages clang-19 lld-19).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef float f32;
typedef int32_t i32;

/* ── exp ───────────────────────────────────────────────────────────────────────────────────────
 * Cephes expf: n = round(x / ln 2), r = x − n·ln 2 (in two parts), exp(r) by a degree-6 polynomial,
 * then scaled by 2^n in two halves so that n = 128 and n = −126 stay representable.
 * Max relative error ≈ 2 ulp on [−87.3, 88.7]; above → +inf, below → 0, NaN stays NaN. */
static inline v128_t exp4(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(88.72283935546875f);
  const v128_t lo = wasm_f32x4_splat(-87.33654022216797f);
  v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);
  v128_t n = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)), wasm_f32x4_splat(0.5f)));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  v128_t y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  v128_t n1 = wasm_i32x4_shr(ni, 1);
  v128_t n2 = wasm_i32x4_sub(ni, n1);
  v128_t bias = wasm_i32x4_splat(127);
  v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23);
  v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
  y = wasm_f32x4_mul(wasm_f32x4_mul(y, s1), s2);
  y = wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), y, wasm_f32x4_gt(x, hi));
  y = wasm_v128_andnot(y, wasm_f32x4_lt(x, lo));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

/* ── tanh ──────────────────────────────────────────────────────────────────────────────────────
 * Odd rational approximation p(x)/q(x) on [−7.9053, 7.9053] (the one Eigen uses for float), x itself
 * for |x| < 4e-4; saturates to ±1 outside; NaN stays NaN. */
static inline v128_t tanh4(v128_t x) {
  const v128_t c = wasm_f32x4_splat(7.90531110763549805f);
  v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_neg(c)), c);
  v128_t x2 = wasm_f32x4_mul(xc, xc);
  v128_t p = wasm_f32x4_splat(-2.76076847742355e-16f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(2.00018790482477e-13f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-8.60467152213735e-11f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(5.12229709037114e-08f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(1.48572235717979e-05f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(6.37261928875436e-04f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(4.89352455891786e-03f));
  p = wasm_f32x4_mul(p, xc);
  v128_t q = wasm_f32x4_splat(1.19825839466702e-06f);
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.18534705686654e-04f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(2.26843463243900e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(4.89352518554385e-03f));
  v128_t y = wasm_f32x4_div(p, q);
  v128_t tiny = wasm_f32x4_lt(wasm_f32x4_abs(x), wasm_f32x4_splat(0.0004f));
  return wasm_v128_bitselect(x, y, wasm_v128_or(tiny, wasm_f32x4_ne(x, x)));
}

/* Element-wise map over n floats; the last n % 4 go through one padded vector (no stack buffer). */
#define UNARY(name, fn)                                                              \
  EXPORT(name) void name(const f32 *x, f32 *y, i32 n) {                              \
    i32 i = 0;                                                                       \
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, fn(wasm_v128_load(x + i)));   \
    i32 rest = n - i;                                                                \
    if (rest > 0) {                                                                  \
      v128_t r = fn(wasm_f32x4_make(x[i], rest > 1 ? x[i + 1] : 0.0f,               \
                                    rest > 2 ? x[i + 2] : 0.0f, 0.0f));              \
      y[i] = wasm_f32x4_extract_lane(r, 0);                                          \
      if (rest > 1) y[i + 1] = wasm_f32x4_extract_lane(r, 1);                        \
      if (rest > 2) y[i + 2] = wasm_f32x4_extract_lane(r, 2);                        \
    }                                                                                \
  }

/* ── log ───────────────────────────────────────────────────────────────────────────────────────
 * Cephes logf: x = m·2^e with m in [√½, √2), log(x) = log1p(m − 1) by a degree-9 polynomial plus
 * e·ln 2 in two parts. Subnormals are scaled by 2^23 first. ≤ 2 ulp on (0, ∞); log(0) = −∞,
 * log(x < 0) = NaN, log(∞) = ∞, NaN stays NaN. */
static inline v128_t log4(v128_t x) {
  const v128_t tiny = wasm_f32x4_lt(x, wasm_f32x4_splat(1.17549435e-38f));
  v128_t xs = wasm_v128_bitselect(wasm_f32x4_mul(x, wasm_f32x4_splat(8388608.0f)), x, tiny);
  v128_t bits = xs;
  v128_t e = wasm_i32x4_sub(wasm_u32x4_shr(bits, 23), wasm_i32x4_splat(126));
  e = wasm_i32x4_sub(e, wasm_v128_and(tiny, wasm_i32x4_splat(23)));
  v128_t m = wasm_v128_or(wasm_v128_and(bits, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x3f000000)); /* [0.5, 1) */
  const v128_t small = wasm_f32x4_lt(m, wasm_f32x4_splat(0.707106781186547524f));
  e = wasm_i32x4_add(e, small); /* e − 1 where m < √½ (the mask is −1) */
  m = wasm_f32x4_sub(wasm_f32x4_add(m, wasm_v128_and(m, small)), wasm_f32x4_splat(1.0f));
  v128_t ef = wasm_f32x4_convert_i32x4(e);
  v128_t z = wasm_f32x4_mul(m, m);
  v128_t p = wasm_f32x4_splat(7.0376836292e-2f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-1.1514610310e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(1.1676998740e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-1.2420140846e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(1.4249322787e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-1.6668057665e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(2.0000714765e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-2.4999993993e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(3.3333331174e-1f));
  v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, m), z);
  y = wasm_f32x4_add(y, wasm_f32x4_mul(ef, wasm_f32x4_splat(-2.12194440e-4f)));
  y = wasm_f32x4_sub(y, wasm_f32x4_mul(z, wasm_f32x4_splat(0.5f)));
  v128_t r = wasm_f32x4_add(wasm_f32x4_add(m, y), wasm_f32x4_mul(ef, wasm_f32x4_splat(0.693359375f)));
  r = wasm_v128_bitselect(wasm_f32x4_splat(-__builtin_inff()), r, wasm_f32x4_eq(x, wasm_f32x4_splat(0.0f)));
  r = wasm_v128_bitselect(x, r, wasm_f32x4_eq(x, wasm_f32x4_splat(__builtin_inff())));
  return wasm_v128_bitselect(wasm_f32x4_splat(__builtin_nanf("")), r, wasm_v128_or(wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)), wasm_f32x4_ne(x, x)));
}

static inline v128_t sqrt4(v128_t x) { return wasm_f32x4_sqrt(x); }
static inline v128_t rsqrt4(v128_t x) { return wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_sqrt(x)); }

UNARY(lab_exp_f32, exp4)
UNARY(lab_tanh_f32, tanh4)
UNARY(lab_log_f32, log4)
UNARY(lab_sqrt_f32, sqrt4)
UNARY(lab_rsqrt_f32, rsqrt4)

/* ── element-wise binary ops with a broadcast operand ─────────────────────────────────────────
 * out[i] = op(a[i % aPeriod], b[i % bPeriod]) for i < n, where each period is n (a full operand), 1 (a
 * scalar) or the size of trailing axes (a row repeated over the leading ones); at least one operand is
 * full. float32 in; float32 out (maximum, minimum) or bool bytes 0/1 (comparisons). */
#define CMP_TO_BOOL(mask) wasm_v128_and(wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(mask, mask), wasm_i16x8_narrow_i32x4(mask, mask)), wasm_i8x16_splat(1))
#define STORE_F32(out, i, v) wasm_v128_store((f32 *)(out) + (i), v)
#define STORE_BOOL(out, i, v) wasm_v128_store32_lane((unsigned char *)(out) + (i), CMP_TO_BOOL(v), 0)
#define SET_F32(out, i, v) ((f32 *)(out))[i] = (v)
#define SET_BOOL(out, i, v) ((unsigned char *)(out))[i] = (unsigned char)((v) ? 1 : 0)

#define BINARY(name, vop, sop, STORE, SET)                                                     \
  EXPORT(name) void name(const f32 *a, i32 aPeriod, const f32 *b, i32 bPeriod, void *out, i32 n) { \
    const i32 period = aPeriod < bPeriod ? aPeriod : bPeriod;                                  \
    for (i32 o = 0; o < n; o += period) {                                                      \
      const f32 *ra = aPeriod == n ? a + o : a, *rb = bPeriod == n ? b + o : b;                 \
      i32 j = 0;                                                                               \
      if (period == 1) {                                                                       \
        /* one operand is a scalar: the whole loop runs here */                                \
        const v128_t sa = wasm_v128_load32_splat(a), sb = wasm_v128_load32_splat(b);           \
        for (; j + 4 <= n; j += 4) {                                                           \
          const v128_t va = aPeriod == 1 ? sa : wasm_v128_load(a + j);                         \
          const v128_t vb = bPeriod == 1 ? sb : wasm_v128_load(b + j);                         \
          STORE(out, j, vop(va, vb));                                                          \
        }                                                                                      \
        for (; j < n; j++) SET(out, j, sop(aPeriod == 1 ? a[0] : a[j], bPeriod == 1 ? b[0] : b[j])); \
        return;                                                                                \
      }                                                                                        \
      for (; j + 4 <= period; j += 4) STORE(out, o + j, vop(wasm_v128_load(ra + j), wasm_v128_load(rb + j))); \
      for (; j < period; j++) SET(out, o + j, sop(ra[j], rb[j]));                              \
    }                                                                                          \
  }

static inline f32 fmaxs(f32 x, f32 y) { return x != x || y != y ? __builtin_nanf("") : (x > y ? x : y); }
static inline f32 fmins(f32 x, f32 y) { return x != x || y != y ? __builtin_nanf("") : (x < y ? x : y); }
#define GT(x, y) ((x) > (y))
#define GE(x, y) ((x) >= (y))
#define LT(x, y) ((x) < (y))
#define LE(x, y) ((x) <= (y))
#define EQ(x, y) ((x) == (y))
#define NE(x, y) ((x) != (y))

BINARY(lab_maximum_f32, wasm_f32x4_max, fmaxs, STORE_F32, SET_F32)
BINARY(lab_minimum_f32, wasm_f32x4_min, fmins, STORE_F32, SET_F32)
BINARY(lab_greater_f32, wasm_f32x4_gt, GT, STORE_BOOL, SET_BOOL)
BINARY(lab_greater_equal_f32, wasm_f32x4_ge, GE, STORE_BOOL, SET_BOOL)
BINARY(lab_less_f32, wasm_f32x4_lt, LT, STORE_BOOL, SET_BOOL)
BINARY(lab_less_equal_f32, wasm_f32x4_le, LE, STORE_BOOL, SET_BOOL)
BINARY(lab_equal_f32, wasm_f32x4_eq, EQ, STORE_BOOL, SET_BOOL)
BINARY(lab_not_equal_f32, wasm_f32x4_ne, NE, STORE_BOOL, SET_BOOL)

/* out[i] = cond[i] ? t[i] : e[i] for n elements (cond: bool bytes); 4-byte elements. */
EXPORT(lab_select_32) void lab_select_32(const unsigned char *cond, const i32 *t, const i32 *e, i32 *out, i32 n) {
  i32 i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t c = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(cond + i)));
    wasm_v128_store(out + i, wasm_v128_bitselect(wasm_v128_load(t + i), wasm_v128_load(e + i), wasm_i32x4_ne(c, wasm_i32x4_splat(0))));
  }
  for (; i < n; i++) out[i] = cond[i] ? t[i] : e[i];
}

/* ── transpose ─────────────────────────────────────────────────────────────────────────────────
 * dst[c, r] = src[r, c] for `batch` consecutive [rows, cols] matrices, 4×4 blocks through registers
 * inside 32×32 tiles. */
static inline void transpose4x4(const f32 *s, i32 ss, f32 *d, i32 ds) {
  v128_t a = wasm_v128_load(s), b = wasm_v128_load(s + ss), c = wasm_v128_load(s + 2 * ss), e = wasm_v128_load(s + 3 * ss);
  v128_t ab0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
  v128_t ce0 = wasm_i32x4_shuffle(c, e, 0, 4, 1, 5), ce1 = wasm_i32x4_shuffle(c, e, 2, 6, 3, 7);
  wasm_v128_store(d, wasm_i64x2_shuffle(ab0, ce0, 0, 2));
  wasm_v128_store(d + ds, wasm_i64x2_shuffle(ab0, ce0, 1, 3));
  wasm_v128_store(d + 2 * ds, wasm_i64x2_shuffle(ab1, ce1, 0, 2));
  wasm_v128_store(d + 3 * ds, wasm_i64x2_shuffle(ab1, ce1, 1, 3));
}

EXPORT(lab_transpose_f32) void lab_transpose_f32(const f32 *src, f32 *dst, i32 batch, i32 rows, i32 cols) {
  const i32 T = 32;
  for (i32 b = 0; b < batch; b++, src += rows * cols, dst += rows * cols) {
    for (i32 r0 = 0; r0 < rows; r0 += T) {
      i32 r1 = r0 + T < rows ? r0 + T : rows;
      for (i32 c0 = 0; c0 < cols; c0 += T) {
        i32 c1 = c0 + T < cols ? c0 + T : cols;
        i32 r = r0;
        for (; r + 4 <= r1; r += 4) {
          i32 c = c0;
          for (; c + 4 <= c1; c += 4) transpose4x4(src + r * cols + c, cols, dst + c * rows + r, rows);
          for (; c < c1; c++)
            for (i32 k = 0; k < 4; k++) dst[c * rows + r + k] = src[(r + k) * cols + c];
        }
        for (; r < r1; r++)
          for (i32 c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
      }
    }
  }
}

/* ── rows: gather, segment sum, sum over a middle axis ────────────────────────────────────────── */
static inline void add_row(f32 *acc, const f32 *x, i32 inner) {
  i32 j = 0;
  for (; j + 4 <= inner; j += 4) wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), wasm_v128_load(x + j)));
  for (; j < inner; j++) acc[j] += x[j];
}

/* out[s, :] = Σ_{i : ids[i] = s} x[i, :] over rows of `inner` floats; out must be zeroed; ids outside
 * [0, segments) are skipped. */
EXPORT(lab_segment_sum_f32) void lab_segment_sum_f32(const f32 *x, const i32 *ids, i32 rows, i32 inner, f32 *out, i32 segments) {
  for (i32 i = 0; i < rows; i++) {
    i32 s = ids[i];
    if (s >= 0 && s < segments) add_row(out + s * inner, x + i * inner, inner);
  }
}

/* out[o, i] = Σ_r x[o, r, i] for x of shape [outer, red, inner]; out must be zeroed. */
EXPORT(lab_sum_middle_f32) void lab_sum_middle_f32(const f32 *x, i32 outer, i32 red, i32 inner, f32 *out) {
  for (i32 o = 0; o < outer; o++)
    for (i32 r = 0; r < red; r++) add_row(out + o * inner, x + (o * red + r) * inner, inner);
}

/* out[p, i, :] = x[p, ids[i], :] for x of shape [outer, n, inner] (ids already checked in range). */
EXPORT(lab_gather_rows_32) void lab_gather_rows_32(const i32 *x, i32 outer, i32 n, i32 inner, const i32 *ids, i32 count, i32 *out) {
  for (i32 p = 0; p < outer; p++)
    for (i32 i = 0; i < count; i++) __builtin_memcpy(out + (p * count + i) * inner, x + (p * n + ids[i]) * inner, (unsigned long)inner * 4);
}

/* ── matrix products ────────────────────────────────────────────────────────────────────────────
 * C [M, N] = A·B or Aᵀ·B, B [K, N] row-major; A is [M, K] (NN) or [K, M] (TN). B is first copied into
 * panels of eight columns (lab_pack_b_f32: Bp[p][k][0..8) = B[k][8p..8p+8)), so the inner loop reads it
 * sequentially. Each step of the contraction then adds the outer product of four A values and one panel
 * row into a 4×8 tile of C held in registers. Loops are blocked so that a 256-step slice of a panel
 * stays in L1 while it meets MC rows of A, and those rows stay in L2 while they meet every panel.
 * (XNNPACK packs B too, but ≈ 20× slower: strided reads of a transposed layout.) The product splits
 * over the worker pool by rows of C. TN reads the four A values with one vector load, NN from four rows.
 * The last N % 8 columns and M % 4 rows take a scalar loop over B itself. */
#define SPLAT_LANE(v, l) wasm_i32x4_shuffle(v, v, l, l, l, l)
#define A4_TN(A, M, K, i0, k)                                                                  \
  v128_t a_ = wasm_v128_load(A + (k) * (M) + (i0));                                            \
  v128_t a0 = SPLAT_LANE(a_, 0), a1 = SPLAT_LANE(a_, 1), a2 = SPLAT_LANE(a_, 2), a3 = SPLAT_LANE(a_, 3)
#define A4_NN(A, M, K, i0, k)                                                                  \
  v128_t a0 = wasm_f32x4_splat(A[(i0) * (K) + (k)]), a1 = wasm_f32x4_splat(A[((i0) + 1) * (K) + (k)]); \
  v128_t a2 = wasm_f32x4_splat(A[((i0) + 2) * (K) + (k)]), a3 = wasm_f32x4_splat(A[((i0) + 3) * (K) + (k)])
#define A1_TN(A, M, K, i, k) A[(k) * (M) + (i)]
#define A1_NN(A, M, K, i, k) A[(i) * (K) + (k)]
#ifdef __wasm_relaxed_simd__
/* Fused multiply-add where the CPU has one (relaxed SIMD): half the instructions of mul + add. */
#define MAC(c, a, b) c = wasm_f32x4_relaxed_madd(a, b, c)
#else
#define MAC(c, a, b) c = wasm_f32x4_add(c, wasm_f32x4_mul(a, b))
#endif

/* Bp (one entry: [N / 8][K][8]) from B [K, N], for `batch` consecutive entries. */
EXPORT(lab_pack_b_f32) void lab_pack_b_f32(const f32 *B, f32 *Bp, i32 K, i32 N, i32 batch) {
  for (i32 e = 0; e < batch; e++, B += K * N)
    for (i32 j0 = 0; j0 + 8 <= N; j0 += 8) {
      const f32 *src = B + j0;
      for (i32 k = 0; k < K; k++, src += N, Bp += 8) {
        wasm_v128_store(Bp, wasm_v128_load(src));
        wasm_v128_store(Bp + 4, wasm_v128_load(src + 4));
      }
    }
}

/* name(A, B, Bp, C, M, K, N, r0, r1) writes rows [r0, r1) of C (r0 a multiple of 4). */
#define GEMM_ROWS(name, A4, A1)                                                                \
  static void name##_tile(const f32 *A, const f32 *bp, f32 *C, i32 M, i32 K, i32 N, i32 k0, i32 k1, i32 i0, i32 j0) { \
    f32 *c0 = C + i0 * N + j0, *c1 = c0 + N, *c2 = c1 + N, *c3 = c2 + N;                       \
    v128_t c00 = wasm_v128_load(c0), c01 = wasm_v128_load(c0 + 4), c10 = wasm_v128_load(c1), c11 = wasm_v128_load(c1 + 4); \
    v128_t c20 = wasm_v128_load(c2), c21 = wasm_v128_load(c2 + 4), c30 = wasm_v128_load(c3), c31 = wasm_v128_load(c3 + 4); \
    for (i32 k = k0; k < k1; k++) {                                                            \
      v128_t b0 = wasm_v128_load(bp + 8 * k), b1 = wasm_v128_load(bp + 8 * k + 4);             \
      A4(A, M, K, i0, k);                                                                      \
      MAC(c00, a0, b0); MAC(c01, a0, b1); MAC(c10, a1, b0); MAC(c11, a1, b1);                  \
      MAC(c20, a2, b0); MAC(c21, a2, b1); MAC(c30, a3, b0); MAC(c31, a3, b1);                  \
    }                                                                                          \
    wasm_v128_store(c0, c00); wasm_v128_store(c0 + 4, c01); wasm_v128_store(c1, c10); wasm_v128_store(c1 + 4, c11); \
    wasm_v128_store(c2, c20); wasm_v128_store(c2 + 4, c21); wasm_v128_store(c3, c30); wasm_v128_store(c3 + 4, c31); \
  }                                                                                            \
  static void name(const f32 *A, const f32 *B, const f32 *Bp, f32 *C, i32 M, i32 K, i32 N, i32 r0, i32 r1) { \
    __builtin_memset(C + r0 * N, 0, (unsigned long)(r1 - r0) * N * 4);                         \
    const i32 KC = 256, MC = 64, R4 = r0 + ((r1 - r0) & ~3), N8 = N & ~7;                      \
    for (i32 k0 = 0; k0 < K; k0 += KC) {                                                       \
      const i32 k1 = k0 + KC < K ? k0 + KC : K;                                                \
      for (i32 ib = r0; ib < R4; ib += MC) {                                                   \
        const i32 ie = ib + MC < R4 ? ib + MC : R4;                                            \
        for (i32 j0 = 0; j0 < N8; j0 += 8)                                                     \
          for (i32 i0 = ib; i0 < ie; i0 += 4) name##_tile(A, Bp + j0 * K, C, M, K, N, k0, k1, i0, j0); \
      }                                                                                        \
      for (i32 i = N8 < N ? r0 : R4; i < r1; i++)                                              \
        for (i32 k = k0; k < k1; k++) {                                                        \
          f32 a = A1(A, M, K, i, k);                                                           \
          for (i32 j = i < R4 ? N8 : 0; j < N; j++) C[i * N + j] += a * B[k * N + j];          \
        }                                                                                      \
    }                                                                                          \
  }

GEMM_ROWS(rows_tn, A4_TN, A1_TN)
GEMM_ROWS(rows_nn, A4_NN, A1_NN)

/* Row blocks [u0, u1) of the whole batch (block u = rows 4(u % blocks)… of entry u / blocks). */
static void matmul_blocks(const f32 *A, const f32 *B, const f32 *Bp, f32 *C, i32 M, i32 K, i32 N, i32 bStride, i32 transA, i32 u0, i32 u1) {
  const i32 blocks = (M + 3) >> 2, packedStride = bStride ? (N & ~7) * K : 0;
  for (i32 u = u0; u < u1;) {
    const i32 e = u / blocks, first = u - e * blocks, last = u1 - e * blocks < blocks ? u1 - e * blocks : blocks;
    const i32 r1 = 4 * last < M ? 4 * last : M;
    if (transA) rows_tn(A + e * M * K, B + e * bStride, Bp + e * packedStride, C + e * M * N, M, K, N, 4 * first, r1);
    else rows_nn(A + e * M * K, B + e * bStride, Bp + e * packedStride, C + e * M * N, M, K, N, 4 * first, r1);
    u = e * blocks + last;
  }
}

/* C[e] = A[e]·B[e] (or A[e]ᵀ·B[e] when transA) for `batch` entries: A entries [M, K] ([K, M]) apart by
 * M·K, C entries by M·N, B entries by bStride (0: one B for all) and Bp (B packed by lab_pack_b_f32)
 * entries likewise. The work — blocks of four rows of C over all entries — is handed out in chunks
 * through the counter `next` (zeroed by the caller): every thread of the worker pool (src/wasm/pool.ts)
 * runs this same call and takes chunks until none are left, so a thread that starts late simply takes
 * fewer. Every element of C is summed by one thread in the same order: results do not depend on the
 * number of threads. `part` and `parts` (the pool's share arguments) are not needed. */
EXPORT(lab_matmul_f32) void lab_matmul_f32(const f32 *A, const f32 *B, const f32 *Bp, f32 *C, i32 M, i32 K, i32 N, i32 batch, i32 bStride, i32 transA, i32 *next, i32 part, i32 parts) {
  const i32 total = batch * ((M + 3) >> 2);
  if (next == 0) { /* no counter: a fixed share (one thread: the whole product) */
    matmul_blocks(A, B, Bp, C, M, K, N, bStride, transA, (i32)((long long)total * part / parts), (i32)((long long)total * (part + 1) / parts));
    return;
  }
  const i32 chunk = 8; /* row blocks: 32 rows (2, 4, 8, 16 measured alike) */
  for (i32 u0; (u0 = __atomic_fetch_add(next, chunk, __ATOMIC_RELAXED)) < total;)
    matmul_blocks(A, B, Bp, C, M, K, N, bStride, transA, u0, u0 + chunk < total ? u0 + chunk : total);
}

/* ── im2col ────────────────────────────────────────────────────────────────────────────────────
 * P [rows, fh·fw·C] for the output positions m0 … m0 + rows − 1 (NHWC order) of a convolution over
 * x [B, H, W, C]: row m holds, tap by tap, the C-long run of x under that tap, or zeros where the tap
 * falls in the padding. A convolution is then P·W for the filter W [fh·fw·C, outC]. */
static inline void copy_run(f32 *dst, const f32 *src, i32 n) {
  i32 i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

EXPORT(lab_im2col_f32) void lab_im2col_f32(const f32 *x, f32 *P, i32 H, i32 W, i32 C, i32 outH, i32 outW, i32 fh, i32 fw, i32 sh, i32 sw, i32 dh, i32 dw, i32 top, i32 left, i32 m0, i32 rows) {
  for (i32 m = m0; m < m0 + rows; m++) {
    const i32 ox = m % outW, oy = (m / outW) % outH, b = m / (outW * outH);
    const i32 y0 = oy * sh - top, x0 = ox * sw - left;
    for (i32 i = 0; i < fh; i++) {
      const i32 yy = y0 + i * dh;
      for (i32 j = 0; j < fw; j++, P += C) {
        const i32 xx = x0 + j * dw;
        if (yy >= 0 && yy < H && xx >= 0 && xx < W) copy_run(P, x + ((b * H + yy) * W + xx) * C, C);
        else for (i32 c = 0; c < C; c++) P[c] = 0.0f;
      }
    }
  }
}

/* ── max-pool gradient ──────────────────────────────────────────────────────────────────────────
 * dx [B, H, W, C] = Σ over windows of dy routed to each window's first maximum (scanning rows, then
 * columns; a NaN found first keeps the place, a later one never wins), NHWC, as on tfjs's cpu backend.
 * Taps in the padding are skipped; windows hold no tap only when wholly in the padding. Four channels
 * at a time: each lane keeps its best value and where it was. */
EXPORT(lab_max_pool_grad_f32) void lab_max_pool_grad_f32(const f32 *x, const f32 *dy, f32 *dx, i32 B, i32 H, i32 W, i32 C, i32 outH, i32 outW, i32 fh, i32 fw, i32 sh, i32 sw, i32 top, i32 left) {
  __builtin_memset(dx, 0, (unsigned long)B * H * W * C * 4);
  const i32 C4 = C & ~3;
  for (i32 b = 0; b < B; b++)
    for (i32 oy = 0; oy < outH; oy++)
      for (i32 ox = 0; ox < outW; ox++, dy += C) {
        const i32 y0 = oy * sh - top, x0 = ox * sw - left;
        const i32 i0 = y0 < 0 ? -y0 : 0, i1 = H - y0 < fh ? H - y0 : fh;
        const i32 j0 = x0 < 0 ? -x0 : 0, j1 = W - x0 < fw ? W - x0 : fw;
        if (i0 >= i1 || j0 >= j1) continue;
        const i32 first = ((b * H + y0 + i0) * W + x0 + j0) * C;
        for (i32 k = 0; k < C4; k += 4) {
          v128_t best = wasm_v128_load(x + first + k);
          v128_t at = wasm_i32x4_add(wasm_i32x4_splat(first + k), wasm_i32x4_make(0, 1, 2, 3));
          for (i32 i = i0; i < i1; i++)
            for (i32 j = (i == i0 ? j0 + 1 : j0); j < j1; j++) {
              const i32 idx = ((b * H + y0 + i) * W + x0 + j) * C + k;
              const v128_t v = wasm_v128_load(x + idx), take = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, take);
              at = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(idx), wasm_i32x4_make(0, 1, 2, 3)), at, take);
            }
          dx[wasm_i32x4_extract_lane(at, 0)] += dy[k];
          dx[wasm_i32x4_extract_lane(at, 1)] += dy[k + 1];
          dx[wasm_i32x4_extract_lane(at, 2)] += dy[k + 2];
          dx[wasm_i32x4_extract_lane(at, 3)] += dy[k + 3];
        }
        for (i32 k = C4; k < C; k++) {
          f32 best = x[first + k];
          i32 at = first + k;
          for (i32 i = i0; i < i1; i++)
            for (i32 j = (i == i0 ? j0 + 1 : j0); j < j1; j++) {
              const i32 idx = ((b * H + y0 + i) * W + x0 + j) * C + k;
              if (x[idx] > best) {
                best = x[idx];
                at = idx;
              }
            }
          dx[at] += dy[k];
        }
      }
}

/* ── rows copied under a permutation of up to four outer axes ──────────────────────────────────
 * dst holds, in order, rows of `row` 4-byte elements taken from src at i0·s0 + i1·s1 + i2·s2 + i3·s3
 * (strides in elements) for i0 < n0, i1 < n1, i2 < n2, i3 < n3: a transpose that keeps the last axis. */
EXPORT(lab_permute_rows_32) void lab_permute_rows_32(const i32 *src, i32 *dst, i32 row, i32 n0, i32 s0, i32 n1, i32 s1, i32 n2, i32 s2, i32 n3, i32 s3) {
  for (i32 i0 = 0; i0 < n0; i0++)
    for (i32 i1 = 0; i1 < n1; i1++)
      for (i32 i2 = 0; i2 < n2; i2++)
        for (i32 i3 = 0; i3 < n3; i3++, dst += row)
          __builtin_memcpy(dst, src + i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3, (unsigned long)row * 4);
}
