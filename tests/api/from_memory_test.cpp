// Model::from_memory (the public API behind the Python package's textlrp.from_torch): tensors in
// memory give the model `textlrp import pytorch` makes of the same tensors in files (byte-equal
// JSON lines), and every bad input is an exception naming the tensor, key or token.
#include <textlrp/textlrp.h>
#include <nlohmann/json.hpp>
#include <random>

#include "core/file.h"
#include "core/safetensors.h"
#include "explain/import.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using Catch::Matchers::Contains;
namespace fs = std::filesystem;
using textlrp::TensorData;

// The exception's type and message (Catch2's CHECK_THROWS_MATCHES takes exception matchers only).
#define CHECK_THROWS_TYPE_WITH(expr, type, matcher) \
  do {                                              \
    CHECK_THROWS_AS(expr, type);                    \
    CHECK_THROWS_WITH(expr, matcher);               \
  } while (false)

namespace {

const std::vector<std::string> kVocab = {"<unk>", "free", "meeting", "win", "lunch", "now", "call", "today"};

TensorData random_tensor(std::mt19937& gen, std::vector<std::int64_t> shape) {
  std::uniform_real_distribution<float> u(-0.8f, 0.8f);
  TensorData t;
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  t.shape = std::move(shape);
  for (std::int64_t i = 0; i < n; ++i) t.values.push_back(u(gen));
  return t;
}

// A PyTorch CNN state dict (V = 8, E = 4, widths 1 and 2 with 3 filters each, 2 classes).
std::map<std::string, TensorData> cnn_state_dict() {
  std::mt19937 gen(11);
  std::map<std::string, TensorData> t;
  t["embedding.weight"] = random_tensor(gen, {8, 4});
  t["convs.0.weight"] = random_tensor(gen, {3, 4, 1});
  t["convs.0.bias"] = random_tensor(gen, {3});
  t["convs.1.weight"] = random_tensor(gen, {3, 4, 2});
  t["convs.1.bias"] = random_tensor(gen, {3});
  t["fc.weight"] = random_tensor(gen, {2, 6});
  t["fc.bias"] = random_tensor(gen, {2});
  return t;
}

// A PyTorch nn.LSTM(bidirectional=True) classifier (V = 8, E = 4, H = 3, 2 classes).
std::map<std::string, TensorData> bilstm_state_dict() {
  std::mt19937 gen(12);
  std::map<std::string, TensorData> t;
  t["embedding.weight"] = random_tensor(gen, {8, 4});
  for (const std::string s : {"", "_reverse"}) {
    t["lstm.weight_ih_l0" + s] = random_tensor(gen, {12, 4});
    t["lstm.weight_hh_l0" + s] = random_tensor(gen, {12, 3});
    t["lstm.bias_ih_l0" + s] = random_tensor(gen, {12});
    t["lstm.bias_hh_l0" + s] = random_tensor(gen, {12});
  }
  t["fc.weight"] = random_tensor(gen, {2, 6});
  t["fc.bias"] = random_tensor(gen, {2});
  return t;
}

// What `textlrp import pytorch --arch ARCH --weights W --vocab V --labels ham,spam --out DIR` does:
// the tensors and vocabulary written to files, read back and saved as a model directory.
void import_from_files(const fs::path& tmp, const std::string& arch,
                       const std::map<std::string, TensorData>& tensors, const fs::path& out) {
  textlrp::TensorWriter w;
  for (const auto& [name, t] : tensors) w.add(name, t.shape, t.values);
  w.write(tmp / "weights.safetensors");
  std::string vocab;
  for (const auto& t : kVocab) vocab += t + "\n";
  textlrp::write_file_atomic(tmp / "vocab.txt", vocab);
  textlrp::explain::PytorchImport spec;
  spec.arch = arch;
  spec.labels = {"ham", "spam"};
  const textlrp::TensorStore store = textlrp::TensorStore::load(tmp / "weights.safetensors");
  const auto imported = textlrp::explain::import_pytorch(
      store, textlrp::nlp::Vocabulary::load(tmp / "vocab.txt"), (tmp / "vocab.txt").string(), spec);
  textlrp::explain::save_model(out, {}, *imported.tokenizer, imported.vocab, *imported.classifier,
                               textlrp::explain::self_test_texts(imported.vocab));
}

std::string config(const std::string& arch, const std::string& name) {
  return nlohmann::json{{"architecture", arch}, {"labels", {"ham", "spam"}}, {"name", name}}.dump();
}

}  // namespace

TEST_CASE("from_memory: equals the model imported from files, CNN and BiLSTM", "[api]") {
  textlrp::test::TempDir tmp;
  for (const std::string arch : {"cnn", "bilstm"}) {
    INFO(arch);
    const auto tensors = arch == "cnn" ? cnn_state_dict() : bilstm_state_dict();
    import_from_files(tmp.path(), arch, tensors, tmp / arch);
    const textlrp::Model from_files = textlrp::Model::open(tmp / arch);  // runs the stored self-tests
    const textlrp::Model in_memory = textlrp::Model::from_memory(config(arch, arch), tensors, kVocab);
    CHECK(in_memory.architecture() == arch);
    CHECK(in_memory.labels() == from_files.labels());
    CHECK(in_memory.name() == arch);
    CHECK(in_memory.dir().empty());
    CHECK_FALSE(in_memory.subword());
    const std::vector<std::string> texts = {"Win a FREE lunch now, call today!", "meeting today", "",
                                            "zzz qqq"};
    for (const auto& text : texts) {
      INFO(text);
      const auto p1 = from_files.predict(text), p2 = in_memory.predict(text);
      CHECK(p1.scores == p2.scores);
      for (const std::string method : {"lrp", "gi", "occlusion"}) {
        textlrp::ExplainRequest req;
        req.method = method;
        CHECK(textlrp::to_json(in_memory.explain(text, req)) ==
              textlrp::to_json(from_files.explain(text, req)));
      }
    }
    // Pre-tokenized input uses the same lowercasing from the in-memory config.
    const std::vector<std::string> tokens = {"FREE", "lunch"};
    CHECK(textlrp::to_json(in_memory.explain(tokens)) == textlrp::to_json(from_files.explain(tokens)));
  }
}

TEST_CASE("from_memory: tokenizer options, max_tokens and default labels", "[api]") {
  const auto tensors = cnn_state_dict();
  const textlrp::Model m = textlrp::Model::from_memory(
      R"({"architecture": "cnn", "lowercase": false, "max_tokens": 2})", tensors, kVocab);
  CHECK(m.labels() == std::vector<std::string>{"0", "1"});
  CHECK(m.name() == "from_memory");
  const textlrp::Explanation e = m.explain("free FREE win lunch");
  REQUIRE(e.tokens.size() == 4);
  CHECK_FALSE(e.tokens[0].oov);
  CHECK(e.tokens[1].oov);  // not case-folded
  CHECK(e.truncated);
  REQUIRE(e.max_tokens);
  CHECK(*e.max_tokens == 2);
  CHECK(e.tokens[2].unseen);
}

TEST_CASE("from_memory: bad tensors, vocabularies and configs are exceptions naming them", "[api]") {
  using textlrp::FormatError;
  using textlrp::InvalidArgument;
  using textlrp::Model;
  const std::string cfg = config("cnn", "m");
  {
    auto t = cnn_state_dict();
    t["fc.weight"].shape = {2, 5};  // values for [2 x 6]
    CHECK_THROWS_TYPE_WITH(
        Model::from_memory(cfg, t, kVocab), InvalidArgument,
        Contains("'fc.weight'") && Contains("[2 x 5]") && Contains("12 values were given"));
  }
  {
    auto t = cnn_state_dict();
    t["fc.weight"] = TensorData{{2, 5}, std::vector<float>(10, 0.1f)};  // consistent, but not the CNN's shape
    CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, t, kVocab), FormatError,
                           Contains("state_dict") && Contains("fc.weight") && Contains("[2 x 5]"));
  }
  {
    auto t = cnn_state_dict();
    t["convs.1.bias"].shape = {-3};
    CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, t, kVocab), InvalidArgument,
                           Contains("negative dimension"));
  }
  {
    auto t = cnn_state_dict();
    t["convs.1.bias"].shape = {1ll << 40, 1ll << 40};
    CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, t, kVocab), InvalidArgument, Contains("too large"));
  }
  {
    auto t = cnn_state_dict();
    t["fc.bias"].values[1] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, t, kVocab), FormatError, Contains("fc.bias"));
  }
  {
    auto t = cnn_state_dict();
    t.erase("embedding.weight");
    CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, t, kVocab), FormatError, Contains("embedding.weight"));
  }
  {
    auto t = bilstm_state_dict();
    t["lstm.weight_hh_l0_reverse"] = TensorData{{12, 4}, std::vector<float>(48, 0.0f)};
    CHECK_THROWS_TYPE_WITH(Model::from_memory(config("bilstm", "m"), t, kVocab), FormatError,
                           Contains("weight_hh_l0_reverse"));
  }
  // Vocabularies: the wrong size, a duplicate, an empty token, none at all, invalid UTF-8.
  std::vector<std::string> short_vocab(kVocab.begin(), kVocab.end() - 1);
  CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, cnn_state_dict(), short_vocab), FormatError,
                         Contains("vocabulary: 7 tokens") && Contains("8 rows"));
  auto dup = kVocab;
  dup[5] = "free";
  CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, cnn_state_dict(), dup), FormatError, Contains("vocabulary"));
  auto empty_token = kVocab;
  empty_token[3] = "";
  CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, cnn_state_dict(), empty_token), FormatError,
                         Contains("token 3"));
  CHECK_THROWS_TYPE_WITH(Model::from_memory(cfg, cnn_state_dict(), {}), FormatError,
                         Contains("empty vocabulary"));
  auto bad_utf8 = kVocab;
  bad_utf8[2] = "caf\xE9";
  CHECK_THROWS_AS(Model::from_memory(cfg, cnn_state_dict(), bad_utf8), FormatError);
  // Configs.
  CHECK_THROWS_TYPE_WITH(Model::from_memory("{", cnn_state_dict(), kVocab), InvalidArgument,
                         Contains("not valid JSON"));
  CHECK_THROWS_TYPE_WITH(Model::from_memory("[1]", cnn_state_dict(), kVocab), InvalidArgument,
                         Contains("JSON object"));
  CHECK_THROWS_TYPE_WITH(Model::from_memory(R"({"architecture": "svm"})", cnn_state_dict(), kVocab),
                         InvalidArgument, Contains("cnn, bilstm or bert"));
  CHECK_THROWS_TYPE_WITH(
      Model::from_memory(R"({"architecture": "cnn", "lables": []})", cnn_state_dict(), kVocab),
      InvalidArgument, Contains("unknown key \"lables\""));
  CHECK_THROWS_TYPE_WITH(
      Model::from_memory(R"({"architecture": "cnn", "labels": [1, 2]})", cnn_state_dict(), kVocab),
      InvalidArgument, Contains("expected strings"));
  CHECK_THROWS_TYPE_WITH(
      Model::from_memory(R"({"architecture": "cnn", "labels": ["a", "b", "c"]})", cnn_state_dict(), kVocab),
      textlrp::Error, Contains("3 labels given"));
  CHECK_THROWS_TYPE_WITH(
      Model::from_memory(R"({"architecture": "cnn", "max_tokens": 0})", cnn_state_dict(), kVocab),
      InvalidArgument, Contains("max_tokens"));
  CHECK_THROWS_TYPE_WITH(
      Model::from_memory(R"({"architecture": "cnn", "lowercase": "yes"})", cnn_state_dict(), kVocab),
      InvalidArgument, Contains("lowercase"));
  CHECK_THROWS_TYPE_WITH(
      Model::from_memory(R"({"architecture": "cnn", "huggingface": {}})", cnn_state_dict(), kVocab),
      InvalidArgument, Contains("does not apply"));
  CHECK_THROWS_TYPE_WITH(Model::from_memory(R"({"architecture": "bert"})", cnn_state_dict(), kVocab),
                         InvalidArgument, Contains("\"huggingface\""));
  CHECK_THROWS_TYPE_WITH(
      Model::from_memory(R"({"architecture": "bert", "huggingface": {"model_type": "bert"}})",
                         cnn_state_dict(), kVocab),
      FormatError, Contains("config: huggingface"));
}

namespace {

const std::vector<std::string> kPieces = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "free", "money", "win", "##s",
                                          "call",  "today", "meet",  "##ing", "at",   "noon",  ",",   "!"};

// A tiny random BERT in Hugging Face names (hidden 8, 2 layers, 2 heads, 16 positions, 2 classes).
std::map<std::string, TensorData> bert_state_dict() {
  std::mt19937 gen(21);
  const std::int64_t V = static_cast<std::int64_t>(kPieces.size()), H = 8, F = 16;
  std::map<std::string, TensorData> t;
  auto lin = [&](const std::string& p, std::int64_t out, std::int64_t in) {
    t[p + ".weight"] = random_tensor(gen, {out, in});
    t[p + ".bias"] = random_tensor(gen, {out});
  };
  auto ln = [&](const std::string& p) {
    t[p + ".weight"] = random_tensor(gen, {H});
    for (auto& v : t[p + ".weight"].values) v += 1.0f;
    t[p + ".bias"] = random_tensor(gen, {H});
  };
  t["bert.embeddings.word_embeddings.weight"] = random_tensor(gen, {V, H});
  t["bert.embeddings.position_embeddings.weight"] = random_tensor(gen, {16, H});
  t["bert.embeddings.token_type_embeddings.weight"] = random_tensor(gen, {2, H});
  ln("bert.embeddings.LayerNorm");
  for (int l = 0; l < 2; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    lin(p + "attention.self.query", H, H);
    lin(p + "attention.self.key", H, H);
    lin(p + "attention.self.value", H, H);
    lin(p + "attention.output.dense", H, H);
    ln(p + "attention.output.LayerNorm");
    lin(p + "intermediate.dense", F, H);
    lin(p + "output.dense", H, F);
    ln(p + "output.LayerNorm");
  }
  lin("bert.pooler.dense", H, H);
  lin("classifier", 2, H);
  return t;
}

const nlohmann::json kBertConfig = {{"architectures", {"BertForSequenceClassification"}},
                                    {"model_type", "bert"},
                                    {"vocab_size", 16},
                                    {"hidden_size", 8},
                                    {"num_hidden_layers", 2},
                                    {"num_attention_heads", 2},
                                    {"intermediate_size", 16},
                                    {"hidden_act", "gelu"},
                                    {"max_position_embeddings", 16},
                                    {"type_vocab_size", 2},
                                    {"layer_norm_eps", 1e-12},
                                    {"id2label", {{"0", "neg"}, {"1", "pos"}}}};

}  // namespace

TEST_CASE("from_memory: a BERT equals the model imported from a Hugging Face directory", "[api]") {
  textlrp::test::TempDir tmp;
  const auto tensors = bert_state_dict();
  const nlohmann::json tc = {{"do_lower_case", true}, {"model_max_length", 10}};
  // What `textlrp import huggingface --from HF --out bert` does: read the files, save the directory.
  textlrp::TensorWriter w;
  for (const auto& [name, t] : tensors) w.add(name, t.shape, t.values);
  w.write(tmp / "model.safetensors");
  const textlrp::TensorStore store = textlrp::TensorStore::load(tmp / "model.safetensors");
  {
    auto imported = textlrp::explain::import_huggingface(store, kBertConfig, "config.json", tc,
                                                         "tokenizer_config.json", kPieces, "vocab.txt");
    textlrp::explain::save_model(tmp / "bert", {}, *imported.tokenizer, imported.vocab, *imported.classifier,
                                 textlrp::explain::self_test_texts(imported.vocab));
  }
  const textlrp::Model from_files = textlrp::Model::open(tmp / "bert");
  const std::string cfg = nlohmann::json{
      {"architecture", "bert"},
      {"name", "bert"},
      {"huggingface", kBertConfig},
      {"tokenizer_config",
       tc}}.dump();
  const textlrp::Model in_memory = textlrp::Model::from_memory(cfg, tensors, kPieces);
  CHECK(in_memory.subword());
  CHECK(in_memory.labels() == std::vector<std::string>{"neg", "pos"});
  for (const std::string text :
       {"Free money, win today!", "meeting at noon", "calls calls calls calls calls calls"}) {
    INFO(text);
    for (const std::string rule : {"attnlrp", "cp-lrp"}) {
      textlrp::ExplainRequest req;
      req.rule = rule;
      CHECK(textlrp::to_json(in_memory.explain(text, req)) ==
            textlrp::to_json(from_files.explain(text, req)));
    }
  }
  // The Hugging Face checks: a vocabulary of the wrong size, a tensor of the wrong shape, no [CLS].
  CHECK_THROWS_TYPE_WITH(textlrp::Model::from_memory(cfg, tensors, {kPieces.begin(), kPieces.end() - 1}),
                         textlrp::FormatError, Contains("vocabulary: 15 tokens"));
  auto bad = tensors;
  bad["classifier.weight"] = TensorData{{3, 8}, std::vector<float>(24, 0.1f)};
  CHECK_THROWS_TYPE_WITH(textlrp::Model::from_memory(cfg, bad, kPieces), textlrp::FormatError,
                         Contains("classifier.weight"));
  auto no_cls = kPieces;
  no_cls[2] = "[CLX]";
  CHECK_THROWS_TYPE_WITH(textlrp::Model::from_memory(cfg, tensors, no_cls), textlrp::FormatError,
                         Contains("[CLS]"));
}
