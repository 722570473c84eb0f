// CnnClassifier: the model-level properties of issue 3 (no shared data needed): LRP-0 = gradient x
// input on a bias-free network (gradient from finite differences), conservation with bias 0,
// padding and truncation get exactly 0, zplus keeps signs, the baselines, save/load round trip,
// and the importer's errors (missing, unexpected, wrongly shaped and wrongly typed tensors).
#include <fmt/format.h>

#include <numeric>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/safetensors.h"
#include "lrp/models/cnn_classifier.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::lrp;
using Catch::Matchers::Contains;

namespace {

Mat rmat(Index rows, Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<Scalar>(gen() >> 8) / static_cast<Scalar>(1 << 23) - 1;
  return m;
}

// V = 12, E = 5, widths {2, 3}, F = 4, C = 3.
CnnClassifier tiny(bool with_bias, Index max_tokens = kDefaultMaxTokens) {
  const Index V = 12, E = 5, F = 4, C = 3;
  std::vector<Conv1d> convs;
  for (Index k : {2, 3}) {
    const Vec b = with_bias ? Vec(rmat(F, 1, 100 + static_cast<unsigned>(k)).col(0) * 0.3f) : Vec::Zero(F);
    convs.emplace_back(rmat(F, E * k, static_cast<unsigned>(k)), E, k, b);
  }
  const Vec fb = with_bias ? Vec(rmat(C, 1, 7).col(0)) : Vec::Zero(C);
  return CnnClassifier({"a", "b", "c"}, Embedding(rmat(V, E, 5)), std::move(convs),
                       Dense(rmat(C, 2 * F, 6), fb), max_tokens);
}

const std::vector<TokenId> kDoc = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

ExplainOptions with_rule(const Classifier& m, const std::string& rule) {
  ExplainOptions o;
  o.rules = m.default_rules();
  o.rules.apply(rule);
  return o;
}

}  // namespace

TEST_CASE("cnn: LRP-0 on a bias-free ReLU network equals gradient x input (finite differences)",
          "[lrp][cnn]") {
  const CnnClassifier m = tiny(false);
  const Explanation e = m.explain(kDoc, with_rule(m, "zero"));
  CnnClassifier::Trace trace;
  m.forward(kDoc, &trace);
  // Finite-difference gradient of the target score w.r.t. each embedding entry.
  const Scalar h = 1e-3f;
  Mat x = trace.x;
  for (Index t = 0; t < static_cast<Index>(kDoc.size()); ++t) {
    double gi = 0;
    for (Index d = 0; d < x.cols(); ++d) {
      const Scalar saved = x(t, d);
      x(t, d) = saved + h;
      CnnClassifier::Trace up;
      const double s_up = m.forward_embedded(x, &up)[e.target];
      x(t, d) = saved - h;
      CnnClassifier::Trace down;
      const double s_down = m.forward_embedded(x, &down)[e.target];
      x(t, d) = saved;
      gi += (s_up - s_down) / (2.0 * h) * saved;
    }
    INFO("token " << t);
    REQUIRE(e.relevance[static_cast<std::size_t>(t)] == Approx(gi).margin(2e-3));
  }
  // And equals the analytic gradient x input.
  ExplainOptions o;
  o.method = Method::kGradientInput;
  const Explanation g = m.explain(kDoc, o);
  for (std::size_t t = 0; t < kDoc.size(); ++t)
    REQUIRE(e.relevance[t] == Approx(g.relevance[t]).margin(1e-5));
}

TEST_CASE("cnn: with bias 0 and epsilon -> 0 token relevances sum to the score", "[lrp][cnn]") {
  const CnnClassifier m = tiny(false);
  for (const char* rule :
       {"zero", "epsilon(1e-9)", "conv=zplus,fc=zero", "alphabeta(2,1)", "gamma(0.25)", "flat", "wsquare"}) {
    INFO(rule);
    const Explanation e = m.explain(kDoc, with_rule(m, rule));
    REQUIRE(sum(e.relevance) == Approx(e.scores[e.target]).margin(1e-4));
    REQUIRE(e.bias_relevance == Approx(0).margin(1e-4));
  }
  // With biases the remainder is reported, so relevance + bias_relevance == score always.
  const CnnClassifier mb = tiny(true);
  const Explanation eb = mb.explain(kDoc, ExplainOptions{});
  REQUIRE(sum(eb.relevance) + eb.bias_relevance == Approx(eb.scores[eb.target]).margin(1e-5));
  REQUIRE(eb.rule == "epsilon(0.01)");
}

TEST_CASE("cnn: padding and unknown ids get exactly 0; short documents work", "[lrp][cnn]") {
  const CnnClassifier m = tiny(true);
  const std::vector<TokenId> short_doc = {4, 7};  // shorter than the widest kernel (3): one padding row
  CnnClassifier::Trace trace;
  m.forward(short_doc, &trace);
  REQUIRE(trace.x.rows() == 3);
  const Mat r_x = m.relevance(trace, Vec::Ones(3), m.default_rules());
  REQUIRE(r_x.row(2).isZero(0));  // padding row: exactly 0
  for (const char* rule : {"epsilon(0.01)", "zplus", "alphabeta(2,1)", "gamma(0.25)", "flat", "wsquare"}) {
    const Explanation e = m.explain(short_doc, with_rule(m, rule));
    REQUIRE(e.relevance.size() == 2);
  }
  // Unknown ids (outside the vocabulary) are zero vectors: exactly 0 under x-based rules.
  const std::vector<TokenId> with_unknown = {4, -1, 7, 99, 2};
  for (const char* rule : {"zero", "epsilon(0.01)", "zplus", "alphabeta(2,1)", "gamma(0.25)"}) {
    const Explanation e = m.explain(with_unknown, with_rule(m, rule));
    REQUIRE(e.relevance[1] == 0.0);
    REQUIRE(e.relevance[3] == 0.0);
  }
  // The empty document is explained with no tokens.
  const Explanation empty = m.explain(std::vector<TokenId>{}, ExplainOptions{});
  REQUIRE(empty.relevance.empty());
  REQUIRE(empty.bias_relevance == Approx(empty.scores[empty.target]));
}

TEST_CASE("cnn: long documents are truncated at max_tokens and say so", "[lrp][cnn]") {
  const CnnClassifier m = tiny(true, 5);
  const Explanation e = m.explain(kDoc, ExplainOptions{});
  REQUIRE(e.truncated);
  REQUIRE(e.relevance.size() == kDoc.size());
  for (std::size_t t = 5; t < kDoc.size(); ++t) REQUIRE(e.relevance[t] == 0.0);
  const std::vector<TokenId> head(kDoc.begin(), kDoc.begin() + 5);
  REQUIRE(m.scores(kDoc).isApprox(m.scores(head)));
  REQUIRE_FALSE(m.explain(head, ExplainOptions{}).truncated);
}

TEST_CASE("cnn: zplus with non-negative output relevance gives non-negative token relevance", "[lrp][cnn]") {
  const CnnClassifier m = tiny(true);
  CnnClassifier::Trace trace;
  m.forward(kDoc, &trace);
  RuleMap rules = m.default_rules();
  rules.apply("zplus");
  for (Index c = 0; c < 3; ++c) {
    Vec r = Vec::Zero(3);
    r[c] = 1.5f;
    const Mat r_x = m.relevance(trace, r, rules);
    REQUIRE(r_x.minCoeff() >= 0);
    REQUIRE(r_x.rowwise().sum().minCoeff() >= 0);
  }
}

TEST_CASE("cnn: baselines", "[lrp][cnn]") {
  const CnnClassifier m = tiny(true);
  ExplainOptions o;
  SECTION("occlusion is the score drop when the token is removed") {
    o.method = Method::kOcclusion;
    const Explanation e = m.explain(kDoc, o);
    std::vector<TokenId> without = kDoc;
    without.erase(without.begin() + 4);
    REQUIRE(e.relevance[4] == Approx(e.scores[e.target] - m.scores(without)[e.target]).margin(1e-6));
  }
  SECTION("integrated gradients is complete: the sum approaches s(x) - s(0)") {
    o.method = Method::kIntegratedGradients;
    o.ig_steps = 512;
    const Explanation e = m.explain(kDoc, o);
    CnnClassifier::Trace zero;
    const Vec s0 = m.forward_embedded(Mat::Zero(static_cast<Index>(kDoc.size()), 5), &zero);
    REQUIRE(sum(e.relevance) == Approx(e.scores[e.target] - s0[e.target]).margin(2e-3));
    o.ig_steps = 0;
    REQUIRE_THROWS_AS(m.explain(kDoc, o), InvalidArgument);
  }
  SECTION("sensitivity is the squared gradient norm, non-negative") {
    o.method = Method::kSensitivity;
    const Explanation e = m.explain(kDoc, o);
    for (double v : e.relevance) REQUIRE(v >= 0);
  }
  SECTION("random is seeded, in [-1, 1], and differs between documents and seeds") {
    o.method = Method::kRandom;
    o.seed = 7;
    const Explanation a = m.explain(kDoc, o);
    REQUIRE(a.relevance == m.explain(kDoc, o).relevance);
    for (double v : a.relevance) REQUIRE((v >= -1 && v <= 1));
    o.seed = 8;
    REQUIRE(a.relevance != m.explain(kDoc, o).relevance);
    const std::vector<TokenId> other = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 6};
    o.seed = 7;
    REQUIRE(a.relevance[0] != m.explain(other, o).relevance[0]);
  }
  SECTION("targets out of range and unknown roles are usage errors") {
    o.target = 3;
    REQUIRE_THROWS_AS(m.explain(kDoc, o), InvalidArgument);
    ExplainOptions bad;
    bad.rules = RuleMap({{"lstm", rules::Zero{}}});
    REQUIRE_THROWS_WITH(m.explain(kDoc, bad), Contains("unknown layer role 'lstm'"));
  }
}

TEST_CASE("cnn: backward gives parameter gradients matching finite differences", "[lrp][cnn][backward]") {
  const CnnClassifier m = tiny(true);
  CnnClassifier::Trace trace;
  const Vec s = m.forward(kDoc, &trace);
  const Vec g = Vec::Ones(3);  // L = Σ_c s_c
  CnnClassifier::Gradients grads;
  m.backward(trace, g, &grads);
  // fc.bias: dL/db = 1 for each class.
  REQUIRE(grads.fc.bias.isApprox(Vec::Ones(3)));
  REQUIRE(grads.conv.size() == 2);
  REQUIRE(grads.conv[1].weight.rows() == 4);
  REQUIRE(grads.conv[1].weight.cols() == 15);
  // One conv bias entry by finite differences (rebuild the model with a nudged bias).
  auto loss_with_bias = [&](Scalar delta) {
    std::vector<Conv1d> convs = m.convs();
    Vec b = convs[0].bias();
    b[1] += delta;
    convs[0] = Conv1d(convs[0].weight(), 5, 2, b);
    const CnnClassifier mm({"a", "b", "c"}, m.embedding(), convs, m.fc());
    return static_cast<double>(mm.scores(kDoc).sum());
  };
  const double fd = (loss_with_bias(1e-3f) - loss_with_bias(-1e-3f)) / 2e-3;
  REQUIRE(grads.conv[0].bias[1] == Approx(fd).margin(2e-3));
  REQUIRE(grads.embedding.ids.size() == kDoc.size());
}

TEST_CASE("cnn: explain is thread-safe on one shared model", "[lrp][cnn]") {
  const CnnClassifier m = tiny(true);
  const Explanation ref = m.explain(kDoc, ExplainOptions{});
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) got[i] = m.explain(kDoc, ExplainOptions{}).relevance;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) REQUIRE(g == ref.relevance);
}

TEST_CASE("cnn: save/load round trip", "[lrp][cnn]") {
  const CnnClassifier m = tiny(true, 77);
  test::TempDir dir;
  nlohmann::json config;
  config["labels"] = m.labels();
  config["hyper"] = m.save(dir.path());
  REQUIRE(config["hyper"]["kernel_sizes"] == nlohmann::json::array({2, 3}));
  const auto loaded = CnnClassifier::load(dir.path(), config);
  REQUIRE(loaded->max_tokens() == 77);
  REQUIRE(loaded->scores(kDoc).isApprox(m.scores(kDoc)));
  const Explanation a = m.explain(kDoc, with_rule(m, "conv=alphabeta(2,1),fc=epsilon(0.1)"));
  const Explanation b = loaded->explain(kDoc, with_rule(*loaded, "conv=alphabeta(2,1),fc=epsilon(0.1)"));
  for (std::size_t t = 0; t < kDoc.size(); ++t)
    REQUIRE(a.relevance[t] == Approx(b.relevance[t]).margin(1e-6));
  // Through the factory.
  config["architecture"] = "cnn";
  REQUIRE(load_classifier(dir.path(), config)->architecture() == "cnn");
  // A config that disagrees with the tensors: one message naming the tensors.
  config["hyper"]["n_filters"] = 5;
  REQUIRE_THROWS_WITH(CnnClassifier::load(dir.path(), config),
                      Contains("convs.0.weight' has shape [4 x 5 x 2], expected [5 x 5 x 2]") &&
                          Contains("fc.weight' has shape [3 x 8], expected [3 x 10]"));
}

namespace {

// A PyTorch-style state dict of the tiny model, single width, named conv.* (as nn.Conv1d attribute).
TensorWriter pytorch_writer() {
  TensorWriter w;
  w.add("embedding.weight", rmat(12, 5, 1));
  Mat cw = rmat(4, 5 * 3, 2);
  w.add("conv.weight", {4, 5, 3}, std::vector<float>(cw.data(), cw.data() + cw.size()));
  w.add("conv.bias", Vec(rmat(4, 1, 3).col(0)));
  w.add("fc.weight", rmat(3, 4, 4));
  w.add("fc.bias", Vec(rmat(3, 1, 5).col(0)));
  return w;
}

// Rewrites one tensor's dtype in a serialised file to F16 (same byte size for half the elements:
// the shape is halved in its last dimension so the file stays valid).
std::string with_f16_tensor(std::string bytes, const std::string& name) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  auto& t = header[name];
  t["dtype"] = "F16";
  auto shape = t["shape"].get<std::vector<std::int64_t>>();
  shape.back() *= 2;  // F16 is 2 bytes: twice the elements in the same bytes
  t["shape"] = shape;
  std::string h = header.dump();
  h.resize(n, ' ');
  REQUIRE(h.size() == n);
  return bytes.substr(0, 8) + h + bytes.substr(8 + n);
}

}  // namespace

TEST_CASE("cnn: import from a PyTorch state dict", "[lrp][cnn][import]") {
  SECTION("single width named conv.*, hyper-parameters from the shapes, labels 0..C-1") {
    const TensorStore store = TensorStore::parse(pytorch_writer().serialize(), "model.safetensors");
    const auto m = CnnClassifier::from_pytorch(store, {});
    REQUIRE(m->labels() == std::vector<std::string>{"0", "1", "2"});
    REQUIRE(m->convs().size() == 1);
    REQUIRE(m->convs()[0].kernel() == 3);
    REQUIRE(m->n_vocab() == 12);
    REQUIRE_THROWS_WITH(CnnClassifier::from_pytorch(store, {"x", "y"}),
                        Contains("2 labels given") && Contains("3 classes"));
  }
  SECTION("missing, unexpected and wrongly shaped tensors in one message") {
    TensorWriter w;
    w.add("embedding.weight", rmat(12, 5, 1));
    Mat cw = rmat(4, 5 * 3, 2);
    w.add("conv.weight", {4, 5, 3}, std::vector<float>(cw.data(), cw.data() + cw.size()));
    w.add("fc.weight", rmat(3, 6, 4));  // expected [3 x 4]
    w.add("fc.bias", Vec(rmat(3, 1, 5).col(0)));
    w.add("dropout.p", Vec(Vec::Ones(1)));
    const TensorStore store = TensorStore::parse(w.serialize(), "bad.safetensors");
    REQUIRE_THROWS_AS(CnnClassifier::from_pytorch(store, {}), FormatError);
    REQUIRE_THROWS_WITH(CnnClassifier::from_pytorch(store, {}),
                        Contains("bad.safetensors") && Contains("missing tensor 'conv.bias' [4]") &&
                            Contains("tensor 'fc.weight' has shape [3 x 6], expected [3 x 4]") &&
                            Contains("unexpected tensor 'dropout.p' [1]"));
  }
  SECTION("no convolution at all") {
    TensorWriter w;
    w.add("embedding.weight", rmat(12, 5, 1));
    w.add("fc.weight", rmat(3, 4, 4));
    w.add("fc.bias", Vec(rmat(3, 1, 5).col(0)));
    const TensorStore store = TensorStore::parse(w.serialize(), "noconv.safetensors");
    REQUIRE_THROWS_WITH(CnnClassifier::from_pytorch(store, {}),
                        Contains("missing tensor 'convs.0.weight' [? x 5 x ?]") && Contains("convs.0.bias"));
  }
  SECTION("wrong dtype is named") {
    const std::string bytes = with_f16_tensor(pytorch_writer().serialize(), "fc.bias");
    const TensorStore store = TensorStore::parse(bytes, "f16.safetensors");
    REQUIRE_THROWS_WITH(CnnClassifier::from_pytorch(store, {}),
                        Contains("tensor 'fc.bias' has dtype F16, expected F32") &&
                            Contains("tensor 'fc.bias' has shape [6], expected [3]"));
  }
  SECTION("several widths as convs.{i}") {
    TensorWriter w;
    w.add("embedding.weight", rmat(12, 5, 1));
    for (int i = 0; i < 2; ++i) {
      const Mat cw = rmat(4, 5 * (i + 2), 2 + static_cast<unsigned>(i));
      w.add(fmt::format("convs.{}.weight", i), {4, 5, i + 2},
            std::vector<float>(cw.data(), cw.data() + cw.size()));
      w.add(fmt::format("convs.{}.bias", i), Vec(rmat(4, 1, 9).col(0)));
    }
    w.add("fc.weight", rmat(3, 8, 4));
    w.add("fc.bias", Vec(rmat(3, 1, 5).col(0)));
    const auto m = CnnClassifier::from_pytorch(TensorStore::parse(w.serialize(), "m"), {"a", "b", "c"});
    REQUIRE(m->convs().size() == 2);
    REQUIRE(m->max_kernel() == 3);
  }
}
