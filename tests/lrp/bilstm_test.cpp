// BiLstmClassifier (issue 4) without shared data: forward and LRP against a literal port of the
// reference NumPy code (LSTM_bidi.py + lrp_linear, d x d identity matrices and all), conservation
// (bias_factor 1 under every gate rule; LRP-0 without biases), sa/gi against finite differences,
// the other baselines, edge cases (empty, one word, 200 words, unknown ids), rule/option errors,
// the save/load round trip, and the PyTorch and Arras importers (gate-order swap, error lists).
#include <fmt/format.h>

#include <cmath>
#include <numeric>
#include <random>

#include "core/endian.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "lrp/models/baselines.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/cnn_classifier.h"
#include "tests/catch.h"
#include "tests/helpers.h"
#include "tests/lrp/bilstm_fixtures.h"

using namespace textlrp;
using namespace textlrp::lrp;
using Catch::Matchers::Contains;
using namespace textlrp::test::bilstm;

namespace {

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// ---- A literal port of the reference code (github.com/ArrasL/LRP_for_LSTM, LSTM_bidi.py and
// LRP_linear_layer.py): numpy's index -1 is the extra zero row T of the (T+1)-row arrays.

VecD lrp_linear(const VecD& hin, const MatD& w, const VecD& b, const VecD& hout, const VecD& rout, double n,
                double eps, double bf) {
  const Index D = w.rows(), M = w.cols();
  VecD rin = VecD::Zero(D);
  for (Index i = 0; i < D; ++i) {
    for (Index j = 0; j < M; ++j) {
      const double s = hout[j] >= 0 ? 1.0 : -1.0;
      const double numer = w(i, j) * hin[i] + bf * (b[j] + eps * s) / n;
      rin[i] += numer / (hout[j] + eps * s) * rout[j];
    }
  }
  return rin;
}

struct RefDirection {
  MatD gates_pre, gates, c, h;  // [T x 4d], [T x 4d], [(T+1) x d], [(T+1) x d]
};

Index at(Index t, Index T) { return t < 0 ? T : t; }  // numpy's a[-1] on a (T+1)-row array

RefDirection ref_forward(const LstmWeights& lw, const MatD& x) {
  const Index T = x.rows(), d = lw.w_hh.cols();
  RefDirection r;
  r.gates_pre = MatD::Zero(T, 4 * d);
  r.gates = MatD::Zero(T, 4 * d);
  r.c = MatD::Zero(T + 1, d);
  r.h = MatD::Zero(T + 1, d);
  for (Index t = 0; t < T; ++t) {
    const VecD pre =
        lw.w_ih * x.row(t).transpose() + lw.b_ih + lw.w_hh * r.h.row(at(t - 1, T)).transpose() + lw.b_hh;
    r.gates_pre.row(t) = pre.transpose();
    for (Index k = 0; k < 4 * d; ++k) {
      const bool g = k >= d && k < 2 * d;
      r.gates(t, k) = g ? std::tanh(pre[k]) : 1 / (1 + std::exp(-pre[k]));
    }
    for (Index k = 0; k < d; ++k) {
      r.c(t, k) = r.gates(t, 2 * d + k) * r.c(at(t - 1, T), k) + r.gates(t, k) * r.gates(t, d + k);
      r.h(t, k) = r.gates(t, 3 * d + k) * std::tanh(r.c(t, k));
    }
  }
  return r;
}

struct RefLrp {
  VecD s;
  MatD rx, rx_rev;  // rx_rev already flipped back to sentence order
  double r_rest;
};

RefLrp ref_lrp(const BiLstmWeights& w, const std::vector<TokenId>& ids, int target, double eps, double bf) {
  const Index T = static_cast<Index>(ids.size()), e = w.embedding.cols(), d = w.left.w_hh.cols();
  const Index C = w.fc_left.rows();
  MatD x(T, e), x_rev(T, e);
  for (Index t = 0; t < T; ++t) x.row(t) = w.embedding.row(ids[static_cast<std::size_t>(t)]);
  for (Index t = 0; t < T; ++t) x_rev.row(t) = x.row(T - 1 - t);
  const RefDirection L = ref_forward(w.left, x), R = ref_forward(w.right, x_rev);
  RefLrp out;
  out.s = w.fc_left * L.h.row(T - 1).transpose() + w.fc_right * R.h.row(T - 1).transpose();
  VecD mask = VecD::Zero(C);
  mask[target] = 1;
  const VecD rout = out.s.cwiseProduct(mask);
  MatD rh_l = MatD::Zero(T + 1, d), rc_l = MatD::Zero(T + 1, d), rh_r = MatD::Zero(T + 1, d),
       rc_r = MatD::Zero(T + 1, d);
  out.rx = MatD::Zero(T, e);
  MatD rx_rev = MatD::Zero(T, e);
  const VecD zeros_c = VecD::Zero(C), zeros_d = VecD::Zero(d);
  const MatD eye = MatD::Identity(d, d);
  rh_l.row(T - 1) =
      lrp_linear(L.h.row(T - 1).transpose(), w.fc_left.transpose(), zeros_c, out.s, rout, 2.0 * d, eps, bf)
          .transpose();
  rh_r.row(T - 1) =
      lrp_linear(R.h.row(T - 1).transpose(), w.fc_right.transpose(), zeros_c, out.s, rout, 2.0 * d, eps, bf)
          .transpose();
  auto step = [&](const RefDirection& D, const LstmWeights& lw, const MatD& xs, MatD& rh, MatD& rc, MatD& rx,
                  Index t) {
    const VecD gi = D.gates.row(t).segment(0, d).transpose(), gg = D.gates.row(t).segment(d, d).transpose();
    const VecD gf = D.gates.row(t).segment(2 * d, d).transpose();
    const VecD bg = lw.b_ih.segment(d, d) + lw.b_hh.segment(d, d);
    const VecD zg = D.gates_pre.row(t).segment(d, d).transpose();
    rc.row(t) += rh.row(t);
    const VecD ct = D.c.row(t).transpose(), cp = D.c.row(at(t - 1, T)).transpose();
    rc.row(at(t - 1, T)) =
        lrp_linear(gf.cwiseProduct(cp), eye, zeros_d, ct, rc.row(t).transpose(), 2.0 * d, eps, bf)
            .transpose();
    const VecD rg =
        lrp_linear(gi.cwiseProduct(gg), eye, zeros_d, ct, rc.row(t).transpose(), 2.0 * d, eps, bf);
    rx.row(t) = lrp_linear(xs.row(t).transpose(), lw.w_ih.middleRows(d, d).transpose(), bg, zg, rg,
                           double(d + e), eps, bf)
                    .transpose();
    rh.row(at(t - 1, T)) = lrp_linear(D.h.row(at(t - 1, T)).transpose(), lw.w_hh.middleRows(d, d).transpose(),
                                      bg, zg, rg, double(d + e), eps, bf)
                               .transpose();
  };
  for (Index t = T - 1; t >= 0; --t) {
    step(L, w.left, x, rh_l, rc_l, out.rx, t);
    step(R, w.right, x_rev, rh_r, rc_r, rx_rev, t);
  }
  out.rx_rev = rx_rev.colwise().reverse();
  out.r_rest = rh_l.row(T).sum() + rc_l.row(T).sum() + rh_r.row(T).sum() + rc_r.row(T).sum();
  return out;
}

// A naive forward pass with a given gate order ("ifgo" = PyTorch, "igfo" = ours) and an fc over
// [hL; hR], for the importer tests.
VecD naive_scores(const std::vector<MatD>& w_ih, const std::vector<MatD>& w_hh, const std::vector<VecD>& b_ih,
                  const std::vector<VecD>& b_hh, const MatD& emb, const MatD& fc, const VecD& fc_b,
                  const std::vector<TokenId>& ids, const std::string& order) {
  const Index H = w_hh[0].cols(), T = static_cast<Index>(ids.size());
  auto block = [&](char gate) { return static_cast<Index>(order.find(gate)) * H; };
  VecD hs[2];
  for (int dir = 0; dir < 2; ++dir) {
    VecD h = VecD::Zero(H), c = VecD::Zero(H);
    for (Index s = 0; s < T; ++s) {
      const Index pos = dir == 0 ? s : T - 1 - s;
      const VecD z = w_ih[dir] * emb.row(ids[static_cast<std::size_t>(pos)]).transpose() + w_hh[dir] * h +
                     b_ih[dir] + b_hh[dir];
      VecD c_new(H), h_new(H);
      for (Index k = 0; k < H; ++k) {
        const double i = 1 / (1 + std::exp(-z[block('i') + k])), f = 1 / (1 + std::exp(-z[block('f') + k]));
        const double g = std::tanh(z[block('g') + k]), o = 1 / (1 + std::exp(-z[block('o') + k]));
        c_new[k] = f * c[k] + i * g;
        h_new[k] = o * std::tanh(c_new[k]);
      }
      c = c_new;
      h = h_new;
    }
    hs[dir] = h;
  }
  VecD hcat(2 * H);
  hcat << hs[0], hs[1];
  VecD s = fc * hcat;
  if (fc_b.size() > 0) s += fc_b;
  return s;
}

std::vector<double> flat(const MatD& m) { return std::vector<double>(m.data(), m.data() + m.size()); }
std::vector<double> flat(const VecD& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

// A .npy v1.0 file of float64 values.
std::string npy_f8(const std::vector<std::int64_t>& shape, const std::vector<double>& data) {
  std::string dims;
  for (auto d : shape) dims += std::to_string(d) + ", ";
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  char len[2];
  store_le<std::uint16_t>(len, static_cast<std::uint16_t>(header.size()));
  out.append(len, 2);
  out += header;
  char b[8];
  for (double v : data) {
    store_le<double>(b, v);
    out.append(b, 8);
  }
  return out;
}

}  // namespace

TEST_CASE("bilstm: forward and LRP match a literal port of the reference code", "[lrp][bilstm]") {
  const BiLstmWeights w = tiny_weights(true, false);
  const BiLstmClassifier m({"neg", "neu", "pos"}, w);
  for (double bf : {0.0, 1.0}) {
    for (double eps : {0.001, 0.1}) {
      for (int target = 0; target < 3; ++target) {
        const RefLrp ref = ref_lrp(w, kSentence, target, eps, bf);
        BiLstmClassifier::Trace trace;
        const VecD s = m.forward(kSentence, &trace);
        REQUIRE((s - ref.s).cwiseAbs().maxCoeff() < 1e-13);
        BiLstmClassifier::LrpSettings st;
        st.eps_lstm = st.eps_fc = eps;
        st.bias_factor = bf;
        const BiLstmClassifier::Relevance r = m.relevance(trace, target, st);
        INFO("bf " << bf << " eps " << eps << " target " << target);
        CHECK((r.x_left - ref.rx).cwiseAbs().maxCoeff() < 1e-12);
        CHECK((r.x_right - ref.rx_rev).cwiseAbs().maxCoeff() < 1e-12);
        CHECK(std::abs(r.r_rest - ref.r_rest) < 1e-12);
        if (bf == 0) CHECK(r.r_rest == 0);
        // explain(): word relevance = Σ over dims of both directions.
        ExplainOptions o = lrp_options(std::nullopt, bf, fmt::format("epsilon({})", eps));
        o.target = target;
        const Explanation e = m.explain(kSentence, o);
        REQUIRE(e.relevance.size() == kSentence.size());
        for (std::size_t t = 0; t < kSentence.size(); ++t) {
          const Index ti = static_cast<Index>(t);
          CHECK(std::abs(e.relevance[t] - (ref.rx.row(ti).sum() + ref.rx_rev.row(ti).sum())) < 1e-12);
        }
        CHECK(e.target == target);
        CHECK(e.rule == fmt::format("epsilon({}); lstm-rule signal-take-all; bias-factor {}", eps, bf));
      }
    }
  }
}

// E = 13, H = 7: no dimension is a multiple of the 4 (float64) or 8 (float32) vector lanes, so every
// kernel's leftover-column path runs (and E < 8 lanes never happens with the tiny model's E = 4).
BiLstmWeights odd_weights() {
  const Index V = 17, E = 13, H = 7, C = 3;
  BiLstmWeights w;
  w.embedding = rmat(V, E, 101, 1.0);
  unsigned seed = 110;
  for (LstmWeights* lw : {&w.left, &w.right}) {
    lw->w_ih = rmat(4 * H, E, seed++, 0.5);
    lw->w_hh = rmat(4 * H, H, seed++, 0.5);
    lw->b_ih = rvec(4 * H, seed++, 0.3);
    lw->b_hh = rvec(4 * H, seed++, 0.3);
  }
  w.fc_left = rmat(C, H, seed++, 1.5);
  w.fc_right = rmat(C, H, seed++, 1.5);  // no output bias, as the reference port
  return w;
}

TEST_CASE("bilstm: odd sizes match the reference port; float32 LRP agrees with float64", "[lrp][bilstm]") {
  const BiLstmWeights w = odd_weights();
  const BiLstmClassifier m({"neg", "neu", "pos"}, w);
  std::mt19937 gen(5);
  for (std::size_t len : {1, 6, 23}) {
    std::vector<TokenId> ids(len);
    for (auto& id : ids) id = static_cast<TokenId>(gen() % 17);
    for (double bf : {0.0, 1.0}) {
      for (int target = 0; target < 3; ++target) {
        INFO("length " << len << " bf " << bf << " target " << target);
        const RefLrp ref = ref_lrp(w, ids, target, 0.001, bf);
        ExplainOptions o = lrp_options(std::nullopt, bf);
        o.target = target;
        const Explanation e64 = m.explain(ids, o);
        double scale = 0;
        for (std::size_t t = 0; t < len; ++t) {
          const Index ti = static_cast<Index>(t);
          const double r = ref.rx.row(ti).sum() + ref.rx_rev.row(ti).sum();
          CHECK(std::abs(e64.relevance[t] - r) < 1e-12);
          scale = std::max(scale, std::abs(r));
        }
        o.precision = Precision::kFloat32;
        const Explanation e32 = m.explain(ids, o);
        CHECK(
            e32.rule ==
            fmt::format("epsilon(0.001); lstm-rule signal-take-all; bias-factor {}; precision float32", bf));
        CHECK(e32.target == target);
        for (Index c = 0; c < 3; ++c) CHECK(std::abs(e32.scores[c] - ref.s[c]) < 1e-5);
        for (std::size_t t = 0; t < len; ++t)
          CHECK(std::abs(e32.relevance[t] - e64.relevance[t]) < 1e-3 * scale);
        // float32 conserves too: Σ words + R_rest = the float32 score.
        BiLstmClassifier::Trace32 trace;
        const VecF s32 = m.forward(ids, &trace);
        BiLstmClassifier::LrpSettings st;
        st.bias_factor = bf;
        const BiLstmClassifier::Relevance32 r32 = m.relevance(trace, target, st);
        if (bf == 1) CHECK(std::abs(sum(e32.relevance) + r32.r_rest - s32[target]) < 1e-5);
        if (bf == 0) CHECK(r32.r_rest == 0);
      }
    }
  }
  // float32 applies to LRP only; the other architectures refuse it.
  ExplainOptions sa;
  sa.method = Method::kSensitivity;
  sa.precision = Precision::kFloat32;
  REQUIRE_THROWS_WITH(m.explain(kSentence, sa), Contains("precision float32 applies to method lrp only"));
  sa.precision = Precision::kFloat64;
  CHECK(m.explain(kSentence, sa).relevance.size() == kSentence.size());
  REQUIRE_THROWS_WITH(parse_precision("float16"), Contains("valid: float64, float32"));
  // A weight beyond float32's range: float64 still works, float32 says why it cannot.
  BiLstmWeights big = odd_weights();
  big.fc_left(0, 0) = 1e300;
  const BiLstmClassifier huge({"neg", "neu", "pos"}, big);
  ExplainOptions o32 = lrp_options(std::nullopt, std::nullopt);
  o32.precision = Precision::kFloat32;
  REQUIRE_THROWS_WITH(huge.explain(kSentence, o32), Contains("beyond float32's range"));
}

// explain() keeps the resolved rules and the rule text of its thread's last call: every change of the
// request (rules, gate rule, bias factor down to the sign of 0, precision, an invalid role) must show.
TEST_CASE("bilstm: the rule text follows each request, call after call", "[lrp][bilstm]") {
  const BiLstmClassifier m({"neg", "neu", "pos"}, tiny_weights(true, false));
  const auto rule_of = [&](const ExplainOptions& o) { return m.explain(kSentence, o).rule; };
  ExplainOptions o = lrp_options(std::nullopt, std::nullopt);
  const std::string plain = "epsilon(0.001); lstm-rule signal-take-all; bias-factor 0";
  CHECK(rule_of(o) == plain);
  CHECK(rule_of(o) == plain);  // the kept text
  o.bias_factor = -0.0;
  CHECK(rule_of(o) == "epsilon(0.001); lstm-rule signal-take-all; bias-factor -0");
  o.bias_factor = 0.0;
  CHECK(rule_of(o) == plain);
  o.bias_factor = 1.0;
  CHECK(rule_of(o) == "epsilon(0.001); lstm-rule signal-take-all; bias-factor 1");
  o.gate_rule = GateRule::kHalf;
  CHECK(rule_of(o) == "epsilon(0.001); lstm-rule half; bias-factor 1");
  o.precision = Precision::kFloat32;
  CHECK(rule_of(o) == "epsilon(0.001); lstm-rule half; bias-factor 1; precision float32");
  ExplainOptions p = lrp_options(std::nullopt, std::nullopt, "fc=epsilon(0.1)");
  CHECK(rule_of(p) == "fc=epsilon(0.1),lstm=epsilon(0.001); lstm-rule signal-take-all; bias-factor 0");
  ExplainOptions bad = p;
  bad.rules = lrp::RuleMap({{"conv", lrp::rules::Epsilon{0.1}}});
  REQUIRE_THROWS_WITH(m.explain(kSentence, bad), Contains("unknown layer role 'conv'"));
  CHECK(rule_of(p) == "fc=epsilon(0.1),lstm=epsilon(0.001); lstm-rule signal-take-all; bias-factor 0");
  CHECK(rule_of(lrp_options(std::nullopt, std::nullopt)) == plain);
}

TEST_CASE("bilstm: bias_factor 1 conserves relevance under every gate rule", "[lrp][bilstm]") {
  for (bool fc_bias : {false, true}) {
    const BiLstmClassifier m = tiny(true, fc_bias);
    for (GateRule g : {GateRule::kSignalTakeAll, GateRule::kHalf, GateRule::kProportional}) {
      for (int target = 0; target < 3; ++target) {
        ExplainOptions o = lrp_options(g, 1.0);
        o.target = target;
        const Explanation e = m.explain(kSentence, o);
        const double score = e.scores[target];
        INFO(gate_rule_name(g) << " target " << target << " fc_bias " << fc_bias);
        // Σ words + bias_relevance == score by definition; bias_relevance is only R_rest.
        BiLstmClassifier::Trace trace;
        const VecD s = m.forward(kSentence, &trace);
        BiLstmClassifier::LrpSettings st;
        st.bias_factor = 1;
        st.gate_rule = g;
        const double r_rest = m.relevance(trace, target, st).r_rest;
        CHECK(std::abs(sum(e.relevance) + r_rest - s[target]) < 1e-12);
        CHECK(std::abs(e.bias_relevance - r_rest) < 1e-12);
        CHECK(std::abs(e.bias_relevance + sum(e.relevance) - score) < 1e-6);  // float scores
        if (g != GateRule::kSignalTakeAll) {
          // Gate relevance reaches the words: the result differs from signal-take-all.
          const Explanation sta = m.explain(kSentence, [&] {
            ExplainOptions a = o;
            a.gate_rule.reset();
            return a;
          }());
          CHECK(std::abs(sta.relevance[0] - e.relevance[0]) > 1e-6);
        }
      }
    }
  }
}

TEST_CASE("bilstm: LRP-0 without biases conserves relevance exactly", "[lrp][bilstm]") {
  // Without biases and with ε = 0 every step (output layer, products, cell sum, gate map) is a
  // plain sum of its inputs' contributions, so Σ words = score under signal-take-all, B or not.
  // Under half and proportional the sigmoid gates' constant σ(0) = 1/2 keeps its share like a bias
  // (sigmoid_gate_ratios in bilstm_classifier.cpp): bias_relevance != 0 with B = 0, and B = 1 gives
  // it back, Σ words + R_rest = score exactly.
  const BiLstmClassifier m = tiny(false, false);
  BiLstmClassifier::Trace trace;
  const VecD s = m.forward(kSentence, &trace);
  for (GateRule g : {GateRule::kSignalTakeAll, GateRule::kHalf, GateRule::kProportional}) {
    for (double bf : {0.0, 1.0}) {
      const Explanation e = m.explain(kSentence, lrp_options(g, bf, "zero"));
      INFO(gate_rule_name(g) << " bf " << bf);
      if (g == GateRule::kSignalTakeAll) {
        CHECK(std::abs(e.bias_relevance) < 1e-12);
      } else if (bf == 0.0) {
        CHECK(std::abs(e.bias_relevance) > 1e-3);  // the gates' constants kept their share
      } else {
        BiLstmClassifier::LrpSettings st;
        st.eps_lstm = st.eps_fc = 0;
        st.bias_factor = 1;
        st.gate_rule = g;
        const BiLstmClassifier::Relevance r = m.relevance(trace, e.target, st);
        CHECK(std::abs(r.x_left.sum() + r.x_right.sum() + r.r_rest - s[e.target]) < 1e-12);
      }
      CHECK(e.rule == fmt::format("zero; lstm-rule {}; bias-factor {}", gate_rule_name(g), bf));
    }
  }
  // With ε = 0 and B = 0 a zero-vector word gets exactly nothing.
  const Explanation e =
      m.explain(std::vector<TokenId>{2, -1, 99, 4}, lrp_options(std::nullopt, std::nullopt, "zero"));
  CHECK(e.relevance[1] == 0);
  CHECK(e.relevance[2] == 0);
}

TEST_CASE("bilstm: sa and gi match finite differences, ig is complete", "[lrp][bilstm]") {
  const BiLstmClassifier m = tiny(true, true);
  BiLstmClassifier::Trace trace;
  m.forward(kSentence, &trace);
  const MatD x = trace.x;
  for (int target = 0; target < 3; ++target) {
    MatD fd(x.rows(), x.cols());
    const double h = 1e-6;
    for (Index t = 0; t < x.rows(); ++t) {
      for (Index k = 0; k < x.cols(); ++k) {
        MatD xp = x, xm = x;
        xp(t, k) += h;
        xm(t, k) -= h;
        fd(t, k) =
            (m.forward_embedded(xp, nullptr)[target] - m.forward_embedded(xm, nullptr)[target]) / (2 * h);
      }
    }
    ExplainOptions sa;
    sa.method = Method::kSensitivity;
    sa.target = target;
    ExplainOptions gi = sa;
    gi.method = Method::kGradientInput;
    const Explanation esa = m.explain(kSentence, sa), egi = m.explain(kSentence, gi);
    for (Index t = 0; t < x.rows(); ++t) {
      CHECK(std::abs(esa.relevance[static_cast<std::size_t>(t)] - fd.row(t).squaredNorm()) < 1e-8);
      CHECK(std::abs(egi.relevance[static_cast<std::size_t>(t)] - fd.row(t).dot(x.row(t))) < 1e-8);
    }
    ExplainOptions ig = sa;
    ig.method = Method::kIntegratedGradients;
    ig.ig_steps = 200;
    const Explanation eig = m.explain(kSentence, ig);
    const double s0 = m.forward(std::vector<TokenId>(kSentence.size(), -1))[target];  // all-zero embeddings
    CHECK(std::abs(sum(eig.relevance) - (eig.scores[target] - s0)) < 1e-4);
  }
}

TEST_CASE("bilstm: occlusion and random baselines", "[lrp][bilstm]") {
  const BiLstmClassifier m = tiny();
  ExplainOptions occ;
  occ.method = Method::kOcclusion;
  const Explanation e = m.explain(kSentence, occ);
  std::vector<TokenId> without = kSentence;
  without.erase(without.begin() + 2);
  CHECK(std::abs(e.relevance[2] - (m.forward(kSentence)[e.target] - m.forward(without)[e.target])) < 1e-12);
  ExplainOptions rnd;
  rnd.method = Method::kRandom;
  rnd.seed = 5;
  const Explanation r1 = m.explain(kSentence, rnd), r2 = m.explain(kSentence, rnd);
  CHECK(r1.relevance == r2.relevance);
  for (double v : r1.relevance) CHECK((v >= -1 && v < 1));
  rnd.seed = 6;
  CHECK(m.explain(kSentence, rnd).relevance != r1.relevance);
}

TEST_CASE("bilstm: empty, one-word, 200-word and unknown-id inputs", "[lrp][bilstm]") {
  const BiLstmClassifier m = tiny(true, true);
  for (Method method : {Method::kLrp, Method::kSensitivity, Method::kGradientInput,
                        Method::kIntegratedGradients, Method::kOcclusion, Method::kRandom}) {
    ExplainOptions o;
    o.method = method;
    const Explanation e = m.explain(std::vector<TokenId>{}, o);
    CHECK(e.relevance.empty());
    REQUIRE(e.scores.size() == 3);
    for (Index c = 0; c < 3; ++c)
      CHECK(e.scores[c] == static_cast<float>(m.weights().fc_bias[c]));  // zero states
    CHECK(e.bias_relevance == Approx(e.scores[e.target]));
  }
  // One word, bias_factor 1: conserved (with R_rest at both directions' initial states).
  for (GateRule g : {GateRule::kSignalTakeAll, GateRule::kHalf, GateRule::kProportional}) {
    ExplainOptions o = lrp_options(g, 1.0);
    const Explanation e = m.explain(std::vector<TokenId>{7}, o);
    REQUIRE(e.relevance.size() == 1);
    CHECK(std::isfinite(e.relevance[0]));
    CHECK(std::abs(e.relevance[0] + e.bias_relevance - e.scores[e.target]) < 1e-6);
  }
  // 200 words (longer than anything seen): finite, conserved with B = 1.
  std::vector<TokenId> long_ids(200);
  for (std::size_t t = 0; t < long_ids.size(); ++t) long_ids[t] = static_cast<TokenId>((t * 7 + 3) % 11);
  BiLstmClassifier::Trace trace;
  const VecD s = m.forward(long_ids, &trace);
  for (GateRule g : {GateRule::kSignalTakeAll, GateRule::kHalf, GateRule::kProportional}) {
    BiLstmClassifier::LrpSettings st;
    st.bias_factor = 1;
    st.gate_rule = g;
    const BiLstmClassifier::Relevance r = m.relevance(trace, 1, st);
    REQUIRE(r.x_left.allFinite());
    REQUIRE(r.x_right.allFinite());
    CHECK(std::abs(r.x_left.sum() + r.x_right.sum() + r.r_rest - s[1]) <
          1e-10 * std::max(1.0, std::abs(s[1])));
  }
  for (Method method : {Method::kSensitivity, Method::kOcclusion}) {
    ExplainOptions o;
    o.method = method;
    const Explanation e = m.explain(long_ids, o);
    REQUIRE(e.relevance.size() == 200);
    for (double v : e.relevance) CHECK(std::isfinite(v));
  }
  // Ids outside [0, V) are zero vectors.
  MatD x = MatD::Zero(3, m.n_embd());
  x.row(1) = m.weights().embedding.row(4);
  CHECK(m.forward(std::vector<TokenId>{-1, 4, 11}) == m.forward_embedded(x, nullptr));
}

TEST_CASE("bilstm: rule, option and target errors", "[lrp][bilstm]") {
  const BiLstmClassifier m = tiny();
  REQUIRE(m.default_rules().to_string() == "epsilon(0.001)");
  ExplainOptions o;
  o.rules = m.default_rules();
  o.rules.apply("zplus");
  REQUIRE_THROWS_AS(m.explain(kSentence, o), InvalidArgument);
  REQUIRE_THROWS_WITH(m.explain(kSentence, o), Contains("supports zero and epsilon(e)"));
  o.rules = m.default_rules();
  o.rules.apply("fc=alphabeta(2,1)");
  REQUIRE_THROWS_WITH(m.explain(kSentence, o), Contains("rule alphabeta(2,1) for role 'fc'"));
  ExplainOptions role;
  role.rules = RuleMap({{"conv", rules::Epsilon{0.1}}});
  REQUIRE_THROWS_WITH(m.explain(kSentence, role),
                      Contains("unknown layer role 'conv'") && Contains("fc, lstm"));
  ExplainOptions sa;
  sa.method = Method::kSensitivity;
  sa.gate_rule = GateRule::kHalf;
  REQUIRE_THROWS_WITH(m.explain(kSentence, sa), Contains("method lrp only"));
  ExplainOptions nan_bf = lrp_options(std::nullopt, std::nan(""));
  REQUIRE_THROWS_AS(m.explain(kSentence, nan_bf), InvalidArgument);
  ExplainOptions far;
  far.target = 3;
  REQUIRE_THROWS_WITH(m.explain(kSentence, far), Contains("target class 3 is out of range"));
  // The constructor checks shapes and labels.
  BiLstmWeights bad = tiny_weights(true, false);
  bad.right.w_hh = MatD::Zero(12, 4);
  REQUIRE_THROWS_WITH(BiLstmClassifier({"a", "b", "c"}, bad),
                      Contains("right.w_hh is [12 x 4], expected [12 x 3]"));
  REQUIRE_THROWS_WITH(BiLstmClassifier({"a", "b"}, tiny_weights(true, false)),
                      Contains("2 labels for 3 classes"));
}

TEST_CASE("bilstm: other architectures refuse the LSTM options", "[lrp][bilstm]") {
  std::vector<Conv1d> convs;
  convs.emplace_back(Mat::Ones(2, 6), 3, 2, Vec::Zero(2));
  const CnnClassifier cnn({"a", "b"}, Embedding(Mat::Ones(5, 3)), std::move(convs),
                          Dense(Mat::Ones(2, 2), Vec::Zero(2)));
  ExplainOptions o;
  o.bias_factor = 1.0;
  REQUIRE_THROWS_AS(cnn.explain(std::vector<TokenId>{1, 2}, o), InvalidArgument);
  o.bias_factor.reset();
  o.gate_rule = GateRule::kHalf;
  REQUIRE_THROWS_WITH(cnn.explain(std::vector<TokenId>{1, 2}, o), Contains("bilstm"));
  o.gate_rule.reset();
  o.precision = Precision::kFloat32;
  REQUIRE_THROWS_WITH(cnn.explain(std::vector<TokenId>{1, 2}, o), Contains("precision"));
}

TEST_CASE("bilstm: save/load round trip gives bit-identical scores", "[lrp][bilstm]") {
  for (bool fc_bias : {false, true}) {
    const BiLstmClassifier m = tiny(true, fc_bias, 3);
    test::TempDir dir;
    const nlohmann::json hyper = m.save(dir.path());
    REQUIRE(hyper.at("n_hidden") == 3);
    REQUIRE(hyper.at("fc_bias") == fc_bias);
    const TensorStore store = TensorStore::load(dir / "model.safetensors");
    REQUIRE(store.info("lstm.weight_ih_l0_reverse").dtype == DType::kF64);
    REQUIRE(store.metadata().at("textlrp.gate_order") == "i,g,f,o");
    const nlohmann::json config = {{"architecture", "bilstm"}, {"labels", m.labels()}, {"hyper", hyper}};
    const auto loaded = load_classifier(dir.path(), config);
    REQUIRE(loaded->architecture() == "bilstm");
    const auto& back = dynamic_cast<const BiLstmClassifier&>(*loaded);
    REQUIRE(back.forward(kSentence) == m.forward(kSentence));  // bit-identical
    REQUIRE(back.weights().fc_bias.size() == (fc_bias ? 3 : 0));
    const Explanation a = m.explain(kSentence, {}), b = loaded->explain(kSentence, {});
    REQUIRE(a.relevance == b.relevance);
  }
}

TEST_CASE("bilstm: load lists every tensor problem in one message", "[lrp][bilstm]") {
  const BiLstmClassifier m = tiny();
  test::TempDir dir;
  const nlohmann::json hyper = m.save(dir.path());
  const TensorStore good = TensorStore::load(dir / "model.safetensors");
  TensorWriter w;
  for (const auto& name : good.names()) {
    if (name == "lstm.bias_hh_l0") continue;  // missing
    const auto& info = good.info(name);
    if (name == "fc.weight_left") {
      w.add_f64(name, {3, 2}, std::vector<double>(6, 0.5));  // wrong shape
    } else {
      w.add_f64(name, info.shape, good.doubles(name, info.shape));
    }
  }
  w.add_f64("extra", {1}, {1.0});  // unexpected
  w.write(dir / "model.safetensors");
  const nlohmann::json config = {{"architecture", "bilstm"}, {"labels", m.labels()}, {"hyper", hyper}};
  REQUIRE_THROWS_AS(load_classifier(dir.path(), config), FormatError);
  REQUIRE_THROWS_WITH(load_classifier(dir.path(), config),
                      Contains("missing tensor 'lstm.bias_hh_l0' [12]") &&
                          Contains("tensor 'fc.weight_left' has shape [3 x 2], expected [3 x 3]") &&
                          Contains("unexpected tensor 'extra' [1]"));
  nlohmann::json bad_hyper = config;
  bad_hyper["hyper"]["n_hidden"] = 0;
  REQUIRE_THROWS_WITH(load_classifier(dir.path(), bad_hyper), Contains("n_hidden"));
}

TEST_CASE("bilstm: PyTorch import swaps the gate blocks i,f,g,o -> i,g,f,o", "[lrp][bilstm]") {
  const Index V = 7, E = 3, H = 2, C = 2;
  std::vector<MatD> w_ih, w_hh;
  std::vector<VecD> b_ih, b_hh;
  for (unsigned d = 0; d < 2; ++d) {
    w_ih.push_back(rmat(4 * H, E, 20 + d, 1.0));
    w_hh.push_back(rmat(4 * H, H, 30 + d, 1.0));
    b_ih.push_back(rvec(4 * H, 40 + d, 0.5));
    b_hh.push_back(rvec(4 * H, 50 + d, 0.5));
  }
  const MatD emb = rmat(V, E, 60, 1.0), fc = rmat(C, 2 * H, 61, 1.0);
  const VecD fc_b = rvec(C, 62, 0.5);
  const std::vector<TokenId> ids = {1, 6, 0, 3, 3};
  const VecD expected = naive_scores(w_ih, w_hh, b_ih, b_hh, emb, fc, fc_b, ids, "ifgo");
  // Reading the PyTorch tensors in OUR order would be wrong: the test would notice.
  REQUIRE(
      (expected - naive_scores(w_ih, w_hh, b_ih, b_hh, emb, fc, fc_b, ids, "igfo")).cwiseAbs().maxCoeff() >
      1e-3);
  for (const std::string prefix : {"lstm.", ""}) {
    TensorWriter w;
    w.add_f64("embedding.weight", {V, E}, flat(emb));
    for (int d = 0; d < 2; ++d) {
      const std::string sfx = d == 0 ? "" : "_reverse";
      w.add_f64(prefix + "weight_ih_l0" + sfx, {4 * H, E}, flat(w_ih[d]));
      w.add_f64(prefix + "weight_hh_l0" + sfx, {4 * H, H}, flat(w_hh[d]));
      w.add_f64(prefix + "bias_ih_l0" + sfx, {4 * H}, flat(b_ih[d]));
      w.add_f64(prefix + "bias_hh_l0" + sfx, {4 * H}, flat(b_hh[d]));
    }
    w.add_f64("fc.weight", {C, 2 * H}, flat(fc));
    w.add_f64("fc.bias", {C}, flat(fc_b));
    const TensorStore store = TensorStore::parse(w.serialize(), "torch.safetensors");
    const auto m = BiLstmClassifier::from_pytorch(store, {});
    INFO("prefix '" << prefix << "'");
    REQUIRE(m->labels() == std::vector<std::string>{"0", "1"});
    CHECK((m->forward(ids) - expected).cwiseAbs().maxCoeff() < 1e-13);
    CHECK(m->weights().left.w_ih.row(H) == w_ih[0].row(2 * H));  // our g block = their rows [2H, 3H)
    CHECK(m->weights().right.b_hh[2 * H] == b_hh[1][H]);         // our f block = their rows [H, 2H)
    REQUIRE_THROWS_WITH(BiLstmClassifier::from_pytorch(store, {"a", "b", "c"}), Contains("3 labels given"));
  }
  // F32 tensors are accepted (widened), fc.bias is optional.
  TensorWriter w32;
  auto f32 = [](const MatD& m) { return std::vector<float>(m.data(), m.data() + m.size()); };
  w32.add("embedding.weight", {V, E}, f32(emb));
  for (int d = 0; d < 2; ++d) {
    const std::string sfx = d == 0 ? "" : "_reverse";
    w32.add("weight_ih_l0" + sfx, {4 * H, E}, f32(w_ih[d]));
    w32.add("weight_hh_l0" + sfx, {4 * H, H}, f32(w_hh[d]));
    w32.add("bias_ih_l0" + sfx, {4 * H}, f32(b_ih[d]));
    w32.add("bias_hh_l0" + sfx, {4 * H}, f32(b_hh[d]));
  }
  w32.add("fc.weight", {C, 2 * H}, f32(fc));
  const auto m32 = BiLstmClassifier::from_pytorch(TensorStore::parse(w32.serialize(), "f32"), {"neg", "pos"});
  CHECK((m32->forward(ids) - naive_scores(w_ih, w_hh, b_ih, b_hh, emb, fc, VecD(), ids, "ifgo"))
            .cwiseAbs()
            .maxCoeff() < 1e-5);
}

TEST_CASE("bilstm: PyTorch import lists missing, unexpected, misshapen and mistyped tensors",
          "[lrp][bilstm]") {
  const Index V = 5, E = 3, H = 2, C = 2;
  TensorWriter w;
  w.add_f64("embedding.weight", {V, E}, std::vector<double>(V * E, 0.1));
  w.add_f64("lstm.weight_ih_l0", {4 * H, E}, std::vector<double>(4 * H * E, 0.1));
  w.add_f64("lstm.weight_hh_l0", {4 * H, H}, std::vector<double>(4 * H * H, 0.1));
  w.add_f64("lstm.bias_ih_l0", {4 * H}, std::vector<double>(4 * H, 0.1));
  w.add_f64("lstm.bias_hh_l0", {4 * H + 1}, std::vector<double>(4 * H + 1, 0.1));  // wrong shape
  w.add_f64("lstm.weight_ih_l0_reverse", {4 * H, E}, std::vector<double>(4 * H * E, 0.1));
  w.add_f64("lstm.weight_hh_l0_reverse", {4 * H, H}, std::vector<double>(4 * H * H, 0.1));
  // lstm.bias_ih_l0_reverse missing
  w.add_f64("lstm.bias_hh_l0_reverse", {4 * H}, std::vector<double>(4 * H, 0.1));
  w.add_f64("lstm.weight_ih_l1", {4 * H, 2 * H}, std::vector<double>(4 * H * 2 * H, 0.1));  // a second layer
  w.add_f64("fc.weight", {C, 2 * H}, std::vector<double>(C * 2 * H, 0.1));
  std::string bytes = w.serialize();
  // Retype fc.weight as I64 (same size as F64) in the header.
  const auto pos = bytes.find("\"F64\"", bytes.find("\"fc.weight\""));
  bytes.replace(pos, 5, "\"I64\"");
  const TensorStore store = TensorStore::parse(bytes, "bad.safetensors");
  REQUIRE_THROWS_AS(BiLstmClassifier::from_pytorch(store, {}), FormatError);
  REQUIRE_THROWS_WITH(BiLstmClassifier::from_pytorch(store, {}),
                      Contains("bad.safetensors: ") &&
                          Contains("tensor 'lstm.bias_hh_l0' has shape [9], expected [8]") &&
                          Contains("missing tensor 'lstm.bias_ih_l0_reverse' [8]") &&
                          Contains("tensor 'fc.weight' has dtype I64") &&
                          Contains("unexpected tensor 'lstm.weight_ih_l1' [8 x 4]"));
}

TEST_CASE("bilstm: the Arras importer reads .npy files and lists their problems", "[lrp][bilstm]") {
  const BiLstmWeights w = tiny_weights(true, false, 9);
  test::TempDir dir;
  auto write = [&](const std::string& name, const MatD& m, bool vector) {
    const std::vector<std::int64_t> shape =
        vector ? std::vector<std::int64_t>{m.size()} : std::vector<std::int64_t>{m.rows(), m.cols()};
    test::write_bytes(dir / name, npy_f8(shape, flat(m)));
  };
  for (const auto& [side, lw] :
       {std::pair<std::string, const LstmWeights*>{"Left", &w.left}, {"Right", &w.right}}) {
    write("Wxh_" + side + ".npy", lw->w_ih, false);
    write("Whh_" + side + ".npy", lw->w_hh, false);
    write("bxh_" + side + ".npy", lw->b_ih, true);
    write("bhh_" + side + ".npy", lw->b_hh, true);
  }
  write("Why_Left.npy", w.fc_left, false);
  write("Why_Right.npy", w.fc_right, false);
  write("emb.npy", w.embedding, false);
  const auto m = BiLstmClassifier::from_arras(dir.path(), dir / "emb.npy", {});
  REQUIRE(m->labels() == std::vector<std::string>{"0", "1", "2"});
  const BiLstmClassifier direct({"0", "1", "2"}, w);
  REQUIRE(m->forward(kSentence) == direct.forward(kSentence));
  REQUIRE_THROWS_WITH(BiLstmClassifier::from_arras(dir.path(), dir / "emb.npy", {"a", "b"}),
                      Contains("2 labels given"));
  // A wrongly shaped, a missing and a corrupt file: one message.
  write("Whh_Right.npy", MatD::Zero(12, 4), false);
  std::filesystem::remove(dir / "bxh_Left.npy");
  test::write_bytes(dir / "Why_Right.npy", "\x93NUMPY\x01");
  REQUIRE_THROWS_AS(BiLstmClassifier::from_arras(dir.path(), dir / "emb.npy", {}), FormatError);
  REQUIRE_THROWS_WITH(BiLstmClassifier::from_arras(dir.path(), dir / "emb.npy", {}),
                      Contains("missing file") && Contains("bxh_Left.npy") &&
                          Contains("Whh_Right.npy has shape [12 x 4], expected [12 x 3]") &&
                          Contains("Why_Right.npy: byte 0"));
}

// Regression (issue 12): under half and proportional a sigmoid gate's relevance went on through the
// ε-rule, R_j/(z_j + εσ_j), which reaches R_j/ε where the gate's pre-activation z_j crosses 0 (σ is
// 1/2 there, so R_j does not vanish with z_j): single words got ±1000 times the gate's relevance,
// and over the time steps up to 2.9e8 on SST for a score of 0.99. One word, one hidden unit, the
// output gate at z_o = 1e-7: the old code gave the word 408 (half) and 205 (proportional) for a
// score of 0.545.
TEST_CASE("bilstm: a gate pre-activation at 0 does not blow up half and proportional", "[lrp][bilstm]") {
  BiLstmWeights w;
  w.embedding = MatD::Constant(2, 1, 1.0);  // [V=2 x E=1]
  for (LstmWeights* lw : {&w.left, &w.right}) {
    lw->w_ih = MatD::Constant(4, 1, 1.0);  // z = x + b, gate blocks i, g, f, o
    lw->w_hh = MatD::Zero(4, 1);
    lw->b_ih = (VecD(4) << -1 + 2e-7, 0.0, 0.0, -1 + 1e-7).finished();  // z_i = 2e-7, z_g = 1, z_o = 1e-7
    lw->b_hh = VecD::Zero(4);
  }
  w.fc_left = (MatD(2, 1) << 2.0, -1.0).finished();
  w.fc_right = (MatD(2, 1) << 1.0, 0.5).finished();
  const BiLstmClassifier m({"a", "b"}, w);
  const std::vector<TokenId> ids = {1};
  BiLstmClassifier::Trace trace;
  const VecD s = m.forward(ids, &trace);
  REQUIRE(std::abs(trace.left.z(0, 3)) < 1e-6);
  for (GateRule g : {GateRule::kSignalTakeAll, GateRule::kHalf, GateRule::kProportional}) {
    for (double bf : {0.0, 1.0}) {
      INFO(gate_rule_name(g) << " bias factor " << bf);
      const Explanation e = m.explain(ids, lrp_options(g, bf));
      REQUIRE(e.relevance.size() == 1);
      REQUIRE(std::isfinite(e.relevance[0]));
      CHECK(std::abs(e.relevance[0]) <= std::abs(s[e.target]));  // was ~250 under half
      BiLstmClassifier::LrpSettings st;
      st.bias_factor = bf;
      st.gate_rule = g;
      const BiLstmClassifier::Relevance r = m.relevance(trace, e.target, st);
      if (bf == 1.0) CHECK(std::abs(r.x_left.sum() + r.x_right.sum() + r.r_rest - s[e.target]) < 1e-12);
      // float32 follows float64 (no ratio with a tiny denominator left to amplify rounding).
      ExplainOptions o32 = lrp_options(g, bf);
      o32.precision = Precision::kFloat32;
      CHECK(std::abs(m.explain(ids, o32).relevance[0] - e.relevance[0]) < 1e-5);
    }
  }
}

// The same on random models with large weights (pre-activations of every size, many near 0) and
// sentences of 5 to 400 words: under half and proportional the word relevances stay within a small
// multiple of the score (the code before the fix failed this test), and bias factor 1 conserves
// them under every gate rule.
TEST_CASE("bilstm: random models, long sentences: bounded and conserving under every gate rule",
          "[lrp][bilstm]") {
  const Index V = 50, E = 8, H = 6, C = 3;
  double worst_gate_rules = 0;
  for (unsigned model = 1; model <= 6; ++model) {
    unsigned seed = 1000 * model;
    BiLstmWeights w;
    w.embedding = rmat(V, E, seed, 1.0);
    for (LstmWeights* lw : {&w.left, &w.right}) {
      seed += 100;
      lw->w_ih = rmat(4 * H, E, seed + 1, 2.0);
      lw->w_hh = rmat(4 * H, H, seed + 2, 2.0);
      lw->b_ih = rvec(4 * H, seed + 3, 1.0);
      lw->b_hh = rvec(4 * H, seed + 4, 1.0);
    }
    w.fc_left = rmat(C, H, seed + 5, 2.0);
    w.fc_right = rmat(C, H, seed + 6, 2.0);
    const BiLstmClassifier m({"x", "y", "z"}, w);
    for (std::size_t n : {5, 40, 400}) {
      std::vector<TokenId> ids(n);
      for (std::size_t t = 0; t < n; ++t) ids[t] = static_cast<TokenId>((t * 13 + seed * 7) % V);
      BiLstmClassifier::Trace trace;
      const VecD s = m.forward(ids, &trace);
      for (GateRule g : {GateRule::kSignalTakeAll, GateRule::kHalf, GateRule::kProportional}) {
        INFO("seed " << seed << " n " << n << " " << gate_rule_name(g));
        for (double bf : {0.0, 1.0}) {
          BiLstmClassifier::LrpSettings st;
          st.bias_factor = bf;
          st.gate_rule = g;
          for (int target = 0; target < C; ++target) {
            const BiLstmClassifier::Relevance r = m.relevance(trace, target, st);
            REQUIRE(r.x_left.allFinite());
            REQUIRE(r.x_right.allFinite());
            const MatD words = (r.x_left + r.x_right).rowwise().sum();
            const double scale = std::max(1.0, std::abs(s[target]));
            if (g != GateRule::kSignalTakeAll)
              worst_gate_rules = std::max(worst_gate_rules, words.cwiseAbs().maxCoeff() / scale);
            // Conserved up to rounding, which grows with the magnitudes that cancel (signal-take-all,
            // the reference's rule, is left as it is: its ε-rule on c_t = f⊙c_{t-1} + i⊙g still
            // amplifies where the two terms cancel; explain warns about such records).
            const double magnitude = std::max(scale, words.cwiseAbs().sum());
            if (bf == 1.0) CHECK(std::abs(words.sum() + r.r_rest - s[target]) < 1e-9 * magnitude);
          }
        }
      }
    }
  }
  CHECK(worst_gate_rules < 20);
}

// Issue 12: the BiLSTM reads at most max_tokens tokens, like the CNN (a 2 MB document took 8.7 s
// and 2.9 GB); the rest get relevance 0 and the explanation says truncated.
TEST_CASE("bilstm: max_tokens truncates scores and explanations and survives save/load", "[lrp][bilstm]") {
  const BiLstmClassifier m({"neg", "neu", "pos"}, tiny_weights(true, true), 5);
  CHECK(m.max_tokens() == 5);
  const std::vector<TokenId> first5(kSentence.begin(), kSentence.begin() + 5);
  CHECK(m.scores(kSentence) == m.scores(first5));
  for (Method method : {Method::kLrp, Method::kGradientInput, Method::kOcclusion}) {
    ExplainOptions o;
    o.method = method;
    const Explanation e = m.explain(kSentence, o);
    const Explanation e5 = m.explain(first5, o);
    CHECK(e.truncated);
    CHECK_FALSE(e5.truncated);
    REQUIRE(e.relevance.size() == kSentence.size());
    for (std::size_t t = 0; t < 5; ++t) CHECK(e.relevance[t] == e5.relevance[t]);
    for (std::size_t t = 5; t < kSentence.size(); ++t) CHECK(e.relevance[t] == 0);
    CHECK(e.bias_relevance == e5.bias_relevance);
  }
  CHECK_FALSE(tiny().explain(kSentence, ExplainOptions{}).truncated);  // default 5000
  test::TempDir tmp;
  const auto dir = tmp.path();
  const nlohmann::json hyper = m.save(dir);
  CHECK(hyper.at("max_tokens") == 5);
  const nlohmann::json config = {{"labels", m.labels()}, {"hyper", hyper}};
  CHECK(BiLstmClassifier::load(dir, config)->max_tokens() == 5);
  nlohmann::json old = config;
  old["hyper"].erase("max_tokens");  // a model written before max_tokens existed
  CHECK(BiLstmClassifier::load(dir, old)->max_tokens() == kBiLstmDefaultMaxTokens);
  old["hyper"]["max_tokens"] = 0;
  CHECK_THROWS_WITH(BiLstmClassifier::load(dir, old), Contains("max_tokens >= 1"));
  CHECK_THROWS_AS(BiLstmClassifier({"neg", "neu", "pos"}, tiny_weights(true, true), 0), InvalidArgument);
}

TEST_CASE("bilstm: batches give bit for bit the scores and gradients of one input at a time",
          "[lrp][bilstm]") {
  // Odd sizes (no multiple of any vector width), and enough inputs that the kernels' multi-row
  // blocks, their leftover rows and steps with fewer running sequences all occur.
  const Index V = 30, E = 13, H = 37, C = 3;
  BiLstmWeights w;
  w.embedding = rmat(V, E, 71, 1.0);
  unsigned seed = 72;
  for (LstmWeights* lw : {&w.left, &w.right}) {
    lw->w_ih = rmat(4 * H, E, seed++, 0.4);
    lw->w_hh = rmat(4 * H, H, seed++, 0.4);
    lw->b_ih = rvec(4 * H, seed++, 0.3);
    lw->b_hh = rvec(4 * H, seed++, 0.3);
  }
  w.fc_left = rmat(C, H, seed++, 1.0);
  w.fc_right = rmat(C, H, seed++, 1.0);
  w.fc_bias = rvec(C, seed++, 0.2);
  const BiLstmClassifier m({"a", "b", "c"}, w);
  std::mt19937 gen(9);
  std::vector<std::vector<TokenId>> docs;
  for (int i = 0; i < 13; ++i) {
    std::vector<TokenId> ids(gen() % 26);  // lengths 0..25, unsorted, some equal
    for (auto& id : ids) id = static_cast<TokenId>(gen() % (V + 2)) - 1;  // -1 and V: unknown ids
    docs.push_back(ids);
  }
  docs.push_back({});
  const MatD s = m.scores_batch(docs);
  REQUIRE(s.rows() == static_cast<Index>(docs.size()));
  std::vector<MatD> xs;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    INFO("document " << i << " of length " << docs[i].size());
    const VecD one = m.forward(docs[i]);  // scores() in float64 (scores() rounds to Scalar)
    for (Index c = 0; c < C; ++c) CHECK(s(static_cast<Index>(i), c) == one[c]);  // bit for bit
    BiLstmClassifier::Trace trace;
    m.forward(docs[i], &trace);
    xs.push_back(trace.x);
  }
  // Gradients: one output gradient per input.
  BiLstmClassifier::BatchTrace bt;
  const MatD s2 = m.forward_embedded_batch(xs, &bt);
  CHECK(s2 == s);
  const MatD g = rmat(static_cast<Index>(xs.size()), C, 99, 1.0);
  const std::vector<MatD> grads = m.gradient_batch(bt, g);
  REQUIRE(grads.size() == xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    INFO("input " << i);
    BiLstmClassifier::Trace trace;
    m.forward_embedded(xs[i], &trace);
    const MatD one = m.gradient(trace, g.row(static_cast<Index>(i)).transpose());
    REQUIRE(grads[i].rows() == one.rows());
    CHECK(grads[i] == one);
  }
  // Integrated gradients' 32 scaled copies of one input as one batch.
  const MatD x = xs[0];
  std::vector<MatD> scaled;
  for (int k = 0; k < 32; ++k) scaled.push_back(((k + 0.5) / 32) * x);
  const MatD sb = m.forward_embedded_batch(scaled);
  for (int k = 0; k < 32; ++k)
    CHECK(sb.row(k).transpose() == m.forward_embedded(scaled[static_cast<std::size_t>(k)], nullptr));
}

TEST_CASE("bilstm: prefix-tree scoring of deletion and occlusion variants is bit for bit one input at a time",
          "[lrp][bilstm][batch]") {
  // Odd sizes (no multiple of any vector width): the kernels' multi-row blocks and leftovers occur.
  const Index V = 40, E = 11, H = 29, C = 4;
  BiLstmWeights w;
  w.embedding = rmat(V, E, 81, 1.0);
  w.embedding.row(7).setZero();  // a known id whose row is the zero row of an unknown id
  unsigned seed = 82;
  for (LstmWeights* lw : {&w.left, &w.right}) {
    lw->w_ih = rmat(4 * H, E, seed++, 0.5);
    lw->w_hh = rmat(4 * H, H, seed++, 0.5);
    lw->b_ih = rvec(4 * H, seed++, 0.3);
    lw->b_hh = rvec(4 * H, seed++, 0.3);
  }
  w.fc_left = rmat(C, H, seed++, 1.0);
  w.fc_right = rmat(C, H, seed++, 1.0);
  w.fc_bias = rvec(C, seed++, 0.2);
  const BiLstmClassifier m({"a", "b", "c", "d"}, w, 30);  // max_tokens 30: the 35-token document is cut
  const Differentiable& d = m;
  std::mt19937 gen(5);
  for (std::size_t len : {0u, 1u, 2u, 9u, 23u, 35u}) {
    std::vector<TokenId> ids(len);
    for (auto& id : ids) id = static_cast<TokenId>(gen() % (V + 4)) - 2;  // -2, -1, V, V+1: unknown ids
    // Deletion-curve variants as `textlrp deletion` makes them: per ordering the document after
    // 1..5 deletions (id -1); some orderings start alike, and the document itself comes twice.
    std::vector<std::vector<TokenId>> docs{ids};
    for (int o = 0; o < 6; ++o) {
      std::vector<TokenId> v = ids;
      for (std::size_t k = 0; k < std::min<std::size_t>(5, len); ++k) {
        v[o < 2 ? k : (gen() % len)] = -1;
        docs.push_back(v);
      }
    }
    docs.push_back(ids);
    docs.push_back({});
    // Occlusion's variants: the embedded document without one row each.
    const Embedded in = d.embed(ids);
    std::vector<MatD64> xs{in.x};
    for (Index r = 0; r < in.x.rows(); ++r) {
      MatD64 without(in.x.rows() - 1, E);
      without.topRows(r) = in.x.topRows(r);
      without.bottomRows(in.x.rows() - 1 - r) = in.x.bottomRows(in.x.rows() - 1 - r);
      xs.push_back(std::move(without));
    }
    xs.push_back(in.x);
    INFO("length " << len);
    const MatD64 s = d.batch_scores_of(docs);
    const MatD64 s_small = d.batch_scores_of(docs, 3);  // chunks of about 12 ids: many batches
    REQUIRE(s.rows() == static_cast<Index>(docs.size()));
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const std::span<const TokenId> read(docs[i].data(), std::min<std::size_t>(docs[i].size(), 30));
      const VecD one = m.forward(read);
      for (Index k = 0; k < C; ++k) {
        CHECK(s(static_cast<Index>(i), k) == one[k]);
        CHECK(s_small(static_cast<Index>(i), k) == one[k]);
      }
    }
    const MatD64 so = d.batch_scores(xs);
    REQUIRE(so.rows() == static_cast<Index>(xs.size()));
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const VecD one = m.forward_embedded(xs[i], nullptr);
      for (Index k = 0; k < C; ++k) CHECK(so(static_cast<Index>(i), k) == one[k]);
    }
  }
}

TEST_CASE("lstm: the prefix-tree forward computes a shared prefix once", "[lrp][lstm][batch]") {
  const Index E = 5, H = 7;
  const Lstm<double> lstm(rmat(4 * H, E, 3, 0.6), rmat(4 * H, H, 4, 0.6), rvec(4 * H, 5, 0.2));
  const LstmPrefixForward<double> tree(lstm);
  const MatD x = rmat(6, E, 6, 1.0);  // six distinct input rows
  MatD zx(6, 4 * H);
  lstm.project(x.data(), E, 6, zx.data(), 4 * H);
  // Sequences 0 1 2 3, 0 1 2 4, 0 1 5, 0 1 2 3 (again) and the empty one.
  const std::vector<Index> idx{0, 1, 2, 3, 0, 1, 2, 4, 0, 1, 5, 0, 1, 2, 3};
  const std::vector<Index> start{0, 4, 8, 11, 15, 15};
  MatD h;
  // Nodes 0; 0 1; 0 1 2 and 0 1 5; 0 1 2 3 and 0 1 2 4: six, not the 15 rows.
  CHECK(tree.final_states(zx.data(), 4 * H, idx, start, false, &h) == 6);
  REQUIRE(h.rows() == 5);
  CHECK(h.row(4).isZero(0));
  CHECK(h.row(3) == h.row(0));
  // Read backwards (3 2 1 0, 4 2 1 0, 5 1 0, 3 2 1 0) only sequences 0 and 3 share: 4 + 4 + 3 nodes.
  MatD hr;
  CHECK(tree.final_states(zx.data(), 4 * H, idx, start, true, &hr) == 11);
  for (Index b = 0; b < 4; ++b) {
    INFO("sequence " << b);
    const Index L = start[static_cast<std::size_t>(b) + 1] - start[static_cast<std::size_t>(b)];
    MatD xb(L, E), xr(L, E);
    for (Index t = 0; t < L; ++t) {
      xb.row(t) = x.row(idx[static_cast<std::size_t>(start[static_cast<std::size_t>(b)] + t)]);
      xr.row(L - 1 - t) = xb.row(t);
    }
    for (const bool rev : {false, true}) {
      const MatD& xs = rev ? xr : xb;
      MatD z(L, 4 * H);
      lstm.project(xs.data(), E, L, z.data(), 4 * H);
      LstmCache<double> cache;
      lstm.forward(LstmBatch::equal(1, L), z.data(), 4 * H, false, &cache);
      CHECK((rev ? hr : h).row(b) == cache.h.row(L - 1));  // bit for bit
    }
  }
}
