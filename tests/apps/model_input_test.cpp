// apps/common: a model's own preprocessing (training.strip) and label names (corpus_labels) applied
// to the documents read with it (input_for_models), and the background document counter behind
// explain's progress total.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "apps/common/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "lrp/models/bow_classifier.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::app;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A two-class word model saved with `config` (e.g. {"training": {"strip": [...]}}).
void save_toy_model(const fs::path& dir, const nlohmann::json& config) {
  const nlp::IcuWordTokenizer tokenizer;
  const nlp::Vocabulary vocab(std::vector<std::string>{"<unk>", "free", "meeting", "from", "subject"});
  Mat w(2, 5);
  w << 0, -1, 1, 0.5, 0.5, 0, 1, -1, -0.5, -0.5;
  const lrp::BowClassifier bow({"0", "1"}, Vec::Ones(5), w, Vec::Zero(2), lrp::BowOptions{});
  save_model(dir, config, tokenizer, vocab, bow, {"free meeting"});
}

std::vector<corpora::Example> read_input(const InputOptions& in) {
  auto reader = in.open({});
  return corpora::read_all(*reader);
}

}  // namespace

TEST_CASE("model: training.strip and corpus_labels load; bad values are format errors", "[apps][model]") {
  test::TempDir tmp;
  save_toy_model(tmp / "plain", {{"training", {{"strip", nlohmann::json::array()}}}});
  CHECK(load_model(tmp / "plain").strip.empty());
  save_toy_model(tmp / "m",
                 {{"training", {{"strip", {"quotes", "headers", "none"}}}}, {"corpus_labels", {"0", "1"}}});
  const Model m = load_model(tmp / "m");
  CHECK(m.strip == std::vector<std::string>{"quotes", "headers"});
  CHECK(m.corpus_labels == std::vector<std::string>{"0", "1"});

  auto config = nlohmann::json::parse(read_file(tmp / "m" / "config.json"));
  config["training"]["strip"] = {"headers", "signatures"};
  write_file_atomic(tmp / "m" / "config.json", config.dump());
  CHECK_THROWS_WITH(load_model(tmp / "m"), Contains("config.json") && Contains("\"signatures\""));
  config["training"]["strip"] = "headers";
  write_file_atomic(tmp / "m" / "config.json", config.dump());
  CHECK_THROWS_AS(load_model(tmp / "m"), FormatError);
  config["training"]["strip"] = {"headers"};
  config["corpus_labels"] = {"0"};
  write_file_atomic(tmp / "m" / "config.json", config.dump());
  CHECK_THROWS_WITH(load_model(tmp / "m"), Contains("\"corpus_labels\" must be an array of 2 strings"));
}

TEST_CASE("input_for_models: the model's --strip unless given; label names; warnings", "[apps][model]") {
  test::TempDir tmp;
  save_toy_model(tmp / "stripped", {{"training", {{"strip", {"headers"}}}}, {"corpus_labels", {"0", "1"}}});
  save_toy_model(tmp / "raw", {});
  const Model stripped = load_model(tmp / "stripped");
  const Model raw = load_model(tmp / "raw");
  // The labels of the stored classifier are "0" and "1"; rename them to check the mapping.
  test::write_bytes(tmp / "c" / "ham" / "1", "From: a@b.c\nSubject: free\n\nthe meeting\n");
  test::write_bytes(tmp / "c" / "spam" / "1", "From: a@b.c\nSubject: meeting\n\nfree free\n");
  InputOptions given;
  given.corpus = "folder:" + (tmp / "c").string();
  std::vector<std::string> warnings;
  auto warn = [&](std::string_view m) { warnings.emplace_back(m); };

  InputOptions in = input_for_model(given, stripped, warn);
  CHECK(in.strip == std::vector<std::string>{"headers"});
  REQUIRE(in.relabel.size() == 2);
  CHECK(in.relabel[1] == std::pair<std::string, std::string>{"1", "1"});
  std::vector<corpora::Example> docs = read_input(in);
  REQUIRE(docs.size() == 2);
  CHECK(docs[0].text == "the meeting\n");  // headers gone without --strip
  REQUIRE(warnings.size() ==
          1);  // "reading the documents with --strip headers, as model stripped was trained"
  CHECK_THAT(warnings[0], Contains("--strip headers") && Contains("stripped"));

  warnings.clear();
  given.strip = {"none"};
  in = input_for_model(given, stripped, warn);
  CHECK(read_input(in)[0].text.starts_with("From: "));  // the explicit flag wins
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Contains("--strip none differs from the --strip headers"));

  warnings.clear();
  given.strip = {"headers"};
  in = input_for_model(given, stripped, warn);
  CHECK(warnings.empty());  // the same as the model's: nothing to say
  CHECK(read_input(in)[0].text == "the meeting\n");

  // Two models that disagree: the first one's, with a warning naming both.
  warnings.clear();
  given.strip.clear();
  in = input_for_models(given, std::vector<const Model*>{&raw, &stripped}, warn);
  CHECK(in.strip.empty());
  REQUIRE(!warnings.empty());
  CHECK_THAT(warnings[0], Contains("raw") && Contains("stripped") && Contains("different --strip"));

  // Relabelling: corpus label -> model label.
  given.relabel.clear();
  InputOptions named = given;
  named.corpus = "jsonl:" + (tmp / "d.jsonl").string();
  named.relabel = {{"0", "negative"}, {"1", "positive"}};
  test::write_bytes(tmp / "d.jsonl",
                    "{\"text\":\"a\",\"label\":\"1\"}\n{\"text\":\"b\",\"label\":\"x\"}\n{\"text\":\"c\"}\n");
  docs = read_input(named);
  REQUIRE(docs.size() == 3);
  CHECK(*docs[0].label == "positive");
  CHECK(*docs[1].label == "x");  // unknown labels stay (and are reported where a label is needed)
  CHECK(!docs[2].label);
}

TEST_CASE("DocumentCounter: counts a corpus in the background; never stdin", "[apps][progress]") {
  test::TempDir tmp;
  std::string lines;
  for (int i = 0; i < 37; ++i) lines += "{\"text\":\"doc " + std::to_string(i) + "\"}\n";
  test::write_bytes(tmp / "d.jsonl", lines);
  InputOptions in;
  in.input = (tmp / "d.jsonl").string();
  std::size_t total = 0;
  {
    DocumentCounter counter(in);
    for (int i = 0; i < 2000 && (total = counter.total()) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(total == 37);
  in.shard = "2/3";  // documents 2, 5, ..., 35: 12 of them
  {
    DocumentCounter counter(in);
    for (int i = 0; i < 2000 && (total = counter.total()) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(total == 12);
  InputOptions from_stdin;
  from_stdin.input = "-";
  DocumentCounter none(from_stdin);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(none.total() == 0);
  // A broken input: no total (the main pass reports the error), no crash.
  test::write_bytes(tmp / "bad.jsonl", "{\"text\":\"a\"}\nnot json\n");
  in.input = (tmp / "bad.jsonl").string();
  in.shard.clear();
  DocumentCounter broken(in);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(broken.total() == 0);
}

TEST_CASE("Progress: log lines with done/total and ETA when stderr is not a terminal", "[apps][progress]") {
  test::TempDir tmp;
  const std::string path = (tmp / "stderr.txt").string();
  std::fflush(stderr);
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  std::FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  ::dup2(::fileno(f), 2);  // a file: not a terminal
  {
    Progress known("explain", true, 0);
    std::size_t total = 0;
    known.total_from([&] { return total; }).log_every(1e-9);
    known.update(3);  // total not known yet
    total = 12;
    known.update(6);
    Progress silent("predict", true);  // log_every not set: nothing until finish
    silent.update(4);
    Progress off("deletion", false, 10);  // disabled (--quiet)
    off.log_every(1e-9);
    off.update(5);
  }
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fclose(f);
  const std::string log = read_file(path);
  CHECK_THAT(log, Contains("textlrp: explain: 3 docs"));
  CHECK_THAT(log, Contains("textlrp: explain: 6/12 (50.0%)") && Contains("ETA 0:"));
  CHECK_THAT(log, !Contains("predict") && !Contains("deletion"));
}
