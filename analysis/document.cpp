#include "analysis/document.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::analysis {

Encoded encode(const Model& model, const corpora::Example& example) {
  Encoded e;
  if (example.tokens && !model.subword()) {
    e.spans = false;
    e.ids = model.encoder.encode_words(*example.tokens, &e.tokens);
  } else {
    // A subword model splits pre-tokenized input like any text: its words joined by spaces
    // (example.text), so the pieces keep spans into that text.
    e.ids = model.encoder.encode(example.text, &e.tokens);
  }
  return e;
}

int label_of(const Model& model, const corpora::Example& doc, bool required) {
  if (!doc.label) {
    if (required)
      throw FormatError(
          fmt::format("document '{}' has no label; this analysis needs labelled documents", doc.id));
    return -1;
  }
  const int idx = model.label_index(*doc.label);
  if (idx < 0 && required) {
    throw FormatError(
        fmt::format("document '{}': label '{}' is not one of the model's labels", doc.id, *doc.label));
  }
  return idx;
}

std::vector<std::size_t> visible_positions(const Model& model, std::span<const TokenId> ids) {
  std::size_t limit = ids.size();
  const lrp::TokenDeletion deletion = model.classifier->token_deletion();
  if (deletion.within_max_tokens && model.classifier->max_tokens() > 0) {
    limit = std::min(limit, static_cast<std::size_t>(model.classifier->max_tokens()));
  }
  const Index n_vocab = model.classifier->n_vocab();
  std::vector<std::size_t> out;
  out.reserve(limit);
  for (std::size_t t = 0; t < limit; ++t) {
    const TokenId id = ids[t];
    if (id < 0 || id >= n_vocab) continue;
    if (id == deletion.ignored_id) continue;  // the model ignores it anyway
    out.push_back(t);
  }
  return out;
}

MethodPlan plan_method(const Model& model, lrp::Method method, const lrp::ExplainOptions& base) {
  MethodPlan plan;
  plan.method = method;
  lrp::ExplainOptions o = base;
  o.method = method;
  o.target = 0;
  if (method == lrp::Method::kOcclusion && !model.classifier->supports(method)) {
    plan.generic_occlusion = true;  // s(x) − s(x without the token), with scores() alone
    return plan;
  }
  // Fails here, before any document, when the method or an option does not apply to the model
  // (InvalidArgument naming it).
  const std::vector<TokenId> probe = {model.classifier->n_vocab() > 1 ? 1 : 0};
  (void)model.classifier->explain(probe, o);
  return plan;
}

std::vector<double> token_relevance(const Model& model, std::span<const TokenId> ids, const MethodPlan& plan,
                                    int target, const lrp::ExplainOptions& base) {
  if (!plan.generic_occlusion) {
    lrp::ExplainOptions o = base;
    o.method = plan.method;
    o.target = target;
    return model.classifier->explain(ids, o).relevance;
  }
  const Vec s = model.classifier->scores(ids);
  const int c = target >= 0 ? target : lrp::argmax(s);
  std::vector<double> r(ids.size(), 0.0);
  std::vector<TokenId> work(ids.begin(), ids.end());
  const bool drop = deletes_words(model);  // it reads pieces only: the piece leaves the sequence
  for (std::size_t t : visible_positions(model, ids)) {
    if (drop) {
      work.erase(work.begin() + static_cast<std::ptrdiff_t>(t));
    } else {
      work[t] = -1;
    }
    r[t] = static_cast<double>(s[c]) - static_cast<double>(model.classifier->scores(work)[c]);
    if (drop) {
      work.insert(work.begin() + static_cast<std::ptrdiff_t>(t), ids[t]);
    } else {
      work[t] = ids[t];
    }
  }
  return r;
}

std::vector<std::vector<double>> token_relevances(const Model& model, std::span<const TokenId> ids,
                                                  std::span<const MethodPlan> plans, int target,
                                                  const lrp::ExplainOptions& base, Vec* scores) {
  std::vector<lrp::ExplainOptions> asked;
  for (const MethodPlan& plan : plans) {
    if (plan.generic_occlusion) continue;
    lrp::ExplainOptions& o = asked.emplace_back(base);
    o.method = plan.method;
    o.target = target;
  }
  std::vector<lrp::Explanation> explained = model.classifier->explain_methods(ids, asked, scores);
  std::vector<std::vector<double>> out;
  out.reserve(plans.size());
  std::size_t next = 0;  // in `explained`
  for (const MethodPlan& plan : plans) {
    out.push_back(plan.generic_occlusion ? token_relevance(model, ids, plan, target, base)
                                         : std::move(explained[next++].relevance));
  }
  return out;
}

bool deletes_words(const Model& model) { return model.classifier->token_deletion().words; }

std::string deletion_meaning(const Model& model) { return model.classifier->token_deletion().meaning; }

std::string rule_name(const Model& model, const lrp::ExplainOptions& options) {
  // A model whose rules are not a role map (the transformer: attnlrp | cp-lrp, set_rule()).
  if (!model.classifier->default_rules().rules().empty()) return options.rules.to_string();
  return options.transformer_rule.empty() ? "attnlrp" : options.transformer_rule;
}

std::vector<PieceWord> piece_words(const Model& model, const Encoded& enc) {
  std::vector<PieceWord> out;
  if (!deletes_words(model) || !enc.spans) return out;
  nlp::WordPieceEncoding pieces;
  pieces.pieces.reserve(enc.tokens.size());
  for (const auto& t : enc.tokens) pieces.pieces.push_back({t.text, 0, t.begin, t.end, false});
  for (auto& w : nlp::merge_word_pieces(pieces)) {
    bool unk = false;
    for (std::size_t p = w.first; p < w.last; ++p)
      unk = unk || model.encoder.is_oov(enc.ids[p], enc.tokens[p].text);
    out.push_back({w.first, w.last, std::move(w.text), unk});
  }
  return out;
}

std::uint64_t stable_hash(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

DocWords document_words(const Model& model, const corpora::Example& doc, const MethodPlan& plan,
                        const lrp::ExplainOptions& explain) {
  const Encoded enc = encode(model, doc);
  DocWords out;
  out.cls = label_of(model, doc, false);
  if (out.cls < 0) out.cls = lrp::argmax(model.classifier->scores(enc.ids));
  const std::vector<double> r = token_relevance(model, enc.ids, plan, out.cls, explain);
  const TokenId unk = model.vocab().unk_id();
  std::vector<std::string> words;
  std::vector<double> rel;
  if (deletes_words(model) && enc.spans) {
    // Words, not pieces: a piece with its "##" pieces, as the tokenizer normalised them ("tepid").
    const std::vector<std::size_t> visible = visible_positions(model, enc.ids);
    const std::size_t limit = visible.empty() ? 0 : visible.back() + 1;
    for (const PieceWord& w : piece_words(model, enc)) {
      if (w.last > limit) break;
      if (w.oov) continue;
      double sum = 0;
      for (std::size_t p = w.first; p < w.last; ++p) sum += r[p];
      words.push_back(w.text);
      rel.push_back(sum);
    }
    out.words = aggregate_document(words, rel);
    return out;
  }
  for (std::size_t t : visible_positions(model, enc.ids)) {
    if (enc.ids[t] == unk) continue;
    words.push_back(enc.tokens[t].text);
    rel.push_back(r[t]);
  }
  out.words = aggregate_document(words, rel);
  return out;
}

}  // namespace textlrp::analysis
