// The per-ISA kernels (lrp/isa/dense_kernels.h), called at every level this CPU runs (not only the
// one cpu_isa() picked), against plain Eigen; and the CNN paths built on them: Conv1d's fused
// forward_relu_max and relevance_at against forward + ReLU + max over time and the general relevance.
#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "core/cpu_isa.h"
#include "lrp/isa/dense_kernels.h"
#include "lrp/layers/activation.h"
#include "lrp/layers/conv1d.h"
#include "lrp/layers/max_pool_time.h"
#include "lrp/rules.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;

namespace {

Mat random_mat(Index rows, Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(gen);
  return m;
}

using Sgemm = void (*)(bool, bool, isa::isize, isa::isize, isa::isize, float, const float*, isa::isize,
                       const float*, isa::isize, float, float*, isa::isize);

// The kernel levels compiled into this binary that this CPU can run.
std::vector<std::pair<std::string, Sgemm>> runnable_sgemms() {
  std::vector<std::pair<std::string, Sgemm>> out;
#if TEXTLRP_ISA_MODE == 1
  const int best = static_cast<int>(detected_isa());
  out.emplace_back("generic", &isa_generic::sgemm);
  if (best >= 1) out.emplace_back("v2", &isa_v2::sgemm);
  if (best >= 2) out.emplace_back("v3", &isa_v3::sgemm);
  if (best >= 3) out.emplace_back("v4", &isa_v4::sgemm);
#elif TEXTLRP_ISA_MODE == 2
  out.emplace_back("native", &isa_native::sgemm);
#else
  out.emplace_back("generic", &isa_generic::sgemm);
#endif
  return out;
}

}  // namespace

TEST_CASE("isa kernels: sgemm at every runnable level equals Eigen (transposes, strides, alpha, beta)",
          "[lrp][isa]") {
  // Matrix shapes, and the matrix-vector shapes (m == 1, n == 1) that take the fixed-order path.
  const Index shapes[][3] = {{37, 29, 53}, {1, 29, 53}, {37, 1, 53}, {1, 1, 53}};
  for (const auto& [m, n, k] : shapes)
    for (const auto& [level, sgemm] : runnable_sgemms()) {
      for (int ta = 0; ta < 2; ++ta) {
        for (int tb = 0; tb < 2; ++tb) {
          INFO(level << " m " << m << " n " << n << " trans_a " << ta << " trans_b " << tb);
          // Stored with padding columns, so the leading dimensions differ from the widths.
          const Mat a_store = random_mat(ta ? k : m, (ta ? m : k) + 3, 1);
          const Mat b_store = random_mat(tb ? n : k, (tb ? k : n) + 5, 2);
          const Mat a = a_store.leftCols(ta ? m : k);
          const Mat b = b_store.leftCols(tb ? k : n);
          const Mat op_a = ta ? Mat(a.transpose()) : a;
          const Mat op_b = tb ? Mat(b.transpose()) : b;
          Mat c = random_mat(m, n + 2, 3);
          const Mat c0 = c;
          sgemm(ta, tb, m, n, k, 0.5f, a_store.data(), a_store.cols(), b_store.data(), b_store.cols(), 2.0f,
                c.data(), c.cols());
          const Mat want = 0.5f * op_a * op_b + 2.0f * c0.leftCols(n);
          REQUIRE((c.leftCols(n) - want).cwiseAbs().maxCoeff() < 1e-4f);
          REQUIRE(c.rightCols(2) == c0.rightCols(2));  // the padding is not written
          // beta = 0 overwrites whatever C held (NaN included).
          Mat d = Mat::Constant(m, n, std::numeric_limits<float>::quiet_NaN());
          sgemm(ta, tb, m, n, k, 1.0f, a_store.data(), a_store.cols(), b_store.data(), b_store.cols(), 0.0f,
                d.data(), n);
          REQUIRE((d - op_a * op_b).cwiseAbs().maxCoeff() < 1e-4f);
        }
      }
    }
}

// Regression: for a matrix-vector shape Eigen's GEMV adds in an order that depends on where the
// operands start in memory, so the same product gave other last bits in another buffer (CLI vs Python).
TEST_CASE("isa kernels: sgemm's matrix-vector shapes give the same bits wherever the operands start",
          "[lrp][isa]") {
  const Index k = 77, n = 45;
  const Mat w = random_mat(k, n, 21), x = random_mat(1, k, 22);
  for (const auto& [level, sgemm] : runnable_sgemms()) {
    INFO(level);
    std::vector<float> ref;
    for (Index off = 0; off < 16; ++off) {
      std::vector<float> wb(w.size() + 16), xb(k + 16), cb(n + 16, 0.0f);
      std::copy(w.data(), w.data() + w.size(), wb.begin() + off);
      std::copy(x.data(), x.data() + k, xb.begin() + off);
      sgemm(false, false, 1, n, k, 1.0f, xb.data() + off, k, wb.data() + off, n, 0.0f, cb.data() + off, n);
      std::vector<float> c(cb.begin() + off, cb.begin() + off + n);
      if (off == 0) ref = c;
      REQUIRE(std::memcmp(c.data(), ref.data(), n * sizeof(float)) == 0);
      sgemm(true, false, n, 1, k, 1.0f, wb.data() + off, n, xb.data() + off, 1, 0.0f, cb.data() + off, 1);
      std::vector<float> ct(cb.begin() + off, cb.begin() + off + n);
      REQUIRE(
          (Eigen::Map<const Eigen::VectorXf>(ct.data(), n) - Eigen::Map<const Eigen::VectorXf>(ref.data(), n))
              .cwiseAbs()
              .maxCoeff() < 1e-4f);
    }
  }
}

TEST_CASE("conv1d: forward_relu_max equals forward, ReLU and max over time (winners, ties)", "[lrp][isa]") {
  const Index E = 7, K = 3, F = 11, T = 19;
  const Mat x = random_mat(T, E, 11);
  Vec bias = random_mat(F, 1, 12).col(0);
  Mat w = random_mat(F, E * K, 13);
  // Filter 0 sees nothing (all windows tie at its bias > 0), filter 1 never fires (ReLU output 0
  // everywhere): the first window wins both, as MaxOverTime decides.
  w.row(0).setZero();
  bias[0] = 0.25f;
  w.row(1).setZero();
  bias[1] = -0.5f;
  const Conv1d conv(w, E, K, bias);
  Conv1d::Cache cache;
  std::vector<Index> winner;
  const Mat p = conv.forward_relu_max(x, &winner, &cache);
  MaxOverTime::Cache pc;
  const Mat z = conv.forward(x);
  const Mat want = MaxOverTime().forward(Relu().forward(z), &pc);
  REQUIRE((p - want).cwiseAbs().maxCoeff() < 1e-5f);
  REQUIRE(winner == pc.winner);
  REQUIRE(winner[0] == 0);
  REQUIRE(winner[1] == 0);
  REQUIRE(p(0, 1) == 0);
  REQUIRE((cache.z - z).cwiseAbs().maxCoeff() < 1e-5f);
  REQUIRE(cache.x == x);
}

TEST_CASE("conv1d: relevance_at equals the general relevance of the winner-only r_out, every rule",
          "[lrp][isa]") {
  const Index E = 6, K = 2, F = 9, T = 12;
  const Mat x = random_mat(T, E, 21);
  const Conv1d conv(random_mat(F, E * K, 22), E, K, random_mat(F, 1, 23).col(0));
  Conv1d::Cache cache;
  std::vector<Index> winner;
  conv.forward_relu_max(x, &winner, &cache);
  const Mat r_p = random_mat(1, F, 24);
  Mat r_out = Mat::Zero(T - K + 1, F);
  for (Index f = 0; f < F; ++f) r_out(winner[static_cast<std::size_t>(f)], f) = r_p(0, f);
  for (const char* name : {"zero", "epsilon(0.01)", "epsilon(1e-7)", "zplus", "alphabeta(2,1)", "gamma(0.25)",
                           "flat", "wsquare"}) {
    INFO(name);
    const Rule rule = parse_rule(name);
    const Mat got = conv.relevance_at(cache, winner, r_p, rule);
    const Mat want = conv.relevance(cache, r_out, rule);
    REQUIRE(got.rows() == T);
    REQUIRE((got - want).cwiseAbs().maxCoeff() <= 1e-5f * std::max(1.0f, want.cwiseAbs().maxCoeff()));
  }
}
