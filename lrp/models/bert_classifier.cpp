// lrp/models/bert_classifier.cpp — BERT / DistilBERT forward pass and modified backward passes.
#include "lrp/models/bert_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/cpu_isa.h"
#include "core/error.h"
#include "core/file.h"
#include "lrp/isa/dense_kernels.h"
#include "lrp/models/baselines.h"

namespace textlrp::lrp {

namespace {

// ---------------------------------------------------------------------------------------------
// config.json

const nlohmann::json& require_key(const nlohmann::json& j, const char* key, const std::string& file) {
  if (!j.contains(key)) throw FormatError(fmt::format("{}: missing key '{}'", file, key));
  return j.at(key);
}

Index positive_int(const nlohmann::json& j, const char* key, const std::string& file, bool allow_zero = false) {
  const auto& v = require_key(j, key, file);
  if (!v.is_number_integer()) {
    throw FormatError(fmt::format("{}: key '{}' is {}, expected an integer", file, key, v.dump()));
  }
  const auto n = v.get<std::int64_t>();
  if (n < (allow_zero ? 0 : 1) || n > (std::int64_t{1} << 31)) {
    throw FormatError(fmt::format("{}: key '{}' is {}, expected a {} integer below 2^31", file, key, n,
                                  allow_zero ? "non-negative" : "positive"));
  }
  return static_cast<Index>(n);
}

std::vector<std::string> read_labels(const nlohmann::json& j, const std::string& file) {
  std::vector<std::string> labels;
  if (j.contains("id2label")) {
    const auto& m = j.at("id2label");
    if (!m.is_object() || m.empty()) {
      throw FormatError(fmt::format("{}: key 'id2label' is {}, expected an object {{\"0\": label, ...}}", file, m.dump()));
    }
    labels.resize(m.size());
    std::vector<bool> seen(m.size(), false);
    for (const auto& [k, v] : m.items()) {
      std::size_t pos = 0;
      long long id = -1;
      try {
        id = std::stoll(k, &pos);
      } catch (const std::exception&) {
        pos = 0;
      }
      if (pos != k.size() || id < 0 || static_cast<std::size_t>(id) >= m.size() || seen[static_cast<std::size_t>(id)]) {
        throw FormatError(fmt::format("{}: id2label key '{}' is not one of the ids 0..{} (each once)", file, k, m.size() - 1));
      }
      if (!v.is_string()) throw FormatError(fmt::format("{}: id2label['{}'] is {}, expected a string", file, k, v.dump()));
      seen[static_cast<std::size_t>(id)] = true;
      labels[static_cast<std::size_t>(id)] = v.get<std::string>();
    }
  } else if (j.contains("num_labels")) {
    const Index n = positive_int(j, "num_labels", file);
    for (Index i = 0; i < n; ++i) labels.push_back(fmt::format("LABEL_{}", i));
  }
  return labels;  // empty: taken from the classifier's shape
}

void require_gelu(const nlohmann::json& j, const char* key, const std::string& file) {
  const auto& v = require_key(j, key, file);
  if (!v.is_string() || v.get<std::string>() != "gelu") {
    throw FormatError(fmt::format("{}: key '{}' is {}, expected \"gelu\" (the exact erf GELU; other activations are "
                                  "not supported)",
                                  file, key, v.dump()));
  }
}

// ---------------------------------------------------------------------------------------------
// Numerics

inline float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }
inline float gelu_derivative(float x) {
  constexpr float kInvSqrt2Pi = 0.39894228040143268f;
  return 0.5f * (1.0f + std::erf(x * 0.70710678118654752f)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}
// LXT identity_rule_implicit: f(x) / (x + 1e-10).
constexpr float kIdentityEps = 1e-10f;

// C = alpha · op(A) · op(B) + beta · C through the runtime-dispatched float32 GEMM (lrp/isa/dense_kernels.h).
// A, B and C are row-major float blocks: whole matrices or middleCols blocks, whose leading dimension is
// the row stride of the full matrix (outerStride). beta == 0 overwrites C.
template <class A, class B, class C>
void gemm(const A& a, bool trans_a, const B& b, bool trans_b, C&& c, float alpha = 1.0f, float beta = 0.0f) {
  const Index m = trans_a ? a.cols() : a.rows();
  const Index k = trans_a ? a.rows() : a.cols();
  const Index n = trans_b ? b.rows() : b.cols();
  TEXTLRP_ASSERT((trans_b ? b.cols() : b.rows()) == k && c.rows() == m && c.cols() == n);
  TEXTLRP_ISA_DISPATCH(sgemm(trans_a, trans_b, m, n, k, alpha, a.data(), a.outerStride(), b.data(), b.outerStride(),
                             beta, c.data(), c.outerStride()));
}

Mat linear(const Mat& x, const BertLinear& l) {
  Mat y(x.rows(), l.w.rows());
  gemm(x, false, l.w, true, y);
  y.rowwise() += l.b.transpose();
  return y;
}

struct LnCache {
  Mat xhat;  // (x - mu) / s
  Vec s;     // per row
};

Mat layer_norm(const Mat& x, const BertLayerNorm& ln, float eps, LnCache& c) {
  const Index T = x.rows(), H = x.cols();
  c.xhat.resize(T, H);
  c.s.resize(T);
  Mat y(T, H);
  for (Index t = 0; t < T; ++t) {
    const float mu = x.row(t).mean();
    c.xhat.row(t) = x.row(t).array() - mu;
    const float var = c.xhat.row(t).squaredNorm() / static_cast<float>(H);
    c.s[t] = std::sqrt(var + eps);
    c.xhat.row(t) /= c.s[t];
    y.row(t) = c.xhat.row(t).cwiseProduct(ln.gamma.transpose()) + ln.beta.transpose();
  }
  return y;
}

// LRP (normaliser constant) or true gradient of LayerNorm.
Mat layer_norm_backward(const Mat& gy, const BertLayerNorm& ln, const LnCache& c, bool lrp) {
  const Index T = gy.rows(), H = gy.cols();
  Mat gx(T, H);
  for (Index t = 0; t < T; ++t) {
    const Eigen::Matrix<float, 1, Eigen::Dynamic> gh = gy.row(t).cwiseProduct(ln.gamma.transpose());
    const float m = gh.mean();
    if (lrp) {
      gx.row(t) = (gh.array() - m) / c.s[t];
    } else {
      const float mx = gh.dot(c.xhat.row(t)) / static_cast<float>(H);
      gx.row(t) = (gh.array() - m - c.xhat.row(t).array() * mx) / c.s[t];
    }
  }
  return gx;
}

void softmax_rows(Mat& z) {
  for (Index t = 0; t < z.rows(); ++t) {
    const float m = z.row(t).maxCoeff();
    z.row(t) = (z.row(t).array() - m).exp();
    z.row(t) /= z.row(t).sum();
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view bert_method_name(BertMethod m) {
  switch (m) {
    case BertMethod::kAttnLrp: return "attnlrp";
    case BertMethod::kCpLrp: return "cp-lrp";
    case BertMethod::kGradientInput: return "gi";
    case BertMethod::kSensitivity: return "sa";
  }
  return "?";
}

std::string_view BertConfig::architecture_name() const {
  return architecture == BertArchitecture::kBert ? "BertForSequenceClassification"
                                                 : "DistilBertForSequenceClassification";
}

BertConfig BertConfig::from_huggingface(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) throw FormatError(fmt::format("{}: expected a JSON object", file));
  std::string arch;
  if (j.contains("architectures")) {
    const auto& a = j.at("architectures");
    if (!a.is_array() || a.size() != 1 || !a[0].is_string()) {
      throw FormatError(fmt::format("{}: key 'architectures' is {}, expected one architecture name", file, a.dump()));
    }
    arch = a[0].get<std::string>();
  } else if (j.contains("model_type") && j.at("model_type").is_string()) {
    const auto t = j.at("model_type").get<std::string>();
    arch = t == "bert" ? "BertForSequenceClassification" : t == "distilbert" ? "DistilBertForSequenceClassification" : t;
  } else {
    throw FormatError(fmt::format("{}: missing key 'architectures'", file));
  }
  BertConfig c;
  if (arch == "BertForSequenceClassification") {
    c.architecture = BertArchitecture::kBert;
    c.vocab_size = positive_int(j, "vocab_size", file);
    c.hidden = positive_int(j, "hidden_size", file);
    c.layers = positive_int(j, "num_hidden_layers", file);
    c.heads = positive_int(j, "num_attention_heads", file);
    c.intermediate = positive_int(j, "intermediate_size", file);
    c.max_positions = positive_int(j, "max_position_embeddings", file);
    c.type_vocab = positive_int(j, "type_vocab_size", file);
    require_gelu(j, "hidden_act", file);
    if (j.contains("layer_norm_eps")) {
      const auto& e = j.at("layer_norm_eps");
      if (!e.is_number() || !(e.get<double>() > 0) || !std::isfinite(e.get<double>())) {
        throw FormatError(fmt::format("{}: key 'layer_norm_eps' is {}, expected a positive number", file, e.dump()));
      }
      c.layer_norm_eps = static_cast<float>(e.get<double>());
    }
    if (j.contains("position_embedding_type") && j.at("position_embedding_type") != "absolute") {
      throw FormatError(fmt::format("{}: key 'position_embedding_type' is {}, expected \"absolute\"", file,
                                    j.at("position_embedding_type").dump()));
    }
  } else if (arch == "DistilBertForSequenceClassification") {
    c.architecture = BertArchitecture::kDistilBert;
    c.vocab_size = positive_int(j, "vocab_size", file);
    c.hidden = positive_int(j, "dim", file);
    c.layers = positive_int(j, "n_layers", file);
    c.heads = positive_int(j, "n_heads", file);
    c.intermediate = positive_int(j, "hidden_dim", file);
    c.max_positions = positive_int(j, "max_position_embeddings", file);
    c.type_vocab = 0;
    require_gelu(j, "activation", file);
    c.layer_norm_eps = 1e-12f;  // fixed in DistilBERT
  } else {
    throw FormatError(fmt::format("{}: architecture '{}' is not supported, expected BertForSequenceClassification or "
                                  "DistilBertForSequenceClassification",
                                  file, arch));
  }
  if (c.hidden % c.heads != 0) {
    throw FormatError(fmt::format("{}: hidden size {} is not a multiple of the {} attention heads", file, c.hidden, c.heads));
  }
  c.labels = read_labels(j, file);
  return c;
}

// ---------------------------------------------------------------------------------------------

BertClassifier::BertClassifier(BertConfig config, BertWeights weights)
    : config_(std::move(config)), weights_(std::move(weights)) {
  const BertConfig& c = config_;
  const BertWeights& w = weights_;
  auto mat = [](const Mat& m, Index r, Index cc, const std::string& name) {
    if (m.rows() != r || m.cols() != cc) {
      throw FormatError(fmt::format("tensor '{}' has shape {}, expected {}", name, shape_string(m), shape_string(r, cc)));
    }
  };
  auto vec = [](const Vec& v, Index n, const std::string& name) {
    if (v.size() != n) throw FormatError(fmt::format("tensor '{}' has shape [{}], expected [{}]", name, v.size(), n));
  };
  if (c.hidden <= 0 || c.heads <= 0 || c.hidden % c.heads != 0) {
    throw FormatError(fmt::format("hidden size {} is not a positive multiple of the {} heads", c.hidden, c.heads));
  }
  const Index H = c.hidden, F = c.intermediate;
  mat(w.word, c.vocab_size, H, "word_embeddings");
  mat(w.position, c.max_positions, H, "position_embeddings");
  if (c.architecture == BertArchitecture::kBert) {
    if (c.type_vocab < 1) throw FormatError("type_vocab_size must be at least 1");
    mat(w.type, c.type_vocab, H, "token_type_embeddings");
  }
  vec(w.ln_embeddings.gamma, H, "embeddings.LayerNorm.weight");
  vec(w.ln_embeddings.beta, H, "embeddings.LayerNorm.bias");
  if (static_cast<Index>(w.layers.size()) != c.layers) {
    throw FormatError(fmt::format("{} layers given, expected {}", w.layers.size(), c.layers));
  }
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const BertLayer& L = w.layers[l];
    const std::string p = fmt::format("layer.{}.", l);
    for (const auto* lin : {&L.q, &L.k, &L.v, &L.o}) {
      mat(lin->w, H, H, p + "attention");
      vec(lin->b, H, p + "attention bias");
    }
    mat(L.ff1.w, F, H, p + "ff1");
    vec(L.ff1.b, F, p + "ff1 bias");
    mat(L.ff2.w, H, F, p + "ff2");
    vec(L.ff2.b, H, p + "ff2 bias");
    for (const auto* ln : {&L.ln_attention, &L.ln_output}) {
      vec(ln->gamma, H, p + "LayerNorm.weight");
      vec(ln->beta, H, p + "LayerNorm.bias");
    }
  }
  mat(w.head.w, H, H, "head");
  vec(w.head.b, H, "head bias");
  if (w.classifier.w.rows() < 1) throw FormatError("the classifier has no classes");
  mat(w.classifier.w, w.classifier.w.rows(), H, "classifier.weight");
  vec(w.classifier.b, w.classifier.w.rows(), "classifier.bias");
  if (config_.labels.empty()) {
    for (Index i = 0; i < w.classifier.w.rows(); ++i) config_.labels.push_back(fmt::format("LABEL_{}", i));
  }
  if (static_cast<Index>(config_.labels.size()) != w.classifier.w.rows()) {
    throw FormatError(fmt::format("{} labels, but the classifier has {} classes", config_.labels.size(),
                                  w.classifier.w.rows()));
  }
}

std::unique_ptr<BertClassifier> BertClassifier::from_huggingface(const TensorStore& store, BertConfig c) {
  const bool bert = c.architecture == BertArchitecture::kBert;
  const Index H = c.hidden, F = c.intermediate;
  std::vector<std::string> errors;
  std::vector<std::string> used;
  auto read = [&](const std::string& name, std::vector<std::int64_t> shape) -> std::vector<float> {
    used.push_back(name);
    if (!store.contains(name)) {
      errors.push_back(fmt::format("missing tensor '{}' {}", name, shape_string(shape)));
      return {};
    }
    try {
      return store.floats_widened(name, shape);
    } catch (const FormatError& e) {
      std::string msg = e.what();
      const std::string prefix = store.name() + ": ";
      if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
      errors.push_back(msg);
      return {};
    }
  };
  auto matrix = [&](const std::string& name, Index r, Index cc) {
    const auto v = read(name, {r, cc});
    Mat m = Mat::Zero(r, cc);
    if (!v.empty()) std::copy(v.begin(), v.end(), m.data());
    return m;
  };
  auto vector = [&](const std::string& name, Index n) {
    const auto v = read(name, {n});
    Vec out = Vec::Zero(n);
    if (!v.empty()) std::copy(v.begin(), v.end(), out.data());
    return out;
  };
  auto lin = [&](const std::string& prefix, Index out, Index in) {
    BertLinear l;
    l.w = matrix(prefix + ".weight", out, in);
    l.b = vector(prefix + ".bias", out);
    return l;
  };
  // BERT checkpoints from the TensorFlow era name LayerNorm parameters gamma / beta.
  auto ln = [&](const std::string& prefix) {
    BertLayerNorm n;
    const bool old = !store.contains(prefix + ".weight") && store.contains(prefix + ".gamma");
    n.gamma = vector(prefix + (old ? ".gamma" : ".weight"), H);
    n.beta = vector(prefix + (old ? ".beta" : ".bias"), H);
    return n;
  };
  Index n_classes = c.labels.empty() ? -1 : static_cast<Index>(c.labels.size());
  if (n_classes < 0) {
    if (store.contains("classifier.weight") && store.info("classifier.weight").shape.size() == 2 &&
        store.info("classifier.weight").shape[0] > 0) {
      n_classes = store.info("classifier.weight").shape[0];
    } else {
      n_classes = 2;  // the Hugging Face default; the error below names the tensor if it differs
    }
  }
  BertWeights w;
  const std::string e = bert ? "bert.embeddings." : "distilbert.embeddings.";
  w.word = matrix(e + "word_embeddings.weight", c.vocab_size, H);
  w.position = matrix(e + "position_embeddings.weight", c.max_positions, H);
  if (bert) w.type = matrix(e + "token_type_embeddings.weight", c.type_vocab, H);
  w.ln_embeddings = ln(e + "LayerNorm");
  for (Index l = 0; l < c.layers; ++l) {
    BertLayer L;
    if (bert) {
      const std::string p = fmt::format("bert.encoder.layer.{}.", l);
      L.q = lin(p + "attention.self.query", H, H);
      L.k = lin(p + "attention.self.key", H, H);
      L.v = lin(p + "attention.self.value", H, H);
      L.o = lin(p + "attention.output.dense", H, H);
      L.ln_attention = ln(p + "attention.output.LayerNorm");
      L.ff1 = lin(p + "intermediate.dense", F, H);
      L.ff2 = lin(p + "output.dense", H, F);
      L.ln_output = ln(p + "output.LayerNorm");
    } else {
      const std::string p = fmt::format("distilbert.transformer.layer.{}.", l);
      L.q = lin(p + "attention.q_lin", H, H);
      L.k = lin(p + "attention.k_lin", H, H);
      L.v = lin(p + "attention.v_lin", H, H);
      L.o = lin(p + "attention.out_lin", H, H);
      L.ln_attention = ln(p + "sa_layer_norm");
      L.ff1 = lin(p + "ffn.lin1", F, H);
      L.ff2 = lin(p + "ffn.lin2", H, F);
      L.ln_output = ln(p + "output_layer_norm");
    }
    w.layers.push_back(std::move(L));
  }
  w.head = lin(bert ? "bert.pooler.dense" : "pre_classifier", H, H);
  w.classifier = lin("classifier", n_classes, H);
  // Tensors the model does not use (buffers such as position_ids are harmless; others are named).
  for (const auto& name : store.names()) {
    if (std::find(used.begin(), used.end(), name) != used.end()) continue;
    if (name.find("position_ids") != std::string::npos) continue;
    if (name.find("LayerNorm.gamma") != std::string::npos || name.find("LayerNorm.beta") != std::string::npos) continue;
    errors.push_back(fmt::format("unexpected tensor '{}' {}", name, shape_string(store.info(name).shape)));
  }
  if (!errors.empty()) {
    std::string msg = fmt::format("{}: not a {} with the config's sizes (hidden {}, {} layers, intermediate {}, vocabulary "
                                  "{}, {} positions): ",
                                  store.name(), c.architecture_name(), H, c.layers, F, c.vocab_size, c.max_positions);
    constexpr std::size_t kShown = 8;  // one line, however many problems
    for (std::size_t i = 0; i < std::min(errors.size(), kShown); ++i) msg += (i ? "; " : "") + errors[i];
    if (errors.size() > kShown) msg += fmt::format("; and {} more", errors.size() - kShown);
    throw FormatError(msg);
  }
  return std::make_unique<BertClassifier>(std::move(c), std::move(w));
}

std::unique_ptr<BertClassifier> BertClassifier::from_huggingface_directory(const std::filesystem::path& dir) {
  const auto st = dir / "model.safetensors";
  if (!std::filesystem::exists(st)) {
    if (std::filesystem::exists(dir / "pytorch_model.bin")) {
      throw FormatError(fmt::format(
          "{}: a pickled PyTorch checkpoint is not read (unpickling runs arbitrary code); convert it to safetensors "
          "first, e.g. python3 -c \"import torch; from safetensors.torch import save_file; "
          "save_file(torch.load('pytorch_model.bin', map_location='cpu'), 'model.safetensors')\" in {}, or "
          "model.save_pretrained(dir, safe_serialization=True) with transformers",
          (dir / "pytorch_model.bin").string(), dir.string()));
    }
    throw IoError(fmt::format("{}: no such file (a Hugging Face model directory needs model.safetensors)", st.string()));
  }
  const auto cfg_path = dir / "config.json";
  nlohmann::json cfg;
  try {
    cfg = nlohmann::json::parse(read_file(cfg_path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: not valid JSON: {}", cfg_path.string(), e.what()));
  }
  BertConfig config = BertConfig::from_huggingface(cfg, cfg_path.string());
  const TensorStore store = TensorStore::load(st);
  return from_huggingface(store, std::move(config));
}

// ---------------------------------------------------------------------------------------------

struct BertClassifier::Cache {
  struct Layer {
    Mat h;                // input [T x H]
    Mat q, k, v;          // [T x H]
    std::vector<Mat> a;   // per head [T x T]
    LnCache ln1, ln2;
    Mat u;                // pre-activation of the FF [T x F]
    Mat m;                // GELU(u)
  };
  Mat e;  // embedding sum
  LnCache ln_emb;
  std::vector<Layer> layers;
  Vec z;       // head pre-activation [H]
  Vec pooled;  // activation of z
  Vec logits;
};

void BertClassifier::check_ids(std::span<const TokenId> ids) const {
  if (ids.empty()) throw InvalidArgument("a BERT input needs at least one piece ([CLS])");
  if (static_cast<Index>(ids.size()) > config_.max_positions) {
    throw InvalidArgument(fmt::format("{} pieces, but the model has only {} positions", ids.size(), config_.max_positions));
  }
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= config_.vocab_size) {
      throw InvalidArgument(fmt::format("piece {}: id {} is outside the vocabulary [0, {})", t, ids[t], config_.vocab_size));
    }
  }
}

void BertClassifier::forward(std::span<const TokenId> ids, Cache& c) const {
  check_ids(ids);
  Mat word(static_cast<Index>(ids.size()), config_.hidden);  // [T x H]
  for (std::size_t t = 0; t < ids.size(); ++t) word.row(static_cast<Index>(t)) = weights_.word.row(ids[t]);
  forward_rows(word, c);
}

void BertClassifier::forward_rows(const Mat& word, Cache& c) const {
  const BertWeights& w = weights_;
  const Index T = word.rows(), H = config_.hidden;
  if (T < 1 || T > config_.max_positions || word.cols() != H) {
    throw InvalidArgument(fmt::format("a BERT input of {} x {} embedding rows; expected 1..{} rows of {}", T,
                                      word.cols(), config_.max_positions, H));
  }
  const Index n_heads = config_.heads, d = H / n_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float eps = config_.layer_norm_eps;
  c.e.resize(T, H);
  for (Index t = 0; t < T; ++t) {
    c.e.row(t) = word.row(t) + w.position.row(t);
    if (config_.architecture == BertArchitecture::kBert) c.e.row(t) += w.type.row(0);
  }
  Mat h = layer_norm(c.e, w.ln_embeddings, eps, c.ln_emb);
  c.layers.resize(w.layers.size());
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const BertLayer& L = w.layers[l];
    Cache::Layer& cl = c.layers[l];
    cl.h = std::move(h);
    cl.q = linear(cl.h, L.q);
    cl.k = linear(cl.h, L.k);
    cl.v = linear(cl.h, L.v);
    Mat ctx(T, H);
    cl.a.resize(static_cast<std::size_t>(n_heads));
    for (Index j = 0; j < n_heads; ++j) {
      Mat& a = cl.a[static_cast<std::size_t>(j)];
      a.resize(T, T);
      gemm(cl.q.middleCols(j * d, d), false, cl.k.middleCols(j * d, d), true, a);
      a *= scale;
      softmax_rows(a);
      gemm(a, false, cl.v.middleCols(j * d, d), false, ctx.middleCols(j * d, d));
    }
    Mat pre = linear(ctx, L.o);
    pre += cl.h;
    const Mat a = layer_norm(pre, L.ln_attention, eps, cl.ln1);
    cl.u = linear(a, L.ff1);
    cl.m = cl.u.unaryExpr([](float x) { return gelu(x); });
    Mat pre2 = linear(cl.m, L.ff2);
    pre2 += a;
    h = layer_norm(pre2, L.ln_output, eps, cl.ln2);
  }
  c.z = w.head.w * h.row(0).transpose() + w.head.b;
  if (config_.architecture == BertArchitecture::kBert) {
    c.pooled = c.z.array().tanh();
  } else {
    c.pooled = c.z.cwiseMax(0.0f);
  }
  c.logits = w.classifier.w * c.pooled + w.classifier.b;
}

Vec BertClassifier::logits(std::span<const TokenId> ids) const {
  Cache c;
  forward(ids, c);
  return c.logits;
}

Vec BertClassifier::logits_of_rows(const Mat& word) const {
  Cache c;
  forward_rows(word, c);
  return c.logits;
}

Mat BertClassifier::embedding_gradient(std::span<const TokenId> ids, BertMethod method, int target, Vec* logits,
                                       int* used_target) const {
  Cache c;
  forward(ids, c);
  return gradient_of(c, method, target, logits, used_target);
}

Mat BertClassifier::gradient_of_rows(const Mat& word, BertMethod method, int target, Vec* logits) const {
  Cache c;
  forward_rows(word, c);
  return gradient_of(c, method, target, logits, nullptr);
}

Mat BertClassifier::gradient_of(const Cache& c, BertMethod method, int target, Vec* logits, int* used_target) const {
  const Index n_classes = c.logits.size();
  if (target < -1 || target >= n_classes) {
    throw InvalidArgument(fmt::format("target class {} is out of range [0, {})", target, n_classes));
  }
  if (target < 0) {
    Index best = 0;
    c.logits.maxCoeff(&best);
    target = static_cast<int>(best);
  }
  if (logits) *logits = c.logits;
  if (used_target) *used_target = target;
  const bool lrp = method == BertMethod::kAttnLrp || method == BertMethod::kCpLrp;
  const bool cp = method == BertMethod::kCpLrp;
  const BertWeights& w = weights_;
  const Index T = c.e.rows(), H = config_.hidden;
  const Index n_heads = config_.heads, d = H / n_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));

  // Head: logits = W_cls act(z) + b; z = W_head h_0 + b.
  const Vec g_pooled = w.classifier.w.row(target).transpose();
  Vec g_z(H);
  for (Index k = 0; k < H; ++k) {
    const float z = c.z[k], p = c.pooled[k];
    float f;
    if (config_.architecture == BertArchitecture::kBert) {
      f = lrp ? p / (z + kIdentityEps) : 1.0f - p * p;
    } else {
      f = z > 0 ? 1.0f : 0.0f;  // ReLU: the gradient is the identity rule exactly
    }
    g_z[k] = g_pooled[k] * f;
  }
  Mat g_h = Mat::Zero(T, H);
  g_h.row(0) = (w.head.w.transpose() * g_z).transpose();

  for (std::size_t l = w.layers.size(); l-- > 0;) {
    const BertLayer& L = w.layers[l];
    const Cache::Layer& cl = c.layers[l];
    // h' = LN2(ff2(GELU(ff1(a))) + a)
    const Mat g_pre2 = layer_norm_backward(g_h, L.ln_output, cl.ln2, lrp);
    Mat g_u(T, L.ff2.w.cols());  // g_m
    gemm(g_pre2, false, L.ff2.w, false, g_u);
    for (Index i = 0; i < g_u.size(); ++i) {
      const float u = cl.u.data()[i];
      g_u.data()[i] *= lrp ? cl.m.data()[i] / (u + kIdentityEps) : gelu_derivative(u);
    }
    Mat g_a = g_pre2;
    gemm(g_u, false, L.ff1.w, false, g_a, 1.0f, 1.0f);
    // a = LN1(o(C) + h)
    const Mat g_pre1 = layer_norm_backward(g_a, L.ln_attention, cl.ln1, lrp);
    Mat g_ctx(T, L.o.w.cols());
    gemm(g_pre1, false, L.o.w, false, g_ctx);
    Mat g_q = Mat::Zero(T, H), g_k = Mat::Zero(T, H), g_v(T, H);
    for (Index j = 0; j < n_heads; ++j) {
      const Mat& a = cl.a[static_cast<std::size_t>(j)];
      if (cp) {
        gemm(a, true, g_ctx.middleCols(j * d, d), false, g_v.middleCols(j * d, d));
        continue;
      }
      const float half = method == BertMethod::kAttnLrp ? 0.5f : 1.0f;  // uniform rule for A V and Q Kᵀ
      const Mat g_c = g_ctx.middleCols(j * d, d) * half;
      Mat g_a_att(T, T);
      gemm(g_c, false, cl.v.middleCols(j * d, d), true, g_a_att);
      gemm(a, true, g_c, false, g_v.middleCols(j * d, d));
      // softmax: g_Z = A ⊙ (g_A − rowsum(g_A ⊙ A))
      Mat g_s(T, T);
      for (Index t = 0; t < T; ++t) {
        const float dot = g_a_att.row(t).dot(a.row(t));
        g_s.row(t) = a.row(t).cwiseProduct((g_a_att.row(t).array() - dot).matrix());
      }
      g_s *= scale * half;
      gemm(g_s, false, cl.k.middleCols(j * d, d), false, g_q.middleCols(j * d, d));
      gemm(g_s, true, cl.q.middleCols(j * d, d), false, g_k.middleCols(j * d, d));
    }
    g_h = g_pre1;  // residual
    gemm(g_v, false, L.v.w, false, g_h, 1.0f, 1.0f);
    if (!cp) {
      gemm(g_q, false, L.q.w, false, g_h, 1.0f, 1.0f);
      gemm(g_k, false, L.k.w, false, g_h, 1.0f, 1.0f);
    }
  }
  return layer_norm_backward(g_h, w.ln_embeddings, c.ln_emb, lrp);
}

BertExplanation BertClassifier::explain(std::span<const TokenId> ids, BertMethod method, int target) const {
  BertExplanation out;
  const BertMethod gradient_method =
      method == BertMethod::kSensitivity || method == BertMethod::kGradientInput ? BertMethod::kGradientInput : method;
  const Mat g = embedding_gradient(ids, gradient_method, target, &out.logits, &out.target);
  const Index T = g.rows(), H = g.cols();
  out.relevance.resize(static_cast<std::size_t>(T));
  double word_sum = 0, other = 0;
  for (Index t = 0; t < T; ++t) {
    const auto word = weights_.word.row(ids[static_cast<std::size_t>(t)]);
    double r = 0, sq = 0, pt = 0;
    for (Index k = 0; k < H; ++k) {
      const double gk = g(t, k);
      r += static_cast<double>(word[k]) * gk;
      sq += gk * gk;
      double shift = weights_.position(t, k);
      if (config_.architecture == BertArchitecture::kBert) shift += weights_.type(0, k);
      pt += shift * gk;
    }
    out.relevance[static_cast<std::size_t>(t)] = method == BertMethod::kSensitivity ? sq : r;
    word_sum += r;
    other += pt;
  }
  out.position_type_share = method == BertMethod::kSensitivity ? 0.0 : other;
  out.bias_relevance =
      method == BertMethod::kSensitivity ? 0.0 : static_cast<double>(out.logits[out.target]) - word_sum;
  return out;
}

}  // namespace textlrp::lrp

// ---------------------------------------------------------------------------------------------
// Saving and the Classifier adapter

namespace textlrp::lrp {

nlohmann::json BertConfig::to_huggingface() const {
  nlohmann::json j;
  if (architecture == BertArchitecture::kBert) {
    j = {{"architectures", {"BertForSequenceClassification"}},
         {"model_type", "bert"},
         {"vocab_size", vocab_size},
         {"hidden_size", hidden},
         {"num_hidden_layers", layers},
         {"num_attention_heads", heads},
         {"intermediate_size", intermediate},
         {"hidden_act", "gelu"},
         {"max_position_embeddings", max_positions},
         {"type_vocab_size", type_vocab},
         {"layer_norm_eps", static_cast<double>(layer_norm_eps)}};
  } else {
    j = {{"architectures", {"DistilBertForSequenceClassification"}},
         {"model_type", "distilbert"},
         {"vocab_size", vocab_size},
         {"dim", hidden},
         {"n_layers", layers},
         {"n_heads", heads},
         {"hidden_dim", intermediate},
         {"activation", "gelu"},
         {"max_position_embeddings", max_positions}};
  }
  nlohmann::json id2label = nlohmann::json::object();
  for (std::size_t i = 0; i < labels.size(); ++i) id2label[std::to_string(i)] = labels[i];
  j["id2label"] = id2label;
  return j;
}

TensorWriter BertClassifier::huggingface_tensors() const {
  TensorWriter out;
  const BertWeights& w = weights_;
  const bool bert = config_.architecture == BertArchitecture::kBert;
  const std::string e = bert ? "bert.embeddings." : "distilbert.embeddings.";
  out.add(e + "word_embeddings.weight", w.word);
  out.add(e + "position_embeddings.weight", w.position);
  if (bert) out.add(e + "token_type_embeddings.weight", w.type);
  auto lin = [&](const std::string& p, const BertLinear& l) {
    out.add(p + ".weight", l.w);
    out.add(p + ".bias", l.b);
  };
  auto ln = [&](const std::string& p, const BertLayerNorm& n) {
    out.add(p + ".weight", n.gamma);
    out.add(p + ".bias", n.beta);
  };
  ln(e + "LayerNorm", w.ln_embeddings);
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

BertSequenceClassifier::BertSequenceClassifier(std::shared_ptr<const BertClassifier> model, TokenId cls_id,
                                               TokenId sep_id, Index max_length)
    : model_(std::move(model)), cls_id_(cls_id), sep_id_(sep_id), max_length_(max_length) {
  const Index v = model_->config().vocab_size;
  if (cls_id < 0 || cls_id >= v || sep_id < 0 || sep_id >= v) {
    throw FormatError(fmt::format("[CLS] id {} or [SEP] id {} is outside the vocabulary [0, {})", cls_id, sep_id, v));
  }
  if (max_length < 2 || max_length > model_->config().max_positions) {
    throw FormatError(fmt::format("maximum length {} must lie in [2, {}] (the model's positions)", max_length,
                                  model_->config().max_positions));
  }
}

std::unique_ptr<BertSequenceClassifier> BertSequenceClassifier::load(const std::filesystem::path& dir,
                                                                     const nlohmann::json& config) {
  const std::string where = (dir / "config.json").string();
  const auto& hyper = config.at("hyper");
  if (!hyper.is_object() || !hyper.contains("huggingface")) {
    throw FormatError(fmt::format("{}: \"hyper\" must hold the Hugging Face configuration under \"huggingface\"", where));
  }
  BertConfig c = BertConfig::from_huggingface(hyper.at("huggingface"), where + " (hyper.huggingface)");
  c.labels = config.at("labels").get<std::vector<std::string>>();
  const TensorStore store = TensorStore::load(dir / "model.safetensors");
  std::shared_ptr<const BertClassifier> model = BertClassifier::from_huggingface(store, std::move(c));
  const auto max_length = hyper.value("max_length", static_cast<std::int64_t>(model->config().max_positions));
  try {
    return std::make_unique<BertSequenceClassifier>(std::move(model), hyper.at("cls_id").get<TokenId>(),
                                                    hyper.at("sep_id").get<TokenId>(), static_cast<Index>(max_length));
  } catch (const FormatError& e) {
    throw FormatError(fmt::format("{}: {}", where, e.what()));
  }
}

std::vector<TokenId> BertSequenceClassifier::with_specials(std::span<const TokenId> ids, bool* truncated) const {
  const std::size_t keep = std::min(ids.size(), static_cast<std::size_t>(max_length_ - 2));
  if (truncated) *truncated = keep < ids.size();
  std::vector<TokenId> out;
  out.reserve(keep + 2);
  out.push_back(cls_id_);
  // An id outside the vocabulary is the caller's error: BertClassifier::check_ids() names it.
  for (std::size_t t = 0; t < keep; ++t) out.push_back(ids[t]);
  out.push_back(sep_id_);
  return out;
}

bool BertSequenceClassifier::supports(Method) const { return true; }

std::optional<Mat> BertSequenceClassifier::embedding_matrix() const { return model_->weights().word; }

Vec BertSequenceClassifier::scores(std::span<const TokenId> ids) const {
  return model_->logits(with_specials(ids, nullptr));
}

namespace {
double rest(const Explanation& e) {
  double r = e.scores[e.target];
  for (double v : e.relevance) r -= v;
  for (const auto& sp : e.special) r -= sp.second;
  return r;
}
}  // namespace

Explanation BertSequenceClassifier::explain(std::span<const TokenId> ids, const ExplainOptions& options) const {
  if (options.gate_rule || options.bias_factor || options.precision) {
    throw InvalidArgument("--lstm-rule, --bias-factor and --precision apply to the BiLSTM only, not to a transformer");
  }
  Explanation out;
  const std::vector<TokenId> full = with_specials(ids, &out.truncated);
  BertMethod method;
  switch (options.method) {
    case Method::kLrp:
      if (options.transformer_rule.empty() || options.transformer_rule == "attnlrp") {
        method = BertMethod::kAttnLrp;
        out.rule = "attnlrp";
      } else if (options.transformer_rule == "cp-lrp") {
        method = BertMethod::kCpLrp;
        out.rule = "cp-lrp";
      } else {
        throw InvalidArgument(
            fmt::format("--rule {}: a transformer takes attnlrp (the default) or cp-lrp", options.transformer_rule));
      }
      break;
    default: {
      // sa, gi, ig, occlusion, random: the shared baselines over the Differentiable interface.
      const Embedded in = embed(ids);
      out.scores = model_->logits_of_rows(in.x.cast<float>());
      if (options.target < -1 || options.target >= out.scores.size()) {
        throw InvalidArgument(fmt::format("target class {} is out of range [0, {})", options.target, out.scores.size()));
      }
      out.target = options.target >= 0 ? options.target : argmax(out.scores);
      std::vector<double> special;
      const std::vector<double> r =
          baselines::token_relevance(*this, in, ids, options.method, out.target,
                                     static_cast<double>(out.scores[out.target]), options, &special);
      out.relevance.assign(ids.size(), 0.0);
      std::copy(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(std::min(r.size(), ids.size())),
                out.relevance.begin());
      out.special = {{"[CLS]", special.front()}, {"[SEP]", special.back()}};
      out.bias_relevance = rest(out);
      return out;
    }
  }
  const BertExplanation e = model_->explain(full, method, options.target);
  out.scores = e.logits;
  out.target = e.target;
  out.relevance.assign(ids.size(), 0.0);
  for (std::size_t t = 1; t + 1 < full.size(); ++t) out.relevance[t - 1] = e.relevance[t];
  out.special = {{"[CLS]", e.relevance.front()}, {"[SEP]", e.relevance.back()}};
  // score = Σ tokens + Σ special + bias_relevance, for every method (as the other models' baselines).
  out.bias_relevance = rest(out);
  return out;
}

Embedded BertSequenceClassifier::embed(std::span<const TokenId> ids) const {
  bool truncated = false;
  const std::vector<TokenId> full = with_specials(ids, &truncated);
  model_->check_ids(full);
  const Mat& word = model_->weights().word;
  Embedded out;
  out.x.resize(static_cast<Index>(full.size()), word.cols());  // [T+2 x H]
  for (std::size_t t = 0; t < full.size(); ++t) out.x.row(static_cast<Index>(t)) = word.row(full[t]).cast<double>();
  out.first = 1;
  out.n_tokens = static_cast<Index>(full.size()) - 2;
  return out;
}

MatD64 BertSequenceClassifier::batch_scores(std::span<const MatD64> xs) const {
  MatD64 s(static_cast<Index>(xs.size()), n_outputs());  // [B x C]
  for (std::size_t b = 0; b < xs.size(); ++b) {
    s.row(static_cast<Index>(b)) = model_->logits_of_rows(xs[b].cast<float>()).cast<double>().transpose();
  }
  return s;
}

std::vector<MatD64> BertSequenceClassifier::batch_gradients(std::span<const MatD64> xs, int target,
                                                            MatD64* scores) const {
  std::vector<MatD64> out;
  out.reserve(xs.size());
  if (scores != nullptr) scores->resize(static_cast<Index>(xs.size()), n_outputs());
  for (std::size_t b = 0; b < xs.size(); ++b) {
    Vec logits;
    // kGradientInput = the true gradient (BertMethod's sa and gi both differentiate exactly).
    out.push_back(model_->gradient_of_rows(xs[b].cast<float>(), BertMethod::kGradientInput, target, &logits)
                      .cast<double>());
    if (scores != nullptr) scores->row(static_cast<Index>(b)) = logits.cast<double>().transpose();
  }
  return out;
}

nlohmann::json BertSequenceClassifier::save(const std::filesystem::path& dir) const {
  model_->huggingface_tensors().write(dir / "model.safetensors");
  return {{"huggingface", model_->config().to_huggingface()},
          {"max_length", max_length_},
          {"cls_id", cls_id_},
          {"sep_id", sep_id_}};
}

}  // namespace textlrp::lrp
