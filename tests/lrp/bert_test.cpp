// BertClassifier on random tiny models built here (no shared data): CP-LRP conservation without
// biases, finite differences for the gradient, the AttnLRP rules on a case with a closed form,
// empty input, the Hugging Face loader (BERT and DistilBERT names, F16/BF16, errors).
#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/endian.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "lrp/models/bert_classifier.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::lrp;
using Catch::Matchers::Contains;

namespace {

BertConfig tiny_config(BertArchitecture arch = BertArchitecture::kBert) {
  BertConfig c;
  c.architecture = arch;
  c.vocab_size = 20;
  c.hidden = 8;
  c.layers = 2;
  c.heads = 2;
  c.intermediate = 16;
  c.max_positions = 12;
  c.type_vocab = arch == BertArchitecture::kBert ? 2 : 0;
  c.layer_norm_eps = 1e-12f;
  c.labels = {"a", "b", "c"};
  return c;
}

struct Rng {
  std::mt19937 gen;
  explicit Rng(unsigned seed) : gen(seed) {}
  Mat normal(Index r, Index c, float sd) {
    std::normal_distribution<float> n(0.0f, sd);
    Mat m(r, c);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = n(gen);
    return m;
  }
  Vec vec(Index n, float sd) { return normal(n, 1, sd).col(0); }
  Vec uniform(Index n, float lo, float hi) {
    std::uniform_real_distribution<float> u(lo, hi);
    Vec v(n);
    for (Index i = 0; i < n; ++i) v[i] = u(gen);
    return v;
  }
};

// Weight scales as in the tiny-bert fixture. zero_bias: every Linear bias and LayerNorm β is 0.
BertWeights random_weights(const BertConfig& c, unsigned seed, bool zero_bias) {
  Rng r(seed);
  const Index H = c.hidden, F = c.intermediate;
  const float bs = zero_bias ? 0.0f : 0.1f;
  auto lin = [&](Index out, Index in, float sd) {
    BertLinear l;
    l.w = r.normal(out, in, sd);
    l.b = r.vec(out, bs);
    return l;
  };
  auto ln = [&] {
    BertLayerNorm n;
    n.gamma = r.uniform(H, 0.8f, 1.2f);
    n.beta = r.vec(H, bs);
    return n;
  };
  BertWeights w;
  w.word = r.normal(c.vocab_size, H, 1.0f);
  w.position = r.normal(c.max_positions, H, 0.3f);
  if (c.architecture == BertArchitecture::kBert) w.type = r.normal(c.type_vocab, H, 0.3f);
  w.ln_embeddings = ln();
  for (Index l = 0; l < c.layers; ++l) {
    BertLayer L;
    L.q = lin(H, H, 0.6f);
    L.k = lin(H, H, 0.6f);
    L.v = lin(H, H, 1.0f / std::sqrt(float(H)));
    L.o = lin(H, H, 1.0f / std::sqrt(float(H)));
    L.ln_attention = ln();
    L.ff1 = lin(F, H, 1.5f / std::sqrt(float(H)));
    L.ff2 = lin(H, F, 1.0f / std::sqrt(float(F)));
    L.ln_output = ln();
    w.layers.push_back(std::move(L));
  }
  w.head = lin(H, H, 2.0f / std::sqrt(float(H)));
  w.classifier = lin(3, H, 0.6f);
  return w;
}

double sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// Hugging Face tensor names for `w`.
TensorWriter hf_writer(const BertConfig& c, const BertWeights& w) {
  TensorWriter out;
  const bool bert = c.architecture == BertArchitecture::kBert;
  const std::string e = bert ? "bert.embeddings." : "distilbert.embeddings.";
  out.add(e + "word_embeddings.weight", w.word);
  out.add(e + "position_embeddings.weight", w.position);
  if (bert) out.add(e + "token_type_embeddings.weight", w.type);
  out.add(e + "LayerNorm.weight", w.ln_embeddings.gamma);
  out.add(e + "LayerNorm.bias", w.ln_embeddings.beta);
  auto lin = [&](const std::string& p, const BertLinear& l) {
    out.add(p + ".weight", l.w);
    out.add(p + ".bias", l.b);
  };
  auto ln = [&](const std::string& p, const BertLayerNorm& n) {
    out.add(p + ".weight", n.gamma);
    out.add(p + ".bias", n.beta);
  };
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const BertLayer& L = w.layers[l];
    if (bert) {
      const std::string p = fmt::format("bert.encoder.layer.{}.", l);
      lin(p + "attention.self.query", L.q);
      lin(p + "attention.self.key", L.k);
      lin(p + "attention.self.value", L.v);
      lin(p + "attention.output.dense", L.o);
      ln(p + "attention.output.LayerNorm", L.ln_attention);
      lin(p + "intermediate.dense", L.ff1);
      lin(p + "output.dense", L.ff2);
      ln(p + "output.LayerNorm", L.ln_output);
    } else {
      const std::string p = fmt::format("distilbert.transformer.layer.{}.", l);
      lin(p + "attention.q_lin", L.q);
      lin(p + "attention.k_lin", L.k);
      lin(p + "attention.v_lin", L.v);
      lin(p + "attention.out_lin", L.o);
      ln(p + "sa_layer_norm", L.ln_attention);
      lin(p + "ffn.lin1", L.ff1);
      lin(p + "ffn.lin2", L.ff2);
      ln(p + "output_layer_norm", L.ln_output);
    }
  }
  lin(bert ? "bert.pooler.dense" : "pre_classifier", w.head);
  lin("classifier", w.classifier);
  return out;
}

nlohmann::json hf_config(const BertConfig& c) {
  nlohmann::json j;
  if (c.architecture == BertArchitecture::kBert) {
    j = {{"architectures", {"BertForSequenceClassification"}},
         {"model_type", "bert"},
         {"vocab_size", c.vocab_size},
         {"hidden_size", c.hidden},
         {"num_hidden_layers", c.layers},
         {"num_attention_heads", c.heads},
         {"intermediate_size", c.intermediate},
         {"hidden_act", "gelu"},
         {"max_position_embeddings", c.max_positions},
         {"type_vocab_size", c.type_vocab},
         {"layer_norm_eps", 1e-12}};
  } else {
    j = {{"architectures", {"DistilBertForSequenceClassification"}},
         {"model_type", "distilbert"},
         {"vocab_size", c.vocab_size},
         {"dim", c.hidden},
         {"n_layers", c.layers},
         {"n_heads", c.heads},
         {"hidden_dim", c.intermediate},
         {"activation", "gelu"},
         {"max_position_embeddings", c.max_positions}};
  }
  j["id2label"] = {{"0", "a"}, {"1", "b"}, {"2", "c"}};
  return j;
}

// Rewrites every F32 tensor of a serialised file to F16 or BF16 (rounding to nearest even).
std::string to_half(const std::string& bytes, bool bf16) {
  std::uint64_t n = load_le<std::uint64_t>(bytes.data());
  nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  const std::string data = bytes.substr(8 + n);
  std::string out_data;
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  for (auto& [name, t] : header.items()) {
    if (name == "__metadata__") continue;
    const auto off = t["data_offsets"].get<std::vector<std::size_t>>();
    const std::size_t begin = out_data.size();
    for (std::size_t i = off[0]; i < off[1]; i += 4) {
      const float f = load_le<float>(data.data() + i);
      std::uint32_t bits;
      std::memcpy(&bits, &f, 4);
      std::uint16_t v;
      if (bf16) {
        v = static_cast<std::uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
      } else {  // normal range only (the test's weights are far from under- and overflow)
        const std::uint32_t sign = (bits >> 16) & 0x8000u;
        const int exp = static_cast<int>((bits >> 23) & 0xFF) - 127 + 15;
        std::uint32_t mant = bits & 0x7FFFFFu;
        if (exp <= 0) {
          v = static_cast<std::uint16_t>(sign);  // flush tiny values to zero
        } else {
          std::uint32_t r = (static_cast<std::uint32_t>(exp) << 10) | (mant >> 13);
          const std::uint32_t rest = mant & 0x1FFFu;
          if (rest > 0x1000u || (rest == 0x1000u && (r & 1u))) ++r;
          v = static_cast<std::uint16_t>(sign | r);
        }
      }
      char buf[2];
      store_le<std::uint16_t>(buf, v);
      out_data.append(buf, 2);
    }
    h[name] = {
        {"dtype", bf16 ? "BF16" : "F16"}, {"shape", t["shape"]}, {"data_offsets", {begin, out_data.size()}}};
  }
  std::string hs = h.dump();
  while ((8 + hs.size()) % 8 != 0) hs.push_back(' ');
  std::string out(8, '\0');
  store_le<std::uint64_t>(out.data(), hs.size());
  return out + hs + out_data;
}

const std::vector<TokenId> kIds = {1, 5, 7, 3, 9, 11, 2};

}  // namespace

TEST_CASE("bert: CP-LRP conserves the logit when every bias and LayerNorm beta is zero", "[lrp][bert]") {
  for (auto arch : {BertArchitecture::kBert, BertArchitecture::kDistilBert}) {
    const BertConfig c = tiny_config(arch);
    BertWeights w = random_weights(c, 7, true);
    {
      const BertClassifier m(c, w);
      for (int target = 0; target < 3; ++target) {
        const auto e = m.explain(kIds, BertMethod::kCpLrp, target);
        const double f = e.logits[target];
        // Every embedding share together (word + position + type) is the logit.
        INFO("target " << target << " logit " << f);
        CHECK(std::abs(sum(e.relevance) + e.position_type_share - f) <= 1e-5 * std::max(1.0, std::abs(f)));
      }
    }
    // With position and type embeddings zero too, the tokens get everything.
    w.position.setZero();
    if (arch == BertArchitecture::kBert) w.type.setZero();
    const BertClassifier m(c, w);
    const auto e = m.explain(kIds, BertMethod::kCpLrp);
    const double f = e.logits[e.target];
    CHECK(std::abs(sum(e.relevance) - f) <= 1e-5 * std::abs(f));
    CHECK(std::abs(e.bias_relevance) <= 1e-5 * std::abs(f));
    CHECK(e.position_type_share == 0.0);
    // AttnLRP is not conservative through the softmax: it really is another rule.
    const auto a = m.explain(kIds, BertMethod::kAttnLrp);
    CHECK(std::abs(sum(a.relevance) - f) > 1e-3 * std::abs(f));
  }
}

TEST_CASE("bert: the gradient matches finite differences of the logit", "[lrp][bert]") {
  for (auto arch : {BertArchitecture::kBert, BertArchitecture::kDistilBert}) {
    const BertConfig c = tiny_config(arch);
    BertWeights w = random_weights(c, 11, false);
    const BertClassifier m(c, w);
    const int target = 1;
    const Mat g = m.embedding_gradient(kIds, BertMethod::kGradientInput, target);
    // Perturb word-embedding rows of ids used once (the gradient w.r.t. e_t is that w.r.t. Wword[id_t]).
    double max_err = 0, max_g = 0;
    for (std::size_t t = 0; t < kIds.size(); ++t) {
      for (Index k = 0; k < c.hidden; k += 3) {
        const float h = 1e-2f;
        BertWeights wp = w, wm = w;
        wp.word(kIds[t], k) += h;
        wm.word(kIds[t], k) -= h;
        const double fd = (double(BertClassifier(c, wp).logits(kIds)[target]) -
                           double(BertClassifier(c, wm).logits(kIds)[target])) /
                          (2.0 * h);
        max_err = std::max(max_err, std::abs(fd - g(static_cast<Index>(t), k)));
        max_g = std::max(max_g, std::abs(double(g(static_cast<Index>(t), k))));
      }
    }
    INFO("max |fd - g| " << max_err << ", max |g| " << max_g);
    CHECK(max_err <= 2e-3 * std::max(1.0, max_g));
    // gi and sa are built from that gradient.
    const auto gi = m.explain(kIds, BertMethod::kGradientInput, target);
    const auto sa = m.explain(kIds, BertMethod::kSensitivity, target);
    for (std::size_t t = 0; t < kIds.size(); ++t) {
      const auto gt = g.row(static_cast<Index>(t));
      CHECK(std::abs(gi.relevance[t] - double(w.word.row(kIds[t]).dot(gt))) <= 1e-5 * std::max(1.0, max_g));
      CHECK(std::abs(sa.relevance[t] - double(gt.squaredNorm())) <= 1e-5 * std::max(1.0, max_g * max_g));
    }
    CHECK(sa.bias_relevance == 0.0);
  }
}

TEST_CASE("bert: AttnLRP halves the value path; CP-LRP keeps it whole (hand-computed, one piece)",
          "[lrp][bert]") {
  // One layer, one piece ([CLS] only: A = [[1]], so the softmax passes no gradient and C = V), every
  // bias and beta zero, the feed-forward off (ff1 = 0: GELU(0) = 0 and the identity rule passes
  // nothing). The modified backward pass is then short enough to write out here.
  BertConfig c = tiny_config();
  c.layers = 1;
  BertWeights w = random_weights(c, 3, true);
  w.layers[0].ff1.w.setZero();
  const BertClassifier m(c, w);
  const std::vector<TokenId> ids = {4};
  using Row = Eigen::Matrix<float, 1, Eigen::Dynamic>;
  struct Ln {
    Row y;
    float s;
  };
  auto ln = [](const Row& x, const BertLayerNorm& n) {
    const float mu = x.mean();
    const float s = std::sqrt((x.array() - mu).square().mean() + 1e-12f);
    return Ln{((x.array() - mu) / s).matrix().cwiseProduct(n.gamma.transpose()), s};
  };
  auto ln_back = [](const Row& g, const BertLayerNorm& n, float s) {
    const Row gg = g.cwiseProduct(n.gamma.transpose());
    return Row((gg.array() - gg.mean()) / s);
  };
  const BertLayer& L = w.layers[0];
  const Row e = w.word.row(4) + w.position.row(0) + w.type.row(0);
  const Ln h = ln(e, w.ln_embeddings);
  const Row v = h.y * L.v.w.transpose();
  const Ln a = ln(v * L.o.w.transpose() + h.y, L.ln_attention);
  const Ln h2 = ln(a.y, L.ln_output);
  const Vec z = w.head.w * h2.y.transpose();
  const int target = 2;
  Vec g_z(c.hidden);
  for (Index k = 0; k < c.hidden; ++k) g_z[k] = w.classifier.w(target, k) * std::tanh(z[k]) / (z[k] + 1e-10f);
  const Row g_h2 = (w.head.w.transpose() * g_z).transpose();
  const Row g_pre = ln_back(ln_back(g_h2, L.ln_output, h2.s), L.ln_attention, a.s);
  for (auto [method, share] : {std::pair{BertMethod::kAttnLrp, 0.5f}, std::pair{BertMethod::kCpLrp, 1.0f}}) {
    const Row g_h = g_pre + share * (g_pre * L.o.w) * L.v.w;
    const Row g_e = ln_back(g_h, w.ln_embeddings, h.s);
    const Mat ours = m.embedding_gradient(ids, method, target);
    INFO(bert_method_name(method));
    CHECK((ours.row(0) - g_e).norm() <= 1e-5f * std::max(1.0f, g_e.norm()));
  }
}

TEST_CASE("bert: empty text, bad ids and targets", "[lrp][bert]") {
  const BertConfig c = tiny_config();
  const BertClassifier m(c, random_weights(c, 5, false));
  const std::vector<TokenId> empty = {1, 2};  // [CLS] [SEP]
  for (auto method :
       {BertMethod::kAttnLrp, BertMethod::kCpLrp, BertMethod::kGradientInput, BertMethod::kSensitivity}) {
    const auto e = m.explain(empty, method);
    REQUIRE(e.relevance.size() == 2);
    CHECK(std::isfinite(e.relevance[0]));
    CHECK(std::isfinite(e.relevance[1]));
    CHECK(std::isfinite(e.bias_relevance));
  }
  const std::vector<TokenId> one = {1};
  CHECK(m.explain(one, BertMethod::kAttnLrp).relevance.size() == 1);
  CHECK_THROWS_AS(m.logits(std::vector<TokenId>{}), InvalidArgument);
  CHECK_THROWS_WITH(m.logits(std::vector<TokenId>{1, 20, 2}), Contains("piece 1: id 20 is outside"));
  CHECK_THROWS_WITH(m.logits(std::vector<TokenId>(13, 1)), Contains("13 pieces") && Contains("12 positions"));
  CHECK(m.logits(std::vector<TokenId>(12, 1)).size() == 3);
  CHECK_THROWS_WITH(m.explain(kIds, BertMethod::kAttnLrp, 3), Contains("target class 3"));
}

TEST_CASE("bert: Hugging Face directories (BERT, DistilBERT, F16, BF16) load and explain",
          "[lrp][bert][import]") {
  test::TempDir dir;
  for (auto arch : {BertArchitecture::kBert, BertArchitecture::kDistilBert}) {
    const BertConfig c = tiny_config(arch);
    const BertWeights w = random_weights(c, 9, false);
    const BertClassifier direct(c, w);
    const auto d = dir / (arch == BertArchitecture::kBert ? "bert" : "distilbert");
    test::write_bytes(d / "config.json", hf_config(c).dump());
    const std::string bytes = hf_writer(c, w).serialize();
    test::write_bytes(d / "model.safetensors", bytes);
    const auto m = BertClassifier::from_huggingface_directory(d);
    CHECK(m->config().architecture == arch);
    CHECK(m->config().labels == std::vector<std::string>{"a", "b", "c"});
    CHECK(m->logits(kIds) == direct.logits(kIds));
    const auto e = m->explain(kIds, BertMethod::kAttnLrp);
    CHECK(e.relevance == direct.explain(kIds, BertMethod::kAttnLrp).relevance);
    for (bool bf16 : {false, true}) {
      INFO((bf16 ? "BF16" : "F16"));
      test::write_bytes(d / "model.safetensors", to_half(bytes, bf16));
      const auto h = BertClassifier::from_huggingface_directory(d);
      // Half precision rounds the weights: the logits move a little, not much.
      const double tol = bf16 ? 0.1 : 0.01;
      CHECK((h->logits(kIds) - direct.logits(kIds)).cwiseAbs().maxCoeff() <=
            tol * std::max(1.0f, direct.logits(kIds).cwiseAbs().maxCoeff()));
      // The weights are exactly the rounded values.
      const float x = w.word(3, 2);
      const float y = h->weights().word(3, 2);
      CHECK(std::abs(x - y) <= (bf16 ? 1.0f / 128 : 1.0f / 1024) * std::abs(x));
    }
  }
}

TEST_CASE("bert: import errors name the file and the tensor", "[lrp][bert][import]") {
  test::TempDir dir;
  const BertConfig c = tiny_config();
  const BertWeights w = random_weights(c, 9, false);
  SECTION("pytorch_model.bin is refused with a conversion hint") {
    test::write_bytes(dir / "config.json", hf_config(c).dump());
    test::write_bytes(dir / "pytorch_model.bin", "not read");
    CHECK_THROWS_WITH(BertClassifier::from_huggingface_directory(dir.path()),
                      Contains("pytorch_model.bin") && Contains("safetensors"));
  }
  SECTION("no weights at all") {
    CHECK_THROWS_AS(BertClassifier::from_huggingface_directory(dir.path()), IoError);
  }
  SECTION("missing, unexpected and wrongly shaped tensors, in one message") {
    BertWeights bad = w;
    bad.layers[1].ff1.w = Mat::Zero(15, 8);
    TensorWriter t = hf_writer(c, bad);
    t.add("bert.encoder.layer.0.extra.weight", Vec(Vec::Zero(2)));
    std::string bytes = t.serialize();
    const TensorStore store = TensorStore::parse(bytes, "m.safetensors");
    CHECK_THROWS_WITH(BertClassifier::from_huggingface(store, c),
                      Contains("m.safetensors") &&
                          Contains("tensor 'bert.encoder.layer.1.intermediate.dense.weight' has shape [15 x "
                                   "8], expected [16 x 8]") &&
                          Contains("unexpected tensor 'bert.encoder.layer.0.extra.weight' [2]"));
    BertConfig three = c;
    three.layers = 3;
    CHECK_THROWS_WITH(BertClassifier::from_huggingface(
                          TensorStore::parse(hf_writer(c, w).serialize(), "m.safetensors"), three),
                      Contains("missing tensor 'bert.encoder.layer.2.attention.self.query.weight' [8 x 8]"));
  }
  SECTION("config.json errors name the file and the key") {
    auto j = hf_config(c);
    j["hidden_act"] = "gelu_new";
    CHECK_THROWS_WITH(BertConfig::from_huggingface(j, "config.json"),
                      Contains("config.json: key 'hidden_act' is \"gelu_new\", expected \"gelu\""));
    j = hf_config(c);
    j["architectures"] = {"RobertaForSequenceClassification"};
    CHECK_THROWS_WITH(BertConfig::from_huggingface(j, "config.json"),
                      Contains("architecture 'RobertaForSequenceClassification' is not supported"));
    j = hf_config(c);
    j.erase("num_attention_heads");
    CHECK_THROWS_WITH(BertConfig::from_huggingface(j, "config.json"),
                      Contains("missing key 'num_attention_heads'"));
    j = hf_config(c);
    j["num_attention_heads"] = 3;
    CHECK_THROWS_WITH(BertConfig::from_huggingface(j, "config.json"),
                      Contains("not a multiple of the 3 attention heads"));
    j = hf_config(c);
    j["id2label"] = {{"0", "a"}, {"2", "c"}};
    CHECK_THROWS_WITH(BertConfig::from_huggingface(j, "config.json"), Contains("id2label key '2'"));
  }
}

TEST_CASE("bert: the Classifier adapter adds [CLS]/[SEP], truncates and saves", "[lrp][bert]") {
  const BertConfig c = tiny_config();
  auto model = std::make_shared<const BertClassifier>(c, random_weights(c, 13, false));
  const BertSequenceClassifier clf(model, 1, 2, 6);  // [CLS] = 1, [SEP] = 2, at most 4 pieces
  const std::vector<TokenId> pieces = {5, 7, 3};
  const std::vector<TokenId> full = {1, 5, 7, 3, 2};
  CHECK(clf.scores(pieces) == model->logits(full));
  ExplainOptions o;
  o.method = Method::kLrp;
  const Explanation e = clf.explain(pieces, o);
  const BertExplanation ref = model->explain(full, BertMethod::kAttnLrp);
  CHECK(e.rule == "attnlrp");
  REQUIRE(e.relevance.size() == 3);
  for (std::size_t t = 0; t < 3; ++t) CHECK(e.relevance[t] == ref.relevance[t + 1]);
  REQUIRE(e.special.size() == 2);
  CHECK(e.special[0] == std::pair<std::string, double>{"[CLS]", ref.relevance[0]});
  CHECK(e.special[1] == std::pair<std::string, double>{"[SEP]", ref.relevance[4]});
  CHECK(std::abs(e.bias_relevance - ref.bias_relevance) <=
        1e-5 * std::max(1.0, std::abs(ref.bias_relevance)));
  CHECK_FALSE(e.truncated);
  o.transformer_rule = "cp-lrp";
  CHECK(clf.explain(pieces, o).relevance[0] == model->explain(full, BertMethod::kCpLrp).relevance[1]);
  o.transformer_rule = "zplus";
  CHECK_THROWS_WITH(clf.explain(pieces, o), Contains("attnlrp") && Contains("cp-lrp"));
  o.transformer_rule.clear();
  // The capability queries (lrp/models/classifier.h): every method, ig and occlusion included.
  for (Method m : {Method::kLrp, Method::kSensitivity, Method::kGradientInput, Method::kIntegratedGradients,
                   Method::kOcclusion, Method::kRandom}) {
    CHECK(clf.supports(m));
  }
  CHECK(clf.max_tokens() == 4);
  REQUIRE(clf.embedding_matrix());
  CHECK(clf.embedding_matrix()->rows() == clf.n_vocab());
  CHECK(clf.token_deletion().words);
  CHECK(clf.token_deletion().within_max_tokens);
  // Six pieces, four kept: the rest get 0 and the explanation says so.
  o.method = Method::kGradientInput;
  const std::vector<TokenId> long_ids = {5, 6, 7, 8, 9, 10};
  const Explanation t = clf.explain(long_ids, o);
  CHECK(t.truncated);
  REQUIRE(t.relevance.size() == 6);
  CHECK(t.relevance[4] == 0.0);
  CHECK(t.relevance[5] == 0.0);
  CHECK(clf.scores(long_ids) == model->logits(std::vector<TokenId>{1, 5, 6, 7, 8, 2}));
  // Empty text: only [CLS] [SEP].
  const Explanation empty = clf.explain(std::vector<TokenId>{}, o);
  CHECK(empty.relevance.empty());
  CHECK(empty.special.size() == 2);
  // save() + load() round trip.
  test::TempDir dir;
  nlohmann::json config = {{"labels", c.labels}, {"hyper", clf.save(dir.path())}};
  const auto back = BertSequenceClassifier::load(dir.path(), config);
  CHECK(back->max_length() == 6);
  CHECK(back->scores(pieces) == clf.scores(pieces));
  CHECK_THROWS_AS(BertSequenceClassifier(model, 1, 2, 13), FormatError);  // more than the 12 positions
}

TEST_CASE("bert: ig and occlusion through the shared baselines (occlusion drops the piece)",
          "[lrp][bert][baselines]") {
  for (BertArchitecture arch : {BertArchitecture::kBert, BertArchitecture::kDistilBert}) {
    const BertConfig c = tiny_config(arch);
    auto model = std::make_shared<const BertClassifier>(c, random_weights(c, 21, false));
    const BertSequenceClassifier clf(model, 1, 2, 8);  // at most 6 pieces
    const std::vector<TokenId> pieces = {5, 7, 3, 9};
    ExplainOptions o;
    o.target = 2;
    // Occlusion: s(pieces) − s(pieces without piece t), the later pieces moving up one position;
    // [CLS] and [SEP] are never removed and get 0.
    o.method = Method::kOcclusion;
    const Explanation e = clf.explain(pieces, o);
    REQUIRE(e.relevance.size() == 4);
    for (std::size_t t = 0; t < pieces.size(); ++t) {
      std::vector<TokenId> without = pieces;
      without.erase(without.begin() + static_cast<std::ptrdiff_t>(t));
      const double want =
          static_cast<double>(clf.scores(pieces)[2]) - static_cast<double>(clf.scores(without)[2]);
      CHECK(e.relevance[t] == Approx(want).margin(1e-6));
    }
    CHECK(e.special == std::vector<std::pair<std::string, double>>{{"[CLS]", 0.0}, {"[SEP]", 0.0}});
    // Integrated gradients from all-zero word embeddings (positions and types stay): with many steps
    // Σ pieces + Σ special ≈ s(x) − s(word rows 0) (within 1 %: float32 gradients of 300 steps).
    o.method = Method::kIntegratedGradients;
    o.ig_steps = 300;
    const Explanation ig = clf.explain(pieces, o);
    double total = 0;
    for (double r : ig.relevance) total += r;
    for (const auto& sp : ig.special) total += sp.second;
    const Vec s0 = model->logits_of_rows(Mat::Zero(6, c.hidden));
    CHECK(total == Approx(static_cast<double>(ig.scores[2] - s0[2])).epsilon(1e-2));
    CHECK(std::abs(total) > 0.05);  // (not a vacuous 0 ≈ 0)
    // gi through the shared code equals the model's own gradient × input.
    o.method = Method::kGradientInput;
    const Explanation gi = clf.explain(pieces, o);
    const BertExplanation ref =
        model->explain(std::vector<TokenId>{1, 5, 7, 3, 9, 2}, BertMethod::kGradientInput, 2);
    for (std::size_t t = 0; t < 4; ++t) CHECK(gi.relevance[t] == Approx(ref.relevance[t + 1]).margin(1e-6));
    CHECK(gi.special[0].second == Approx(ref.relevance[0]).margin(1e-6));
    // Truncated pieces get 0 under occlusion too; a bad id is an error, as for the other methods.
    o.method = Method::kOcclusion;
    const Explanation tr = clf.explain(std::vector<TokenId>{5, 6, 7, 8, 9, 10, 11}, o);
    CHECK(tr.truncated);
    CHECK(tr.relevance[6] == 0.0);
    CHECK_THROWS_AS(clf.explain(std::vector<TokenId>{5, 99}, o), InvalidArgument);
  }
}

TEST_CASE("bert: the per-thread reused buffers give the same results whatever ran before, in any thread",
          "[lrp][bert]") {
  const BertConfig cb = tiny_config(BertArchitecture::kBert), cd = tiny_config(BertArchitecture::kDistilBert);
  const BertClassifier bert(cb, random_weights(cb, 3, false)), distil(cd, random_weights(cd, 4, false));
  const std::vector<TokenId> longest = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, one = {4};
  struct Result {
    BertExplanation attn, cp;
    Mat grad;
    Vec logits;
  };
  auto run = [&] {
    return Result{bert.explain(kIds, BertMethod::kAttnLrp), bert.explain(kIds, BertMethod::kCpLrp),
                  bert.embedding_gradient(kIds, BertMethod::kGradientInput, 1), bert.logits(kIds)};
  };
  Result fresh;  // in a new thread: its buffers are empty
  std::thread([&] { fresh = run(); }).join();
  auto same_explanation = [](const BertExplanation& x, const BertExplanation& y) {
    REQUIRE(x.relevance.size() == y.relevance.size());
    for (std::size_t t = 0; t < x.relevance.size(); ++t)
      CHECK(x.relevance[t] == Approx(y.relevance[t]).margin(1e-6));
    CHECK(x.bias_relevance == Approx(y.bias_relevance).margin(1e-6));
  };
  // Equal up to float rounding (the buffers' addresses may change the order of vectorized sums).
  auto same = [&](const Result& a, const Result& b) {
    same_explanation(a.attn, b.attn);
    same_explanation(a.cp, b.cp);
    CHECK((a.grad - b.grad).cwiseAbs().maxCoeff() <= 1e-6f);
    CHECK((a.logits - b.logits).cwiseAbs().maxCoeff() <= 1e-6f);
  };
  // Longer and shorter inputs, forward-only passes (one reused layer slot), another model and the
  // baselines' row interface in this thread, then the same calls again.
  (void)bert.explain(longest, BertMethod::kAttnLrp);
  (void)bert.logits(one);
  (void)distil.explain(longest, BertMethod::kCpLrp);
  (void)distil.logits(kIds);
  (void)bert.gradient_of_rows(Mat::Ones(3, cb.hidden), BertMethod::kGradientInput, 0);
  (void)bert.logits(longest);
  same(fresh, run());
  // Two threads at once, each with its own buffers.
  Result r1, r2;
  std::thread t1([&] {
    (void)bert.explain(longest, BertMethod::kCpLrp);
    r1 = run();
  });
  std::thread t2([&] {
    (void)distil.logits(one);
    r2 = run();
  });
  t1.join();
  t2.join();
  same(fresh, r1);
  same(fresh, r2);
}
