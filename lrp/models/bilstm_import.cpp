// lrp/models/bilstm_import.cpp — the BiLSTM's model files: load (model.safetensors of a model
// directory), the PyTorch and Arras et al. importers, and save. The forward pass, gradients and
// LRP are in bilstm_classifier.cpp.
#include "lrp/models/bilstm_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "core/error.h"
#include "core/npy.h"
#include "lrp/models/baselines.h"

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
      problems.push_back(fmt::format("tensor '{}' has shape {}, expected {}", e.name,
                                     shape_string(info.shape), shape_string(e.shape)));
    }
    if (info.dtype != DType::kF32 && info.dtype != DType::kF64) {
      problems.push_back(
          fmt::format("tensor '{}' has dtype {}, expected F64 or F32", e.name, dtype_name(info.dtype)));
    }
  }
  for (const auto& name : store.names()) {
    const bool known =
        std::any_of(expected.begin(), expected.end(), [&](const Expected& e) { return e.name == name; });
    if (!known)
      problems.push_back(
          fmt::format("unexpected tensor '{}' {}", name, shape_string(store.info(name).shape)));
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

}  // namespace

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
    throw FormatError(
        fmt::format("{}: hyper.n_classes is {} but there are {} labels", where, C, labels.size()));
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
    throw FormatError(fmt::format("{}: gate order '{}' is not supported (expected {})", store.name(),
                                  order->second, kGateOrder));
  }
  BiLstmWeights w;
  w.embedding = read_matrix(store, kEmbedding, V, E);
  for (const auto& [suffix, lw] :
       {std::pair<const char*, LstmWeights*>{"", &w.left}, {"_reverse", &w.right}}) {
    lw->w_ih = read_matrix(store, fmt::format("lstm.weight_ih_l0{}", suffix), 4 * H, E);
    lw->w_hh = read_matrix(store, fmt::format("lstm.weight_hh_l0{}", suffix), 4 * H, H);
    lw->b_ih = read_vector(store, fmt::format("lstm.bias_ih_l0{}", suffix), 4 * H);
    lw->b_hh = read_vector(store, fmt::format("lstm.bias_hh_l0{}", suffix), 4 * H);
  }
  w.fc_left = read_matrix(store, kFcLeft, C, H);
  w.fc_right = read_matrix(store, kFcRight, C, H);
  if (fc_bias) w.fc_bias = read_vector(store, kFcBias, C);
  // A bad TEXTLRP_BILSTM_TABLE is the caller's usage error, not a problem of the file: read it outside.
  const std::int64_t table_limit = table_limit_from_environment();
  try {
    return std::make_unique<BiLstmClassifier>(labels, std::move(w), max_tokens, table_limit);
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("{}: {}", store.name(), e.what()));
  }
}

std::unique_ptr<BiLstmClassifier> BiLstmClassifier::from_pytorch(const TensorStore& store,
                                                                 std::vector<std::string> labels,
                                                                 Index max_tokens) {
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
  for (const auto& [suffix, lw] :
       {std::pair<const char*, LstmWeights*>{"", &w.left}, {"_reverse", &w.right}}) {
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
      problems.push_back(fmt::format("{} has shape {}, expected {}", file, shape_string(it->second.shape),
                                     shape_string(shape)));
    }
  }
  if (!problems.empty())
    throw FormatError(fmt::format("{} (arras-bilstm): {}", dir.string(), join(problems)));
  if (!labels.empty() && static_cast<std::int64_t>(labels.size()) != C) {
    throw InvalidArgument(fmt::format("{} labels given, but {} has {} classes", labels.size(),
                                      (dir / "Why_Left.npy").string(), C));
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
  for (const auto& [side, lw] :
       {std::pair<std::string, LstmWeights*>{"Left", &w.left}, {"Right", &w.right}}) {
    lw->w_ih = mat("Wxh_" + side);
    lw->w_hh = mat("Whh_" + side);
    lw->b_ih = vec("bxh_" + side);
    lw->b_hh = vec("bhh_" + side);
  }
  w.fc_left = mat("Why_Left");
  w.fc_right = mat("Why_Right");
  return std::make_unique<BiLstmClassifier>(default_labels(std::move(labels), C), std::move(w));
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
