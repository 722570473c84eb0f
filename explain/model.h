// explain/model.h — the model directory of lrp/model_dir.h (format, self-tests and atomic save live
// there) as the pipeline, the importers and the tool name it: Model, load_model, save_model.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lrp/model_dir.h"
#include "nlp/text_encoder.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::explain {

using lrp::kFormatVersion;
using Model = lrp::ModelDir;

// lrp::load_model_dir.
inline Model load_model(const std::filesystem::path& dir, bool verify = true) {
  return lrp::load_model_dir(dir, verify);
}

// lrp::save_model_dir with the encoder made of `tokenizer` and `vocab` (for a SentencePieceTokenizer,
// `vocab` must be its vocabulary(): InvalidArgument otherwise).
void save_model(const std::filesystem::path& dir, nlohmann::json config, const nlp::Tokenizer& tokenizer,
                const nlp::Vocabulary& vocab, const lrp::Classifier& classifier,
                const std::vector<std::string>& self_test_texts);

}  // namespace textlrp::explain
