#include "explain/model.h"

#include <memory>

namespace textlrp::explain {

void save_model(const std::filesystem::path& dir, nlohmann::json config, const nlp::Tokenizer& tokenizer,
                const nlp::Vocabulary& vocab, const lrp::Classifier& classifier,
                const std::vector<std::string>& self_test_texts) {
  // The caller owns the tokenizer: the encoder only borrows it for the save.
  const std::shared_ptr<const nlp::Tokenizer> borrowed(std::shared_ptr<const nlp::Tokenizer>(), &tokenizer);
  lrp::save_model_dir(dir, std::move(config), nlp::TextEncoder(borrowed, vocab), classifier, self_test_texts);
}

}  // namespace textlrp::explain
