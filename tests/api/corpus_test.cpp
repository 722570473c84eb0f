// Model::explain_corpus (what the Python package's Dask example runs per partition): the lines of
// `textlrp explain --input FILE [--shard I/N]`, i.e. explain() of each document with the id the
// line formats generate (document_id), blank lines skipped, shards that together hold every line once.
#include <textlrp/textlrp.h>
#include <algorithm>
#include <sstream>

#include "core/file.h"
#include "tests/catch.h"
#include "tests/helpers.h"

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kVocab = {"<unk>", "free", "meeting", "win", "lunch", "now"};

textlrp::Model spam_cnn() {
  std::map<std::string, textlrp::TensorData> t;
  auto fill = [](std::vector<std::int64_t> shape, float step) {
    textlrp::TensorData d;
    d.shape = shape;
    std::int64_t n = 1;
    for (auto s : shape) n *= s;
    for (std::int64_t i = 0; i < n; ++i) d.values.push_back(std::sin(step * static_cast<float>(i + 1)));
    return d;
  };
  t["embedding.weight"] = fill({6, 3}, 0.7f);
  t["conv.weight"] = fill({4, 3, 2}, 0.3f);
  t["conv.bias"] = fill({4}, 1.1f);
  t["fc.weight"] = fill({2, 4}, 0.9f);
  t["fc.bias"] = fill({2}, 0.5f);
  return textlrp::Model::from_memory(R"({"architecture": "cnn", "labels": ["ham", "spam"], "name": "m"})", t,
                                     kVocab);
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  std::istringstream in(textlrp::read_file(p));
  for (std::string line; std::getline(in, line);) out.push_back(line + "\n");
  return out;
}

}  // namespace

TEST_CASE("explain_corpus: the CLI's lines, shards and labels", "[api]") {
  textlrp::test::TempDir tmp;
  const textlrp::Model model = spam_cnn();
  const std::vector<std::string> docs = {"win free lunch now", "", "meeting at noon", "free free free",
                                         "lunch?"};
  std::string text;
  for (const auto& d : docs) text += d + "\n";
  textlrp::test::write_bytes(tmp / "in.txt", text);

  textlrp::CorpusRequest c;
  c.input = (tmp / "in.txt").string();
  const textlrp::CorpusResult r = model.explain_corpus(c, tmp / "all.jsonl", {}, 2);
  CHECK(r.documents == 4);
  const auto all = lines_of(tmp / "all.jsonl");
  REQUIRE(all.size() == 4);
  std::size_t k = 0;
  for (std::size_t line = 1; line <= docs.size(); ++line) {
    if (docs[line - 1].empty()) continue;  // blank lines are skipped, their numbers kept
    textlrp::ExplainRequest req;
    req.id = textlrp::document_id(line, docs[line - 1]);
    CHECK(all[k++] == textlrp::to_json(model.explain(docs[line - 1], req)));
  }
  CHECK(textlrp::document_id(3, "meeting at noon").rfind("3-", 0) == 0);

  // Shards 1/2 and 2/2: documents 1, 3 and 2, 4 of the input.
  c.shard = "1/2";
  CHECK(model.explain_corpus(c, tmp / "s1.jsonl").documents == 2);
  c.shard = "2/2";
  CHECK(model.explain_corpus(c, tmp / "s2.jsonl").documents == 2);
  CHECK(lines_of(tmp / "s1.jsonl") == std::vector<std::string>{all[0], all[2]});
  CHECK(lines_of(tmp / "s2.jsonl") == std::vector<std::string>{all[1], all[3]});

  // JSONL with ids and labels, target "true".
  textlrp::test::write_bytes(tmp / "in.jsonl",
                             "{\"id\": \"a\", \"text\": \"free lunch\", \"label\": \"spam\"}\n"
                             "{\"text\": \"meeting now\", \"label\": \"ham\"}\n");
  textlrp::CorpusRequest j;
  j.input = (tmp / "in.jsonl").string();
  textlrp::ExplainRequest req;
  req.target = "true";
  model.explain_corpus(j, tmp / "j.jsonl", req);
  const auto jl = lines_of(tmp / "j.jsonl");
  REQUIRE(jl.size() == 2);
  req.id = "a";
  req.label = "spam";
  CHECK(jl[0] == textlrp::to_json(model.explain("free lunch", req)));
  req.id = textlrp::document_id(2, "meeting now");
  req.label = "ham";
  CHECK(jl[1] == textlrp::to_json(model.explain("meeting now", req)));

  // Errors: a per-document field in the request, a bad shard, a missing file, a bad line.
  CHECK_THROWS_AS(model.explain_corpus(j, tmp / "x.jsonl", req), textlrp::InvalidArgument);
  c.shard = "3/2";
  CHECK_THROWS_AS(model.explain_corpus(c, tmp / "x.jsonl"), textlrp::InvalidArgument);
  c.shard.clear();
  c.input = (tmp / "missing.txt").string();
  CHECK_THROWS_AS(model.explain_corpus(c, tmp / "x.jsonl"), textlrp::IoError);
  textlrp::test::write_bytes(tmp / "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": 3}\n");
  j.input = (tmp / "bad.jsonl").string();
  CHECK_THROWS_WITH(model.explain_corpus(j, tmp / "x.jsonl"), Catch::Matchers::Contains("bad.jsonl:2"));
  CHECK_FALSE(fs::exists(tmp / "x.jsonl"));  // never a half-written output
}
