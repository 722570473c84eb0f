// tests/install/consumer/consumer.cpp — uses the installed textlrp libraries through the installed
// headers (<textlrp/...>): prints the version, tokenizes a text with the ICU word tokenizer (spans
// into the text) and lists the tensors of a safetensors file.
//   consumer TEXT [FILE.safetensors]
#include <textlrp/core/error.h>
#include <textlrp/core/safetensors.h>
#include <textlrp/nlp/tokenizer.h>
#include <textlrp/version.h>

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: consumer TEXT [FILE.safetensors]\n");
    return 2;
  }
  try {
    std::printf("version %s (%d.%d.%d)\n", textlrp::kVersion, TEXTLRP_VERSION_MAJOR, TEXTLRP_VERSION_MINOR,
                TEXTLRP_VERSION_PATCH);
    const std::string text = argv[1];
    const textlrp::nlp::IcuWordTokenizer tokenizer;
    for (const auto& t : tokenizer.tokenize(text)) {
      std::printf("token %s %u %u %s\n", t.text.c_str(), t.begin, t.end,
                  text.substr(t.begin, t.end - t.begin).c_str());
    }
    if (argc > 2) {
      const auto store = textlrp::TensorStore::load(argv[2]);
      for (const auto& name : store.names()) {
        std::printf("tensor %s %s\n", name.c_str(), textlrp::shape_string(store.info(name).shape).c_str());
      }
    }
  } catch (const textlrp::Error& e) {
    std::fprintf(stderr, "consumer: textlrp error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
