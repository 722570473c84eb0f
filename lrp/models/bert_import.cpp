// lrp/models/bert_import.cpp — BERT / DistilBERT configuration and weights: Hugging Face config.json,
// the shape checks of the constructor, model.safetensors in (from_huggingface) and out
// (huggingface_tensors).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/file.h"
#include "lrp/models/bert_classifier.h"

namespace textlrp::lrp {

namespace {

// ---------------------------------------------------------------------------------------------
// config.json

const nlohmann::json& require_key(const nlohmann::json& j, const char* key, const std::string& file) {
  if (!j.contains(key)) throw FormatError(fmt::format("{}: missing key '{}'", file, key));
  return j.at(key);
}

Index positive_int(const nlohmann::json& j, const char* key, const std::string& file,
                   bool allow_zero = false) {
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
      throw FormatError(
          fmt::format("{}: key 'id2label' is {}, expected an object {{\"0\": label, ...}}", file, m.dump()));
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
      if (pos != k.size() || id < 0 || static_cast<std::size_t>(id) >= m.size() ||
          seen[static_cast<std::size_t>(id)]) {
        throw FormatError(fmt::format("{}: id2label key '{}' is not one of the ids 0..{} (each once)", file,
                                      k, m.size() - 1));
      }
      if (!v.is_string())
        throw FormatError(fmt::format("{}: id2label['{}'] is {}, expected a string", file, k, v.dump()));
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
    throw FormatError(
        fmt::format("{}: key '{}' is {}, expected \"gelu\" (the exact erf GELU; other activations are "
                    "not supported)",
                    file, key, v.dump()));
  }
}

}  // namespace

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
      throw FormatError(
          fmt::format("{}: key 'architectures' is {}, expected one architecture name", file, a.dump()));
    }
    arch = a[0].get<std::string>();
  } else if (j.contains("model_type") && j.at("model_type").is_string()) {
    const auto t = j.at("model_type").get<std::string>();
    arch = t == "bert"         ? "BertForSequenceClassification"
           : t == "distilbert" ? "DistilBertForSequenceClassification"
                               : t;
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
        throw FormatError(
            fmt::format("{}: key 'layer_norm_eps' is {}, expected a positive number", file, e.dump()));
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
    throw FormatError(
        fmt::format("{}: architecture '{}' is not supported, expected BertForSequenceClassification or "
                    "DistilBertForSequenceClassification",
                    file, arch));
  }
  if (c.hidden % c.heads != 0) {
    throw FormatError(fmt::format("{}: hidden size {} is not a multiple of the {} attention heads", file,
                                  c.hidden, c.heads));
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
      throw FormatError(
          fmt::format("tensor '{}' has shape {}, expected {}", name, shape_string(m), shape_string(r, cc)));
    }
  };
  auto vec = [](const Vec& v, Index n, const std::string& name) {
    if (v.size() != n)
      throw FormatError(fmt::format("tensor '{}' has shape [{}], expected [{}]", name, v.size(), n));
  };
  if (c.hidden <= 0 || c.heads <= 0 || c.hidden % c.heads != 0) {
    throw FormatError(
        fmt::format("hidden size {} is not a positive multiple of the {} heads", c.hidden, c.heads));
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
    if (name.find("LayerNorm.gamma") != std::string::npos || name.find("LayerNorm.beta") != std::string::npos)
      continue;
    errors.push_back(fmt::format("unexpected tensor '{}' {}", name, shape_string(store.info(name).shape)));
  }
  if (!errors.empty()) {
    std::string msg = fmt::format(
        "{}: not a {} with the config's sizes (hidden {}, {} layers, intermediate {}, vocabulary "
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
          "{}: a pickled PyTorch checkpoint is not read (unpickling runs arbitrary code); convert it to "
          "safetensors "
          "first, e.g. python3 -c \"import torch; from safetensors.torch import save_file; "
          "save_file(torch.load('pytorch_model.bin', map_location='cpu'), 'model.safetensors')\" in {}, or "
          "model.save_pretrained(dir, safe_serialization=True) with transformers",
          (dir / "pytorch_model.bin").string(), dir.string()));
    }
    throw IoError(fmt::format("{}: no such file (a Hugging Face model directory needs model.safetensors)",
                              st.string()));
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

}  // namespace textlrp::lrp
