#include "apps/common/model.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "core/file.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::app {
namespace fs = std::filesystem;

int Model::label_index(const std::string& label) const {
  const auto& l = labels();
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (l[i] == label) return static_cast<int>(i);
  }
  return -1;
}

std::vector<TokenId> to_ids(const Model& model, const std::vector<nlp::Token>& tokens) {
  std::vector<TokenId> ids;
  ids.reserve(tokens.size());
  for (const auto& t : tokens) ids.push_back(model.vocab.id(t.text));
  return ids;
}

std::vector<TokenId> encode_text(const nlp::Tokenizer& tokenizer, const nlp::Vocabulary& vocab,
                                 std::string_view text, std::vector<nlp::Token>* tokens) {
  std::vector<TokenId> ids;
  if (const auto* spm = dynamic_cast<const nlp::SentencePieceTokenizer*>(&tokenizer)) {
    // SentencePiece's own ids: an unknown piece's text is its surface ("😀"), not "<unk>", so
    // looking texts up would only be right by luck.
    nlp::SentencePieceTokenizer::Encoding e = spm->encode(text);
    ids.assign(e.ids.begin(), e.ids.end());
    if (tokens) *tokens = std::move(e.tokens);
    return ids;
  }
  std::vector<nlp::Token> local = tokenizer.tokenize(text);
  ids.reserve(local.size());
  for (const auto& t : local) ids.push_back(vocab.id(t.text));
  if (dynamic_cast<const nlp::WordPieceTextTokenizer*>(&tokenizer)) {
    // An unknown WordPiece word is one "[UNK]" piece: its text becomes its surface, as SentencePiece's
    // unknown pieces, so is_oov() tells it from a known token.
    for (std::size_t t = 0; t < local.size(); ++t) {
      if (vocab.has_unk() && ids[t] == vocab.unk_id()) {
        local[t].text = std::string(text.substr(local[t].begin, local[t].end - local[t].begin));
      }
    }
  }
  if (tokens) *tokens = std::move(local);
  return ids;
}

bool is_oov(const nlp::Vocabulary& vocab, TokenId token_id, std::string_view token_text) {
  if (token_id < 0) return true;
  return token_id == vocab.unk_id() && token_text != vocab.token(token_id);
}

namespace {

Vec scores_for_text(const nlp::Tokenizer& tokenizer, const nlp::Vocabulary& vocab, const lrp::Classifier& classifier,
                    const std::string& text) {
  return classifier.scores(encode_text(tokenizer, vocab, text));
}

}  // namespace

namespace {

Model load_model_impl(const fs::path& dir, bool verify) {
  Model m;
  m.dir = dir;
  m.name = fs::path(dir).lexically_normal().filename().string();
  if (m.name.empty()) m.name = fs::path(dir).lexically_normal().parent_path().filename().string();
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw IoError(fmt::format("{}: model directory does not exist", dir.string()));
  if (!fs::is_directory(dir, ec)) throw IoError(fmt::format("{}: expected a model directory, got a file", dir.string()));
  const fs::path config_path = dir / "config.json";
  const std::string text = read_file(config_path);
  try {
    m.config = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(fmt::format("{}: byte {}: not valid JSON: {}", config_path.string(), e.byte, e.what()));
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond double range (1e999)
    throw FormatError(fmt::format("{}: not valid JSON: {}", config_path.string(), e.what()));
  }
  const std::string where = config_path.string();
  const auto& c = m.config;
  if (!c.is_object()) throw FormatError(fmt::format("{}: expected a JSON object", where));
  if (!c.contains("format") || !c["format"].is_string() || c["format"].get<std::string>() != "textlrp-model") {
    throw FormatError(fmt::format("{}: expected \"format\": \"textlrp-model\", got {}", where,
                                  c.contains("format") ? c["format"].dump() : "nothing"));
  }
  if (!c.contains("format_version") || !c["format_version"].is_number_integer()) {
    throw FormatError(fmt::format("{}: expected an integer \"format_version\"", where));
  }
  const int version = c["format_version"].get<int>();
  if (version < 1 || version > kFormatVersion) {
    throw FormatError(fmt::format("{}: format_version {} is not supported (this build reads 1 to {}); {}", where,
                                  version, kFormatVersion,
                                  version > kFormatVersion ? "the model was written by a newer textlrp" : "invalid"));
  }
  try {
    for (const char* key : {"architecture", "labels", "tokenizer", "hyper"}) {
      if (!c.contains(key)) throw FormatError(fmt::format("{}: missing key \"{}\"", where, key));
    }
    if (!c["labels"].is_array() || c["labels"].size() < 2) {
      throw FormatError(fmt::format("{}: \"labels\" must be an array of at least two strings", where));
    }
    nlohmann::json tokenizer_config = c["tokenizer"];
    if (tokenizer_config.is_object()) tokenizer_config.erase("vocab");  // the model directory's business
    m.tokenizer = nlp::make_tokenizer(tokenizer_config, dir);
    if (const auto* spm = dynamic_cast<const nlp::SentencePieceTokenizer*>(m.tokenizer.get())) {
      // The piece table is the vocabulary (ids = SentencePiece ids); there is no vocab.txt.
      if (c["tokenizer"].contains("vocab")) {
        throw FormatError(fmt::format("{}: \"tokenizer\": kind \"spm\" takes its vocabulary from the model file, "
                                      "not from \"vocab\"", where));
      }
      m.vocab = spm->vocabulary();
      m.subword = true;
    } else {
      const std::string vocab_file = c["tokenizer"].value("vocab", std::string("vocab.txt"));
      m.vocab = nlp::Vocabulary::load(dir / vocab_file);
      // WordPiece pieces are subwords too: pre-tokenized input is split like any text.
      if (const auto* wp = dynamic_cast<const nlp::WordPieceTextTokenizer*>(m.tokenizer.get())) {
        m.subword = true;
        // Its unknown piece is [UNK] (not <unk> at id 0): is_oov() marks [UNK] pieces as the other
        // models mark unknown words.
        m.vocab = nlp::Vocabulary::from_pieces(m.vocab.tokens(), wp->wordpiece().unk_id());
      }
    }
    m.classifier = lrp::load_classifier(dir, c);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: {}", where, e.what()));
  }
  // Preprocessing: training.strip (written by `train` since the first format version).
  if (c.contains("training") && c["training"].is_object() && c["training"].contains("strip")) {
    const auto& strip = c["training"]["strip"];
    if (!strip.is_array()) throw FormatError(fmt::format("{}: \"training\": \"strip\" must be an array", where));
    for (const auto& part : strip) {
      const std::string v = part.is_string() ? part.get<std::string>() : part.dump();
      if (v == "none") continue;
      if (v != "headers" && v != "footers" && v != "quotes") {
        throw FormatError(fmt::format("{}: \"training\": \"strip\": expected headers, footers or quotes, got {}",
                                      where, part.dump()));
      }
      if (std::find(m.strip.begin(), m.strip.end(), v) == m.strip.end()) m.strip.push_back(v);
    }
  }
  if (c.contains("corpus_labels")) {
    const auto& cl = c["corpus_labels"];
    if (!cl.is_array() || cl.size() != c["labels"].size()) {
      throw FormatError(fmt::format("{}: \"corpus_labels\" must be an array of {} strings, one per label", where,
                                    c["labels"].size()));
    }
    for (const auto& l : cl) {
      if (!l.is_string()) throw FormatError(fmt::format("{}: \"corpus_labels\": expected strings, got {}", where, l.dump()));
      m.corpus_labels.push_back(l.get<std::string>());
    }
  }
  if (m.classifier->n_vocab() != static_cast<Index>(m.vocab.size())) {
    throw FormatError(fmt::format("{}: the classifier has {} vocabulary entries, the vocabulary file {}", where,
                                  m.classifier->n_vocab(), m.vocab.size()));
  }
  if (verify && c.contains("tests")) {
    const auto& tests = c["tests"];
    if (!tests.is_array()) throw FormatError(fmt::format("{}: \"tests\" must be an array", where));
    for (std::size_t k = 0; k < tests.size(); ++k) {
      const auto& t = tests[k];
      if (!t.is_object() || !t.contains("text") || !t["text"].is_string() || !t.contains("scores") ||
          !t["scores"].is_array()) {
        throw FormatError(fmt::format("{}: tests[{}]: expected {{\"text\": string, \"scores\": [numbers]}}", where, k));
      }
      const Vec s = scores_for_text(*m.tokenizer, m.vocab, *m.classifier, t["text"].get<std::string>());
      const auto& expected = t["scores"];
      if (static_cast<Index>(expected.size()) != s.size()) {
        throw FormatError(fmt::format("{}: self-test {} expects {} scores, the model gives {}", where, k,
                                      expected.size(), s.size()));
      }
      for (Index i = 0; i < s.size(); ++i) {
        const double e = expected[static_cast<std::size_t>(i)].get<double>();
        if (!(std::abs(e - s[i]) <= 1e-4 * std::max(1.0, std::abs(e)))) {
          throw FormatError(fmt::format(
              "{}: self-test {} failed: score of class '{}' is {}, expected {} (the model files do not match each "
              "other; use --no-verify to load anyway)",
              where, k, m.labels()[static_cast<std::size_t>(i)], s[i], e));
        }
      }
    }
  }
  return m;
}

}  // namespace

Model load_model(const fs::path& dir, bool verify) {
  try {
    return load_model_impl(dir, verify);
  } catch (const nlohmann::json::exception& e) {
    // A value of the wrong type anywhere in config.json (e.g. a string among the self-test
    // scores): found by fuzzing (tests/fuzz/fuzz_config.cpp).
    throw FormatError(fmt::format("{}: {}", (dir / "config.json").string(), e.what()));
  }
}

void save_model(const fs::path& dir, nlohmann::json config, const nlp::Tokenizer& tokenizer,
                const nlp::Vocabulary& vocab, const lrp::Classifier& classifier,
                const std::vector<std::string>& self_test_texts) {
  const fs::path target = fs::path(dir).lexically_normal();
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (fs::exists(target, ec) && !fs::is_directory(target, ec)) {
    throw IoError(fmt::format("{}: exists and is not a directory", target.string()));
  }
  std::random_device rd;
  const fs::path tmp = parent / fmt::format(".{}.tmp-{}-{:08x}", target.filename().string(), ::getpid(), rd());
  if (!fs::create_directory(tmp, ec)) {
    throw IoError(fmt::format("{}: cannot create: {}", tmp.string(), ec.message()));
  }
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      if (!p.empty()) fs::remove_all(p, e);
    }
  } cleanup{tmp};
  config["format"] = "textlrp-model";
  config["format_version"] = kFormatVersion;
  config["architecture"] = std::string(classifier.architecture());
  config["labels"] = classifier.labels();
  nlohmann::json tok = tokenizer.config();
  if (const auto* spm = dynamic_cast<const nlp::SentencePieceTokenizer*>(&tokenizer)) {
    if (!(vocab == spm->vocabulary())) {
      throw InvalidArgument("save_model: a SentencePiece model's vocabulary must be its piece table");
    }
    spm->save(tmp);  // tmp / "tokenizer.model": the directory carries its own tokenizer
  } else {
    tok["vocab"] = "vocab.txt";
    vocab.save(tmp / "vocab.txt");
  }
  config["tokenizer"] = tok;
  config["hyper"] = classifier.save(tmp);
  nlohmann::json tests = nlohmann::json::array();
  for (const auto& text : self_test_texts) {
    const Vec s = scores_for_text(tokenizer, vocab, classifier, text);
    tests.push_back({{"text", text}, {"scores", std::vector<float>(s.data(), s.data() + s.size())}});
  }
  config["tests"] = tests;
  // Key order: put the identifying keys first for readers of the file.
  nlohmann::ordered_json out;
  for (const char* key :
       {"format", "format_version", "architecture", "labels", "corpus_labels", "tokenizer", "hyper", "training", "tests"}) {
    if (config.contains(key)) out[key] = config[key];
  }
  for (const auto& [k, v] : config.items()) {
    if (!out.contains(k)) out[k] = v;
  }
  write_file_atomic(tmp / "config.json", out.dump(2) + "\n");
  // Swap into place: old -> backup, tmp -> target, remove backup.
  fs::path backup;
  if (fs::exists(target, ec)) {
    backup = parent / fmt::format(".{}.old-{}-{:08x}", target.filename().string(), ::getpid(), rd());
    fs::rename(target, backup, ec);
    if (ec) throw IoError(fmt::format("{}: cannot replace: {}", target.string(), ec.message()));
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code e2;
    if (!backup.empty()) fs::rename(backup, target, e2);
    throw IoError(fmt::format("{}: cannot rename into place: {}", target.string(), ec.message()));
  }
  cleanup.p.clear();
  if (!backup.empty()) fs::remove_all(backup, ec);
}

}  // namespace textlrp::app
