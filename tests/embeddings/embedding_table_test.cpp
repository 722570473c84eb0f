// tests/embeddings/embedding_table_test.cpp — EmbeddingTable, coverage() and embedding_matrix()
// on a hand-made vocabulary.
#include "embeddings/embedding_table.h"

#include <fmt/format.h>

#include "core/error.h"
#include "nlp/vocabulary.h"
#include "tests/catch.h"

namespace textlrp::emb {
namespace {

using Catch::Matchers::Contains;

EmbeddingTable make_table() {
  Mat v(5, 2);
  v << 1, 2,  //
      3, 4,   //
      5, 6,   //
      7, 8,   //
      9, 10;
  return EmbeddingTable({"the", "cat", "Dog", "paris", "DOG"}, v);
}

// Ids: 0 <unk>, 1 the, 2 dog, 3 cat, 4 Paris, 5 zebra, 6 yak.
const nlp::Vocabulary kVocab({"<unk>", "the", "dog", "cat", "Paris", "zebra", "yak"});

}  // namespace

TEST_CASE("embedding table: constructor builds the index and checks words", "[embeddings]") {
  const EmbeddingTable t = make_table();
  CHECK(t.size() == 5);
  CHECK(t.dim() == 2);
  CHECK(t.find("paris") == std::optional<Index>(3));
  CHECK_FALSE(t.find("Paris").has_value());
  CHECK_THROWS_WITH(EmbeddingTable({"a", "b", "a"}, Mat::Zero(3, 2)),
                    Contains("word 2 'a' duplicates word 0"));
  CHECK_THROWS_AS(EmbeddingTable({"a"}, Mat::Zero(2, 2)), InvalidArgument);
  CHECK_THROWS_AS(EmbeddingTable({""}, Mat::Zero(1, 2)), InvalidArgument);
}

TEST_CASE("embedding table: coverage counts exact and case-folded matches", "[embeddings]") {
  const EmbeddingTable t = make_table();
  const Coverage c = coverage(t, kVocab);
  CHECK(c.n_vocab == 6);           // <unk> not counted
  CHECK(c.n_found == 2);           // the, cat
  CHECK(c.n_found_casefold == 2);  // dog (Dog), Paris (paris)
  CHECK(c.n_missing == 2);
  CHECK(c.oov_rate == Approx(2.0 / 6.0));
  CHECK(c.most_frequent_missing == std::vector<std::string>{"zebra", "yak"});
  CHECK(to_string(c) ==
        "coverage: 2 of 6 vocabulary words found (33.33%), 2 more after case "
        "folding; OOV 33.33%; most frequent missing: zebra, yak");

  const Coverage exact = coverage(t, kVocab, 1, /*casefold=*/false);
  CHECK(exact.n_found == 2);
  CHECK(exact.n_found_casefold == 0);
  CHECK(exact.n_missing == 4);
  CHECK(exact.most_frequent_missing == std::vector<std::string>{"dog"});

  // A vocabulary without <unk> counts every token; an empty one has rate 0.
  CHECK(coverage(t, nlp::Vocabulary({"the", "x"})).n_vocab == 2);
  const Coverage none = coverage(t, nlp::Vocabulary(std::vector<std::string>{}));
  CHECK(none.n_vocab == 0);
  CHECK(none.oov_rate == 0.0);
}

TEST_CASE("embedding table: embedding_matrix copies found rows, random elsewhere", "[embeddings]") {
  const EmbeddingTable t = make_table();
  Coverage c;
  const Mat m = embedding_matrix(t, kVocab, 42, 0.05f, &c);
  REQUIRE(m.rows() == 7);
  REQUIRE(m.cols() == 2);
  CHECK(c.n_found == 2);
  CHECK(m.row(1) == t.vectors.row(0));  // the
  CHECK(m.row(2) == t.vectors.row(2));  // dog <- "Dog", the first casing in the file
  CHECK(m.row(3) == t.vectors.row(1));  // cat
  CHECK(m.row(4) == t.vectors.row(3));  // Paris <- "paris"
  for (const Index i : {0, 5, 6}) {     // <unk>, zebra, yak
    CHECK(m.row(i).cwiseAbs().maxCoeff() <= 0.05f);
    CHECK(m.row(i).cwiseAbs().maxCoeff() > 0.0f);
  }
  CHECK(m.row(5) != m.row(6));

  // Deterministic by seed; another seed changes the random rows only.
  CHECK(embedding_matrix(t, kVocab, 42, 0.05f) == m);
  const Mat other = embedding_matrix(t, kVocab, 43, 0.05f);
  CHECK(other.row(1) == m.row(1));
  CHECK(other.row(5) != m.row(5));

  // A random row does not depend on what else the table covers.
  const EmbeddingTable small({"the"}, Mat::Constant(1, 2, 1.0f));
  const Mat m2 = embedding_matrix(small, kVocab, 42, 0.05f);
  CHECK(m2.row(6) == m.row(6));
  CHECK(m2.row(0) == m.row(0));

  // Without case folding, "dog" and "Paris" are random.
  const Mat exact = embedding_matrix(t, kVocab, 42, 0.05f, nullptr, false);
  CHECK(exact.row(2) == m2.row(2));

  // Mean near 0 and values spread over (-scale, scale) on a bigger matrix.
  std::vector<std::string> many = {"<unk>"};
  for (int i = 0; i < 999; ++i) many.push_back(fmt::format("w{}", i));
  const Mat r = embedding_matrix(small, nlp::Vocabulary(many), 7, 1.0f);
  CHECK(std::abs(r.mean()) < 0.05);  // sd of the mean of 2000 values: 0.013
  CHECK(r.maxCoeff() > 0.99f);
  CHECK(r.minCoeff() < -0.99f);
}

TEST_CASE("embedding table: embedding_matrix rejects bad arguments", "[embeddings]") {
  const EmbeddingTable t = make_table();
  CHECK_THROWS_AS(embedding_matrix(t, kVocab, 1, -0.1f), InvalidArgument);
  CHECK_THROWS_AS(embedding_matrix(t, kVocab, 1, std::numeric_limits<float>::infinity()), InvalidArgument);
  CHECK_THROWS_AS(embedding_matrix(EmbeddingTable(), kVocab, 1, 0.1f), InvalidArgument);
  CHECK(embedding_matrix(t, kVocab, 1, 0.0f).row(0).isZero());
}

}  // namespace textlrp::emb
