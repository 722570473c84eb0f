// The transformer's element-wise kernels (lrp/isa/bert_kernels.h), called at every level this CPU
// runs (not only the one cpu_isa() picked), against plain double-precision formulas with std::erf
// and std::exp: bias + GELU, the GELU backward factors (LXT identity rule and the true derivative),
// bias + residual + LayerNorm, its backward passes, the scaled row softmax and its backward pass.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_isa.h"
#include "lrp/isa/bert_kernels.h"
#include "tests/catch.h"

using namespace textlrp;

namespace {

using isa::isize;

struct BertKernels {
  std::string level;
  void (*bias_gelu)(float*, const float*, isize, isize, float*);
  void (*gelu_backward)(float*, const float*, isize, bool);
  void (*add_bias)(float*, const float*, isize, isize);
  void (*add_layer_norm)(const float*, const float*, const float*, isize, isize, const float*, const float*,
                         float, float*, float*, float*);
  void (*layer_norm_backward)(const float*, const float*, const float*, const float*, isize, isize, bool,
                              float*);
  void (*softmax_rows)(float*, isize, isize, isize, float);
  void (*softmax_backward)(const float*, const float*, isize, isize, float, float*);
};

#define TEXTLRP_BERT_KERNELS(NS)                                                                     \
  BertKernels {                                                                                      \
#NS, &NS::bert_bias_gelu, &NS::bert_gelu_backward, &NS::bert_add_bias, &NS::bert_add_layer_norm, \
        &NS::bert_layer_norm_backward, &NS::bert_softmax_rows, &NS::bert_softmax_backward            \
  }

std::vector<BertKernels> runnable() {
  std::vector<BertKernels> out;
#if TEXTLRP_ISA_MODE == 1
  const int best = static_cast<int>(detected_isa());
  out.push_back(TEXTLRP_BERT_KERNELS(isa_generic));
  if (best >= 1) out.push_back(TEXTLRP_BERT_KERNELS(isa_v2));
  if (best >= 2) out.push_back(TEXTLRP_BERT_KERNELS(isa_v3));
  if (best >= 3) out.push_back(TEXTLRP_BERT_KERNELS(isa_v4));
#elif TEXTLRP_ISA_MODE == 2
  out.push_back(TEXTLRP_BERT_KERNELS(isa_native));
#else
  out.push_back(TEXTLRP_BERT_KERNELS(isa_generic));
#endif
  return out;
}

std::vector<float> uniform(std::size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(gen);
  return v;
}

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double gelu_derivative(double x) {
  return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
}

}  // namespace

TEST_CASE("bert kernels: GELU and its backward factors at every runnable level match std::erf",
          "[lrp][isa][bert]") {
  const isize rows = 3, cols = 37;  // not a multiple of any vector width
  std::vector<float> u0 = uniform(static_cast<std::size_t>(rows * cols), -6.0f, 6.0f, 1);
  u0[0] = 0.0f;  // the identity rule's stabiliser: 0 · Φ(0) / 1e-10 = 0
  u0[1] = -40.0f;
  u0[2] = 40.0f;
  u0[3] = 1e-7f;
  const std::vector<float> bias = uniform(static_cast<std::size_t>(cols), -0.5f, 0.5f, 2);
  const std::vector<float> g0 = uniform(u0.size(), -1.0f, 1.0f, 3);
  for (const auto& k : runnable()) {
    INFO(k.level);
    std::vector<float> u = u0, m(u.size());
    k.bias_gelu(u.data(), bias.data(), rows, cols, m.data());
    for (isize i = 0; i < rows * cols; ++i) {
      const double x =
          static_cast<double>(u0[static_cast<std::size_t>(i)]) + bias[static_cast<std::size_t>(i % cols)];
      REQUIRE(u[static_cast<std::size_t>(i)] == Approx(x).margin(1e-6));
      REQUIRE(m[static_cast<std::size_t>(i)] == Approx(gelu(x)).epsilon(1e-5).margin(1e-6));
    }
    // In place (m == u), no bias.
    std::vector<float> v = u0;
    k.bias_gelu(v.data(), nullptr, rows, cols, v.data());
    for (std::size_t i = 0; i < v.size(); ++i)
      REQUIRE(v[i] == Approx(gelu(u0[i])).epsilon(1e-5).margin(1e-6));
    for (const bool lrp : {true, false}) {
      std::vector<float> g = g0;
      k.gelu_backward(g.data(), u0.data(), rows * cols, lrp);
      for (std::size_t i = 0; i < g.size(); ++i) {
        const double x = u0[i];
        const double f = lrp ? gelu(x) / (x + 1e-10) : gelu_derivative(x);
        INFO("lrp " << lrp << " u " << x);
        REQUIRE(g[i] == Approx(g0[i] * f).epsilon(1e-5).margin(1e-6));
      }
    }
    std::vector<float> y = u0;
    k.add_bias(y.data(), bias.data(), rows, cols);
    for (std::size_t i = 0; i < y.size(); ++i)
      REQUIRE(y[i] == u0[i] + bias[i % static_cast<std::size_t>(cols)]);
  }
}

TEST_CASE("bert kernels: LayerNorm with bias and residual, and both backward passes, at every runnable level",
          "[lrp][isa][bert]") {
  const isize rows = 4, cols = 29;
  const float eps = 1e-5f;
  const auto n = static_cast<std::size_t>(rows * cols);
  const std::vector<float> x = uniform(n, -2.0f, 3.0f, 4), res = uniform(n, -1.0f, 1.0f, 5);
  const std::vector<float> bias = uniform(static_cast<std::size_t>(cols), -1.0f, 1.0f, 6);
  const std::vector<float> gamma = uniform(static_cast<std::size_t>(cols), 0.5f, 1.5f, 7);
  const std::vector<float> beta = uniform(static_cast<std::size_t>(cols), -0.5f, 0.5f, 8);
  const std::vector<float> gy = uniform(n, -1.0f, 1.0f, 9);
  // Reference in double.
  std::vector<double> xhat(n), s(static_cast<std::size_t>(rows)), y(n), gx_lrp(n), gx_grad(n);
  for (isize r = 0; r < rows; ++r) {
    std::vector<double> p(static_cast<std::size_t>(cols));
    double mu = 0, var = 0;
    for (isize c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c);
      p[static_cast<std::size_t>(c)] = static_cast<double>(x[i]) + bias[static_cast<std::size_t>(c)] + res[i];
      mu += p[static_cast<std::size_t>(c)] / static_cast<double>(cols);
    }
    for (const double v : p) var += (v - mu) * (v - mu) / static_cast<double>(cols);
    const double sr = std::sqrt(var + eps);
    s[static_cast<std::size_t>(r)] = sr;
    double mh = 0, mhx = 0;
    for (isize c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c), cc = static_cast<std::size_t>(c);
      xhat[i] = (p[cc] - mu) / sr;
      y[i] = gamma[cc] * xhat[i] + beta[cc];
      mh += gamma[cc] * gy[i] / static_cast<double>(cols);
      mhx += gamma[cc] * gy[i] * xhat[i] / static_cast<double>(cols);
    }
    for (isize c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c), cc = static_cast<std::size_t>(c);
      gx_lrp[i] = (gamma[cc] * gy[i] - mh) / sr;
      gx_grad[i] = (gamma[cc] * gy[i] - mh - xhat[i] * mhx) / sr;
    }
  }
  for (const auto& k : runnable()) {
    INFO(k.level);
    std::vector<float> out(n), xh(n), sv(static_cast<std::size_t>(rows));
    k.add_layer_norm(x.data(), bias.data(), res.data(), rows, cols, gamma.data(), beta.data(), eps,
                     out.data(), xh.data(), sv.data());
    for (std::size_t i = 0; i < n; ++i) {
      REQUIRE(out[i] == Approx(y[i]).margin(1e-5));
      REQUIRE(xh[i] == Approx(xhat[i]).margin(1e-5));
    }
    for (isize r = 0; r < rows; ++r)
      REQUIRE(sv[static_cast<std::size_t>(r)] == Approx(s[static_cast<std::size_t>(r)]).epsilon(1e-5));
    // Without bias and residual, without a cache, in place: LN(x).
    std::vector<float> in_place = x, ref_out(n);
    k.add_layer_norm(in_place.data(), nullptr, nullptr, rows, cols, gamma.data(), beta.data(), eps,
                     in_place.data(), nullptr, nullptr);
    std::vector<float> zeros(n, 0.0f), zero_bias(static_cast<std::size_t>(cols), 0.0f);
    k.add_layer_norm(x.data(), zero_bias.data(), zeros.data(), rows, cols, gamma.data(), beta.data(), eps,
                     ref_out.data(), nullptr, nullptr);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(in_place[i] == Approx(ref_out[i]).margin(1e-6));
    for (const bool lrp : {true, false}) {
      INFO("lrp " << lrp);
      std::vector<float> gx(n);
      k.layer_norm_backward(gy.data(), gamma.data(), xh.data(), sv.data(), rows, cols, lrp, gx.data());
      for (std::size_t i = 0; i < n; ++i) REQUIRE(gx[i] == Approx(lrp ? gx_lrp[i] : gx_grad[i]).margin(1e-5));
      std::vector<float> g_in_place = gy;
      k.layer_norm_backward(g_in_place.data(), gamma.data(), xh.data(), sv.data(), rows, cols, lrp,
                            g_in_place.data());
      REQUIRE(g_in_place == gx);
    }
  }
}

TEST_CASE(
    "bert kernels: scaled row softmax (with a leading dimension) and its backward pass at every runnable "
    "level",
    "[lrp][isa][bert]") {
  const isize rows = 5, cols = 19, ld = 23;
  const float scale = 0.125f, alpha = 0.5f;
  const std::vector<float> z0 = uniform(static_cast<std::size_t>(rows * ld), -30.0f, 30.0f, 10);
  const std::vector<float> ga = uniform(static_cast<std::size_t>(rows * cols), -1.0f, 1.0f, 11);
  for (const auto& k : runnable()) {
    INFO(k.level);
    std::vector<float> z = z0;
    k.softmax_rows(z.data(), rows, cols, ld, scale);
    std::vector<float> a(static_cast<std::size_t>(rows * cols));
    for (isize r = 0; r < rows; ++r) {
      double mx = -1e300, sum = 0;
      for (isize c = 0; c < cols; ++c)
        mx = std::max(mx, scale * static_cast<double>(z0[static_cast<std::size_t>(r * ld + c)]));
      for (isize c = 0; c < cols; ++c)
        sum += std::exp(scale * static_cast<double>(z0[static_cast<std::size_t>(r * ld + c)]) - mx);
      for (isize c = 0; c < cols; ++c) {
        const double p =
            std::exp(scale * static_cast<double>(z0[static_cast<std::size_t>(r * ld + c)]) - mx) / sum;
        REQUIRE(z[static_cast<std::size_t>(r * ld + c)] == Approx(p).epsilon(1e-5).margin(1e-7));
        a[static_cast<std::size_t>(r * cols + c)] = z[static_cast<std::size_t>(r * ld + c)];
      }
      // The padding between rows is untouched.
      for (isize c = cols; c < ld; ++c)
        REQUIRE(z[static_cast<std::size_t>(r * ld + c)] == z0[static_cast<std::size_t>(r * ld + c)]);
    }
    std::vector<float> gz(a.size());
    k.softmax_backward(ga.data(), a.data(), rows, cols, alpha, gz.data());
    for (isize r = 0; r < rows; ++r) {
      double dot = 0;
      for (isize c = 0; c < cols; ++c) {
        const auto i = static_cast<std::size_t>(r * cols + c);
        dot += static_cast<double>(ga[i]) * a[i];
      }
      for (isize c = 0; c < cols; ++c) {
        const auto i = static_cast<std::size_t>(r * cols + c);
        REQUIRE(gz[i] == Approx(alpha * a[i] * (ga[i] - dot)).margin(1e-6));
      }
    }
    std::vector<float> g_in_place = ga;
    k.softmax_backward(g_in_place.data(), a.data(), rows, cols, alpha, g_in_place.data());
    REQUIRE(g_in_place == gz);
  }
}

// Regression: the same inputs at different addresses gave different last bits (CLI vs Python, one
// thread vs two), because Eigen evaluates erf/exp with its packet functions only from the first
// aligned element of the destination and with the scalar ones before it, and reduces a Map from its
// first aligned element. Every kernel must give the same bits wherever its buffers start.
TEST_CASE("bert kernels: results do not depend on the buffers' alignment", "[lrp][isa][bert]") {
  const isize rows = 3, cols = 37;  // not a multiple of any vector width
  const std::vector<float> u0 = uniform(rows * cols, -3.0f, 3.0f, 11), bias = uniform(cols, -0.5f, 0.5f, 12);
  const std::vector<float> gamma = uniform(cols, 0.5f, 1.5f, 13), beta = uniform(cols, -0.2f, 0.2f, 14);
  for (const BertKernels& k : runnable()) {
    CAPTURE(k.level);
    std::vector<std::vector<float>> ref;  // per kernel output, from offset 0
    for (isize off = 0; off < 16; ++off) {
      CAPTURE(off);
      // Each buffer is a fresh vector with the data `off` floats in, so its start moves through
      // every residue of a 64-byte line.
      auto at = [&](const std::vector<float>& v) {
        std::vector<float> b(v.size() + 16, 0.0f);
        std::copy(v.begin(), v.end(), b.begin() + off);
        return b;
      };
      std::vector<float> u = at(u0), m = at(std::vector<float>(rows * cols)), g = at(u0);
      k.bias_gelu(u.data() + off, bias.data(), rows, cols, m.data() + off);
      k.gelu_backward(g.data() + off, u.data() + off, rows * cols, false);
      std::vector<float> y = at(std::vector<float>(rows * cols)), xhat = y, s(rows);
      k.add_layer_norm(u.data() + off, nullptr, nullptr, rows, cols, gamma.data(), beta.data(), 1e-12f,
                       y.data() + off, xhat.data() + off, s.data());
      std::vector<float> z = at(u0);
      k.softmax_rows(z.data() + off, rows, cols, cols, 0.125f);
      std::vector<float> gz = at(std::vector<float>(rows * cols));
      k.softmax_backward(g.data() + off, z.data() + off, rows, cols, 1.0f, gz.data() + off);
      std::vector<std::vector<float>> outs;
      for (const std::vector<float>* v : {&m, &g, &y, &z, &gz})
        outs.emplace_back(v->begin() + off, v->begin() + off + rows * cols);
      if (off == 0) {
        ref = outs;
      } else {
        for (std::size_t i = 0; i < outs.size(); ++i) {
          CAPTURE(i);
          REQUIRE(std::memcmp(outs[i].data(), ref[i].data(), outs[i].size() * sizeof(float)) == 0);
        }
      }
    }
  }
}
