#include "lrp/models/bilstm_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>

#include "core/error.h"
#include "lrp/models/baselines.h"
#include "core/npy.h"

namespace textlrp::lrp {
namespace {

// Tensor name table of model.safetensors (llama-arch.cpp style); gate blocks i, g, f, o:
//   embedding.weight             [n_vocab x n_embd]
//   lstm.weight_ih_l0[_reverse]  [4·n_hidden x n_embd]
//   lstm.weight_hh_l0[_reverse]  [4·n_hidden x n_hidden]
//   lstm.bias_ih_l0[_reverse]    [4·n_hidden]
//   lstm.bias_hh_l0[_reverse]    [4·n_hidden]
//   fc.weight_left, fc.weight_right  [n_classes x n_hidden]
//   fc.bias                      [n_classes]   (only when hyper.fc_bias)
constexpr const char* kEmbedding = "embedding.weight";
constexpr const char* kFcLeft = "fc.weight_left";
constexpr const char* kFcRight = "fc.weight_right";
constexpr const char* kFcBias = "fc.bias";
constexpr const char* kFcWeight = "fc.weight";  // PyTorch: [C x 2H]
constexpr const char* kGateOrder = "i,g,f,o";

struct Expected {
  std::string name;
  std::vector<std::int64_t> shape;  // -1 = unknown size
};

bool shape_matches(const std::vector<std::int64_t>& got, const std::vector<std::int64_t>& want) {
  if (got.size() != want.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (want[i] >= 0 && got[i] != want[i]) return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// Checks every tensor at once and throws one FormatError listing missing, wrongly shaped, wrongly
// typed (not F32/F64) and unexpected tensors.
void check_tensors(const TensorStore& store, const std::vector<Expected>& expected, std::string_view what) {
  std::vector<std::string> problems;
  for (const auto& e : expected) {
    if (!store.contains(e.name)) {
      problems.push_back(fmt::format("missing tensor '{}' {}", e.name, shape_string(e.shape)));
      continue;
    }
    const TensorInfo& info = store.info(e.name);
    if (!shape_matches(info.shape, e.shape)) {
      problems.push_back(fmt::format("tensor '{}' has shape {}, expected {}", e.name, shape_string(info.shape),
                                     shape_string(e.shape)));
    }
    if (info.dtype != DType::kF32 && info.dtype != DType::kF64) {
      problems.push_back(fmt::format("tensor '{}' has dtype {}, expected F64 or F32", e.name, dtype_name(info.dtype)));
    }
  }
  for (const auto& name : store.names()) {
    const bool known = std::any_of(expected.begin(), expected.end(), [&](const Expected& e) { return e.name == name; });
    if (!known)
      problems.push_back(fmt::format("unexpected tensor '{}' {}", name, shape_string(store.info(name).shape)));
  }
  if (!problems.empty()) throw FormatError(fmt::format("{}: {} ({})", store.name(), join(problems), what));
}

MatD read_matrix(const TensorStore& store, const std::string& name, std::int64_t rows, std::int64_t cols) {
  const std::vector<double> v = store.doubles(name, {rows, cols});
  return Eigen::Map<const MatD>(v.data(), rows, cols);
}

VecD read_vector(const TensorStore& store, const std::string& name, std::int64_t size) {
  const std::vector<double> v = store.doubles(name, {size});
  return Eigen::Map<const VecD>(v.data(), size);
}

void add_tensor(TensorWriter* w, std::string name, const MatD& m) {
  w->add_f64(std::move(name), {m.rows(), m.cols()}, std::vector<double>(m.data(), m.data() + m.size()));
}

void add_tensor(TensorWriter* w, std::string name, const VecD& v) {
  w->add_f64(std::move(name), {v.size()}, std::vector<double>(v.data(), v.data() + v.size()));
}

// PyTorch's gate blocks i, f, g, o -> ours i, g, f, o (rows [H, 2H) and [2H, 3H) swap).
MatD swap_f_g(MatD m, Index n_hidden) {
  m.middleRows(n_hidden, n_hidden).swap(m.middleRows(2 * n_hidden, n_hidden));
  return m;
}
VecD swap_f_g(VecD v, Index n_hidden) {
  v.segment(n_hidden, n_hidden).swap(v.segment(2 * n_hidden, n_hidden));
  return v;
}

std::vector<std::string> default_labels(std::vector<std::string> labels, Index n_classes) {
  if (labels.empty()) {
    for (Index c = 0; c < n_classes; ++c) labels.push_back(std::to_string(c));
  }
  return labels;
}

// ---- Hot loops, on raw row-major rows, in float64 and float32. They use GCC/Clang vector
// extensions: Simd<T>::V is 32 bytes (4 doubles or 8 floats), one AVX register in the x86-64-v3
// version and two SSE2 registers in the baseline one (with GCC on x86-64 every kernel is compiled
// for both and the dynamic loader picks one per CPU: function multi-versioning, so the build stays
// portable, no -march, and still runs at AVX2 speed where it can). Each kernel is an always-inline
// template (the *_impl functions) compiled into one non-template entry point per precision, which
// carries the multi-versioning attribute (GCC does not clone templates). Memory is read and
// written through Simd<T>::Vu, the unaligned, may-alias twin of V (GCC's documented idiom for
// unaligned vector access); vectors are never passed by value between entry points (their calling
// convention differs between the two versions). The one macro of this file, because the attribute
// must sit on every entry point and exists only with GCC on x86-64.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define TEXTLRP_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TEXTLRP_KERNEL
#endif

template <class T>
struct Simd;
template <>
struct Simd<double> {
  typedef double V __attribute__((vector_size(32)));
  typedef double Vu __attribute__((vector_size(32), aligned(8), may_alias));
  typedef std::int64_t I __attribute__((vector_size(32)));
  static constexpr int kLanes = 4;
};
template <>
struct Simd<float> {
  typedef float V __attribute__((vector_size(32)));
  typedef float Vu __attribute__((vector_size(32), aligned(4), may_alias));
  typedef std::int32_t I __attribute__((vector_size(32)));
  static constexpr int kLanes = 8;
};

template <class T>
[[gnu::always_inline]] inline const typename Simd<T>::Vu& at(const T* p) {
  return *reinterpret_cast<const typename Simd<T>::Vu*>(p);
}
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::Vu& at(T* p) {
  return *reinterpret_cast<typename Simd<T>::Vu*>(p);
}
template <class T>
[[gnu::always_inline]] inline T lane_sum(const typename Simd<T>::V& v) {
  T s = 0;
  for (int l = 0; l < Simd<T>::kLanes; ++l) s += v[l];
  return s;
}

// y[0, M·L) += Σ_k x[k] · w[k·ldw + 0, M·L) (L lanes): M vectors of accumulators stay in registers
// over k.
template <class T, int M>
[[gnu::always_inline]] inline void add_xw_block(const T* x, Index n_in, const T* w, Index ldw, T* y) {
  constexpr int L = Simd<T>::kLanes;
  typename Simd<T>::V acc[M];
  for (int m = 0; m < M; ++m) acc[m] = at(y + L * m);
  for (Index k = 0; k < n_in; ++k) {
    const T xk = x[k];
    const T* wk = w + k * ldw;
    for (int m = 0; m < M; ++m) acc[m] += xk * at(wk + L * m);
  }
  for (int m = 0; m < M; ++m) at(y + L * m) = acc[m];
}

// y[0, n_out) += Σ_k x[k] · w[k·ldw + j]: a vector times a row-major [n_in x n_out] matrix (row
// stride ldw), as n_in row updates (no sums to reassociate; the x86-64-v3 version fuses each
// multiply-add, so the two versions can differ in the last bit).
template <class T>
[[gnu::always_inline]] inline void add_xw_impl(const T* x, Index n_in, const T* w, Index ldw, Index n_out, T* y) {
  constexpr int L = Simd<T>::kLanes;
  Index j = 0;
  for (; j + 8 * L <= n_out; j += 8 * L) add_xw_block<T, 8>(x, n_in, w + j, ldw, y + j);
  switch ((n_out - j) / L) {
    case 7: add_xw_block<T, 7>(x, n_in, w + j, ldw, y + j); break;
    case 6: add_xw_block<T, 6>(x, n_in, w + j, ldw, y + j); break;
    case 5: add_xw_block<T, 5>(x, n_in, w + j, ldw, y + j); break;
    case 4: add_xw_block<T, 4>(x, n_in, w + j, ldw, y + j); break;
    case 3: add_xw_block<T, 3>(x, n_in, w + j, ldw, y + j); break;
    case 2: add_xw_block<T, 2>(x, n_in, w + j, ldw, y + j); break;
    case 1: add_xw_block<T, 1>(x, n_in, w + j, ldw, y + j); break;
    default: break;
  }
  j += (n_out - j) / L * L;
  if (j == n_out) return;
  if (n_out >= L) {
    // The last columns, fewer than L: one vector over the last L columns into a zeroed buffer
    // (the leading ones are already done and are dropped), then added to y.
    const Index j0 = n_out - L;
    T buf[L] = {};
    add_xw_block<T, 1>(x, n_in, w + j0, ldw, buf);
    for (; j < n_out; ++j) y[j] += buf[j - j0];
    return;
  }
  for (Index k = 0; k < n_in; ++k) {  // n_out < L: row updates over the few columns
    const T xk = x[k];
    for (Index jj = j; jj < n_out; ++jj) y[jj] += xk * w[k * ldw + jj];
  }
}

// Y[r] += X[r] · W for the rows of X [n_rows x n_in] and Y [n_rows x n_out] (row-major, W
// [n_in x n_out]): a small GEMM (the input projection of all tokens at once). Blocks of 4 rows x 2
// vectors share each load of W; the column panel is the outer loop, so that its n_in x 2L slice of W
// stays in L1 while every row block passes over it. Leftover rows and columns go through add_xw.
template <class T>
[[gnu::always_inline]] inline void add_xw_rows_impl(const T* x, Index n_rows, Index n_in, const T* w, Index n_out,
                                                    T* y) {
  constexpr int L = Simd<T>::kLanes;
  const Index n_cols2 = n_out / (2 * L) * (2 * L);
  const Index n_rows4 = n_rows / 4 * 4;
  for (Index j = 0; j < n_cols2; j += 2 * L) {
    for (Index r = 0; r < n_rows4; r += 4) {
      typename Simd<T>::V acc[4][2];
      for (int a = 0; a < 4; ++a) {
        acc[a][0] = at(y + (r + a) * n_out + j);
        acc[a][1] = at(y + (r + a) * n_out + j + L);
      }
      for (Index k = 0; k < n_in; ++k) {
        const typename Simd<T>::V w0 = at(w + k * n_out + j), w1 = at(w + k * n_out + j + L);
        for (int a = 0; a < 4; ++a) {
          const T xk = x[(r + a) * n_in + k];
          acc[a][0] += xk * w0;
          acc[a][1] += xk * w1;
        }
      }
      for (int a = 0; a < 4; ++a) {
        at(y + (r + a) * n_out + j) = acc[a][0];
        at(y + (r + a) * n_out + j + L) = acc[a][1];
      }
    }
  }
  if (n_cols2 < n_out) {
    for (Index r = 0; r < n_rows4; ++r) {
      add_xw_impl(x + r * n_in, n_in, w + n_cols2, n_out, n_out - n_cols2, y + r * n_out + n_cols2);
    }
  }
  for (Index r = n_rows4; r < n_rows; ++r) add_xw_impl(x + r * n_in, n_in, w, n_out, n_out, y + r * n_out);
}

// e^v, lane by lane: v = n·ln2 + r with |r| <= ln2/2 (Cody-Waite, with a two-part ln2), e^r by its
// Taylor series (float64: to degree 13, remainder < 1e-17; float32: to degree 7, remainder < 4e-9,
// below float's 6e-8), 2^n written into the exponent bits. n = round(v/ln2) comes from adding
// 1.5·2^m (m = the mantissa width), which leaves n in the low bits of the sum. v is clamped to where
// 2^n is a normal number.
template <class T>
struct ExpConstants;
template <>
struct ExpConstants<double> {
  static constexpr double kLo = -708, kHi = 709, kRound = 0x1.8p52;
  static constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  static constexpr int kMantissa = 52;
  static constexpr std::int64_t kOneBits = 0x3FF0000000000000;
  static constexpr double kCoeffs[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                                       1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,
                                       1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,        0.5,
                                       1.0,                1.0};
};
template <>
struct ExpConstants<float> {
  static constexpr float kLo = -87, kHi = 88, kRound = 0x1.8p23f;
  static constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  static constexpr int kMantissa = 23;
  static constexpr std::int32_t kOneBits = 0x3F800000;
  static constexpr float kCoeffs[] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
};

template <class T>
[[gnu::always_inline]] inline void exp_in_place(typename Simd<T>::V& v) {
  using V = typename Simd<T>::V;
  using I = typename Simd<T>::I;
  using K = ExpConstants<T>;
  const V lo = V{} + K::kLo, hi = V{} + K::kHi;
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  const V t = v * static_cast<T>(1.4426950408889634) + K::kRound;  // log2(e)
  const V n = t - K::kRound;
  const V r = (v - n * K::kLn2Hi) - n * K::kLn2Lo;
  V p = V{} + K::kCoeffs[0];
  for (std::size_t c = 1; c < std::size(K::kCoeffs); ++c) p = p * r + K::kCoeffs[c];
  const I bits = (__builtin_bit_cast(I, t) << K::kMantissa) + K::kOneBits;  // 2^n
  v = p * __builtin_bit_cast(V, bits);
}

// out[k] = f(in[k]) for n values, a vector at a time (the tail through a zero-padded buffer).
template <class T, class F>
[[gnu::always_inline]] inline void map_lanes(const T* in, T* out, Index n, F f) {
  constexpr int L = Simd<T>::kLanes;
  Index k = 0;
  typename Simd<T>::V v;
  for (; k + L <= n; k += L) {
    v = at(in + k);
    f(v);
    at(out + k) = v;
  }
  if (k < n) {
    T buf[L] = {};
    const auto rest = static_cast<std::size_t>(n - k);
    std::memcpy(buf, in + k, rest * sizeof(T));
    v = at(buf);
    f(v);
    at(buf) = v;
    std::memcpy(out + k, buf, rest * sizeof(T));
  }
}

// σ(z) = 1 / (1 + e^{-z}) and tanh(z) = 1 − 2 / (e^{2z} + 1) (absolute error ~1e-16 in float64,
// ~1e-7 in float32) over n values.
template <class T>
[[gnu::always_inline]] inline void sigmoid_impl(const T* z, T* out, Index n) {
  map_lanes(z, out, n, [](typename Simd<T>::V& v) {
    v = -v;
    exp_in_place<T>(v);
    v = T(1) / (T(1) + v);
  });
}
template <class T>
[[gnu::always_inline]] inline void tanh_impl(const T* z, T* out, Index n) {
  map_lanes(z, out, n, [](typename Simd<T>::V& v) {
    v = v + v;
    exp_in_place<T>(v);
    v = T(1) - T(2) / (v + T(1));
  });
}

// The ratios of one lrp_linear map: q_j = r_j / (y_j + ε σ_j) with σ_j = sign(y_j) (q_j = 0 where
// that denominator is 0). Returns Σ_j (b_j + ε σ_j) q_j, the numerator of the bias-factor share
// (b = nullptr: a map without bias). The sum runs in the vector lanes.
template <class T>
[[gnu::always_inline]] inline double lrp_ratios_impl(const T* y, const T* r, const T* b, T eps, T* q, Index n) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  const V zero = V{}, one = V{} + T(1), minus_one = V{} - T(1);
  V acc = zero;
  Index j = 0;
  for (; j + L <= n; j += L) {
    const V yv = at(y + j);
    const V s = yv >= 0 ? one : minus_one;
    const V den = yv + eps * s;
    const V qv = den == 0 ? zero : at(r + j) / den;
    at(q + j) = qv;
    acc += (b != nullptr ? at(b + j) + eps * s : eps * s) * qv;
  }
  double sum = lane_sum<T>(acc);
  for (; j < n; ++j) {
    const T s = y[j] >= 0 ? T(1) : T(-1);
    const T den = y[j] + eps * s;
    q[j] = den == 0 ? T(0) : r[j] / den;
    sum += ((b != nullptr ? b[j] : T(0)) + eps * s) * q[j];
  }
  return sum;
}

// The recurrent map's matrix W [n_in x n_out] (row-major) cut into column panels of 8 vectors
// (the last one narrower), each stored contiguously [n_in x width]: add_xw_panels then streams W
// from L2 in one sequential pass per panel instead of n_in strided pieces.
template <class T>
std::vector<T> to_panels(const MatX<T>& w) {
  constexpr Index kWidth = 8 * Simd<T>::kLanes;
  const Index n_in = w.rows(), n_out = w.cols();
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(w.size()));
  for (Index j = 0; j < n_out; j += kWidth) {
    const Index width = std::min(kWidth, n_out - j);
    for (Index k = 0; k < n_in; ++k) out.insert(out.end(), w.row(k).data() + j, w.row(k).data() + j + width);
  }
  return out;
}
template <class T>
[[gnu::always_inline]] inline void add_xw_panels_impl(const T* x, Index n_in, const T* panels, Index n_out, T* y) {
  constexpr Index kWidth = 8 * Simd<T>::kLanes;
  for (Index j = 0; j < n_out; j += kWidth) {
    const Index width = std::min(kWidth, n_out - j);
    add_xw_impl(x, n_in, panels + j * n_in, width, width, y + j);
  }
}

// The entry points, one per precision.
TEXTLRP_KERNEL void add_xw_panels(const double* x, Index n_in, const double* panels, Index n_out, double* y) {
  add_xw_panels_impl(x, n_in, panels, n_out, y);
}
TEXTLRP_KERNEL void add_xw_panels(const float* x, Index n_in, const float* panels, Index n_out, float* y) {
  add_xw_panels_impl(x, n_in, panels, n_out, y);
}
TEXTLRP_KERNEL void add_xw(const double* x, Index n_in, const double* w, Index ldw, Index n_out, double* y) {
  add_xw_impl(x, n_in, w, ldw, n_out, y);
}
TEXTLRP_KERNEL void add_xw(const float* x, Index n_in, const float* w, Index ldw, Index n_out, float* y) {
  add_xw_impl(x, n_in, w, ldw, n_out, y);
}
TEXTLRP_KERNEL void add_xw_rows(const double* x, Index n_rows, Index n_in, const double* w, Index n_out, double* y) {
  add_xw_rows_impl(x, n_rows, n_in, w, n_out, y);
}
TEXTLRP_KERNEL void add_xw_rows(const float* x, Index n_rows, Index n_in, const float* w, Index n_out, float* y) {
  add_xw_rows_impl(x, n_rows, n_in, w, n_out, y);
}
TEXTLRP_KERNEL void sigmoid(const double* z, double* out, Index n) { sigmoid_impl(z, out, n); }
TEXTLRP_KERNEL void sigmoid(const float* z, float* out, Index n) { sigmoid_impl(z, out, n); }
TEXTLRP_KERNEL void tanh_of(const double* z, double* out, Index n) { tanh_impl(z, out, n); }
TEXTLRP_KERNEL void tanh_of(const float* z, float* out, Index n) { tanh_impl(z, out, n); }
TEXTLRP_KERNEL double lrp_ratios(const double* y, const double* r, const double* b, double eps, double* q, Index n) {
  return lrp_ratios_impl(y, r, b, eps, q, n);
}
TEXTLRP_KERNEL double lrp_ratios(const float* y, const float* r, const float* b, float eps, float* q, Index n) {
  return lrp_ratios_impl(y, r, b, eps, q, n);
}

#undef TEXTLRP_KERNEL

// The gate rule on a product p = gate ⊙ signal with relevance r [n]: writes the gate's share to
// r_gate and the signal's to r_signal (r may be r_signal itself). See the header.
template <class T>
void split_product(GateRule rule, const T* gate, const T* signal, const T* r, T* r_gate, T* r_signal, Index n) {
  switch (rule) {
    case GateRule::kSignalTakeAll:
      for (Index k = 0; k < n; ++k) {
        r_gate[k] = 0;
        r_signal[k] = r[k];
      }
      return;
    case GateRule::kHalf:
      for (Index k = 0; k < n; ++k) {
        r_gate[k] = T(0.5) * r[k];
        r_signal[k] = T(0.5) * r[k];
      }
      return;
    case GateRule::kProportional:
      for (Index k = 0; k < n; ++k) {
        const T ug = std::abs(gate[k]), us = std::abs(signal[k]);
        const T share = ug + us > 0 ? ug / (ug + us) : T(0.5);  // the gate's fraction, in [0, 1]
        const T rk = r[k];                                       // r may alias r_signal
        r_gate[k] = share * rk;
        r_signal[k] = rk - r_gate[k];
      }
      return;
  }
}

// The sigmoid gates' rows (blocks i, f, o of the gate map) under half and proportional: the ratio
// q_j that passes their relevance R_j = R(σ(z_j)) on to the inputs (R_i = x_i w_ji q_j),
// overwriting what lrp_ratios wrote there. Not the ε-rule's q_j = R_j/(z_j + εσ_j): that assumes a
// unit whose value, and so its relevance, vanishes with its pre-activation (as tanh(z) and the
// identity do), but σ(0) = 1/2, so R_j does not vanish where z_j crosses 0 and q_j reached R_j/ε:
// with ε = 0.001 one gate's inputs got ±1000·R_j that cancel, compounded over the time steps (up to
// 2.9e8 on SST for a score of 0.99). Instead the gate's value is split into its constant σ(0) = 1/2
// and the part the inputs move, u_j = σ(z_j) − 1/2 (the sign of z_j), and R_j is shared between
// the two in proportion to their magnitudes, as the proportional gate rule shares a product:
//   the inputs (through z_j, as the ε-rule shares z_j):  |u_j|/(|u_j| + 1/2)·R_j,
//       q_j = |u_j|/(|u_j| + 1/2) / z_j · R_j = |t_j| / ((1 + |t_j|)·z_j) · R_j,  t_j = tanh(z_j/2) = 2u_j
//   the constant 1/2 keeps the rest, 1/(2|u_j| + 1)·R_j (>= R_j/2), like a bias.
// |q_j| <= |R_j|/2 for every z_j (|t_j|/|z_j| <= 1/2; at z_j = 0 q_j = R_j/2, sign(0) = +1), so no
// denominator amplifies anything, and the inputs' total z_j·q_j is a fraction in [0, 1/2) of R_j.
// Arithmetic in float64 in either precision. Returns Σ_j (R_j − (z_j − b_j)·q_j) over these rows:
// what the biases and the constants keep, for the bias-factor share (so that bias factor 1 still
// conserves relevance exactly).
template <class T>
double sigmoid_gate_ratios(const T* z, const T* r, const T* b, T* q, Index H) {
  double kept = 0;
  for (const Index block : {Index(0), 2 * H, 3 * H}) {
    for (Index k = block; k < block + H; ++k) {
      const double zk = z[k], rk = r[k];
      const double t = std::abs(std::tanh(0.5 * zk));
      const double ratio = std::abs(zk) > 1e-8 ? t / ((1 + t) * zk) : 0.5;  // t/z -> 1/2 as z -> 0
      q[k] = static_cast<T>(ratio * rk);
      kept += rk - (zk - static_cast<double>(b[k])) * static_cast<double>(q[k]);
    }
  }
  return kept;
}

double epsilon_of(const Rule& rule, const std::string& role) {
  if (const auto* e = std::get_if<rules::Epsilon>(&rule)) return e->epsilon;
  if (std::holds_alternative<rules::Zero>(rule)) return 0.0;
  throw InvalidArgument(fmt::format(
      "rule {} for role '{}' is not supported by architecture bilstm: it supports zero and epsilon(e) on every "
      "linear connection (the lrp_linear rule of Arras et al. 2017); choose the gate rule with --lstm-rule "
      "signal-take-all|half|proportional and the bias share with --bias-factor",
      to_string(rule), role));
}

}  // namespace

BiLstmClassifier::BiLstmClassifier(std::vector<std::string> labels, BiLstmWeights weights, Index max_tokens)
    : labels_(std::move(labels)), weights_(std::move(weights)), max_tokens_(max_tokens) {
  if (max_tokens_ < 1) throw InvalidArgument(fmt::format("bilstm: max_tokens must be >= 1, got {}", max_tokens_));
  const BiLstmWeights& w = weights_;
  const Index E = w.embedding.cols();
  const Index H = w.left.w_hh.cols();
  const Index C = w.fc_left.rows();
  if (E < 1 || H < 1 || C < 1) {
    throw InvalidArgument(fmt::format("bilstm: needs n_embd, n_hidden and n_classes >= 1, got {}, {}, {}", E, H, C));
  }
  std::vector<std::string> problems;
  auto check = [&](const std::string& name, Index rows, Index cols, Index want_rows, Index want_cols) {
    if (rows != want_rows || cols != want_cols) {
      problems.push_back(
          fmt::format("{} is {}, expected {}", name, shape_string(rows, cols), shape_string(want_rows, want_cols)));
    }
  };
  for (const auto& [side, lw] : {std::pair<const char*, const LstmWeights*>{"left", &w.left}, {"right", &w.right}}) {
    check(fmt::format("{}.w_ih", side), lw->w_ih.rows(), lw->w_ih.cols(), 4 * H, E);
    check(fmt::format("{}.w_hh", side), lw->w_hh.rows(), lw->w_hh.cols(), 4 * H, H);
    check(fmt::format("{}.b_ih", side), lw->b_ih.size(), 1, 4 * H, 1);
    check(fmt::format("{}.b_hh", side), lw->b_hh.size(), 1, 4 * H, 1);
  }
  check("fc_right", w.fc_right.rows(), w.fc_right.cols(), C, H);
  check("fc_left", w.fc_left.rows(), w.fc_left.cols(), C, H);
  if (w.fc_bias.size() != 0 && w.fc_bias.size() != C) {
    problems.push_back(fmt::format("fc_bias has {} entries, expected {} or none", w.fc_bias.size(), C));
  }
  if (static_cast<Index>(labels_.size()) != C) {
    problems.push_back(fmt::format("{} labels for {} classes", labels_.size(), C));
  }
  if (!problems.empty()) throw InvalidArgument("bilstm: " + join(problems));
  const bool finite = w.embedding.allFinite() && w.left.w_ih.allFinite() && w.left.w_hh.allFinite() &&
                      w.left.b_ih.allFinite() && w.left.b_hh.allFinite() && w.right.w_ih.allFinite() &&
                      w.right.w_hh.allFinite() && w.right.b_ih.allFinite() && w.right.b_hh.allFinite() &&
                      w.fc_left.allFinite() && w.fc_right.allFinite() && w.fc_bias.allFinite();
  if (!finite) throw InvalidArgument("bilstm: the weights hold NaN or infinite values");
  p64_ = pack<double>(w);
  p32_ = pack<float>(w);
  float32_ok_ = p32_.w_ih_t_both.allFinite() && p32_.bias_both.allFinite() && p32_.w_hh[0].allFinite() &&
                p32_.w_hh[1].allFinite() && p32_.fc[0].allFinite() && p32_.fc[1].allFinite() &&
                p32_.fc_bias.allFinite() && (w.embedding.array().abs() <= std::numeric_limits<float>::max()).all();
}

template <class T>
BiLstmClassifier::Packed<T> BiLstmClassifier::pack(const BiLstmWeights& w) {
  const Index E = w.embedding.cols(), H = w.left.w_hh.cols();
  Packed<T> p;
  p.w_ih_t_both.resize(E, 8 * H);
  p.w_ih_t_both.leftCols(4 * H) = w.left.w_ih.transpose().cast<T>();
  p.w_ih_t_both.rightCols(4 * H) = w.right.w_ih.transpose().cast<T>();
  p.bias_both.resize(8 * H);  // summed in float64, then rounded
  p.bias_both.head(4 * H) = (w.left.b_ih + w.left.b_hh).cast<T>();
  p.bias_both.tail(4 * H) = (w.right.b_ih + w.right.b_hh).cast<T>();
  int k = 0;
  for (const LstmWeights* lw : {&w.left, &w.right}) {
    p.w_hh_t[k] = to_panels<T>(lw->w_hh.transpose().cast<T>());
    p.w_hh[k] = lw->w_hh.cast<T>();
    p.w_ih[k] = lw->w_ih.cast<T>();
    ++k;
  }
  p.fc[0] = w.fc_left.cast<T>();
  p.fc[1] = w.fc_right.cast<T>();
  p.fc_bias = w.fc_bias.cast<T>();
  return p;
}

template <>
const BiLstmClassifier::Packed<double>& BiLstmClassifier::packed<double>() const {
  return p64_;
}
template <>
const BiLstmClassifier::Packed<float>& BiLstmClassifier::packed<float>() const {
  return p32_;
}

std::unique_ptr<BiLstmClassifier> BiLstmClassifier::load(const std::filesystem::path& dir,
                                                         const nlohmann::json& config) {
  const std::string where = (dir / "config.json").string();
  const auto labels = config.at("labels").get<std::vector<std::string>>();
  const auto& hyper = config.at("hyper");
  std::int64_t V = 0, E = 0, H = 0, C = 0, max_tokens = kBiLstmDefaultMaxTokens;
  bool fc_bias = false;
  try {
    max_tokens = hyper.value("max_tokens", static_cast<std::int64_t>(kBiLstmDefaultMaxTokens));
    V = hyper.at("n_vocab").get<std::int64_t>();
    E = hyper.at("n_embd").get<std::int64_t>();
    H = hyper.at("n_hidden").get<std::int64_t>();
    C = hyper.value("n_classes", static_cast<std::int64_t>(labels.size()));
    fc_bias = hyper.value("fc_bias", false);
    const std::string order = hyper.value("gate_order", std::string(kGateOrder));
    if (order != kGateOrder) {
      throw FormatError(
          fmt::format("{}: hyper.gate_order '{}' is not supported (expected {})", where, order, kGateOrder));
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: \"hyper\" of architecture bilstm: {}", where, e.what()));
  }
  if (V < 0 || E < 1 || H < 1 || C < 1 || max_tokens < 1) {
    throw FormatError(fmt::format(
        "{}: \"hyper\" needs n_vocab >= 0 and n_embd, n_hidden, n_classes, max_tokens >= 1, got {}", where,
        hyper.dump()));
  }
  if (C != static_cast<std::int64_t>(labels.size())) {
    throw FormatError(fmt::format("{}: hyper.n_classes is {} but there are {} labels", where, C, labels.size()));
  }
  const TensorStore store = TensorStore::load(dir / "model.safetensors");
  std::vector<Expected> expected = {{kEmbedding, {V, E}}};
  for (const char* suffix : {"", "_reverse"}) {
    expected.push_back({fmt::format("lstm.weight_ih_l0{}", suffix), {4 * H, E}});
    expected.push_back({fmt::format("lstm.weight_hh_l0{}", suffix), {4 * H, H}});
    expected.push_back({fmt::format("lstm.bias_ih_l0{}", suffix), {4 * H}});
    expected.push_back({fmt::format("lstm.bias_hh_l0{}", suffix), {4 * H}});
  }
  expected.push_back({kFcLeft, {C, H}});
  expected.push_back({kFcRight, {C, H}});
  if (fc_bias) expected.push_back({kFcBias, {C}});
  check_tensors(store, expected, "architecture bilstm");
  const auto order = store.metadata().find("textlrp.gate_order");
  if (order != store.metadata().end() && order->second != kGateOrder) {
    throw FormatError(
        fmt::format("{}: gate order '{}' is not supported (expected {})", store.name(), order->second, kGateOrder));
  }
  BiLstmWeights w;
  w.embedding = read_matrix(store, kEmbedding, V, E);
  for (const auto& [suffix, lw] : {std::pair<const char*, LstmWeights*>{"", &w.left}, {"_reverse", &w.right}}) {
    lw->w_ih = read_matrix(store, fmt::format("lstm.weight_ih_l0{}", suffix), 4 * H, E);
    lw->w_hh = read_matrix(store, fmt::format("lstm.weight_hh_l0{}", suffix), 4 * H, H);
    lw->b_ih = read_vector(store, fmt::format("lstm.bias_ih_l0{}", suffix), 4 * H);
    lw->b_hh = read_vector(store, fmt::format("lstm.bias_hh_l0{}", suffix), 4 * H);
  }
  w.fc_left = read_matrix(store, kFcLeft, C, H);
  w.fc_right = read_matrix(store, kFcRight, C, H);
  if (fc_bias) w.fc_bias = read_vector(store, kFcBias, C);
  try {
    return std::make_unique<BiLstmClassifier>(labels, std::move(w), max_tokens);
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("{}: {}", store.name(), e.what()));
  }
}

std::unique_ptr<BiLstmClassifier> BiLstmClassifier::from_pytorch(const TensorStore& store,
                                                                 std::vector<std::string> labels, Index max_tokens) {
  // "lstm." as in a module attribute named lstm, or bare nn.LSTM names.
  const auto names = store.names();
  const bool prefixed =
      std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.rfind("lstm.", 0) == 0; });
  const std::string p = prefixed ? "lstm." : "";
  auto dims = [&](const std::string& name) -> std::vector<std::int64_t> {
    return store.contains(name) ? store.info(name).shape : std::vector<std::int64_t>{};
  };
  // Read the sizes off whatever shapes are there; check_tensors() then reports every problem
  // (with '?' for sizes that could not be inferred).
  std::int64_t V = -1, E = -1, H = -1, C = -1;
  const auto emb = dims(kEmbedding);
  if (emb.size() == 2) {
    V = emb[0];
    E = emb[1];
  }
  for (const char* suffix : {"", "_reverse"}) {
    const auto hh = dims(p + "weight_hh_l0" + suffix);
    const auto ih = dims(p + "weight_ih_l0" + suffix);
    if (H < 0 && hh.size() == 2) H = hh[1];
    if (E < 0 && ih.size() == 2) E = ih[1];
  }
  const auto fcw = dims(kFcWeight);
  const auto fcb = dims(kFcBias);
  if (H < 0 && fcw.size() == 2 && fcw[1] % 2 == 0) H = fcw[1] / 2;
  C = fcw.size() == 2 ? fcw[0] : (fcb.size() == 1 ? fcb[0] : -1);
  std::vector<Expected> expected = {{kEmbedding, {V, E}}};
  for (const char* suffix : {"", "_reverse"}) {
    expected.push_back({p + "weight_ih_l0" + suffix, {H < 0 ? -1 : 4 * H, E}});
    expected.push_back({p + "weight_hh_l0" + suffix, {H < 0 ? -1 : 4 * H, H}});
    expected.push_back({p + "bias_ih_l0" + suffix, {H < 0 ? -1 : 4 * H}});
    expected.push_back({p + "bias_hh_l0" + suffix, {H < 0 ? -1 : 4 * H}});
  }
  expected.push_back({kFcWeight, {C, H < 0 ? -1 : 2 * H}});
  const bool has_fc_bias = store.contains(kFcBias);
  if (has_fc_bias) expected.push_back({kFcBias, {C}});
  check_tensors(store, expected, "PyTorch bidirectional nn.LSTM with embedding and fc");
  if (!labels.empty() && static_cast<std::int64_t>(labels.size()) != C) {
    throw InvalidArgument(fmt::format("{} labels given, but {} has {} classes (fc.weight {})", labels.size(),
                                      store.name(), C, shape_string(fcw)));
  }
  BiLstmWeights w;
  w.embedding = read_matrix(store, kEmbedding, V, E);
  for (const auto& [suffix, lw] : {std::pair<const char*, LstmWeights*>{"", &w.left}, {"_reverse", &w.right}}) {
    lw->w_ih = swap_f_g(read_matrix(store, p + "weight_ih_l0" + suffix, 4 * H, E), H);
    lw->w_hh = swap_f_g(read_matrix(store, p + "weight_hh_l0" + suffix, 4 * H, H), H);
    lw->b_ih = swap_f_g(read_vector(store, p + "bias_ih_l0" + suffix, 4 * H), H);
    lw->b_hh = swap_f_g(read_vector(store, p + "bias_hh_l0" + suffix, 4 * H), H);
  }
  const MatD fc = read_matrix(store, kFcWeight, C, 2 * H);  // [C x 2H]
  w.fc_left = fc.leftCols(H);
  w.fc_right = fc.rightCols(H);
  if (has_fc_bias) w.fc_bias = read_vector(store, kFcBias, C);
  return std::make_unique<BiLstmClassifier>(default_labels(std::move(labels), C), std::move(w), max_tokens);
}

std::unique_ptr<BiLstmClassifier> BiLstmClassifier::from_arras(const std::filesystem::path& dir,
                                                               const std::filesystem::path& embeddings,
                                                               std::vector<std::string> labels) {
  // Every file is read first; then all problems (unreadable files, wrong shapes) go into one message.
  std::vector<std::string> problems;
  std::map<std::string, NpyArray> arrays;
  auto read = [&](const std::string& key, const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      problems.push_back(fmt::format("missing file {}", path.string()));
      return;
    }
    try {
      arrays[key] = read_npy(path);
    } catch (const Error& e) {
      problems.push_back(e.what());
    }
  };
  const char* kFiles[] = {"Wxh", "bxh", "Whh", "bhh", "Why"};
  for (const char* side : {"Left", "Right"}) {
    for (const char* f : kFiles) {
      const std::string key = fmt::format("{}_{}", f, side);
      read(key, dir / (key + ".npy"));
    }
  }
  read("embeddings", embeddings);
  auto shape_of = [&](const std::string& key) -> std::vector<std::int64_t> {
    const auto it = arrays.find(key);
    return it == arrays.end() ? std::vector<std::int64_t>{} : it->second.shape;
  };
  // Sizes from the weights first, so that an embedding matrix that does not fit is the one blamed.
  std::int64_t V = -1, E = -1, H = -1, C = -1;
  if (const auto s = shape_of("Wxh_Left"); s.size() == 2) E = s[1];
  if (const auto s = shape_of("Whh_Left"); s.size() == 2) H = s[1];
  if (const auto s = shape_of("embeddings"); s.size() == 2) {
    V = s[0];
    if (E < 0) E = s[1];
  }
  if (const auto s = shape_of("Why_Left"); s.size() == 2) {
    C = s[0];
    if (H < 0) H = s[1];
  }
  const std::int64_t G = H < 0 ? -1 : 4 * H;
  const std::map<std::string, std::vector<std::int64_t>> expected = {
      {"Wxh_Left", {G, E}}, {"bxh_Left", {G}},     {"Whh_Left", {G, H}},  {"bhh_Left", {G}},
      {"Why_Left", {C, H}}, {"Wxh_Right", {G, E}}, {"bxh_Right", {G}},    {"Whh_Right", {G, H}},
      {"bhh_Right", {G}},   {"Why_Right", {C, H}}, {"embeddings", {V, E}}};
  for (const auto& [key, shape] : expected) {
    const auto it = arrays.find(key);
    if (it == arrays.end()) continue;  // already reported
    if (!shape_matches(it->second.shape, shape)) {
      const std::string file = key == "embeddings" ? embeddings.string() : (dir / (key + ".npy")).string();
      problems.push_back(
          fmt::format("{} has shape {}, expected {}", file, shape_string(it->second.shape), shape_string(shape)));
    }
  }
  if (!problems.empty()) throw FormatError(fmt::format("{} (arras-bilstm): {}", dir.string(), join(problems)));
  if (!labels.empty() && static_cast<std::int64_t>(labels.size()) != C) {
    throw InvalidArgument(
        fmt::format("{} labels given, but {} has {} classes", labels.size(), (dir / "Why_Left.npy").string(), C));
  }
  auto mat = [&](const std::string& key) -> MatD {
    const NpyArray& a = arrays.at(key);
    return Eigen::Map<const MatD>(a.data.data(), a.shape[0], a.shape[1]);
  };
  auto vec = [&](const std::string& key) -> VecD {
    const NpyArray& a = arrays.at(key);
    return Eigen::Map<const VecD>(a.data.data(), a.shape[0]);
  };
  BiLstmWeights w;
  w.embedding = mat("embeddings");
  for (const auto& [side, lw] : {std::pair<std::string, LstmWeights*>{"Left", &w.left}, {"Right", &w.right}}) {
    lw->w_ih = mat("Wxh_" + side);
    lw->w_hh = mat("Whh_" + side);
    lw->b_ih = vec("bxh_" + side);
    lw->b_hh = vec("bhh_" + side);
  }
  w.fc_left = mat("Why_Left");
  w.fc_right = mat("Why_Right");
  return std::make_unique<BiLstmClassifier>(default_labels(std::move(labels), C), std::move(w));
}

RuleMap BiLstmClassifier::default_rules() const {
  return RuleMap({{"lstm", rules::Epsilon{0.001}}, {"fc", rules::Epsilon{0.001}}});
}

RuleMap BiLstmClassifier::resolve_rules(const RuleMap& requested) const {
  std::map<std::string, Rule> merged = default_rules().rules();
  for (const auto& [role, rule] : requested.rules()) {
    if (!merged.count(role)) {
      throw InvalidArgument(fmt::format("unknown layer role '{}' for architecture bilstm; its roles: fc, lstm", role));
    }
    merged[role] = rule;
  }
  return RuleMap(std::move(merged));
}

template <class T>
void BiLstmClassifier::run_direction(bool right, const MatX<T>& zx, LstmDirection<T>* d) const {
  const std::vector<T>& w_hh_t = packed<T>().w_hh_t[right ? 1 : 0];  // [H x 4H] in panels
  const Index T_ = zx.rows(), H = n_hidden(), G = 4 * H;
  const Index off = right ? G : 0;  // this direction's columns of zx
  d->z.resize(T_, G);
  d->gates.resize(T_, G);
  d->c.setZero(T_ + 1, H);
  d->h.setZero(T_ + 1, H);
  d->tanh_c.resize(T_, H);
  for (Index t = 0; t < T_; ++t) {
    const Index src = right ? T_ - 1 - t : t;  // sentence position read at step t
    d->z.row(t) = zx.row(src).segment(off, G);
    add_xw_panels(d->h.row(t).data(), H, w_hh_t.data(), G, d->z.row(t).data());  // += W_hh h_{t-1}: [1 x H]·[H x 4H]
    const T* z = d->z.row(t).data();
    T* a = d->gates.row(t).data();
    sigmoid(z, a, H);                      // i
    tanh_of(z + H, a + H, H);              // g
    sigmoid(z + 2 * H, a + 2 * H, 2 * H);  // f, o
    const T* c_prev = d->c.row(t).data();
    T* c = d->c.row(t + 1).data();
    T* tc = d->tanh_c.row(t).data();
    T* h = d->h.row(t + 1).data();
    for (Index k = 0; k < H; ++k) c[k] = a[2 * H + k] * c_prev[k] + a[k] * a[H + k];  // c_t = f⊙c_{t-1} + i⊙g
    tanh_of(c, tc, H);
    for (Index k = 0; k < H; ++k) h[k] = a[3 * H + k] * tc[k];  // h_t = o⊙tanh(c_t)
  }
}

// The scratch trace of forward() and forward_embedded() without a caller's trace: one per thread,
// kept between calls, so that scoring does not allocate (and glibc does not return and re-fault
// the pages) for sentences of the length of the previous one.
BiLstmClassifier::Trace& BiLstmClassifier::scratch_trace() {
  thread_local Trace scratch;
  return scratch;
}

template <class T>
void BiLstmClassifier::forward_trace(LstmTrace<T>* tr) const {
  const Packed<T>& p = packed<T>();
  const Index T_ = tr->x.rows(), H = n_hidden();
  tr->zx.resize(T_, 8 * H);  // [T x 8H] W_ih x_t + b_ih + b_hh of both directions, sentence order
  for (Index t = 0; t < T_; ++t) tr->zx.row(t) = p.bias_both.transpose();
  add_xw_rows(tr->x.data(), T_, n_embd(), p.w_ih_t_both.data(), 8 * H, tr->zx.data());  // += x · [W_ih_l; W_ih_r]ᵀ
  run_direction(false, tr->zx, &tr->left);
  run_direction(true, tr->zx, &tr->right);
  tr->scores.noalias() = p.fc[0] * tr->left.h.row(T_).transpose();  // [C]
  tr->scores.noalias() += p.fc[1] * tr->right.h.row(T_).transpose();
  if (p.fc_bias.size() > 0) tr->scores += p.fc_bias;
}

VecD BiLstmClassifier::forward_embedded(const MatD& x, Trace* trace) const {
  TEXTLRP_ASSERT(x.cols() == n_embd());
  Trace* tr = trace != nullptr ? trace : &scratch_trace();
  if (&x != &tr->x) tr->x = x;
  forward_trace(tr);
  return tr->scores;
}

template <class T>
VecX<T> BiLstmClassifier::forward_ids(std::span<const TokenId> ids, LstmTrace<T>* tr) const {
  const Index T_ = static_cast<Index>(ids.size()), V = n_vocab();
  tr->x.resize(T_, n_embd());  // [T x E]
  for (Index t = 0; t < T_; ++t) {
    const TokenId id = ids[static_cast<std::size_t>(t)];
    if (id >= 0 && id < V) {
      tr->x.row(t) = weights_.embedding.row(id).template cast<T>();
    } else {
      tr->x.row(t).setZero();
    }
  }
  forward_trace(tr);
  return tr->scores;
}

VecD BiLstmClassifier::forward(std::span<const TokenId> ids, Trace* trace) const {
  return forward_ids(ids, trace != nullptr ? trace : &scratch_trace());
}

VecF BiLstmClassifier::forward(std::span<const TokenId> ids, Trace32* trace) const {
  TEXTLRP_ASSERT(trace != nullptr);
  return forward_ids(ids, trace);
}

Vec BiLstmClassifier::scores(std::span<const TokenId> ids) const {
  return forward(ids.first(std::min(ids.size(), static_cast<std::size_t>(max_tokens_)))).cast<Scalar>();
}

MatD BiLstmClassifier::gradient_direction(bool right, const Trace& trace, const VecD& grad_h_last) const {
  const Direction& d = right ? trace.right : trace.left;
  const LstmWeights& w = right ? weights_.right : weights_.left;
  const Index T = d.z.rows(), H = n_hidden(), G = 4 * H;
  MatD dz(T, G);  // [T x 4H] ∂/∂z_t
  VecD dh = grad_h_last, dc = VecD::Zero(H);
  for (Index t = T - 1; t >= 0; --t) {
    const double* a = d.gates.row(t).data();
    const double* tc = d.tanh_c.row(t).data();
    const double* c_prev = d.c.row(t).data();
    double* g = dz.row(t).data();
    for (Index k = 0; k < H; ++k) {
      const double i = a[k], gg = a[H + k], f = a[2 * H + k], o = a[3 * H + k];
      const double d_o = dh[k] * tc[k];
      const double d_c = dc[k] + dh[k] * o * (1 - tc[k] * tc[k]);
      g[k] = d_c * gg * i * (1 - i);                 // ∂z_i
      g[H + k] = d_c * i * (1 - gg * gg);            // ∂z_g
      g[2 * H + k] = d_c * c_prev[k] * f * (1 - f);  // ∂z_f
      g[3 * H + k] = d_o * o * (1 - o);              // ∂z_o
      dc[k] = d_c * f;
    }
    dh.setZero();
    add_xw(g, G, w.w_hh.data(), H, H, dh.data());  // W_hhᵀ ∂z_t: [1 x 4H]·[4H x H]
  }
  MatD gx = MatD::Zero(T, n_embd());  // [T x E] ∂z · W_ih, reading order
  add_xw_rows(dz.data(), T, G, w.w_ih.data(), n_embd(), gx.data());
  if (right) return gx.colwise().reverse();
  return gx;
}

MatD BiLstmClassifier::gradient(const Trace& trace, const VecD& grad_scores) const {
  const VecD gl = weights_.fc_left.transpose() * grad_scores;   // [H]
  const VecD gr = weights_.fc_right.transpose() * grad_scores;  // [H]
  MatD g = gradient_direction(false, trace, gl);
  g += gradient_direction(true, trace, gr);
  return g;
}

template <class T>
double BiLstmClassifier::relevance_direction(bool right, const LstmTrace<T>& trace, const VecX<T>& r_h_last,
                                             const LrpSettings& st, MatX<T>* r_x) const {
  using Mat_ = MatX<T>;
  using Vec_ = VecX<T>;
  const LstmDirection<T>& d = right ? trace.right : trace.left;
  const Packed<T>& p = packed<T>();
  const int side = right ? 1 : 0;
  const Index T_ = d.z.rows(), H = n_hidden(), E = n_embd(), G = 4 * H;
  const T* bias = p.bias_both.data() + (right ? G : 0);  // b_ih + b_hh
  const T eps = static_cast<T>(st.eps_lstm);
  // Under signal-take-all only the g rows of the gate map carry relevance: work on those alone.
  const bool sta = st.gate_rule == GateRule::kSignalTakeAll;
  const Index row0 = sta ? H : 0, n_rows = sta ? H : G;
  Mat_ q(T_, n_rows);             // [T x rows] R(z_t)/(z_t + εσ): R(x_t) = x_t ⊙ (q_t W_ih) + γ_t after the loop
  Vec_ gamma(T_);                 // [T] the B share of the gate map, one scalar per step
  Vec_ rh = r_h_last;             // R(h_t)
  Vec_ rc = Vec_::Zero(H);        // R(c_t) from step t+1
  Vec_ rz = Vec_::Zero(G);        // R(z_t), gate blocks i, g, f, o
  Vec_ ra(H), rb(H), rc_prev(H);  // R(f⊙c_{t-1}), R(i⊙g), R(c_{t-1})
  Vec_ qc(H);                     // R(c_t)/(c_t + εσ)
  const double cell_share = st.bias_factor / static_cast<double>(2 * H);
  const double gate_share = st.bias_factor / static_cast<double>(E + H);
  for (Index t = T_ - 1; t >= 0; --t) {
    const T* a = d.gates.row(t).data();  // i, g, f, o
    const T* z = d.z.row(t).data();
    const T* c = d.c.row(t + 1).data();
    const T* c_prev = d.c.row(t).data();
    const T* tc = d.tanh_c.row(t).data();
    // h_t = o ⊙ tanh(c_t): the gate o gets R(o_t), the signal's part joins R(c_t).
    split_product(st.gate_rule, a + 3 * H, tc, rh.data(), rz.data() + 3 * H, rh.data(), H);
    rc += rh;
    // c_t = f⊙c_{t-1} + i⊙g: lrp_linear with the identity, N = 2H, in closed form.
    const T beta = static_cast<T>(cell_share * lrp_ratios(c, rc.data(), nullptr, eps, qc.data(), H));  // B·Σ_j ε σ_j q_j / N
    for (Index k = 0; k < H; ++k) {
      ra[k] = a[2 * H + k] * c_prev[k] * qc[k] + beta;
      rb[k] = a[k] * a[H + k] * qc[k] + beta;
    }
    split_product(st.gate_rule, a + 2 * H, c_prev, ra.data(), rz.data() + 2 * H, rc_prev.data(), H);
    split_product(st.gate_rule, a, a + H, rb.data(), rz.data(), rz.data() + H, H);
    // z_t = W_ih x_t + W_hh h_{t-1} + b: lrp_linear, N = E + H.
    T* qt = q.row(t).data();
    // The g rows (tanh, 0 at 0) by the ε-rule; under half and proportional the sigmoid rows i, f, o
    // carry relevance too and go through sigmoid_gate_ratios (see there: not the ε-rule).
    double kept = lrp_ratios(z + H, rz.data() + H, bias + H, eps, qt + H - row0, H);  // Σ_j (b_j + εσ_j) q_j
    if (!sta) kept += sigmoid_gate_ratios(z, rz.data(), bias, qt, H);
    gamma[t] = static_cast<T>(gate_share * kept);
    rh.setZero();
    add_xw(qt, n_rows, p.w_hh[side].data() + row0 * H, H, H, rh.data());  // q_t · W_hh[rows]: [H]
    rh.array() = rh.array() * d.h.row(t).transpose().array() + gamma[t];  // R(h_{t-1})
    rc = rc_prev;                                                         // R(c_{t-1})
  }
  const double r_rest = static_cast<double>(rh.sum()) + static_cast<double>(rc.sum());  // R(h_{-1}) + R(c_{-1})
  Mat_ pr = Mat_::Zero(T_, E);  // [T x E] q · W_ih[rows], reading order
  add_xw_rows(q.data(), T_, n_rows, p.w_ih[side].data() + row0 * E, E, pr.data());
  r_x->resize(T_, E);
  for (Index s = 0; s < T_; ++s) {
    const Index t = right ? T_ - 1 - s : s;
    r_x->row(s) = trace.x.row(s).cwiseProduct(pr.row(t));
    r_x->row(s).array() += gamma[t];
  }
  return r_rest;
}

template <class T>
LstmRelevance<T> BiLstmClassifier::relevance_of(const LstmTrace<T>& trace, int target,
                                                const LrpSettings& settings) const {
  TEXTLRP_ASSERT(target >= 0 && target < n_classes());
  const Packed<T>& p = packed<T>();
  const Index H = n_hidden();
  // Output layer: R = s_target on the target; lrp_linear over (hL, hR), N = 2H.
  const T y = trace.scores[target];
  const T sg = y >= 0 ? T(1) : T(-1);
  const T eps = static_cast<T>(settings.eps_fc);
  const T den = y + eps * sg;
  const T q = den != 0 ? y / den : T(0);
  const T b = p.fc_bias.size() > 0 ? p.fc_bias[target] : T(0);
  const T share = static_cast<T>(settings.bias_factor) * (b + eps * sg) / static_cast<T>(2 * H) * q;
  const Index T_ = trace.x.rows();
  const VecX<T> h_left = trace.left.h.row(T_).transpose();
  const VecX<T> h_right = trace.right.h.row(T_).transpose();
  const VecX<T> r_hl = (h_left.cwiseProduct(p.fc[0].row(target).transpose()) * q).array() + share;
  const VecX<T> r_hr = (h_right.cwiseProduct(p.fc[1].row(target).transpose()) * q).array() + share;
  LstmRelevance<T> r;
  r.r_rest = relevance_direction(false, trace, r_hl, settings, &r.x_left);
  r.r_rest += relevance_direction(true, trace, r_hr, settings, &r.x_right);
  return r;
}

BiLstmClassifier::Relevance BiLstmClassifier::relevance(const Trace& trace, int target,
                                                        const LrpSettings& settings) const {
  return relevance_of(trace, target, settings);
}

BiLstmClassifier::Relevance32 BiLstmClassifier::relevance(const Trace32& trace, int target,
                                                          const LrpSettings& settings) const {
  return relevance_of(trace, target, settings);
}

Explanation BiLstmClassifier::explain(std::span<const TokenId> all_ids, const ExplainOptions& options) const {
  // The model reads the first max_tokens tokens; the rest get relevance 0 (Explanation::truncated).
  const std::span<const TokenId> ids = all_ids.first(std::min(all_ids.size(), static_cast<std::size_t>(max_tokens_)));
  const RuleMap rules = resolve_rules(options.rules);
  if (options.method != Method::kLrp && (options.gate_rule || options.bias_factor)) {
    throw InvalidArgument(fmt::format("the LSTM gate rule and the bias factor apply to method lrp only, not {}",
                                      method_name(options.method)));
  }
  if (options.bias_factor && !std::isfinite(*options.bias_factor)) {
    throw InvalidArgument(fmt::format("bias factor must be a finite number, got {}", *options.bias_factor));
  }
  const Precision precision = options.precision.value_or(Precision::kFloat64);
  if (precision == Precision::kFloat32 && options.method != Method::kLrp) {
    throw InvalidArgument(fmt::format("precision float32 applies to method lrp only, not {} (it runs in float64)",
                                      method_name(options.method)));
  }
  if (precision == Precision::kFloat32 && !float32_ok_) {
    throw InvalidArgument("bilstm: precision float32 is not available: a weight is beyond float32's range");
  }
  const bool f32 = precision == Precision::kFloat32;
  thread_local Trace trace;  // this thread's scratch, kept between calls (see scratch_trace())
  thread_local Trace32 trace32;
  const VecD s = f32 ? forward(ids, &trace32).cast<double>().eval() : forward(ids, &trace);
  Explanation e;
  e.scores = s.cast<Scalar>();
  if (options.target >= static_cast<int>(labels_.size())) {
    throw InvalidArgument(
        fmt::format("target class {} is out of range (the model has {} classes)", options.target, labels_.size()));
  }
  if (options.target >= 0) {
    e.target = options.target;
  } else {
    Index best = 0;
    s.maxCoeff(&best);  // the first maximum, on float64 scores
    e.target = static_cast<int>(best);
  }
  const Index T = static_cast<Index>(ids.size());
  const auto n = static_cast<std::size_t>(T);
  e.relevance.assign(n, 0.0);
  const double score = s[e.target];
  switch (options.method) {
    case Method::kLrp: {
      LrpSettings st;
      st.eps_fc = epsilon_of(rules.at("fc"), "fc");
      st.eps_lstm = epsilon_of(rules.at("lstm"), "lstm");
      st.bias_factor = options.bias_factor.value_or(0.0);
      st.gate_rule = options.gate_rule.value_or(GateRule::kSignalTakeAll);
      e.rule = fmt::format("{}; lstm-rule {}; bias-factor {}{}", rules.to_string(), gate_rule_name(st.gate_rule),
                           st.bias_factor, f32 ? "; precision float32" : "");
      if (f32) {
        const Relevance32 r = relevance(trace32, e.target, st);
        for (Index t = 0; t < T; ++t) {
          e.relevance[static_cast<std::size_t>(t)] =
              r.x_left.row(t).cast<double>().sum() + r.x_right.row(t).cast<double>().sum();
        }
      } else {
        const Relevance r = relevance(trace, e.target, st);
        for (Index t = 0; t < T; ++t)
          e.relevance[static_cast<std::size_t>(t)] = r.x_left.row(t).sum() + r.x_right.row(t).sum();
      }
      break;
    }
    default: {
      Embedded in;
      in.x = trace.x;
      in.n_tokens = T;
      const std::vector<double> r =
          baselines::token_relevance(*this, in, ids.first(n), options.method, e.target, score, options);
      std::copy(r.begin(), r.end(), e.relevance.begin());
      break;
    }
  }
  const double sum = std::accumulate(e.relevance.begin(), e.relevance.end(), 0.0);
  e.bias_relevance = score - sum;
  e.truncated = ids.size() < all_ids.size();
  e.relevance.resize(all_ids.size(), 0.0);
  return e;
}

Embedded BiLstmClassifier::embed(std::span<const TokenId> all_ids) const {
  const std::span<const TokenId> ids = all_ids.first(std::min(all_ids.size(), static_cast<std::size_t>(max_tokens_)));
  const Index T_ = static_cast<Index>(ids.size()), V = n_vocab();
  Embedded out;
  out.x.resize(T_, n_embd());  // [T x E], as forward_ids()
  for (Index t = 0; t < T_; ++t) {
    const TokenId id = ids[static_cast<std::size_t>(t)];
    if (id >= 0 && id < V) {
      out.x.row(t) = weights_.embedding.row(id);
    } else {
      out.x.row(t).setZero();
    }
  }
  out.n_tokens = T_;
  return out;
}

// TODO(batched LSTM): one pass per input until the batched layer of lrp/layers/lstm exists.
MatD64 BiLstmClassifier::batch_scores(std::span<const MatD64> xs) const {
  MatD64 s(static_cast<Index>(xs.size()), n_classes());  // [B x C]
  Trace& tr = scratch_trace();
  for (std::size_t b = 0; b < xs.size(); ++b) s.row(static_cast<Index>(b)) = forward_embedded(xs[b], &tr).transpose();
  return s;
}

std::vector<MatD64> BiLstmClassifier::batch_gradients(std::span<const MatD64> xs, int target, MatD64* scores) const {
  TEXTLRP_ASSERT(target >= 0 && target < n_classes());
  VecD onehot = VecD::Zero(n_classes());  // [C]
  onehot[target] = 1;
  std::vector<MatD64> out;
  out.reserve(xs.size());
  if (scores != nullptr) scores->resize(static_cast<Index>(xs.size()), n_classes());
  Trace tr;
  for (std::size_t b = 0; b < xs.size(); ++b) {
    const VecD s = forward_embedded(xs[b], &tr);
    if (scores != nullptr) scores->row(static_cast<Index>(b)) = s.transpose();
    out.push_back(gradient(tr, onehot));
  }
  return out;
}

nlohmann::json BiLstmClassifier::save(const std::filesystem::path& dir) const {
  TensorWriter w;
  add_tensor(&w, kEmbedding, weights_.embedding);
  for (const auto& [suffix, lw] :
       {std::pair<const char*, const LstmWeights*>{"", &weights_.left}, {"_reverse", &weights_.right}}) {
    add_tensor(&w, fmt::format("lstm.weight_ih_l0{}", suffix), lw->w_ih);
    add_tensor(&w, fmt::format("lstm.weight_hh_l0{}", suffix), lw->w_hh);
    add_tensor(&w, fmt::format("lstm.bias_ih_l0{}", suffix), lw->b_ih);
    add_tensor(&w, fmt::format("lstm.bias_hh_l0{}", suffix), lw->b_hh);
  }
  add_tensor(&w, kFcLeft, weights_.fc_left);
  add_tensor(&w, kFcRight, weights_.fc_right);
  const bool fc_bias = weights_.fc_bias.size() > 0;
  if (fc_bias) add_tensor(&w, kFcBias, weights_.fc_bias);
  w.set_metadata("textlrp.format_version", "1");
  w.set_metadata("textlrp.architecture", "bilstm");
  w.set_metadata("textlrp.gate_order", kGateOrder);
  w.write(dir / "model.safetensors");
  return {{"n_vocab", n_vocab()},     {"n_embd", n_embd()}, {"n_hidden", n_hidden()},
          {"n_classes", n_classes()}, {"fc_bias", fc_bias}, {"gate_order", kGateOrder},
          {"max_tokens", max_tokens_}};
}

}  // namespace textlrp::lrp
