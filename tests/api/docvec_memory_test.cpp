// api/ + embeddings/: document vectors from word vectors in memory (DocvecOptions::word_vectors,
// the Python package's textlrp.docvec(..., embeddings=(words, array))) equal, bit for bit, the
// document vectors from a word-vector file holding the same rows; emb::memory_table keeps the rows
// a file reader keeps; bad tables are InvalidArguments naming the problem.
#include <fmt/format.h>
#include <textlrp/analysis.h>
#include <textlrp/textlrp.h>
#include <textlrp/train.h>

#include <cmath>
#include <limits>

#include "embeddings/embedding_table.h"
#include "embeddings/load.h"
#include "nlp/vocabulary.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using Catch::Matchers::Contains;

namespace {

// Cased words (the model keeps case): "Free" and "Prize" are vocabulary words only with a capital.
const std::vector<std::pair<std::string, std::string>> kCorpus = {
    {"spam", "Free prize now"},       {"ham", "lunch meeting tomorrow"},
    {"spam", "win a Free Prize"},     {"ham", "see you at the meeting"},
    {"spam", "win now free entry"},   {"ham", "Lunch tomorrow then"},
    {"spam", "Claim your Prize now"}, {"ham", "see you tomorrow"},
    {"spam", "free lunch win"},       {"ham", "meeting about the prize"},
    {"spam", "now win win"},          {"ham", "the meeting is at lunch"}};

// Words with vectors: exact ("meeting", "win"), found only by case folding ("LUNCH" for lunch and
// Lunch, "FREE", "PRIZE", "Tomorrow", "ENTRY"), "Zzz", in no vocabulary, and "CLAIM", whose
// folding "claim" is not a vocabulary word ("Claim" is): a file's reader drops that row for the
// vocabulary, so "Claim" gets no vector from memory either.
const std::vector<std::string> kWords = {"meeting", "LUNCH", "FREE",  "PRIZE", "Tomorrow",
                                         "ENTRY",   "Zzz",   "CLAIM", "win"};

float value(std::size_t i, std::size_t j) {
  return static_cast<float>(std::sin(1.7 * static_cast<double>(i) + 0.3 * static_cast<double>(j) + 0.1));
}

}  // namespace

TEST_CASE("docvec api: word vectors from memory give the vectors of the same rows in a file, bit for bit",
          "[api][analysis][embeddings]") {
  using namespace textlrp;
  test::TempDir tmp;
  std::vector<TrainDocument> train_docs;
  std::vector<Document> docs;
  for (std::size_t i = 0; i < kCorpus.size(); ++i) {
    train_docs.push_back({kCorpus[i].second, kCorpus[i].first, std::nullopt, ""});
    docs.push_back({kCorpus[i].second, kCorpus[i].first, std::nullopt, "d" + std::to_string(i)});
  }
  TrainOptions to;
  to.lowercase = false;  // "Free" and "free" are two vocabulary words
  to.word_options_given = true;
  to.threads = 1;
  train_model(train_docs, tmp / "svm", to);
  const Model model = Model::open(tmp / "svm");

  const std::size_t dim = 5;
  auto v = std::make_shared<WordVectors>();
  v->words = kWords;
  v->dim = static_cast<std::ptrdiff_t>(dim);
  v->name = "mem";
  std::string file = fmt::format("{} {}\n", kWords.size(), dim);
  for (std::size_t i = 0; i < kWords.size(); ++i) {
    file += kWords[i];
    for (std::size_t j = 0; j < dim; ++j) {
      v->values.push_back(value(i, j));
      file += fmt::format(" {}", value(i, j));  // the shortest text that reads back as this float
    }
    file += "\n";
  }
  test::write_bytes(tmp / "v.vec", file);

  DocvecOptions from_file;
  from_file.weightings = {"lrp", "uniform", "tfidf", "occlusion"};
  from_file.embeddings = (tmp / "v.vec").string();
  from_file.threads = 2;
  DocvecOptions from_memory = from_file;
  from_memory.embeddings.clear();
  from_memory.word_vectors = v;
  // The caller's buffer, read in place (the Python package's NumPy array).
  const std::vector<float> buffer = v->values;
  auto viewed = std::make_shared<WordVectors>();
  viewed->words = kWords;
  viewed->dim = v->dim;
  viewed->view = buffer;
  DocvecOptions from_view = from_memory;
  from_view.word_vectors = viewed;

  const auto a = document_vectors(model, docs, from_file);
  const auto b = document_vectors(model, docs, from_memory);
  const auto c = document_vectors(model, docs, from_view);
  REQUIRE(a.size() == 4);
  REQUIRE(b.size() == 4);
  REQUIRE(c.size() == 4);
  bool some_nonzero = false;
  for (std::size_t w = 0; w < a.size(); ++w) {
    INFO(a[w].weighting);
    CHECK(b[w].weighting == a[w].weighting);
    CHECK(b[w].predictions == a[w].predictions);
    REQUIRE(a[w].vectors.size() == docs.size());
    CHECK(b[w].vectors == a[w].vectors);  // exactly equal doubles
    CHECK(c[w].vectors == a[w].vectors);
    for (const auto& row : a[w].vectors)
      for (double x : row) some_nonzero = some_nonzero || x != 0;
  }
  CHECK(some_nonzero);  // the vectors matched some vocabulary words

  // Both a file and vectors in memory, and bad tables: InvalidArgument naming the problem.
  DocvecOptions both = from_memory;
  both.embeddings = from_file.embeddings;
  CHECK_THROWS_AS(document_vectors(model, docs, both), InvalidArgument);
  CHECK_THROWS_WITH(document_vectors(model, docs, both), Contains("were both given"));
  const auto bad = [&](WordVectors t, const std::string& message) {
    DocvecOptions o = from_memory;
    o.word_vectors = std::make_shared<WordVectors>(std::move(t));
    CHECK_THROWS_AS(document_vectors(model, docs, o), InvalidArgument);
    CHECK_THROWS_WITH(document_vectors(model, docs, o), Contains(message));
  };
  bad({{"a", "b"}, {1, 2, 3}, 2, "m", {}}, "embeddings m: 2 words need 2 x 2 = 4 values, got 3");
  bad({{"a"}, {}, 0, "m", {}}, "the dimension must be at least 1, got 0");
  bad({{"a", "a"}, {1, 2}, 1, "m", {}}, "word 1 'a' repeats word 0");
  bad({{"a", ""}, {1, 2}, 1, "m", {}}, "word 1 is empty");
  bad({{"a", "b"}, {1, std::numeric_limits<float>::infinity()}, 1, "m", {}},
      "row 1 ('b'), column 0: expected a finite number, found inf");
  WordVectors twice{{"a"}, {1}, 1, "m", {}};
  twice.view = buffer;
  bad(twice, "both values and a view of values were given");
}

TEST_CASE("embeddings: memory_table keeps the rows a file reader keeps for a vocabulary", "[embeddings]") {
  using namespace textlrp;
  test::TempDir tmp;
  const nlp::Vocabulary vocab = nlp::Vocabulary({"<unk>", "Free", "free", "prize", "Lunch"});
  emb::WordVectors v;
  v.words = {"FREE", "Prize", "LUNCH", "zzz", "prize", "Zzz"};
  v.dim = 2;
  std::string file = "6 2\n";
  for (std::size_t i = 0; i < v.words.size(); ++i) {
    v.values.push_back(static_cast<float>(i));
    v.values.push_back(-static_cast<float>(i));
    file += fmt::format("{} {} {}\n", v.words[i], i, -static_cast<float>(i));
  }
  test::write_bytes(tmp / "v.vec", file);
  emb::LoadOptions lo;
  lo.only = &vocab;
  const emb::EmbeddingTable f = emb::load_embeddings(tmp / "v.vec", emb::Format::kAuto, {}, lo);
  const emb::EmbeddingTable m = emb::memory_table(v, &vocab);
  CHECK(m.words == f.words);
  CHECK(m.vectors == f.vectors);
  // "LUNCH" folds to "lunch", which the vocabulary does not hold ("Lunch" does): a file's reader
  // drops the row, so the in-memory table does too.
  CHECK(m.words == std::vector<std::string>{"FREE", "Prize", "prize"});
  // Without a vocabulary every row is kept.
  CHECK(emb::memory_table(v).size() == v.words.size());
}
