#include "lrp/models/cnn_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "core/error.h"
#include "lrp/models/baselines.h"

namespace textlrp::lrp {
namespace {

// Tensor name table (PyTorch names and layouts; llama-arch.cpp style):
//   embedding.weight        [n_vocab x n_embd]
//   convs.{i}.weight        [n_filters x n_embd x kernel_sizes[i]]   (or conv.weight for one width)
//   convs.{i}.bias          [n_filters]                              (or conv.bias)
//   fc.weight               [n_classes x n_widths·n_filters]
//   fc.bias                 [n_classes]
constexpr const char* kEmbedding = "embedding.weight";
constexpr const char* kFcWeight = "fc.weight";
constexpr const char* kFcBias = "fc.bias";

struct Hyper {
  std::int64_t n_vocab = -1;  // -1 = unknown (any size matches)
  std::int64_t n_embd = -1;
  std::vector<std::int64_t> kernel_sizes;
  std::int64_t n_filters = -1;
  std::int64_t n_classes = -1;
};

// "convs.{i}." for the stored naming, or "conv." when the file holds a single unnumbered conv.
std::string conv_prefix(const TensorStore& store, std::size_t i) {
  const bool single = !store.contains("convs.0.weight") && !store.contains("convs.0.bias") &&
                      (store.contains("conv.weight") || store.contains("conv.bias"));
  return single ? std::string("conv.") : fmt::format("convs.{}.", i);
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    s += (i ? " x " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  }
  return s + "]";
}

bool shape_matches(const std::vector<std::int64_t>& got, const std::vector<std::int64_t>& want) {
  if (got.size() != want.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (want[i] >= 0 && got[i] != want[i]) return false;
  }
  return true;
}

// Checks every tensor at once and throws one FormatError listing missing, wrongly shaped,
// wrongly typed and unexpected tensors. Returns the names in expected order.
std::vector<std::string> check_tensors(const TensorStore& store, const Hyper& h) {
  const std::int64_t n_widths = static_cast<std::int64_t>(h.kernel_sizes.size());
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected;
  expected.emplace_back(kEmbedding, std::vector<std::int64_t>{h.n_vocab, h.n_embd});
  for (std::size_t i = 0; i < h.kernel_sizes.size(); ++i) {
    const std::string p = conv_prefix(store, i);
    expected.emplace_back(p + "weight", std::vector<std::int64_t>{h.n_filters, h.n_embd, h.kernel_sizes[i]});
    expected.emplace_back(p + "bias", std::vector<std::int64_t>{h.n_filters});
  }
  expected.emplace_back(
      kFcWeight, std::vector<std::int64_t>{h.n_classes, h.n_filters < 0 ? -1 : n_widths * h.n_filters});
  expected.emplace_back(kFcBias, std::vector<std::int64_t>{h.n_classes});
  std::vector<std::string> problems;
  std::vector<std::string> names;
  for (const auto& [name, shape] : expected) {
    names.push_back(name);
    if (!store.contains(name)) {
      problems.push_back(fmt::format("missing tensor '{}' {}", name, shape_text(shape)));
      continue;
    }
    const TensorInfo& info = store.info(name);
    if (!shape_matches(info.shape, shape)) {
      problems.push_back(fmt::format("tensor '{}' has shape {}, expected {}", name, shape_text(info.shape),
                                     shape_text(shape)));
    }
    if (info.dtype != DType::kF32 && info.dtype != DType::kF64) {
      problems.push_back(fmt::format("tensor '{}' has dtype {}, expected F32", name, dtype_name(info.dtype)));
    }
  }
  for (const auto& name : store.names()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      problems.push_back(fmt::format("unexpected tensor '{}' {}", name, shape_text(store.info(name).shape)));
    }
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
    throw FormatError(fmt::format("{}: {} (architecture cnn)", store.name(), msg));
  }
  return names;
}

// Builds the model from a checked store. `h` must be fully known here.
std::unique_ptr<CnnClassifier> build(const TensorStore& store, const Hyper& h,
                                     std::vector<std::string> labels, Index max_tokens) {
  check_tensors(store, h);
  Embedding embedding(store.matrix(kEmbedding, h.n_vocab, h.n_embd));
  std::vector<Conv1d> convs;
  for (std::size_t i = 0; i < h.kernel_sizes.size(); ++i) {
    const std::string p = conv_prefix(store, i);
    const std::int64_t k = h.kernel_sizes[i];
    const std::vector<float> w = store.floats(p + "weight", {h.n_filters, h.n_embd, k});
    Mat wm = Eigen::Map<const Mat>(w.data(), h.n_filters, h.n_embd * k);  // [F x E·K], C order
    convs.emplace_back(std::move(wm), h.n_embd, k, store.vector(p + "bias", h.n_filters));
  }
  const auto n_widths = static_cast<std::int64_t>(h.kernel_sizes.size());
  Dense fc(store.matrix(kFcWeight, h.n_classes, n_widths * h.n_filters), store.vector(kFcBias, h.n_classes));
  if (labels.empty()) {
    for (std::int64_t c = 0; c < h.n_classes; ++c) labels.push_back(std::to_string(c));
  }
  return std::make_unique<CnnClassifier>(std::move(labels), std::move(embedding), std::move(convs),
                                         std::move(fc), max_tokens);
}

}  // namespace

CnnClassifier::CnnClassifier(std::vector<std::string> labels, Embedding embedding, std::vector<Conv1d> convs,
                             Dense fc, Index max_tokens)
    : labels_(std::move(labels)),
      embedding_(std::move(embedding)),
      convs_(std::move(convs)),
      fc_(std::move(fc)),
      max_tokens_(max_tokens) {
  if (convs_.empty()) throw InvalidArgument("cnn: needs at least one convolution");
  const Index n_filters = convs_[0].n_filters();
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    if (convs_[i].n_in() != embedding_.n_embd() || convs_[i].n_filters() != n_filters) {
      throw InvalidArgument(fmt::format("cnn: conv {} maps {} -> {} channels, expected {} -> {}", i,
                                        convs_[i].n_in(), convs_[i].n_filters(), embedding_.n_embd(),
                                        n_filters));
    }
    max_kernel_ = std::max(max_kernel_, convs_[i].kernel());
  }
  if (fc_.n_in() != static_cast<Index>(convs_.size()) * n_filters) {
    throw InvalidArgument(fmt::format("cnn: fc takes {} inputs, the convolutions give {}", fc_.n_in(),
                                      static_cast<Index>(convs_.size()) * n_filters));
  }
  if (fc_.n_out() != static_cast<Index>(labels_.size())) {
    throw InvalidArgument(fmt::format("cnn: {} labels for {} classes", labels_.size(), fc_.n_out()));
  }
  if (max_tokens_ < 1)
    throw InvalidArgument(fmt::format("cnn: max_tokens must be >= 1, got {}", max_tokens_));
}

std::unique_ptr<CnnClassifier> CnnClassifier::load(const std::filesystem::path& dir,
                                                   const nlohmann::json& config) {
  const std::string where = (dir / "config.json").string();
  const auto labels = config.at("labels").get<std::vector<std::string>>();
  const auto& hyper = config.at("hyper");
  Hyper h;
  Index max_tokens = kDefaultMaxTokens;
  try {
    h.n_vocab = hyper.at("n_vocab").get<std::int64_t>();
    h.n_embd = hyper.at("n_embd").get<std::int64_t>();
    h.kernel_sizes = hyper.at("kernel_sizes").get<std::vector<std::int64_t>>();
    h.n_filters = hyper.at("n_filters").get<std::int64_t>();
    h.n_classes = hyper.value("n_classes", static_cast<std::int64_t>(labels.size()));
    max_tokens = hyper.value("max_tokens", static_cast<std::int64_t>(kDefaultMaxTokens));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: \"hyper\" of architecture cnn: {}", where, e.what()));
  }
  const bool bad_kernel =
      std::any_of(h.kernel_sizes.begin(), h.kernel_sizes.end(), [](auto k) { return k < 1; });
  if (h.n_vocab < 1 || h.n_embd < 1 || h.n_filters < 1 || h.kernel_sizes.empty() || bad_kernel ||
      max_tokens < 1) {
    throw FormatError(
        fmt::format("{}: \"hyper\" needs n_vocab, n_embd, n_filters, max_tokens >= 1 and a non-empty "
                    "kernel_sizes of positive widths, got {}",
                    where, hyper.dump()));
  }
  if (h.n_classes != static_cast<std::int64_t>(labels.size())) {
    throw FormatError(
        fmt::format("{}: hyper.n_classes is {} but there are {} labels", where, h.n_classes, labels.size()));
  }
  const TensorStore store = TensorStore::load(dir / "model.safetensors");
  return build(store, h, labels, max_tokens);
}

std::unique_ptr<CnnClassifier> CnnClassifier::from_pytorch(const TensorStore& store,
                                                           std::vector<std::string> labels,
                                                           Index max_tokens) {
  // Read the hyper-parameters off whatever shapes are there; check_tensors() then reports every
  // problem (with '?' for sizes that could not be inferred).
  Hyper h;
  auto dims = [&](const std::string& name) -> std::vector<std::int64_t> {
    return store.contains(name) ? store.info(name).shape : std::vector<std::int64_t>{};
  };
  const std::vector<std::int64_t> emb = dims(kEmbedding);
  if (emb.size() == 2) {
    h.n_vocab = emb[0];
    h.n_embd = emb[1];
  }
  std::size_t n_widths = 0;
  while (store.contains(fmt::format("convs.{}.weight", n_widths))) ++n_widths;
  if (n_widths == 0) n_widths = 1;  // conv.weight, or convs.0.weight reported missing
  for (std::size_t i = 0; i < n_widths; ++i) {
    const std::vector<std::int64_t> w = dims(conv_prefix(store, i) + "weight");
    h.kernel_sizes.push_back(w.size() == 3 ? w[2] : -1);
    if (w.size() == 3 && i == 0) {
      h.n_filters = w[0];
      if (h.n_embd < 0) h.n_embd = w[1];
    }
  }
  const std::vector<std::int64_t> fcw = dims(kFcWeight);
  const std::vector<std::int64_t> fcb = dims(kFcBias);
  h.n_classes = fcw.size() == 2 ? fcw[0] : (fcb.size() == 1 ? fcb[0] : -1);
  check_tensors(store, h);  // throws unless everything is present and consistent
  if (!labels.empty() && static_cast<std::int64_t>(labels.size()) != h.n_classes) {
    throw InvalidArgument(fmt::format("{} labels given, but {} has {} classes (fc.weight {})", labels.size(),
                                      store.name(), h.n_classes, shape_text(fcw)));
  }
  return build(store, h, std::move(labels), max_tokens);
}

RuleMap CnnClassifier::default_rules() const {
  return RuleMap({{"conv", rules::Epsilon{0.01}}, {"fc", rules::Epsilon{0.01}}});
}

RuleMap CnnClassifier::resolve_rules(const RuleMap& requested) const {
  RuleMap out = default_rules();
  std::map<std::string, Rule> merged = out.rules();
  for (const auto& [role, rule] : requested.rules()) {
    if (!merged.count(role)) {
      throw InvalidArgument(
          fmt::format("unknown layer role '{}' for architecture cnn; its roles: conv, fc", role));
    }
    merged[role] = rule;
  }
  return RuleMap(std::move(merged));
}

Vec CnnClassifier::forward_embedded(const Mat& x, Trace* trace) const {
  TEXTLRP_ASSERT(x.rows() >= max_kernel_ && x.cols() == embedding_.n_embd());
  const Index n_filters = convs_[0].n_filters();
  Mat pooled(1, static_cast<Index>(convs_.size()) * n_filters);  // [1 x n_widths·F]
  if (trace != nullptr) {
    trace->conv.resize(convs_.size());
    trace->relu.resize(convs_.size());
    trace->pool.resize(convs_.size());
  }
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    // conv, ReLU and max over time in one pass (Conv1d::forward_relu_max: one GEMM over the strided
    // im2col view, the pooling fused); the trace keeps z (for relevance and backward), ReLU's output
    // and the winners.
    std::vector<Index> winner;
    const Index n_windows = x.rows() - convs_[i].kernel() + 1;
    pooled.middleCols(static_cast<Index>(i) * n_filters, n_filters) =
        convs_[i].forward_relu_max(x, &winner, trace ? &trace->conv[i] : nullptr);  // [1 x F]
    if (trace != nullptr) {
      trace->relu[i].y = trace->conv[i].z.cwiseMax(Scalar(0));  // [T' x F]
      trace->pool[i].winner = std::move(winner);
      trace->pool[i].n_rows = n_windows;
    }
  }
  const Mat s = fc_.forward(pooled, trace ? &trace->fc : nullptr);  // [1 x C]
  return s.row(0).transpose();
}

Vec CnnClassifier::forward(std::span<const TokenId> ids, Trace* trace) const {
  const Index n_tokens = std::min(static_cast<Index>(ids.size()), max_tokens_);
  const Index n_rows = std::max(n_tokens, max_kernel_);
  const std::span<const TokenId> used = ids.first(static_cast<std::size_t>(n_tokens));
  if (trace == nullptr) return forward_embedded(embedding_.forward(used, n_rows), nullptr);
  trace->n_tokens = n_tokens;
  trace->x = embedding_.forward(used, n_rows, &trace->embedding);  // [T₊ x E]
  return forward_embedded(trace->x, trace);
}

Vec CnnClassifier::scores(std::span<const TokenId> ids) const { return forward(ids, nullptr); }

Mat CnnClassifier::backward(const Trace& trace, const Vec& grad_scores, Gradients* grads) const {
  const Index n_filters = convs_[0].n_filters();
  if (grads != nullptr) grads->conv.resize(convs_.size());
  const Mat g_s = grad_scores.transpose();                                         // [1 x C]
  const Mat g_pooled = fc_.backward(trace.fc, g_s, grads ? &grads->fc : nullptr);  // [1 x n_widths·F]
  Mat g_x = Mat::Zero(trace.x.rows(), trace.x.cols());                             // [T₊ x E]
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    const Mat g_p = g_pooled.middleCols(static_cast<Index>(i) * n_filters, n_filters);  // [1 x F]
    const Mat g_y = pool_.backward(trace.pool[i], g_p, nullptr);                        // [T' x F]
    const Mat g_z = relu_.backward(trace.relu[i], g_y, nullptr);                        // [T' x F]
    g_x += convs_[i].backward(trace.conv[i], g_z, grads ? &grads->conv[i] : nullptr);   // [T₊ x E]
  }
  if (grads != nullptr) embedding_.backward(trace.embedding, g_x, &grads->embedding);
  return g_x;
}

Mat CnnClassifier::relevance(const Trace& trace, const Vec& r_scores, const RuleMap& rules) const {
  const Index n_filters = convs_[0].n_filters();
  const Rule& conv_rule = rules.at("conv");
  const Mat r_s = r_scores.transpose();                               // [1 x C]
  const Mat r_pooled = fc_.relevance(trace.fc, r_s, rules.at("fc"));  // [1 x n_widths·F]
  Mat r_x = Mat::Zero(trace.x.rows(), trace.x.cols());                // [T₊ x E]
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    // Max over time passes each filter's relevance to its winning window (winner-take-all) and ReLU
    // passes it unchanged, so the conv receives one relevance per filter: Conv1d::relevance_at.
    const Mat r_p = r_pooled.middleCols(static_cast<Index>(i) * n_filters, n_filters);   // [1 x F]
    r_x += convs_[i].relevance_at(trace.conv[i], trace.pool[i].winner, r_p, conv_rule);  // [T₊ x E]
  }
  return r_x;
}

Explanation CnnClassifier::explain(std::span<const TokenId> ids, const ExplainOptions& options) const {
  if (options.gate_rule || options.bias_factor || options.precision) {
    throw InvalidArgument(
        "the LSTM gate rule, the bias factor and the precision apply to recurrent models (bilstm) only, not "
        "cnn");
  }
  const RuleMap rules = resolve_rules(options.rules);
  Trace trace;
  Explanation e;
  e.scores = forward(ids, &trace);
  e.target = options.target >= 0 ? options.target : argmax(e.scores);
  if (e.target >= static_cast<int>(labels_.size())) {
    throw InvalidArgument(
        fmt::format("target class {} is out of range (the model has {} classes)", e.target, labels_.size()));
  }
  e.truncated = trace.n_tokens < static_cast<Index>(ids.size());
  e.relevance.assign(ids.size(), 0.0);
  const auto n = static_cast<std::size_t>(trace.n_tokens);
  const Scalar score = e.scores[e.target];
  if (options.method == Method::kLrp) {
    e.rule = rules.to_string();
    Vec onehot = Vec::Zero(fc_.n_out());  // [C]
    onehot[e.target] = 1;
    const Mat r_x = relevance(trace, onehot * score, rules);  // [T₊ x E]
    for (std::size_t t = 0; t < n; ++t) e.relevance[t] = r_x.row(static_cast<Index>(t)).sum();
  } else {
    Embedded in;
    in.x = trace.x.topRows(trace.n_tokens).cast<double>();  // unpadded
    in.n_tokens = trace.n_tokens;
    const std::vector<double> r = baselines::token_relevance(*this, in, ids.first(n), options.method,
                                                             e.target, static_cast<double>(score), options);
    std::copy(r.begin(), r.end(), e.relevance.begin());
  }
  const double sum = std::accumulate(e.relevance.begin(), e.relevance.end(), 0.0);
  e.bias_relevance = static_cast<double>(score) - sum;
  return e;
}

// ---------------------------------------------------------------------------------------------
// Differentiable: batches of embedded inputs as one stacked input

struct CnnClassifier::BatchTrace {
  std::vector<Index> offset;               // [B+1] first row of each input in the stack
  Mat x;                                   // [N x E] the inputs, each padded to max_kernel rows
  std::vector<Conv1d::Cache> conv;         // per width, over the whole stack
  std::vector<std::vector<Index>> winner;  // per width: [B x F] row of the maximum (-1: relu(max) = 0)
  Dense::Cache fc;
};

Embedded CnnClassifier::embed(std::span<const TokenId> ids) const {
  const Index n_tokens = std::min(static_cast<Index>(ids.size()), max_tokens_);
  Embedded out;
  out.x = embedding_.forward(ids.first(static_cast<std::size_t>(n_tokens)), n_tokens).cast<double>();
  out.n_tokens = n_tokens;
  return out;
}

MatD64 CnnClassifier::batch_forward(std::span<const MatD64> xs, BatchTrace* tr) const {
  const auto B = static_cast<Index>(xs.size());
  const Index E = embedding_.n_embd(), n_filters = convs_[0].n_filters();
  tr->offset.assign(static_cast<std::size_t>(B) + 1, 0);
  for (Index b = 0; b < B; ++b) {
    TEXTLRP_ASSERT(xs[static_cast<std::size_t>(b)].cols() == E);
    const Index rows =
        std::max(xs[static_cast<std::size_t>(b)].rows(), max_kernel_);  // padded as forward() does
    tr->offset[static_cast<std::size_t>(b) + 1] = tr->offset[static_cast<std::size_t>(b)] + rows;
  }
  tr->x = Mat::Zero(tr->offset.back(), E);  // [N x E]
  for (Index b = 0; b < B; ++b) {
    const MatD64& x = xs[static_cast<std::size_t>(b)];
    tr->x.middleRows(tr->offset[static_cast<std::size_t>(b)], x.rows()) = x.cast<Scalar>();
  }
  Mat pooled = Mat::Zero(B, static_cast<Index>(convs_.size()) * n_filters);  // [B x n_widths·F]
  tr->conv.resize(convs_.size());
  tr->winner.resize(convs_.size());
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    const Mat z = convs_[i].forward(tr->x, &tr->conv[i]);  // [N-K+1 x F]: one GEMM for the batch
    const Index k = convs_[i].kernel();
    std::vector<Index>& win = tr->winner[i];
    win.assign(static_cast<std::size_t>(B * n_filters), -1);
    for (Index b = 0; b < B; ++b) {
      // The windows of input b: rows offset_b .. offset_{b+1} − K (those straddling b+1 are ignored).
      const Index t0 = tr->offset[static_cast<std::size_t>(b)];
      const Index t1 = tr->offset[static_cast<std::size_t>(b) + 1] - k + 1;
      for (Index f = 0; f < n_filters; ++f) {
        // max_t relu(z) with the first maximum winning ties, as MaxOverTime; gradient 0 unless > 0.
        Index best = t0;
        for (Index t = t0 + 1; t < t1; ++t) {
          if (z(t, f) > z(best, f)) best = t;
        }
        if (z(best, f) > 0) {
          pooled(b, static_cast<Index>(i) * n_filters + f) = z(best, f);
          win[static_cast<std::size_t>(b * n_filters + f)] = best;
        }
      }
    }
  }
  const Mat s = fc_.forward(pooled, &tr->fc);  // [B x C]: one GEMM
  return s.cast<double>();
}

MatD64 CnnClassifier::batch_scores(std::span<const MatD64> xs) const {
  BatchTrace tr;
  return batch_forward(xs, &tr);
}

std::vector<MatD64> CnnClassifier::batch_gradients(std::span<const MatD64> xs, int target,
                                                   MatD64* scores) const {
  TEXTLRP_ASSERT(target >= 0 && target < fc_.n_out());
  BatchTrace tr;
  MatD64 s = batch_forward(xs, &tr);
  const auto B = static_cast<Index>(xs.size());
  const Index n_filters = convs_[0].n_filters();
  Mat g_s = Mat::Zero(B, fc_.n_out());  // [B x C]
  g_s.col(target).setOnes();
  const Mat g_pooled = fc_.backward(tr.fc, g_s, nullptr);  // [B x n_widths·F]
  Mat g_x = Mat::Zero(tr.x.rows(), tr.x.cols());           // [N x E]
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    Mat g_z = Mat::Zero(tr.conv[i].z.rows(), n_filters);  // [N-K+1 x F]: the winners only
    for (Index b = 0; b < B; ++b) {
      for (Index f = 0; f < n_filters; ++f) {
        const Index w = tr.winner[i][static_cast<std::size_t>(b * n_filters + f)];
        if (w >= 0) g_z(w, f) = g_pooled(b, static_cast<Index>(i) * n_filters + f);
      }
    }
    g_x += convs_[i].backward(tr.conv[i], g_z, nullptr);  // one pass over the stack
  }
  std::vector<MatD64> out;
  out.reserve(xs.size());
  for (Index b = 0; b < B; ++b) {
    out.push_back(
        g_x.middleRows(tr.offset[static_cast<std::size_t>(b)], xs[static_cast<std::size_t>(b)].rows())
            .cast<double>());
  }
  if (scores != nullptr) *scores = std::move(s);
  return out;
}

nlohmann::json CnnClassifier::save(const std::filesystem::path& dir) const {
  TensorWriter w;
  w.add(kEmbedding, embedding_.weight());
  std::vector<std::int64_t> kernel_sizes;
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    const Conv1d& c = convs_[i];
    const Mat& wm = c.weight();  // [F x E·K] row-major == [F x E x K] in C order
    w.add(fmt::format("convs.{}.weight", i), {c.n_filters(), c.n_in(), c.kernel()},
          std::vector<float>(wm.data(), wm.data() + wm.size()));
    w.add(fmt::format("convs.{}.bias", i), c.bias());
    kernel_sizes.push_back(c.kernel());
  }
  w.add(kFcWeight, fc_.weight());
  w.add(kFcBias, fc_.bias());
  w.set_metadata("textlrp.format_version", "1");
  w.set_metadata("textlrp.architecture", "cnn");
  w.write(dir / "model.safetensors");
  return {{"n_vocab", embedding_.n_vocab()}, {"n_embd", embedding_.n_embd()},
          {"kernel_sizes", kernel_sizes},    {"n_filters", convs_[0].n_filters()},
          {"n_classes", fc_.n_out()},        {"max_tokens", max_tokens_}};
}

}  // namespace textlrp::lrp
