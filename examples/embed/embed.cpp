// examples/embed/embed.cpp — open a textlrp model, explain a text, print its five most relevant
// words (for the predicted class) with their relevance, one "word<TAB>relevance" a line.
//   embed MODEL_DIR TEXT
#include <textlrp/textlrp.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: embed MODEL_DIR TEXT\n");
    return 2;
  }
  try {
    const textlrp::Model model = textlrp::Model::open(argv[1]);
    const textlrp::Explanation e = model.explain(argv[2]);  // LRP, the model's default rule, predicted class
    // Words: a subword model's words (its pieces summed), else its tokens (which are words).
    std::vector<std::pair<std::string, double>> words;
    if (e.words) {
      for (const auto& w : *e.words) words.emplace_back(w.text, w.relevance);
    } else {
      for (const auto& t : e.tokens) words.emplace_back(t.text, t.relevance);
    }
    std::stable_sort(words.begin(), words.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::printf("prediction\t%s\n", e.prediction.c_str());
    for (std::size_t i = 0; i < words.size() && i < 5; ++i) {
      std::printf("%s\t%.9g\n", words[i].first.c_str(), words[i].second);
    }
  } catch (const textlrp::Error& e) {
    std::fprintf(stderr, "embed: %s\n", e.what());
    return 1;
  }
  return 0;
}
