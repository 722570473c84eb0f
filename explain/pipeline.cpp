#include "explain/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <optional>

#include "core/error.h"
#include "core/ordered_stream.h"
#include "core/thread_pool.h"
#include "core/utf8.h"
#include "lrp/models/cnn_classifier.h"

namespace textlrp::explain {

using corpora::InputOptions;

namespace {

std::string strip_text(const std::vector<std::string>& strip) {
  std::string s;
  for (const auto& p : strip) {
    if (p != "none") s += (s.empty() ? "" : ",") + p;
  }
  return s.empty() ? "none" : s;
}

// The set of parts, order-independent ("headers,quotes" == "quotes,headers").
std::vector<std::string> strip_set(const std::vector<std::string>& strip) {
  std::vector<std::string> out;
  for (const char* p : {"headers", "footers", "quotes"}) {
    if (std::find(strip.begin(), strip.end(), p) != strip.end()) out.emplace_back(p);
  }
  return out;
}

}  // namespace

InputOptions input_for_models(const InputOptions& given, const std::vector<const Model*>& models,
                              const std::function<void(std::string_view)>& warn) {
  InputOptions in = given;
  if (models.empty()) return in;
  const Model& first = *models.front();
  for (const Model* m : models) {
    if (strip_set(m->strip) != strip_set(first.strip)) {
      if (warn) {
        warn(fmt::format(
            "models {} and {} were trained with different --strip ({} and {}); reading the documents "
            "with {}",
            first.name, m->name, strip_text(first.strip), strip_text(m->strip),
            given.strip.empty() ? strip_text(first.strip) : strip_text(given.strip)));
      }
      break;
    }
  }
  if (given.strip.empty()) {
    in.strip = first.strip;
    // Only worth saying where --strip does something: folder and spamassassin corpora (or a bare path).
    const auto colon = given.corpus.find(':');
    const std::string prefix = colon == std::string::npos ? std::string() : given.corpus.substr(0, colon);
    const bool line_format =
        prefix == "jsonl" || prefix == "tsv" || prefix == "sst" || prefix == "sst-binary" || prefix == "text";
    if (!first.strip.empty() && !given.corpus.empty() && !line_format && warn) {
      warn(fmt::format(
          "reading the documents with --strip {}, as model {} was trained (--strip none reads them as "
          "they are)",
          strip_text(first.strip), first.name));
    }
  } else if (strip_set(given.strip) != strip_set(first.strip) && warn) {
    warn(fmt::format(
        "--strip {} differs from the --strip {} model {} was trained with; using --strip {} as given",
        strip_text(given.strip), strip_text(first.strip), first.name, strip_text(given.strip)));
  }
  for (const Model* m : models) {
    for (std::size_t c = 0; c < m->corpus_labels.size() && c < m->labels().size(); ++c) {
      in.relabel.emplace_back(m->corpus_labels[c], m->labels()[c]);
    }
    if (!m->corpus_labels.empty()) break;  // the first model that names its labels decides
  }
  return in;
}

InputOptions input_for_model(const InputOptions& given, const Model& model,
                             const std::function<void(std::string_view)>& warn) {
  return input_for_models(given, {&model}, warn);
}

InputOptions input_for_models(const InputOptions& given, const std::vector<Model>& models,
                              const std::function<void(std::string_view)>& warn) {
  std::vector<const Model*> ptrs;
  for (const auto& m : models) ptrs.push_back(&m);
  return input_for_models(given, ptrs, warn);
}

TargetSpec TargetSpec::parse(const std::string& text, const Model& model) {
  TargetSpec t;
  if (text == "predicted" || text == "pred") return t;
  if (text == "true") {
    t.kind = TargetKind::kTrue;
    return t;
  }
  const int idx = model.label_index(text);
  if (idx < 0) {
    std::string labels;
    for (const auto& l : model.labels()) labels += (labels.empty() ? "" : ", ") + l;
    throw InvalidArgument(
        fmt::format("--target '{}': expected predicted, true or one of the labels: {}", text, labels));
  }
  t.kind = TargetKind::kLabel;
  t.label = idx;
  return t;
}

namespace {

// Documents that give the model nothing to read: counted across threads, summed up once per run by
// take_input_warnings() (the count and the first few ids; the tool's Progress::finish prints them),
// so a big corpus does not flood stderr.
class EmptyInputCounter {
 public:
  void note(const Model& model, const corpora::Example& example, const Encoded& enc) {
    const bool empty = enc.ids.empty();
    bool all_oov = !empty;
    for (std::size_t t = 0; all_oov && t < enc.ids.size(); ++t) {
      all_oov = model.encoder.is_oov(enc.ids[t], enc.tokens[t].text);
    }
    if (!empty && !all_oov) return;
    std::lock_guard<std::mutex> lock(mutex_);
    Kind& k = empty ? empty_ : all_oov_;
    // The first kShown in input order (source line, then id), whichever thread finishes first.
    const std::pair<std::size_t, std::string> key{example.line, example.id};
    k.ids.insert(std::upper_bound(k.ids.begin(), k.ids.end(), key), key);
    if (k.ids.size() > kShown) k.ids.pop_back();
    ++k.count;
  }
  // The warning lines (without the "textlrp: " prefix), and a reset.
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    auto line = [&](Kind& k, std::string_view what) {
      if (k.count == 0) return;
      std::string ids;
      for (const auto& [line, id] : k.ids) ids += (ids.empty() ? "" : ", ") + visible(id, 40);
      out.push_back(fmt::format("warning: {} document{} {} ({}{}{})", k.count, k.count == 1 ? "" : "s", what,
                                k.count == 1 ? "id " : "ids ", ids, k.count > k.ids.size() ? ", ..." : ""));
      k = Kind{};
    };
    line(empty_, "had no tokens (empty or blank text): their scores are the classifier's bias alone");
    line(all_oov_, "had only out-of-vocabulary tokens: the model saw nothing it knows");
    return out;
  }

 private:
  static constexpr std::size_t kShown = 5;
  struct Kind {
    std::size_t count = 0;
    std::vector<std::pair<std::size_t, std::string>> ids;  // (line, id), sorted, at most kShown
  };
  std::mutex mutex_;
  Kind empty_, all_oov_;
};

EmptyInputCounter& empty_input_counter() {
  static EmptyInputCounter counter;
  return counter;
}

}  // namespace

std::vector<std::string> take_input_warnings() { return empty_input_counter().take(); }

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

namespace {

// The options with the document's target: `options` itself for the predicted class, else a copy
// in `storage` (so that the usual case copies no rule map per document).
const lrp::ExplainOptions& options_for(const Model& model, const corpora::Example& example,
                                       const lrp::ExplainOptions& options, const TargetSpec& target,
                                       std::optional<lrp::ExplainOptions>& storage) {
  if (target.kind == TargetKind::kPredicted) return options;
  lrp::ExplainOptions& opt = storage.emplace(options);
  if (target.kind == TargetKind::kLabel) opt.target = target.label;
  if (target.kind == TargetKind::kTrue) {
    if (!example.label) {
      throw FormatError(
          fmt::format("document '{}' has no label, but --target true needs one", visible(example.id)));
    }
    opt.target = model.label_index(*example.label);
    if (opt.target < 0) {
      throw FormatError(fmt::format("document '{}': label '{}' is not one of the model's labels",
                                    visible(example.id), visible(*example.label)));
    }
  }
  return opt;
}

ExplanationRecord make_record(const Model& model, const corpora::Example& example, const Encoded& enc,
                              const lrp::ExplainOptions& opt, const lrp::Explanation& ex) {
  ExplanationRecord r;
  r.id = example.id;
  r.text = example.tokens ? std::string() : example.text;
  r.label = example.label;
  const auto& labels = model.labels();
  r.prediction = labels[static_cast<std::size_t>(lrp::argmax(ex.scores))];
  r.target = labels[static_cast<std::size_t>(ex.target)];
  r.method = std::string(lrp::method_name(opt.method));
  r.rule = opt.method == lrp::Method::kLrp ? ex.rule : "";
  for (std::size_t c = 0; c < labels.size(); ++c)
    r.scores.emplace_back(labels[c], ex.scores[static_cast<Index>(c)]);
  r.score = ex.scores[ex.target];
  r.model = model.name;
  r.tokens.reserve(enc.tokens.size());
  double sum = 0;
  for (std::size_t t = 0; t < enc.tokens.size(); ++t) {
    TokenRelevance& tr = r.tokens.emplace_back();  // built in place: no temporary strings
    const nlp::Token& tok = enc.tokens[t];
    if (enc.spans) {
      tr.text.assign(example.text, tok.begin, tok.end - tok.begin);
      tr.begin = tok.begin;
      tr.end = tok.end;
    } else {
      tr.text = (*example.tokens)[t];
    }
    tr.relevance = ex.relevance[t];
    tr.oov = model.encoder.is_oov(enc.ids[t], tok.text);
    sum += tr.relevance;
  }
  if (example.tokens) {
    // Pre-tokenized input: the document text is the tokens joined by spaces.
    r.text = example.text;
  }
  if (model.subword() && enc.spans) {
    // Per word: a WordPiece piece and its "##" pieces, or the SentencePiece pieces of each ICU word
    // of the text (nlp/text_encoder.h), summed.
    const auto groups = model.encoder.words(example.text, enc.tokens);
    r.words.emplace();
    r.words->reserve(groups.size());
    for (const auto& g : groups) {
      WordRelevance w;
      w.text = example.text.substr(g.begin, g.end - g.begin);
      w.begin = g.begin;
      w.end = g.end;
      for (const std::size_t p : g.pieces) w.relevance += r.tokens[p].relevance;
      r.words->push_back(std::move(w));
    }
  }
  r.relevance_sum = sum;
  r.bias_relevance = ex.bias_relevance;
  r.truncated = ex.truncated;
  r.special = ex.special;
  if (ex.truncated) {
    // The model's limit: "hyper"."max_tokens" of its config (a CNN saved without it uses the
    // default). Tokens from there on were never read: mark them (ExplanationRecord::max_tokens).
    std::uint64_t limit = static_cast<std::uint64_t>(lrp::kDefaultMaxTokens);
    if (const auto h = model.config.find("hyper"); h != model.config.end() && h->is_object()) {
      if (const auto m = h->find("max_tokens"); m != h->end() && m->is_number_unsigned())
        limit = m->get<std::uint64_t>();
      // A transformer's "max_length" counts its [CLS] and [SEP].
      if (const auto m = h->find("max_length");
          m != h->end() && m->is_number_unsigned() && m->get<std::uint64_t>() >= 2) {
        limit = m->get<std::uint64_t>() - 2;
      }
    }
    if (limit < r.tokens.size()) {
      r.max_tokens = static_cast<std::uint32_t>(limit);
      for (std::size_t t = limit; t < r.tokens.size(); ++t) r.tokens[t].unseen = true;
    }
  }
  check_explanation(r);  // never a NaN in the JSON, never an unconserved explanation without a warning
  return r;
}

}  // namespace

ExplanationRecord explain_example(const Model& model, const corpora::Example& example,
                                  const lrp::ExplainOptions& options, const TargetSpec& target) {
  const Encoded enc = encode(model, example);
  empty_input_counter().note(model, example, enc);
  std::optional<lrp::ExplainOptions> storage;
  const lrp::ExplainOptions& opt = options_for(model, example, options, target, storage);
  const lrp::Explanation ex = model.classifier->explain(enc.ids, opt);
  return make_record(model, example, enc, opt, ex);
}

std::vector<std::string> append_explanation(std::string& out, const Model& model,
                                            const corpora::Example& example,
                                            const lrp::ExplainOptions& options, const TargetSpec& target) {
  const Encoded enc = encode(model, example);
  empty_input_counter().note(model, example, enc);
  std::optional<lrp::ExplainOptions> storage;
  const lrp::ExplainOptions& opt = options_for(model, example, options, target, storage);
  const lrp::Explanation ex = model.classifier->explain(enc.ids, opt);
  const auto& labels = model.labels();
  // The fast path: the line straight from the explanation and the token spans, with the record's
  // values as make_record() + check_explanation() would set them. Anything out of the ordinary
  // (subword words, special tokens, truncation, a non-finite number, relevance not conserved) goes
  // through the record, which adds the words, marks and warnings.
  bool usual = !model.subword() && !ex.truncated && ex.special.empty();
  double sum = 0, written_sum = 0;
  for (std::size_t t = 0; usual && t < enc.tokens.size(); ++t) {
    const double v = ex.relevance[t];
    usual = std::isfinite(v);
    sum += v;
    written_sum += as_written(v);
  }
  const double score = usual ? ex.scores[ex.target] : 0.0;
  for (std::size_t c = 0; usual && c < labels.size(); ++c)
    usual = std::isfinite(ex.scores[static_cast<Index>(c)]);
  if (usual) {
    usual = std::isfinite(sum) && std::isfinite(ex.bias_relevance);
    const double scale = std::max(1.0, std::abs(score));
    const double sum_err = std::abs(written_sum - sum) / scale;
    const double total_err = std::abs(sum + ex.bias_relevance - score) / scale;
    usual = usual && sum_err <= kConservationTolerance && total_err <= kConservationTolerance;
  }
  if (!usual) {
    ExplanationRecord r = make_record(model, example, enc, opt, ex);
    append_jsonl(out, r);
    return std::move(r.warnings);
  }
  using W = JsonlLineWriter;
  const std::string& prediction = labels[static_cast<std::size_t>(lrp::argmax(ex.scores))];
  const std::string& target_label = labels[static_cast<std::size_t>(ex.target)];
  const std::string_view method = lrp::method_name(opt.method);
  const std::string_view rule =
      opt.method == lrp::Method::kLrp ? std::string_view(ex.rule) : std::string_view();
  std::size_t bound = W::kFixedBound + W::string_bound(example.id.size()) +
                      W::string_bound(model.name.size()) + W::string_bound(example.text.size()) +
                      W::string_bound(prediction.size()) + W::string_bound(target_label.size()) +
                      W::string_bound(method.size()) + W::string_bound(rule.size());
  if (example.label) bound += W::string_bound(example.label->size());
  for (const auto& l : labels) bound += W::string_bound(l.size()) + W::kScoreBound;
  for (std::size_t t = 0; t < enc.tokens.size(); ++t) {
    const std::size_t len = enc.spans ? enc.tokens[t].end - enc.tokens[t].begin : (*example.tokens)[t].size();
    bound += W::string_bound(len) + W::kItemBound;
  }
  W w(bound);
  w.head(example.id, model.name, example.text, example.label ? &*example.label : nullptr, prediction,
         target_label, method, rule);
  for (std::size_t c = 0; c < labels.size(); ++c) w.score(c, labels[c], ex.scores[static_cast<Index>(c)]);
  w.scores_end(score, false, std::nullopt);
  const std::string_view text = example.text;
  for (std::size_t t = 0; t < enc.tokens.size(); ++t) {
    const nlp::Token& tok = enc.tokens[t];
    const bool oov = model.encoder.is_oov(enc.ids[t], tok.text);
    if (enc.spans) {
      w.span_token(t, text, tok.begin, tok.end, ex.relevance[t], oov);
    } else {
      w.token(t, (*example.tokens)[t], false, 0, 0, ex.relevance[t], oov, false);
    }
  }
  w.tokens_end();
  w.finish(out, sum, ex.bias_relevance, {});
  return {};
}

std::string predict_line(const Model& model, const corpora::Example& example) {
  const Encoded enc = encode(model, example);
  empty_input_counter().note(model, example, enc);
  const Vec s = model.classifier->scores(enc.ids);
  std::string out = "{\"id\":";
  append_json_string(out, example.id);
  if (example.label) {
    out += ",\"label\":";
    append_json_string(out, *example.label);
  }
  out += ",\"prediction\":";
  append_json_string(out, model.labels()[static_cast<std::size_t>(lrp::argmax(s))]);
  out += ",\"scores\":{";
  for (std::size_t c = 0; c < model.labels().size(); ++c) {
    if (c) out.push_back(',');
    append_json_string(out, model.labels()[c]);
    fmt::format_to(std::back_inserter(out), ":{}", s[static_cast<Index>(c)]);
  }
  out += "}}\n";
  return out;
}

std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch) {
  return run_stream(
      reader, options, fn, [&](const corpora::Example&, std::string_view r) { sink(r); }, on_batch);
}

std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(const corpora::Example&, std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch) {
  // core/ordered_stream.h: document i of a batch on thread i % threads; an error is that of the
  // first failing document (in input order), as with one thread.
  ThreadPool pool(std::max(1, options.threads));
  return map_in_order<corpora::Example>(
      pool, options.batch, [&](corpora::Example& ex) { return reader.next(ex); }, fn,
      [&](const corpora::Example& ex, std::string& r) { sink(ex, r); }, on_batch);
}

}  // namespace textlrp::explain
