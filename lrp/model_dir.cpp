#include "lrp/model_dir.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "core/file.h"

namespace textlrp::lrp {
namespace fs = std::filesystem;

int ModelDir::label_index(const std::string& label) const {
  const auto& l = labels();
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (l[i] == label) return static_cast<int>(i);
  }
  return -1;
}

namespace {

ModelDir load_model_impl(const fs::path& dir, bool verify) {
  ModelDir m;
  m.dir = dir;
  m.name = fs::path(dir).lexically_normal().filename().string();
  if (m.name.empty()) m.name = fs::path(dir).lexically_normal().parent_path().filename().string();
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw IoError(fmt::format("{}: model directory does not exist", dir.string()));
  if (!fs::is_directory(dir, ec))
    throw IoError(fmt::format("{}: expected a model directory, got a file", dir.string()));
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
  if (!c.contains("format") || !c["format"].is_string() ||
      c["format"].get<std::string>() != "textlrp-model") {
    throw FormatError(fmt::format("{}: expected \"format\": \"textlrp-model\", got {}", where,
                                  c.contains("format") ? c["format"].dump() : "nothing"));
  }
  if (!c.contains("format_version") || !c["format_version"].is_number_integer()) {
    throw FormatError(fmt::format("{}: expected an integer \"format_version\"", where));
  }
  const int version = c["format_version"].get<int>();
  if (version < 1 || version > kFormatVersion) {
    throw FormatError(fmt::format(
        "{}: format_version {} is not supported (this build reads 1 to {}); {}", where, version,
        kFormatVersion, version > kFormatVersion ? "the model was written by a newer textlrp" : "invalid"));
  }
  try {
    for (const char* key : {"architecture", "labels", "tokenizer", "hyper"}) {
      if (!c.contains(key)) throw FormatError(fmt::format("{}: missing key \"{}\"", where, key));
    }
    if (!c["labels"].is_array() || c["labels"].size() < 2) {
      throw FormatError(fmt::format("{}: \"labels\" must be an array of at least two strings", where));
    }
    m.encoder = nlp::TextEncoder::from_config(c["tokenizer"], dir, where);
    m.classifier = load_classifier(dir, c);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: {}", where, e.what()));
  }
  // Preprocessing: training.strip (written by `train` since the first format version).
  if (c.contains("training") && c["training"].is_object() && c["training"].contains("strip")) {
    const auto& strip = c["training"]["strip"];
    if (!strip.is_array())
      throw FormatError(fmt::format("{}: \"training\": \"strip\" must be an array", where));
    for (const auto& part : strip) {
      const std::string v = part.is_string() ? part.get<std::string>() : part.dump();
      if (v == "none") continue;
      if (v != "headers" && v != "footers" && v != "quotes") {
        throw FormatError(fmt::format(
            "{}: \"training\": \"strip\": expected headers, footers or quotes, got {}", where, part.dump()));
      }
      if (std::find(m.strip.begin(), m.strip.end(), v) == m.strip.end()) m.strip.push_back(v);
    }
  }
  if (c.contains("corpus_labels")) {
    const auto& cl = c["corpus_labels"];
    if (!cl.is_array() || cl.size() != c["labels"].size()) {
      throw FormatError(fmt::format("{}: \"corpus_labels\" must be an array of {} strings, one per label",
                                    where, c["labels"].size()));
    }
    for (const auto& l : cl) {
      if (!l.is_string())
        throw FormatError(fmt::format("{}: \"corpus_labels\": expected strings, got {}", where, l.dump()));
      m.corpus_labels.push_back(l.get<std::string>());
    }
  }
  if (m.classifier->n_vocab() != static_cast<Index>(m.vocab().size())) {
    throw FormatError(fmt::format("{}: the classifier has {} vocabulary entries, the vocabulary file {}",
                                  where, m.classifier->n_vocab(), m.vocab().size()));
  }
  if (verify && c.contains("tests")) {
    const auto& tests = c["tests"];
    if (!tests.is_array()) throw FormatError(fmt::format("{}: \"tests\" must be an array", where));
    for (std::size_t k = 0; k < tests.size(); ++k) {
      const auto& t = tests[k];
      if (!t.is_object() || !t.contains("text") || !t["text"].is_string() || !t.contains("scores") ||
          !t["scores"].is_array()) {
        throw FormatError(
            fmt::format("{}: tests[{}]: expected {{\"text\": string, \"scores\": [numbers]}}", where, k));
      }
      const Vec s = m.classifier->scores(m.encoder.encode(t["text"].get<std::string>()));
      const auto& expected = t["scores"];
      if (static_cast<Index>(expected.size()) != s.size()) {
        throw FormatError(fmt::format("{}: self-test {} expects {} scores, the model gives {}", where, k,
                                      expected.size(), s.size()));
      }
      for (Index i = 0; i < s.size(); ++i) {
        const double e = expected[static_cast<std::size_t>(i)].get<double>();
        if (!(std::abs(e - s[i]) <= 1e-4 * std::max(1.0, std::abs(e)))) {
          throw FormatError(
              fmt::format("{}: self-test {} failed: score of class '{}' is {}, expected {} (the model files "
                          "do not match each "
                          "other; use --no-verify to load anyway)",
                          where, k, m.labels()[static_cast<std::size_t>(i)], s[i], e));
        }
      }
    }
  }
  return m;
}

}  // namespace

ModelDir load_model_dir(const fs::path& dir, bool verify) {
  try {
    return load_model_impl(dir, verify);
  } catch (const nlohmann::json::exception& e) {
    // A value of the wrong type anywhere in config.json (e.g. a string among the self-test
    // scores): found by fuzzing (tests/fuzz/fuzz_config.cpp).
    throw FormatError(fmt::format("{}: {}", (dir / "config.json").string(), e.what()));
  }
}

void save_model_dir(const fs::path& dir, nlohmann::json config, const nlp::TextEncoder& encoder,
                    const Classifier& classifier, const std::vector<std::string>& self_test_texts) {
  const fs::path target = fs::path(dir).lexically_normal();
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (fs::exists(target, ec) && !fs::is_directory(target, ec)) {
    throw IoError(fmt::format("{}: exists and is not a directory", target.string()));
  }
  std::random_device rd;
  const fs::path tmp =
      parent / fmt::format(".{}.tmp-{}-{:08x}", target.filename().string(), ::getpid(), rd());
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
  const nlohmann::json tok = encoder.save(tmp);
  config["tokenizer"] = tok;
  config["hyper"] = classifier.save(tmp);
  nlohmann::json tests = nlohmann::json::array();
  for (const auto& text : self_test_texts) {
    const Vec s = classifier.scores(encoder.encode(text));
    tests.push_back({{"text", text}, {"scores", std::vector<float>(s.data(), s.data() + s.size())}});
  }
  config["tests"] = tests;
  // Key order: put the identifying keys first for readers of the file.
  nlohmann::ordered_json out;
  for (const char* key : {"format", "format_version", "architecture", "labels", "corpus_labels", "tokenizer",
                          "hyper", "training", "tests"}) {
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

}  // namespace textlrp::lrp
