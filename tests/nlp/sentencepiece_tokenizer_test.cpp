// tests/nlp/sentencepiece_tokenizer_test.cpp — SentencePieceTokenizer: encodings against golden
// ids (../shared/data/spm, "[shared]"), span properties, thread safety, bad model files, the
// "spm" tokenizer config, and train_sentencepiece.
//
// Fixtures: tests/data/nlp/tiny_unigram_bytes.model (unigram, identity normalization, byte
// fallback) and tiny_bpe.model, made by tests/data/nlp/make_spm_fixtures.sh.
#include "nlp/sentencepiece_tokenizer.h"
#include "train/sentencepiece_train.h"

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "nlp/tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

namespace textlrp::nlp {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using test::fixture_path;
using test::shared_data_path;
using test::TempDir;
using train::SentencePieceTrainOptions;
using train::train_sentencepiece;

const char* const kSpace = "\xe2\x96\x81";  // "▁" U+2581

fs::path tiny_unigram() { return fixture_path("nlp/tiny_unigram_bytes.model"); }
fs::path tiny_bpe() { return fixture_path("nlp/tiny_bpe.model"); }

// The shared model file `name`, or an empty path (with a warning) when ../shared is absent.
fs::path shared_model(const char* name) {
  const fs::path dir = shared_data_path("spm");
  if (dir.empty() || !fs::exists(dir / name)) {
    WARN("../shared/data/spm/" << name << " not found: test skipped");
    return {};
  }
  return dir / name;
}

std::vector<std::string> texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) out.push_back(t.text);
  return out;
}

bool on_boundary(std::string_view text, std::uint32_t i) {
  return i == text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Bytes of white space SentencePiece may drop: ASCII white space, NBSP and the ideographic space
// (NFKC turns both into ' ', which the normalizer removes at the start and end of the text).
std::vector<bool> blank_bytes(std::string_view text) {
  std::vector<bool> blank(text.size(), false);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_ascii_space(text[i])) blank[i] = true;
    for (std::string_view space : {std::string_view("\xc2\xa0"), std::string_view("\xe3\x80\x80")}) {
      if (text.substr(i, space.size()) == space) {
        for (std::size_t k = 0; k < space.size(); ++k) blank[i + k] = true;
      }
    }
  }
  return blank;
}

// The span contract of sentencepiece_tokenizer.h: inside the text, on character boundaries, in
// text order without overlap, and every non-white-space byte covered by some piece.
void check_spans(std::string_view text, const std::vector<Token>& tokens) {
  std::uint32_t previous_end = 0;
  std::vector<bool> covered(text.size(), false);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    INFO("text '" << text << "' token " << i << " '" << t.text << "' [" << t.begin << ", " << t.end << ")");
    REQUIRE(t.begin <= t.end);
    REQUIRE(t.end <= text.size());
    REQUIRE(t.begin >= previous_end);
    CHECK(on_boundary(text, t.begin));
    CHECK(on_boundary(text, t.end));
    CHECK(is_valid_utf8(t.text));
    previous_end = t.end;
    for (std::uint32_t b = t.begin; b < t.end; ++b) covered[b] = true;
  }
  const std::vector<bool> blank = blank_bytes(text);
  for (std::size_t b = 0; b < text.size(); ++b) {
    INFO("text '" << text << "' byte " << b);
    if (!blank[b]) CHECK(covered[b]);
  }
}

// Builds a new string (an in-place std::string::replace loop trips GCC 12's -Wrestrict false
// positive at -O3).
std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  for (std::size_t at = 0;;) {
    const std::size_t next = s.find(from, at);
    out.append(s.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos) return out;
    out.append(to);
    at = next + from.size();
  }
}

std::string_view ltrim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  return s;
}

// For a model without normalization (identity): a non-empty piece spells its surface, up to the
// white space a leading "▁" stands for. Byte pieces are skipped (only the last one has a span).
void check_surfaces(std::string_view text, const SentencePieceTokenizer::Encoding& e,
                    const SentencePieceTokenizer& tokenizer) {
  for (std::size_t i = 0; i < e.tokens.size(); ++i) {
    const Token& t = e.tokens[i];
    if (t.begin == t.end || tokenizer.is_byte(e.ids[i])) continue;
    INFO("token " << i << " '" << t.text << "' [" << t.begin << ", " << t.end << ")");
    const std::string spelled = replace_all(t.text, kSpace, " ");
    CHECK(ltrim(spelled) == ltrim(text.substr(t.begin, t.end - t.begin)));
  }
}

const std::vector<std::string> kEnglish = {
    "The curious cat reads the old window.",
    "  leading, trailing and   multiple   spaces  ",
    "tabs\tand\nnewlines\r\nhere",
    "Caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xc3\x85ngstr\xc3\xb6m",  // accents
    "emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd end",            // 😀 👍🏽
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e and ASCII",                        // 日本語
    "x",
    " ",
    "",
};

}  // namespace

TEST_CASE("spm: torchtext example model matches the golden pieces and ids", "[nlp][spm][shared][slow]") {
  const fs::path path = shared_model("torchtext_spm_example.model");
  if (path.empty()) return;
  const SentencePieceTokenizer tokenizer(path);
  CHECK(tokenizer.piece_size() == 20000);
  const std::string text = "SentencePiece is an unsupervised text tokenizer and detokenizer";
  const auto e = tokenizer.encode(text);
  CHECK(texts(e.tokens) == std::vector<std::string>{"▁Sent", "ence",  "P",   "ie", "ce",    "▁is", "▁an",
                                                    "▁un",   "super", "vis", "ed", "▁text", "▁to", "ken",
                                                    "izer",  "▁and",  "▁de", "to", "ken",   "izer"});
  CHECK(e.ids == std::vector<int>{15340, 4286, 981, 1207, 1681,  17, 84,  684, 8896, 5366,
                                  144,   3689, 9,   5602, 12114, 6,  560, 649, 5602, 12114});
  CHECK(tokenizer.encode_ids(text) == e.ids);
  check_spans(text, e.tokens);
  // A piece's leading "▁" covers the space before it; the first one was inserted.
  CHECK(e.tokens[0] == Token{"▁Sent", 0, 4});
  CHECK(e.tokens[5] == Token{"▁is", 13, 16});
}

TEST_CASE("spm: botchan test model has the upstream piece table", "[nlp][spm][shared]") {
  const fs::path path = shared_model("test_model.model");
  if (path.empty()) return;
  const SentencePieceTokenizer tokenizer(path);
  CHECK(tokenizer.piece_size() == 1000);
  CHECK(tokenizer.unk_id() == 0);
  CHECK(tokenizer.id_to_piece(0) == "<unk>");
  CHECK(tokenizer.piece_to_id("<unk>") == 0);
  CHECK(tokenizer.piece_to_id("<s>") == 1);
  CHECK(tokenizer.piece_to_id("</s>") == 2);
  CHECK(tokenizer.is_control(1));
  CHECK_FALSE(tokenizer.is_control(5));
  CHECK_FALSE(tokenizer.piece_to_id("no such piece").has_value());
  CHECK(tokenizer.pieces().size() == 1000);
  for (const auto& text : kEnglish) {
    const auto e = tokenizer.encode(text);
    check_spans(text, e.tokens);
    CHECK(tokenizer.encode_ids(text) == e.ids);
    for (const int id : e.ids) CHECK_FALSE(tokenizer.is_control(id));
  }
  // Unknown characters become <unk> (id 0) with their surface as the token text.
  const std::string text = " x \xf0\x9f\x98\x80 y";
  const auto e = tokenizer.encode(text);
  check_spans(text, e.tokens);
  bool found = false;
  for (std::size_t i = 0; i < e.tokens.size(); ++i) {
    if (e.ids[i] == 0) {
      found = true;
      CHECK(e.tokens[i] == Token{"\xf0\x9f\x98\x80", 3, 7});
    }
  }
  CHECK(found);
}

TEST_CASE("spm: T5 vocabulary encodes 'Hello world' as the known ids", "[nlp][spm][shared][slow]") {
  const fs::path path = shared_model("torchtext_t5_tokenizer_base.model");
  if (path.empty()) return;
  const SentencePieceTokenizer tokenizer(path);
  CHECK(tokenizer.piece_size() == 32000);
  CHECK(tokenizer.unk_id() == 2);
  CHECK(tokenizer.piece_to_id("<pad>") == 0);
  CHECK(tokenizer.piece_to_id("</s>") == 1);
  const auto e = tokenizer.encode("Hello world");
  CHECK(e.ids == std::vector<int>{8774, 296});
  CHECK(e.tokens == std::vector<Token>{{"▁Hello", 0, 5}, {"▁world", 5, 11}});
  for (const auto& text : kEnglish) check_spans(text, tokenizer.tokenize(text));
}

TEST_CASE("spm: Japanese model spans reassemble the text", "[nlp][spm][shared]") {
  const fs::path path = shared_model("test_ja_model.model");
  if (path.empty()) return;
  const SentencePieceTokenizer tokenizer(path);
  CHECK(tokenizer.piece_size() == 8000);
  CHECK(tokenizer.piece_to_id("<unk>") == 0);
  CHECK(tokenizer.piece_to_id("<s>") == 1);
  CHECK(tokenizer.piece_to_id("</s>") == 2);
  // The upstream round-trip sentence: without spaces, the spans of the pieces tile the text.
  const std::string text = "清水寺は京都にある。";
  const auto tokens = tokenizer.tokenize(text);
  check_spans(text, tokens);
  std::string joined;
  for (const Token& t : tokens) joined += text.substr(t.begin, t.end - t.begin);
  CHECK(joined == text);
  CHECK(tokens.size() > 2);
  for (const std::string mixed :
       {"日本語のテキスト です。 Hello", "　全角スペース　と ｶﾀｶﾅ ① 😀", "東京\n大阪\t京都"}) {
    check_spans(mixed, tokenizer.tokenize(mixed));
  }
  for (const auto& t : kEnglish) check_spans(t, tokenizer.tokenize(t));
}

TEST_CASE("spm: fixture spans on English, spaces, accents, emoji and CJK", "[nlp][spm]") {
  for (const fs::path& path : {tiny_unigram(), tiny_bpe()}) {
    INFO(path.filename().string());
    const SentencePieceTokenizer tokenizer(path);
    for (const auto& text : kEnglish) {
      const auto e = tokenizer.encode(text);
      check_spans(text, e.tokens);
      check_surfaces(text, e, tokenizer);
      CHECK(tokenizer.tokenize(text) == e.tokens);
      CHECK(tokenizer.encode_ids(text) == e.ids);
      REQUIRE(e.ids.size() == e.tokens.size());
      for (std::size_t i = 0; i < e.ids.size(); ++i) {
        REQUIRE(e.ids[i] >= 0);
        REQUIRE(static_cast<std::size_t>(e.ids[i]) < tokenizer.piece_size());
        // Known pieces carry their own string; unknown ones their surface.
        if (e.ids[i] != tokenizer.unk_id()) {
          CHECK(tokenizer.id_to_piece(e.ids[i]) == e.tokens[i].text);
        }
      }
    }
    CHECK(tokenizer.tokenize("").empty());
    CHECK(tokenizer.tokenize("    ").empty());
    // Without NFKC, only ' ' is white space to SentencePiece: a tab is a piece (here unknown).
    const auto tab = tokenizer.encode(" \t ");
    REQUIRE(tab.ids.size() == 2);
    CHECK(tab.tokens[0] == Token{"▁", 1, 1});
    if (tokenizer.is_byte(tab.ids[1])) {  // byte fallback
      CHECK(tab.tokens[1] == Token{"<0x09>", 1, 2});
    } else {
      CHECK(tab.tokens[1] == Token{"\t", 1, 2});
      CHECK(tab.ids[1] == tokenizer.unk_id());
    }
  }
}

TEST_CASE("spm: exact spans for spaces and byte fallback", "[nlp][spm]") {
  const SentencePieceTokenizer tokenizer(tiny_unigram());
  SECTION("a piece's leading '▁' covers all the white space before it; outer spaces are dropped") {
    const std::string text = "  two  spaces ";
    const auto tokens = tokenizer.tokenize(text);
    REQUIRE(!tokens.empty());
    CHECK(tokens.front() == Token{"▁", 2, 2});  // inserted by the normalizer
    CHECK(tokens.back().end == 13);             // the trailing space belongs to no piece
    bool found = false;
    for (const Token& t : tokens) {
      if (t.begin == 5) {
        found = true;
        CHECK(t.text.rfind(kSpace, 0) == 0);
        CHECK(text.substr(t.begin, 2) == "  ");
      }
    }
    CHECK(found);
  }
  SECTION("byte pieces of one character: the last covers it, the others are empty before it") {
    const std::string text =
        "a\xf0\x9f\x98\x80"
        "b";  // a😀b
    const auto e = tokenizer.encode(text);
    std::vector<std::size_t> bytes;
    for (std::size_t i = 0; i < e.ids.size(); ++i) {
      if (tokenizer.is_byte(e.ids[i])) bytes.push_back(i);
    }
    REQUIRE(bytes.size() == 4);
    CHECK(texts({e.tokens[bytes[0]], e.tokens[bytes[1]], e.tokens[bytes[2]], e.tokens[bytes[3]]}) ==
          std::vector<std::string>{"<0xF0>", "<0x9F>", "<0x98>", "<0x80>"});
    for (int k = 0; k < 3; ++k) {
      CHECK(e.tokens[bytes[k]].begin == 1);
      CHECK(e.tokens[bytes[k]].end == 1);
    }
    CHECK(e.tokens[bytes[3]].begin == 1);
    CHECK(e.tokens[bytes[3]].end == 5);
  }
}

TEST_CASE("spm: invalid UTF-8 is an InvalidArgument naming the byte", "[nlp][spm]") {
  const SentencePieceTokenizer tokenizer(tiny_bpe());
  CHECK_THROWS_AS(tokenizer.tokenize("ok \xff"), InvalidArgument);
  CHECK_THROWS_WITH(tokenizer.encode_ids("caf\xe9"), Contains("byte 3"));
}

TEST_CASE("spm: concurrent encoding on one tokenizer gives the serial results", "[nlp][spm]") {
  const SentencePieceTokenizer tokenizer(tiny_unigram());
  std::vector<SentencePieceTokenizer::Encoding> expected;
  for (const auto& text : kEnglish) expected.push_back(tokenizer.encode(text));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        for (std::size_t i = 0; i < kEnglish.size(); ++i) {
          const auto e = tokenizer.encode(kEnglish[i]);
          if (e.tokens != expected[i].tokens || e.ids != expected[i].ids) ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
}

TEST_CASE("spm: bad model files are IoError / FormatError naming the file", "[nlp][spm]") {
  const TempDir dir;
  SECTION("missing") {
    CHECK_THROWS_AS(SentencePieceTokenizer(dir / "missing.model"), IoError);
    CHECK_THROWS_WITH(SentencePieceTokenizer(dir / "missing.model"), Contains("missing.model"));
  }
  SECTION("a directory") { CHECK_THROWS_AS(SentencePieceTokenizer(dir.path()), IoError); }
  SECTION("empty") {
    test::write_bytes(dir / "empty.model", "");
    CHECK_THROWS_AS(SentencePieceTokenizer(dir / "empty.model"), FormatError);
    CHECK_THROWS_WITH(SentencePieceTokenizer(dir / "empty.model"),
                      Contains("empty.model") && Contains("empty"));
  }
  SECTION("text") {
    test::write_bytes(dir / "vocab.model", "<unk>\n<s>\n</s>\nhello\n");
    CHECK_THROWS_AS(SentencePieceTokenizer(dir / "vocab.model"), FormatError);
    CHECK_THROWS_WITH(SentencePieceTokenizer(dir / "vocab.model"),
                      Contains("vocab.model") && Contains("not a valid SentencePiece model"));
  }
  SECTION("truncated") {
    const std::string bytes = read_file(tiny_unigram());
    test::write_bytes(dir / "cut.model", bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_AS(SentencePieceTokenizer(dir / "cut.model"), FormatError);
    CHECK_THROWS_WITH(SentencePieceTokenizer(dir / "cut.model"), Contains("cut.model"));
  }
  SECTION("parses as a protobuf but holds no model") {
    CHECK_THROWS_AS(SentencePieceTokenizer::from_serialized("\x08\x01", "weird"), FormatError);
    CHECK_THROWS_WITH(SentencePieceTokenizer::from_serialized("\x08\x01", "weird"), Contains("weird"));
  }
}

TEST_CASE("spm: config, save and make_tokenizer round trip", "[nlp][spm][tokenizer]") {
  const SentencePieceTokenizer tokenizer(tiny_bpe());
  CHECK(tokenizer.config() == nlohmann::json{{"kind", "spm"}, {"model", "tokenizer.model"}});
  const TempDir dir;
  tokenizer.save(dir.path());
  REQUIRE(fs::exists(dir / "tokenizer.model"));
  const auto rebuilt = make_tokenizer(tokenizer.config(), dir.path());
  CHECK(rebuilt->config() == tokenizer.config());
  for (const auto& text : kEnglish) CHECK(rebuilt->tokenize(text) == tokenizer.tokenize(text));
  CHECK(dynamic_cast<const SentencePieceTokenizer*>(rebuilt.get()) != nullptr);

  // The same from bytes, and under another file name.
  const auto from_bytes = SentencePieceTokenizer::from_serialized(read_file(tiny_bpe()), "mem", "sub.model");
  CHECK(from_bytes->serialized_model() == tokenizer.serialized_model());
  from_bytes->save(dir.path());
  const auto renamed = make_tokenizer({{"kind", "spm"}, {"model", "sub.model"}}, dir.path());
  CHECK(renamed->config() == nlohmann::json{{"kind", "spm"}, {"model", "sub.model"}});
  CHECK(renamed->tokenize("the cat") == tokenizer.tokenize("the cat"));

  // "model" defaults to tokenizer.model; icu-word still works with or without a directory.
  CHECK(make_tokenizer({{"kind", "spm"}}, dir.path())->config() == tokenizer.config());
  CHECK(make_tokenizer({{"kind", "icu-word"}}, dir.path())->config() == IcuWordTokenizer().config());
}

TEST_CASE("spm: bad spm configs", "[nlp][spm][tokenizer]") {
  const TempDir dir;
  CHECK_THROWS_AS(make_tokenizer({{"kind", "spm"}, {"model", "x.model"}}), FormatError);
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "spm"}, {"model", "x.model"}}), Contains("model directory"));
  CHECK_THROWS_AS(make_tokenizer({{"kind", "spm"}, {"model", "absent.model"}}, dir.path()), IoError);
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "spm"}, {"model", "absent.model"}}, dir.path()),
                    Contains("absent.model"));
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "spm"}, {"model", 3}}, dir.path()), Contains("'model'"));
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "spm"}, {"lowercase", true}}, dir.path()),
                    Contains("'lowercase'") && Contains("valid keys: kind, model"));
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "bert"}}, dir.path()), Contains("valid kinds: icu-word, spm"));
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "spm"}, {"model", "../tokenizer.model"}}, dir.path()),
                    Contains("inside the model directory"));
  CHECK_THROWS_AS(make_tokenizer({{"kind", "spm"}, {"model", ".."}}, dir.path()), FormatError);
  test::write_bytes(dir / "tokenizer.model", "garbage");
  CHECK_THROWS_AS(make_tokenizer({{"kind", "spm"}}, dir.path()), FormatError);
}

namespace {

// A small generated corpus: enough text for a vocabulary of a few dozen pieces.
std::vector<std::string> toy_sentences(std::size_t n) {
  const char* det[] = {"the", "a", "every", "our", "no"};
  const char* noun[] = {"cat", "dog", "teacher", "river", "garden", "window", "café"};
  const char* verb[] = {"watches", "reads", "finds", "follows", "paints"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::string(det[i % 5]) + " " + noun[(i * 3) % 7] + " " + verb[(i * 7) % 5] + " " +
                  det[(i * 11) % 5] + " " + noun[(i * 13 + 2) % 7] + ".");
  }
  return out;
}

std::function<bool(std::string&)> feed(const std::vector<std::string>& sentences) {
  auto i = std::make_shared<std::size_t>(0);
  return [&sentences, i](std::string& s) {
    if (*i >= sentences.size()) return false;
    s = sentences[(*i)++];
    return true;
  };
}

struct CorpusBroken : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

TEST_CASE("spm: train_sentencepiece trains loadable, deterministic models", "[nlp][spm][train]") {
  const auto sentences = toy_sentences(300);
  SentencePieceTrainOptions options;
  options.vocab_size = 40;
  options.character_coverage = 1.0;
  options.normalization = "identity";
  for (const std::string type : {"unigram", "bpe"}) {
    INFO(type);
    options.model_type = type;
    const std::string model = train_sentencepiece(feed(sentences), options);
    const auto tokenizer = SentencePieceTokenizer::from_serialized(model, "trained");
    CHECK(tokenizer->piece_size() == 40);
    CHECK(tokenizer->piece_to_id("<unk>") == 0);
    for (const auto& s : {sentences[0], sentences[7], std::string("the café paints")}) {
      const auto e = tokenizer->encode(s);
      check_spans(s, e.tokens);
      check_surfaces(s, e, *tokenizer);
      for (const int id : e.ids) CHECK(id != tokenizer->unk_id());  // every character was seen
    }
    CHECK(train_sentencepiece(feed(sentences), options) == model);  // one thread: deterministic
  }
}

TEST_CASE("spm: train_sentencepiece errors", "[nlp][spm][train]") {
  const auto sentences = toy_sentences(300);
  SentencePieceTrainOptions options;
  options.vocab_size = 40;
  options.character_coverage = 1.0;
  options.normalization = "identity";
  SECTION("bad options") {
    auto bad = options;
    bad.model_type = "word";
    CHECK_THROWS_WITH(train_sentencepiece(feed(sentences), bad), Contains("unigram, bpe"));
    bad = options;
    bad.vocab_size = 2;
    CHECK_THROWS_AS(train_sentencepiece(feed(sentences), bad), InvalidArgument);
    bad = options;
    bad.character_coverage = 1.5;
    CHECK_THROWS_AS(train_sentencepiece(feed(sentences), bad), InvalidArgument);
    bad = options;
    bad.normalization = "nfd";
    CHECK_THROWS_WITH(train_sentencepiece(feed(sentences), bad), Contains("identity"));
    bad = options;
    bad.threads = 0;
    CHECK_THROWS_AS(train_sentencepiece(feed(sentences), bad), InvalidArgument);
  }
  SECTION("a vocabulary the corpus cannot fill") {
    auto big = options;
    big.vocab_size = 5000;
    CHECK_THROWS_AS(train_sentencepiece(feed(sentences), big), InvalidArgument);
    CHECK_THROWS_WITH(train_sentencepiece(feed(sentences), big), Contains("Vocabulary size"));
  }
  SECTION("an empty corpus") {
    const std::vector<std::string> none;
    CHECK_THROWS_AS(train_sentencepiece(feed(none), options), Error);
  }
  SECTION("an exception from the corpus is rethrown unchanged") {
    std::size_t n = 0;
    auto failing = [&](std::string& s) -> bool {
      if (++n > 50) throw CorpusBroken("disk on fire");
      s = sentences[n];
      return true;
    };
    CHECK_THROWS_AS(train_sentencepiece(failing, options), CorpusBroken);
  }
}

TEST_CASE("spm: vocabulary() is the piece table, ids = piece ids", "[nlp][spm][vocabulary]") {
  for (const fs::path& path : {tiny_unigram(), tiny_bpe()}) {
    const SentencePieceTokenizer tokenizer(path);
    const Vocabulary vocab = tokenizer.vocabulary();
    REQUIRE(vocab.size() == tokenizer.piece_size());
    CHECK(vocab.unk_id() == tokenizer.unk_id());
    for (std::size_t id = 0; id < vocab.size(); ++id) {
      CHECK(vocab.token(static_cast<TokenId>(id)) == tokenizer.id_to_piece(static_cast<int>(id)));
    }
    // Looking the pieces of an encoding up gives SentencePiece's ids.
    for (const auto& text : kEnglish) {
      const auto e = tokenizer.encode(text);
      for (std::size_t i = 0; i < e.ids.size(); ++i) CHECK(vocab.id(e.tokens[i].text) == e.ids[i]);
    }
  }
}

TEST_CASE("spm: T5's vocabulary keeps <unk> at id 2", "[nlp][spm][vocabulary][shared][slow]") {
  const fs::path path = shared_model("torchtext_t5_tokenizer_base.model");
  if (path.empty()) return;
  const SentencePieceTokenizer tokenizer(path);
  const Vocabulary vocab = tokenizer.vocabulary();
  CHECK(vocab.size() == 32000);
  CHECK(vocab.unk_id() == 2);
  CHECK(vocab.token(2) == "<unk>");
  CHECK(vocab.token(0) == "<pad>");
  CHECK(vocab.id("\xe2\x96\x81Hello") == 8774);
  CHECK(vocab.id("\xe2\x96\x81world") == 296);
  CHECK(vocab.id("no such piece") == 2);
  // An emoji is not in T5's vocabulary: SentencePiece gives the unknown id, its surface as text.
  const auto e = tokenizer.encode("Hello \xf0\x9f\x98\x80 world");
  bool found = false;
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    if (e.ids[i] == 2) {
      found = true;
      CHECK(vocab.id(e.tokens[i].text) == 2);
      CHECK(e.tokens[i].text != "<unk>");
    }
  }
  CHECK(found);
}

TEST_CASE("spm: the other golden encodings in SOURCE.md", "[nlp][spm][shared]") {
  // test_model.model: 1000 pieces, <unk> 0, <s> 1, </s> 2, no <pad>.
  const fs::path path = shared_model("test_model.model");
  if (path.empty()) return;
  const SentencePieceTokenizer tokenizer(path);
  const Vocabulary vocab = tokenizer.vocabulary();
  CHECK(vocab.size() == 1000);
  CHECK(vocab.unk_id() == 0);
  CHECK(tokenizer.is_control(1));
  CHECK(tokenizer.is_control(2));
  CHECK(!tokenizer.piece_to_id("<pad>"));
}

}  // namespace textlrp::nlp
