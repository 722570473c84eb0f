// The BiLSTM's projected-embedding tables (lrp/models/bilstm_classifier.h): their rows are bit for
// bit Lstm::project of the embedding rows (and of the zero row for unknown ids), and every result
// of the model is bit for bit the same with and without them; the size limit and the
// TEXTLRP_BILSTM_TABLE switch turn them off.
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "lrp/models/bilstm_classifier.h"
#include "tests/catch.h"
#include "tests/lrp/bilstm_fixtures.h"

namespace {

using namespace textlrp;
using namespace textlrp::test::bilstm;
using lrp::BiLstmProjectionTable;
using lrp::Lstm;
using lrp::LstmMat;
using lrp::Method;
using lrp::Precision;

constexpr std::int64_t kNoLimit = std::int64_t(1) << 40;

// V = 600 (more than one chunk of 256 rows when the table is built), E = 13, H = 7, C = 4.
BiLstmWeights mid_weights(unsigned seed) {
  const Index V = 600, E = 13, H = 7, C = 4;
  BiLstmWeights w;
  w.embedding = rmat(V, E, seed, 1.0);
  for (LstmWeights* lw : {&w.left, &w.right}) {
    seed += 10;
    lw->w_ih = rmat(4 * H, E, seed + 1, 0.7);
    lw->w_hh = rmat(4 * H, H, seed + 2, 0.7);
    lw->b_ih = rvec(4 * H, seed + 3, 0.4);
    lw->b_hh = rvec(4 * H, seed + 4, 0.4);
  }
  w.fc_left = rmat(C, H, seed + 5, 1.2);
  w.fc_right = rmat(C, H, seed + 6, 1.2);
  w.fc_bias = rvec(C, seed + 7, 0.3);
  return w;
}

std::vector<std::string> labels(Index n) {
  std::vector<std::string> l;
  for (Index c = 0; c < n; ++c) l.push_back(std::to_string(c));
  return l;
}

// The projection of rows x [n x E] by one direction's layer, built from the weights as the model
// builds its own (bias b_ih + b_hh summed in float64), through Lstm::project.
template <class T>
LstmMat<T> project(const LstmWeights& lw, const LstmMat<T>& x) {
  const Lstm<T> lstm(lw.w_ih, lw.w_hh, VecD(lw.b_ih + lw.b_hh));
  LstmMat<T> zx(x.rows(), lw.w_ih.rows());
  lstm.project(x.data(), x.cols(), x.rows(), zx.data(), zx.cols());
  return zx;
}

template <class T>
bool row_equals(const T* a, const T* b, Index n) {
  for (Index j = 0; j < n; ++j) {
    if (a[j] != b[j]) return false;
  }
  return true;
}

template <class T>
void check_table_rows(const BiLstmClassifier& m) {
  const BiLstmWeights& w = m.weights();
  const Index V = m.n_vocab(), E = m.n_embd(), G = 4 * m.n_hidden();
  const BiLstmProjectionTable<T> tab = m.template projection_table<T>();
  REQUIRE(tab);
  REQUIRE(tab.rows == V + 1);
  REQUIRE(tab.ld == 2 * G);
  CHECK(m.template projection_table<T>().data == tab.data);  // built once
  // Every row alone (a batch of one row) ...
  LstmMat<T> one(1, E);
  Index mismatches = 0;
  for (Index v = 0; v <= V; ++v) {
    if (v < V) {
      one.row(0) = w.embedding.row(v).template cast<T>();
    } else {
      one.setZero();  // unknown ids: the zero row, projected (its projection is the bias only if W·0 + b == b bit for bit)
    }
    const LstmMat<T> zl = project<T>(w.left, one), zr = project<T>(w.right, one);
    if (!row_equals(tab.row(v), zl.data(), G) || !row_equals(tab.row(v) + G, zr.data(), G)) ++mismatches;
  }
  CHECK(mismatches == 0);
  // ... and the rows of documents of several lengths, as forward() projects them (sentence order).
  std::mt19937 gen(5);
  for (const Index T_ : {1, 2, 3, 7, 8, 9, 16, 17, 33, 64, 300}) {
    LstmMat<T> x(T_, E);
    std::vector<Index> rows(static_cast<std::size_t>(T_));
    for (Index t = 0; t < T_; ++t) {
      const Index v = static_cast<Index>(gen() % static_cast<unsigned>(V + 1));
      rows[static_cast<std::size_t>(t)] = v;
      if (v < V) {
        x.row(t) = w.embedding.row(v).template cast<T>();
      } else {
        x.row(t).setZero();
      }
    }
    const LstmMat<T> zl = project<T>(w.left, x), zr = project<T>(w.right, x);
    for (Index t = 0; t < T_; ++t) {
      const T* r = tab.row(rows[static_cast<std::size_t>(t)]);
      INFO("document of " << T_ << " tokens, position " << t);
      CHECK(row_equals(r, zl.row(t).data(), G));
      CHECK(row_equals(r + G, zr.row(t).data(), G));
    }
  }
}

// Two traces' input projections (zx, or the table rows they read in place), row by row, bit for bit.
template <class T>
bool same_zx(const lrp::LstmTrace<T>& a, const lrp::LstmTrace<T>& b) {
  if (a.x.rows() != b.x.rows()) return false;
  const Index width = 8 * (a.left.h.cols());
  for (Index t = 0; t < a.x.rows(); ++t) {
    if (!row_equals(a.zx_row(t), b.zx_row(t), width)) return false;
  }
  return true;
}

void check_same_explanation(const lrp::Explanation& a, const lrp::Explanation& b) {
  CHECK(a.target == b.target);
  CHECK(a.relevance == b.relevance);  // bit for bit
  CHECK(a.bias_relevance == b.bias_relevance);
  CHECK(a.truncated == b.truncated);
  REQUIRE(a.scores.size() == b.scores.size());
  for (Index c = 0; c < a.scores.size(); ++c) CHECK(a.scores[c] == b.scores[c]);
}

// `with` has its tables, `without` none: every result of the two, bit for bit.
void check_same_results(const BiLstmClassifier& with, const BiLstmClassifier& without) {
  REQUIRE(with.projection_table<double>());
  REQUIRE(with.projection_table<float>());
  REQUIRE_FALSE(without.projection_table<double>());
  REQUIRE_FALSE(without.projection_table<float>());
  const Index V = with.n_vocab();
  const TokenId v = static_cast<TokenId>(V);
  std::vector<std::vector<TokenId>> docs = {
      {},  // empty: the scores of the zero states
      {3},  {3, 1, 4, 1, 5, 9, 2, 6}, {-1, 2, v, v + 7, 0, -5, v - 1},  // unknown ids: the zero row
      {-1},
  };
  std::mt19937 gen(9);
  for (const Index T_ : {20, 57}) {
    std::vector<TokenId> d(static_cast<std::size_t>(T_));
    for (auto& id : d)
      id = static_cast<TokenId>(static_cast<Index>(gen() % static_cast<unsigned>(V + 3)) - 1);
    docs.push_back(d);
  }
  for (const auto& d : docs) {
    INFO("document of " << d.size() << " tokens");
    const Vec sa = with.scores(d), sb = without.scores(d);
    for (Index c = 0; c < sa.size(); ++c) CHECK(sa[c] == sb[c]);
    BiLstmClassifier::Trace ta, tb;
    with.forward(d, &ta);
    without.forward(d, &tb);
    // The table's rows, read in place, are bit for bit the projections (the trace without a table).
    CHECK(ta.zx_table != nullptr);
    CHECK(tb.zx_table == nullptr);
    CHECK(same_zx(ta, tb));
    CHECK(ta.x == tb.x);
    CHECK(ta.scores == tb.scores);
    BiLstmClassifier::Trace32 fa, fb;
    CHECK(with.forward(d, &fa) == without.forward(d, &fb));
    CHECK(same_zx(fa, fb));
    for (const std::optional<GateRule> gate :
         {std::optional<GateRule>{}, std::optional<GateRule>{GateRule::kHalf},
          std::optional<GateRule>{GateRule::kProportional}}) {
      for (const std::optional<double> bf : {std::optional<double>{}, std::optional<double>{1.0}}) {
        ExplainOptions o = lrp_options(gate, bf);
        check_same_explanation(with.explain(d, o), without.explain(d, o));
        o.precision = Precision::kFloat32;
        check_same_explanation(with.explain(d, o), without.explain(d, o));
      }
    }
    for (const Method method :
         {Method::kSensitivity, Method::kGradientInput, Method::kOcclusion, Method::kIntegratedGradients}) {
      ExplainOptions o;
      o.method = method;
      check_same_explanation(with.explain(d, o), without.explain(d, o));
    }
  }
  // The batches of token ids (occlusion, deletion curves): the table's path and the projecting one.
  for (const Index rows : {Index(1), Index(4096)}) {
    CHECK(with.batch_scores_of(docs, rows) == without.batch_scores_of(docs, rows));
  }
  CHECK(with.batch_scores_of(docs) == without.scores_batch(docs));
}

struct EnvGuard {  // sets TEXTLRP_BILSTM_TABLE for one scope, then restores it
  explicit EnvGuard(const char* value) {
    if (const char* old = std::getenv("TEXTLRP_BILSTM_TABLE")) saved = old;
    if (value != nullptr) {
      ::setenv("TEXTLRP_BILSTM_TABLE", value, 1);
    } else {
      ::unsetenv("TEXTLRP_BILSTM_TABLE");
    }
  }
  ~EnvGuard() {
    if (saved) {
      ::setenv("TEXTLRP_BILSTM_TABLE", saved->c_str(), 1);
    } else {
      ::unsetenv("TEXTLRP_BILSTM_TABLE");
    }
  }
  std::optional<std::string> saved;
};

}  // namespace

TEST_CASE("bilstm table: rows are bit for bit Lstm::project of the embedding rows and of the zero row",
          "[lrp][bilstm][table]") {
  const BiLstmClassifier tiny_model({"a", "b", "c"}, tiny_weights(true, false), lrp::kBiLstmDefaultMaxTokens,
                                    kNoLimit);
  check_table_rows<double>(tiny_model);
  check_table_rows<float>(tiny_model);
  const BiLstmClassifier mid(labels(4), mid_weights(3), lrp::kBiLstmDefaultMaxTokens, kNoLimit);
  check_table_rows<double>(mid);
  check_table_rows<float>(mid);
}

TEST_CASE("bilstm table: scores, explanations and batches are bit for bit those without it",
          "[lrp][bilstm][table]") {
  SECTION("tiny model, biases") {
    check_same_results(BiLstmClassifier({"a", "b", "c"}, tiny_weights(true, true), 40, kNoLimit),
                       BiLstmClassifier({"a", "b", "c"}, tiny_weights(true, true), 40, 0));
  }
  SECTION("tiny model, no biases") {
    check_same_results(BiLstmClassifier({"a", "b", "c"}, tiny_weights(false, false), 40, kNoLimit),
                       BiLstmClassifier({"a", "b", "c"}, tiny_weights(false, false), 40, 0));
  }
  SECTION("600 words, truncated at 30 tokens") {
    check_same_results(BiLstmClassifier(labels(4), mid_weights(8), 30, kNoLimit),
                       BiLstmClassifier(labels(4), mid_weights(8), 30, 0));
  }
}

TEST_CASE("bilstm table: the size limit and TEXTLRP_BILSTM_TABLE turn it off", "[lrp][bilstm][table]") {
  const BiLstmWeights w = mid_weights(4);
  const Index V = w.embedding.rows(), H = w.left.w_hh.cols();
  const std::int64_t bytes64 = (V + 1) * 8 * H * static_cast<std::int64_t>(sizeof(double));
  const std::int64_t bytes32 = bytes64 / 2;
  {
    const BiLstmClassifier m(labels(4), w, 100, bytes64);  // exactly the size: built
    CHECK(m.projection_table<double>());
    CHECK(m.projection_table<float>());
  }
  {
    const BiLstmClassifier m(labels(4), w, 100, bytes64 - 1);  // float64 over the limit, float32 under it
    CHECK_FALSE(m.projection_table<double>());
    CHECK(m.projection_table<float>());
  }
  {
    const BiLstmClassifier m(labels(4), w, 100, bytes32 - 1);
    CHECK_FALSE(m.projection_table<double>());
    CHECK_FALSE(m.projection_table<float>());
    CHECK(m.table_limit_bytes() == bytes32 - 1);
  }
  constexpr std::int64_t kMiB = 1 << 20;
  {
    EnvGuard env(nullptr);
    CHECK(BiLstmClassifier::table_limit_from_environment() == lrp::kBiLstmDefaultTableMiB * kMiB);
    const BiLstmClassifier m(labels(4), w);
    CHECK(m.table_limit_bytes() == lrp::kBiLstmDefaultTableMiB * kMiB);
    CHECK(m.projection_table<double>());
  }
  {
    EnvGuard env("");
    CHECK(BiLstmClassifier::table_limit_from_environment() == lrp::kBiLstmDefaultTableMiB * kMiB);
  }
  for (const char* off : {"0", "off", "000"}) {
    EnvGuard env(off);
    CHECK(BiLstmClassifier::table_limit_from_environment() == 0);
    const BiLstmClassifier m(labels(4), w);
    CHECK_FALSE(m.projection_table<double>());
    CHECK_FALSE(m.projection_table<float>());
    const BiLstmClassifier with(labels(4), w, lrp::kBiLstmDefaultMaxTokens, kNoLimit);
    const std::vector<TokenId> d = {5, 599, 600, -1, 17, 17, 3};
    check_same_explanation(m.explain(d, lrp_options(std::nullopt, std::nullopt)),
                           with.explain(d, lrp_options(std::nullopt, std::nullopt)));
  }
  {
    EnvGuard env("12");
    CHECK(BiLstmClassifier::table_limit_from_environment() == 12 * kMiB);
  }
  for (const char* bad : {"-1", "1e3", "12MiB", "on", " 5", "9999999999"}) {
    EnvGuard env(bad);
    INFO(bad);
    CHECK_THROWS_AS(BiLstmClassifier::table_limit_from_environment(), InvalidArgument);
    CHECK_THROWS_WITH(
        BiLstmClassifier::table_limit_from_environment(),
        Catch::Matchers::Contains(std::string("TEXTLRP_BILSTM_TABLE='") + bad + "' is not a size"));
    CHECK_THROWS_AS(BiLstmClassifier(labels(4), w), InvalidArgument);
  }
}

TEST_CASE("bilstm table: built once when threads ask for it together; a moved model keeps it",
          "[lrp][bilstm][table]") {
  const BiLstmClassifier m(labels(4), mid_weights(6), lrp::kBiLstmDefaultMaxTokens, kNoLimit);
  std::vector<const double*> seen(4, nullptr);
  std::vector<Vec> scores(4);
  const std::vector<TokenId> d = {1, 2, 3, 599, 600};
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
      threads.emplace_back([&, i] {
        scores[i] = m.scores(d);
        seen[i] = m.projection_table<double>().data;
      });
    }
    for (auto& t : threads) t.join();
  }
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i] != nullptr);
    CHECK(seen[i] == seen[0]);
    CHECK(scores[i] == scores[0]);
  }
  // A moved model keeps the table (std::once_flag neither moves nor copies: the tables sit behind a pointer).
  BiLstmClassifier a(labels(4), mid_weights(6), lrp::kBiLstmDefaultMaxTokens, kNoLimit);
  const double* built = a.projection_table<double>().data;
  const BiLstmClassifier b = std::move(a);
  CHECK(b.projection_table<double>().data == built);
  CHECK(b.scores(d) == scores[0]);
}
