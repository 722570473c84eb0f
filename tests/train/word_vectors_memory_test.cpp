// train/: TrainOptions::word_vectors — word vectors from memory (the Python package's
// textlrp.train(..., embeddings=(words, array))) train exactly what the same vectors in an
// --embeddings file train, and bad tables are InvalidArguments naming what is wrong.
#include <textlrp/train.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include "core/file.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::vector<textlrp::TrainDocument> documents() {
  const std::vector<std::pair<std::string, std::string>> corpus = {
      {"spam", "free prize now"},       {"ham", "lunch meeting tomorrow"},
      {"spam", "win a free prize"},     {"ham", "see you at the meeting"},
      {"spam", "win now free entry"},   {"ham", "lunch tomorrow then"},
      {"spam", "claim your prize now"}, {"ham", "see you tomorrow"},
      {"spam", "free lunch win"},       {"ham", "meeting about the prize"},
      {"spam", "now win win"},          {"ham", "the meeting is at lunch"}};
  std::vector<textlrp::TrainDocument> docs;
  for (const auto& [label, text] : corpus) docs.push_back({text, label, std::nullopt, ""});
  return docs;
}

textlrp::TrainOptions small(const std::string& arch) {
  textlrp::TrainOptions o;
  o.arch = arch;
  o.filters = 4;
  o.kernel_sizes = {2};
  o.hidden = 4;
  o.epochs = 2;
  o.threads = 1;
  o.seed = 5;
  return o;
}

}  // namespace

TEST_CASE("train: in-memory word vectors train what the same vectors in a file train",
          "[train][embeddings]") {
  textlrp::test::TempDir tmp;
  // Vectors for some vocabulary words (one only after case folding: "Prize"), and one unknown word.
  auto v = std::make_shared<textlrp::WordVectors>();  // textlrp/train.h's name for train::WordVectors
  v->words = {"free", "Prize", "meeting", "lunch", "zzz"};
  v->dim = 3;
  std::string vec = "5 3\n";
  for (std::size_t i = 0; i < v->words.size(); ++i) {
    vec += v->words[i];
    for (int j = 0; j < 3; ++j) {
      const float x = 0.125f * static_cast<float>(i + 1) - 0.25f * static_cast<float>(j);  // exact in text
      v->values.push_back(x);
      vec += " " + std::to_string(x);
    }
    vec += "\n";
  }
  textlrp::test::write_bytes(tmp / "v.vec", vec);
  for (const std::string arch : {"cnn", "bilstm"}) {
    INFO(arch);
    textlrp::TrainOptions file = small(arch);
    file.embeddings = (tmp / "v.vec").string();
    textlrp::TrainOptions mem = small(arch);
    mem.word_vectors = v;
    const auto a = textlrp::train_model(documents(), tmp / (arch + "-file"), file);
    const auto b = textlrp::train_model(documents(), tmp / (arch + "-mem"), mem);
    CHECK(textlrp::read_file(tmp / (arch + "-file") / "model.safetensors") ==
          textlrp::read_file(tmp / (arch + "-mem") / "model.safetensors"));
    const auto ta = nlohmann::json::parse(a.training_json), tb = nlohmann::json::parse(b.training_json);
    CHECK(tb.at("embeddings").at("file") == "<memory>");
    CHECK(ta.at("embeddings").at("oov_rate") == tb.at("embeddings").at("oov_rate"));
    CHECK(tb.at("embeddings").at("dim") == 3);
  }
}

TEST_CASE("train: bad in-memory word vectors are InvalidArguments naming the problem",
          "[train][embeddings]") {
  textlrp::test::TempDir tmp;
  const auto check = [&](textlrp::train::WordVectors v, const std::string& message) {
    textlrp::TrainOptions o = small("cnn");
    o.word_vectors = std::make_shared<textlrp::train::WordVectors>(std::move(v));
    CHECK_THROWS_AS(textlrp::train_model(documents(), tmp / "bad", o), textlrp::InvalidArgument);
    CHECK_THROWS_WITH(textlrp::train_model(documents(), tmp / "bad", o), Contains(message));
  };
  check({{"a", "b"}, {1, 2, 3}, 2, "<memory>", {}}, "2 words need 2 x 2 = 4 values, got 3");
  check({{"a"}, {}, 0, "<memory>", {}}, "the dimension must be at least 1, got 0");
  check({{"a", "a"}, {1, 2}, 1, "<memory>", {}}, "word 1 'a' repeats word 0");
  check({{"a", ""}, {1, 2}, 1, "<memory>", {}}, "word 1 is empty");
  check({{"a", "b"}, {1, std::numeric_limits<float>::quiet_NaN()}, 1, "<memory>", {}},
        "row 1 ('b'), column 0: expected a finite number, found nan");
  textlrp::TrainOptions both = small("cnn");
  both.embeddings = "x.vec";
  both.word_vectors =
      std::make_shared<textlrp::train::WordVectors>(textlrp::train::WordVectors{{"a"}, {1}, 1, "m", {}});
  CHECK_THROWS_WITH(textlrp::train_model(documents(), tmp / "bad", both), Contains("both given"));
  CHECK(!fs::exists(tmp / "bad"));
}

TEST_CASE("train api: a document with an empty label is a FormatError naming it, not a label ''",
          "[api][train]") {
  textlrp::test::TempDir tmp;
  std::vector<textlrp::TrainDocument> docs = documents();
  docs[2].label.clear();
  CHECK_THROWS_AS(textlrp::train_model(docs, tmp / "bad"), textlrp::FormatError);
  CHECK_THROWS_WITH(textlrp::train_model(docs, tmp / "bad"), Contains("document '3' has no label"));
  docs = documents();
  docs[0].label.clear();
  CHECK_THROWS_WITH(textlrp::train_model(documents(), tmp / "bad", {}, {}, docs),
                    Contains("dev document '1' has no label"));
  CHECK(!fs::exists(tmp / "bad"));
}
