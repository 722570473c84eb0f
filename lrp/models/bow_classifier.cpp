#include "lrp/models/bow_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/error.h"
#include "core/safetensors.h"

namespace textlrp::lrp {

BowClassifier::BowClassifier(std::vector<std::string> labels, Vec idf, Mat weight, Vec bias,
                             BowOptions options)
    : labels_(std::move(labels)),
      idf_(std::move(idf)),
      weight_(std::move(weight)),
      bias_(std::move(bias)),
      options_(options) {
  if (weight_.rows() != static_cast<Index>(labels_.size()) || weight_.cols() != idf_.size() ||
      bias_.size() != weight_.rows()) {
    throw FormatError(fmt::format("bow_svm: inconsistent shapes: {} labels, idf [{}], weight {}, bias [{}]",
                                  labels_.size(), idf_.size(), shape_string(weight_), bias_.size()));
  }
  weight_t_ = weight_.transpose();
}

std::unique_ptr<BowClassifier> BowClassifier::load(const std::filesystem::path& dir,
                                                   const nlohmann::json& config) {
  const auto labels = config.at("labels").get<std::vector<std::string>>();
  const auto& hyper = config.at("hyper");
  const auto n_vocab = hyper.at("n_vocab").get<std::int64_t>();
  BowOptions options;
  options.sublinear_tf = hyper.value("sublinear_tf", false);
  options.normalize = hyper.value("norm", std::string("l2")) == "l2";
  options.ignore_id = hyper.value("ignore_id", 0);
  const TensorStore store = TensorStore::load(dir / "model.safetensors");
  const auto n_classes = static_cast<std::int64_t>(labels.size());
  // Report every problem at once: missing, unexpected and wrongly shaped tensors.
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected = {
      {"idf", {n_vocab}}, {"weight", {n_classes, n_vocab}}, {"bias", {n_classes}}};
  std::vector<std::string> problems;
  for (const auto& [name, shape] : expected) {
    if (!store.contains(name)) {
      problems.push_back(fmt::format("missing tensor '{}' {}", name, shape_string(shape)));
    } else if (store.info(name).shape != shape) {
      problems.push_back(fmt::format("tensor '{}' has shape {}, expected {}", name,
                                     shape_string(store.info(name).shape), shape_string(shape)));
    }
  }
  for (const auto& name : store.names()) {
    if (name != "idf" && name != "weight" && name != "bias")
      problems.push_back(fmt::format("unexpected tensor '{}'", name));
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
    throw FormatError(fmt::format("{}: {}", store.name(), msg));
  }
  return std::make_unique<BowClassifier>(labels, store.vector("idf", n_vocab),
                                         store.matrix("weight", n_classes, n_vocab),
                                         store.vector("bias", n_classes), options);
}

RuleMap BowClassifier::default_rules() const { return RuleMap({{"fc", rules::Epsilon{}}}); }

namespace {

// The TF-IDF vector of the in-vocabulary ids in [begin, end), which are sorted by id (`id_of` reads
// an element's id): one (id, x) pair per distinct id, in id order. The one computation of the
// features, shared by features() and explain(), so that both give the same floats.
template <class It, class IdOf>
std::vector<std::pair<TokenId, float>> tfidf_of_sorted(It begin, It end, IdOf id_of, const Vec& idf,
                                                       const BowOptions& options) {
  std::vector<std::pair<TokenId, float>> out;
  double norm2 = 0;
  for (It i = begin; i != end;) {
    const TokenId id = id_of(*i);
    It j = i;
    while (j != end && id_of(*j) == id) ++j;
    const auto count = static_cast<double>(j - i);
    const double tf = options.sublinear_tf ? 1.0 + std::log(count) : count;
    const double x = tf * idf[id];
    norm2 += x * x;
    out.emplace_back(id, static_cast<float>(x));
    i = j;
  }
  if (options.normalize && norm2 > 0) {
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (auto& [id, x] : out) x *= inv;
  }
  return out;
}

}  // namespace

std::vector<std::pair<TokenId, float>> BowClassifier::features(std::span<const TokenId> ids) const {
  std::vector<TokenId> sorted;
  sorted.reserve(ids.size());
  const auto n_vocab = static_cast<TokenId>(idf_.size());
  for (const TokenId id : ids) {
    if (id >= 0 && id < n_vocab && id != options_.ignore_id) sorted.push_back(id);
  }
  std::sort(sorted.begin(), sorted.end());
  return tfidf_of_sorted(
      sorted.begin(), sorted.end(), [](TokenId id) { return id; }, idf_, options_);
}

namespace {

// Decision values from precomputed features: s = b + Σ_i x_i · w_·i  [C].
Vec scores_of(const std::vector<std::pair<TokenId, float>>& feats, const Vec& bias, const Mat& weight_t) {
  Vec s = bias;  // [C]
  for (const auto& [id, x] : feats) s += x * weight_t.row(id).transpose();
  return s;
}

}  // namespace

Vec BowClassifier::scores(std::span<const TokenId> ids) const {
  return scores_of(features(ids), bias_, weight_t_);
}

Explanation BowClassifier::explain(std::span<const TokenId> ids, const ExplainOptions& options) const {
  if (options.gate_rule || options.bias_factor || options.precision) {
    throw InvalidArgument(
        "the LSTM gate rule, the bias factor and the precision apply to recurrent models (bilstm) only, not "
        "bow_svm");
  }
  if (options.method != Method::kLrp) return explain_baseline(ids, options);
  RuleMap rules = options.rules.rules().empty() ? default_rules() : options.rules;
  const Rule& rule = rules.at("fc");
  // The in-vocabulary occurrences as (id << 32 | position), sorted: by id, then position. One sort
  // gives the features (the runs of equal ids, as features() computes them) and, for every term,
  // the positions of its occurrences, so that spreading a term's relevance needs no search.
  const auto n_vocab = static_cast<TokenId>(idf_.size());
  auto in_vocab = [&](TokenId id) { return id >= 0 && id < n_vocab && id != options_.ignore_id; };
  if (ids.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw InvalidArgument(fmt::format("bow_svm: a document of {} tokens is more than 2^32 - 1", ids.size()));
  }
  std::vector<std::uint64_t> occurrence;
  occurrence.reserve(ids.size());
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (in_vocab(ids[t])) occurrence.push_back(static_cast<std::uint64_t>(ids[t]) << 32 | t);
  }
  std::sort(occurrence.begin(), occurrence.end());
  auto id_of = [](std::uint64_t o) { return static_cast<TokenId>(o >> 32); };
  const auto feats = tfidf_of_sorted(occurrence.begin(), occurrence.end(), id_of, idf_, options_);
  Explanation e;
  e.scores = scores_of(feats, bias_, weight_t_);
  e.target = options.target >= 0 ? options.target : argmax(e.scores);
  if (e.target >= static_cast<int>(labels_.size())) {
    throw InvalidArgument(
        fmt::format("target class {} is out of range (the model has {} classes)", e.target, labels_.size()));
  }
  e.rule = rules.to_string();
  const double score = e.scores[e.target];
  e.relevance.assign(ids.size(), 0.0);
  if (std::holds_alternative<rules::Flat>(rule)) {  // the score, evenly over in-vocabulary tokens
    const std::size_t n_in_vocab = occurrence.size();
    for (const std::uint64_t o : occurrence)
      e.relevance[o & 0xFFFFFFFFu] = score / static_cast<double>(n_in_vocab);
    e.bias_relevance = feats.empty() ? score : 0.0;
    return e;
  }
  // Per term k, relevance R_k: the exact decomposition x_k·w_ck, or the w² redistribution of the
  // score; spread evenly over the term's occurrences (the k-th run of `occurrence`).
  const bool wsquare = std::holds_alternative<rules::WSquare>(rule);
  double denom = 0;
  if (wsquare) {
    for (const auto& [id, x] : feats)
      denom += static_cast<double>(weight_t_(id, e.target)) * weight_t_(id, e.target);
    e.bias_relevance = feats.empty() ? score : 0.0;
  } else {
    e.bias_relevance = bias_[e.target];
  }
  std::size_t i = 0;
  for (const auto& [id, x] : feats) {
    const double w = weight_t_(id, e.target);
    const double term_relevance =
        wsquare ? (denom > 0 ? w * w / denom * score : 0.0) : static_cast<double>(x) * w;
    std::size_t j = i;
    while (j < occurrence.size() && id_of(occurrence[j]) == id) ++j;
    const double each = term_relevance / static_cast<int>(j - i);
    for (; i < j; ++i) e.relevance[occurrence[i] & 0xFFFFFFFFu] = each;
  }
  return e;
}

Explanation BowClassifier::explain_baseline(std::span<const TokenId> ids,
                                            const ExplainOptions& options) const {
  Explanation e;
  e.scores = scores(ids);
  e.target = options.target >= 0 ? options.target : argmax(e.scores);
  if (e.target >= static_cast<int>(labels_.size())) {
    throw InvalidArgument(
        fmt::format("target class {} is out of range (the model has {} classes)", e.target, labels_.size()));
  }
  if (options.method == Method::kIntegratedGradients && options.ig_steps < 1) {
    throw InvalidArgument(
        fmt::format("integrated gradients needs at least 1 step, got {}", options.ig_steps));
  }
  e.relevance.assign(ids.size(), 0.0);
  const double score = e.scores[e.target];
  const auto n_vocab = static_cast<TokenId>(idf_.size());
  auto in_vocab = [&](TokenId id) { return id >= 0 && id < n_vocab && id != options_.ignore_id; };

  // The document's terms k (sorted ids), their counts c_k, and each occurrence's term (or -1).
  std::vector<TokenId> term;
  for (const TokenId id : ids) {
    if (in_vocab(id)) term.push_back(id);
  }
  std::sort(term.begin(), term.end());
  std::vector<double> count;
  {
    std::size_t k = 0;
    for (std::size_t i = 0; i < term.size(); ++i) {
      if (i > 0 && term[i] == term[i - 1]) {
        count.back() += 1;
      } else {
        term[k++] = term[i];
        count.push_back(1);
      }
    }
    term.resize(k);
  }
  std::vector<std::ptrdiff_t> slot(ids.size(), -1);
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (!in_vocab(ids[t])) continue;
    slot[t] = std::lower_bound(term.begin(), term.end(), ids[t]) - term.begin();
  }
  // tf(c) = c (c <= 1), 1 + ln c above with sublinear_tf; its derivative.
  auto tf = [&](double c) { return options_.sublinear_tf && c > 1 ? 1 + std::log(c) : c; };
  auto tf_prime = [&](double c) { return options_.sublinear_tf && c > 1 ? 1 / c : 1.0; };
  // x_k, w_k = w_{target,k}, z = w·x, the norm n (1 without normalisation).
  const std::size_t n_terms = term.size();
  std::vector<double> x(n_terms), w(n_terms), idf(n_terms);
  double z = 0, norm2 = 0;
  for (std::size_t k = 0; k < n_terms; ++k) {
    idf[k] = idf_[term[k]];
    x[k] = tf(count[k]) * idf[k];
    w[k] = weight_(e.target, term[k]);
    z += w[k] * x[k];
    norm2 += x[k] * x[k];
  }
  const bool normalize = options_.normalize;
  const double norm = normalize ? std::sqrt(norm2) : 1.0;
  const double b = bias_[e.target];
  // Per term k, the value every occurrence of k gets.
  std::vector<double> per_term(n_terms, 0.0);
  switch (options.method) {
    case Method::kLrp: TEXTLRP_ASSERT(false); break;
    case Method::kSensitivity:
    case Method::kGradientInput:
      for (std::size_t k = 0; k < n_terms && norm > 0; ++k) {
        const double dx = normalize ? w[k] / norm - z * x[k] / (norm * norm * norm) : w[k];  // ∂s/∂x_k
        const double g = tf_prime(count[k]) * idf[k] * dx;                                   // ∂s/∂a_t
        per_term[k] = options.method == Method::kSensitivity ? g * g : g;
      }
      break;
    case Method::kIntegratedGradients: {
      const int m = options.ig_steps;
      for (std::size_t k = 0; k < n_terms && norm > 0; ++k) {
        double sum = 0;
        for (int j = 0; j < m; ++j) sum += tf_prime((j + 0.5) / m * count[k]);
        per_term[k] = sum / m * idf[k] * w[k] / norm;
      }
      break;
    }
    case Method::kOcclusion: {
      const double s_doc = (norm > 0 ? z / norm : 0.0) + b;
      for (std::size_t k = 0; k < n_terms; ++k) {
        const double x_without = tf(count[k] - 1) * idf[k];
        const double z_without = z - w[k] * x[k] + w[k] * x_without;
        double s_without = b;
        if (!normalize) {
          s_without += z_without;
        } else if (n_terms > 1 || count[k] > 1) {  // something is left
          const double norm2_without = std::max(0.0, norm2 - x[k] * x[k] + x_without * x_without);
          if (norm2_without > 0) s_without += z_without / std::sqrt(norm2_without);
        }
        per_term[k] = s_doc - s_without;
      }
      break;
    }
    case Method::kRandom: {
      const std::vector<double> r = random_relevance(ids, options.seed);
      for (std::size_t t = 0; t < ids.size(); ++t) {
        if (slot[t] >= 0) e.relevance[t] = r[t];
      }
      break;
    }
  }
  if (options.method != Method::kRandom) {
    for (std::size_t t = 0; t < ids.size(); ++t) {
      if (slot[t] >= 0) e.relevance[t] = per_term[static_cast<std::size_t>(slot[t])];
    }
  }
  double sum = 0;
  for (const double r : e.relevance) sum += r;
  e.bias_relevance = score - sum;
  return e;
}

nlohmann::json BowClassifier::save(const std::filesystem::path& dir) const {
  TensorWriter w;
  w.add("idf", idf_);
  w.add("weight", weight_);
  w.add("bias", bias_);
  w.set_metadata("textlrp.format_version", "1");
  w.set_metadata("textlrp.architecture", "bow_svm");
  w.write(dir / "model.safetensors");
  return {{"n_vocab", idf_.size()},
          {"sublinear_tf", options_.sublinear_tf},
          {"norm", options_.normalize ? "l2" : "none"},
          {"ignore_id", options_.ignore_id}};
}

Vec smooth_idf(const std::vector<std::size_t>& df, std::size_t n_docs) {
  Vec idf(static_cast<Index>(df.size()));
  for (std::size_t i = 0; i < df.size(); ++i) {
    idf[static_cast<Index>(i)] = static_cast<Scalar>(
        std::log((1.0 + static_cast<double>(n_docs)) / (1.0 + static_cast<double>(df[i]))) + 1.0);
  }
  return idf;
}

}  // namespace textlrp::lrp
