#include "lrp/models/bow_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
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

namespace {
const RuleMap& bow_default_rules() {
  static const RuleMap kRules({{"fc", rules::Epsilon{}}});
  return kRules;
}
}  // namespace

RuleMap BowClassifier::default_rules() const { return bow_default_rules(); }

namespace {

// The TF-IDF vector of a document, built term by term in increasing id order: one (id, x) pair per
// distinct in-vocabulary id. The one computation of the features, shared by features() (runs of
// sorted ids) and explain() (counted terms), so that both give the same floats.
class TfidfBuilder {
 public:
  TfidfBuilder(const Vec& idf, const BowOptions& options) : idf_(idf), options_(options) {}
  void reserve(std::size_t n_terms) { out_.reserve(n_terms); }
  void add(TokenId id, std::size_t n) {
    const auto count = static_cast<double>(n);
    const double tf = options_.sublinear_tf ? 1.0 + std::log(count) : count;
    const double x = tf * idf_[id];
    norm2_ += x * x;
    out_.emplace_back(id, static_cast<float>(x));
  }
  std::vector<std::pair<TokenId, float>> finish() {
    if (options_.normalize && norm2_ > 0) {
      const auto inv = static_cast<float>(1.0 / std::sqrt(norm2_));
      for (auto& [id, x] : out_) x *= inv;
    }
    return std::move(out_);
  }

 private:
  const Vec& idf_;
  const BowOptions& options_;
  std::vector<std::pair<TokenId, float>> out_;
  double norm2_ = 0;
};

// explain()'s per-thread scratch, clean between calls (TermCounts sets its entries back, also when
// explain() throws): a number per vocabulary id, so that a document's terms are counted without
// sorting its occurrences, and a two-level bit set of the ids seen, from which the terms come out
// in increasing id order without a comparison sort (a bit per id, and a bit per 64-bit word of those
// that is not zero).
thread_local std::vector<std::uint32_t> t_per_id;
thread_local std::vector<std::uint64_t> t_id_bits, t_word_bits;

class TermCounts {
 public:
  explicit TermCounts(std::size_t n_vocab) {
    const std::size_t n_words = (n_vocab + 63) / 64;
    n_summary_ = (n_words + 63) / 64;
    if (t_per_id.size() < n_vocab) t_per_id.resize(n_vocab, 0);
    if (t_id_bits.size() < n_words) t_id_bits.resize(n_words, 0);
    if (t_word_bits.size() < n_summary_) t_word_bits.resize(n_summary_, 0);
    per_id_ = t_per_id.data();
    id_bits_ = t_id_bits.data();
    word_bits_ = t_word_bits.data();
  }
  ~TermCounts() {
    for (const TokenId id : terms) {
      per_id_[id] = 0;
      if (!sorted_) {
        id_bits_[static_cast<std::size_t>(id) >> 6] = 0;
        word_bits_[static_cast<std::size_t>(id) >> 12] = 0;
      }
    }
  }
  TermCounts(const TermCounts&) = delete;
  TermCounts& operator=(const TermCounts&) = delete;
  std::uint32_t& operator[](TokenId id) { return per_id_[id]; }
  // A term seen for the first time. terms must have room (reserved): nothing throws between the
  // first add() and sorted().
  void add(TokenId id) {
    terms.push_back(id);
    const auto i = static_cast<std::size_t>(id);
    id_bits_[i >> 6] |= std::uint64_t{1} << (i & 63);
    word_bits_[i >> 12] |= std::uint64_t{1} << ((i >> 6) & 63);
  }
  // The terms in increasing id order, appended to out (which must have room); clears the bit set.
  void sorted(std::vector<TokenId>& out) {
    for (std::size_t s = 0; s < n_summary_; ++s) {
      std::uint64_t words = word_bits_[s];
      word_bits_[s] = 0;
      while (words != 0) {
        const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(words));
        words &= words - 1;
        std::uint64_t bits = id_bits_[w];
        id_bits_[w] = 0;
        while (bits != 0) {
          out.push_back(static_cast<TokenId>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
          bits &= bits - 1;
        }
      }
    }
    sorted_ = true;
  }
  std::vector<TokenId> terms;  // the ids whose entry is not zero, in order of first occurrence

 private:
  std::uint32_t* per_id_;
  std::uint64_t* id_bits_;
  std::uint64_t* word_bits_;
  std::size_t n_summary_;
  bool sorted_ = false;
};

}  // namespace

std::vector<std::pair<TokenId, float>> BowClassifier::features(std::span<const TokenId> ids) const {
  std::vector<TokenId> sorted;
  sorted.reserve(ids.size());
  const auto n_vocab = static_cast<TokenId>(idf_.size());
  for (const TokenId id : ids) {
    if (id >= 0 && id < n_vocab && id != options_.ignore_id) sorted.push_back(id);
  }
  std::sort(sorted.begin(), sorted.end());
  TfidfBuilder tfidf(idf_, options_);
  for (auto i = sorted.begin(); i != sorted.end();) {
    auto j = i;
    while (j != sorted.end() && *j == *i) ++j;
    tfidf.add(*i, static_cast<std::size_t>(j - i));
    i = j;
  }
  return tfidf.finish();
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
  const RuleMap& rules = options.rules.rules().empty() ? bow_default_rules() : options.rules;
  const Rule& rule = rules.at("fc");
  if (ids.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw InvalidArgument(fmt::format("bow_svm: a document of {} tokens is more than 2^32 - 1", ids.size()));
  }
  // The document's terms: the distinct in-vocabulary ids, counted in the per-thread table, then
  // taken in increasing id order from its bit set (the features are built in id order, as
  // features() builds them). The table entry of a term then becomes its index + 1 in `terms`, so
  // that each occurrence finds its term's relevance without a search.
  const auto n_vocab = static_cast<TokenId>(idf_.size());
  auto in_vocab = [&](TokenId id) { return id >= 0 && id < n_vocab && id != options_.ignore_id; };
  TermCounts table(idf_.size());
  table.terms.reserve(ids.size());
  std::vector<TokenId> terms;
  terms.reserve(ids.size());
  std::size_t n_in_vocab = 0;
  for (const TokenId id : ids) {
    if (!in_vocab(id)) continue;
    ++n_in_vocab;
    if (table[id]++ == 0) table.add(id);
  }
  table.sorted(terms);
  TfidfBuilder tfidf(idf_, options_);
  tfidf.reserve(terms.size());
  std::vector<std::uint32_t> count(terms.size());
  for (std::size_t k = 0; k < terms.size(); ++k) {
    count[k] = table[terms[k]];
    table[terms[k]] = static_cast<std::uint32_t>(k + 1);
    tfidf.add(terms[k], count[k]);
  }
  const auto feats = tfidf.finish();
  Explanation e;
  e.scores = scores_of(feats, bias_, weight_t_);
  e.target = options.target >= 0 ? options.target : argmax(e.scores);
  if (e.target >= static_cast<int>(labels_.size())) {
    throw InvalidArgument(
        fmt::format("target class {} is out of range (the model has {} classes)", e.target, labels_.size()));
  }
  // One role: its rule's text is the map's (RuleMap::to_string gives the single rule when all agree).
  e.rule = rules.rules().size() == 1 ? lrp::to_string(rule) : rules.to_string();
  const double score = e.scores[e.target];
  e.relevance.resize(ids.size());
  if (std::holds_alternative<rules::Flat>(rule)) {  // the score, evenly over in-vocabulary tokens
    const double each = score / static_cast<double>(n_in_vocab);
    for (std::size_t t = 0; t < ids.size(); ++t) e.relevance[t] = in_vocab(ids[t]) ? each : 0.0;
    e.bias_relevance = feats.empty() ? score : 0.0;
    return e;
  }
  // Per term k, relevance R_k: the exact decomposition x_k·w_ck, or the w² redistribution of the
  // score; spread evenly over the term's occurrences.
  const bool wsquare = std::holds_alternative<rules::WSquare>(rule);
  double denom = 0;
  if (wsquare) {
    for (const auto& [id, x] : feats)
      denom += static_cast<double>(weight_t_(id, e.target)) * weight_t_(id, e.target);
    e.bias_relevance = feats.empty() ? score : 0.0;
  } else {
    e.bias_relevance = bias_[e.target];
  }
  std::vector<double> each(terms.size());
  for (std::size_t k = 0; k < feats.size(); ++k) {
    const auto& [id, x] = feats[k];
    const double w = weight_t_(id, e.target);
    const double term_relevance =
        wsquare ? (denom > 0 ? w * w / denom * score : 0.0) : static_cast<double>(x) * w;
    each[k] = term_relevance / static_cast<int>(count[k]);
  }
  for (std::size_t t = 0; t < ids.size(); ++t)
    e.relevance[t] = in_vocab(ids[t]) ? each[table[ids[t]] - 1] : 0.0;
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
