// lrp/models/bert_sequence_classifier.cpp — the transformer behind the Classifier and Differentiable
// interfaces: [CLS]/[SEP], truncation, the methods (AttnLRP / CP-LRP here, the others through the
// shared baselines), the model directory.
#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "lrp/models/baselines.h"
#include "lrp/models/bert_classifier.h"

namespace textlrp::lrp {

BertSequenceClassifier::BertSequenceClassifier(std::shared_ptr<const BertClassifier> model, TokenId cls_id,
                                               TokenId sep_id, Index max_length)
    : model_(std::move(model)), cls_id_(cls_id), sep_id_(sep_id), max_length_(max_length) {
  const Index v = model_->config().vocab_size;
  if (cls_id < 0 || cls_id >= v || sep_id < 0 || sep_id >= v) {
    throw FormatError(
        fmt::format("[CLS] id {} or [SEP] id {} is outside the vocabulary [0, {})", cls_id, sep_id, v));
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
    throw FormatError(
        fmt::format("{}: \"hyper\" must hold the Hugging Face configuration under \"huggingface\"", where));
  }
  BertConfig c = BertConfig::from_huggingface(hyper.at("huggingface"), where + " (hyper.huggingface)");
  c.labels = config.at("labels").get<std::vector<std::string>>();
  const TensorStore store = TensorStore::load(dir / "model.safetensors");
  std::shared_ptr<const BertClassifier> model = BertClassifier::from_huggingface(store, std::move(c));
  const auto max_length = hyper.value("max_length", static_cast<std::int64_t>(model->config().max_positions));
  try {
    return std::make_unique<BertSequenceClassifier>(std::move(model), hyper.at("cls_id").get<TokenId>(),
                                                    hyper.at("sep_id").get<TokenId>(),
                                                    static_cast<Index>(max_length));
  } catch (const FormatError& e) {
    throw FormatError(fmt::format("{}: {}", where, e.what()));
  }
}

std::vector<TokenId> BertSequenceClassifier::with_specials(std::span<const TokenId> ids,
                                                           bool* truncated) const {
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

Explanation BertSequenceClassifier::explain(std::span<const TokenId> ids,
                                            const ExplainOptions& options) const {
  if (options.gate_rule || options.bias_factor || options.precision) {
    throw InvalidArgument(
        "--lstm-rule, --bias-factor and --precision apply to the BiLSTM only, not to a transformer");
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
        throw InvalidArgument(fmt::format("--rule {}: a transformer takes attnlrp (the default) or cp-lrp",
                                          options.transformer_rule));
      }
      break;
    default: {
      // sa, gi, ig, occlusion, random: the shared baselines over the Differentiable interface.
      const Embedded in = embed(ids);
      out.scores = model_->logits_of_rows(in.x.cast<float>());
      if (options.target < -1 || options.target >= out.scores.size()) {
        throw InvalidArgument(
            fmt::format("target class {} is out of range [0, {})", options.target, out.scores.size()));
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
  for (std::size_t t = 0; t < full.size(); ++t)
    out.x.row(static_cast<Index>(t)) = word.row(full[t]).cast<double>();
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
