// python/src/analysis.cpp — the bindings of textlrp._textlrp for training (textlrp/train.h, when the
// build has it) and the analyses (textlrp/analysis.h): document vectors, PCA, the explanatory power
// index, word-deletion curves and top words. Called from module.cpp after Model and Explanation are
// registered. Calls of the public C++ API only; the Pythonic surface (keyword arguments named as the
// CLI's flags, NumPy results, docstrings) is python/textlrp/_analysis.py.
//
// Matrices come in as C-contiguous float64 NumPy arrays and go out as new float64 arrays (the API's
// Matrix is a vector of rows, so there is one copy each way). Word vectors (train and docvec's
// embeddings=(words, array)) come in as a C-contiguous float32 array the library reads in place.
// Every call releases the GIL; the training callbacks take it back for the call, and a
// KeyboardInterrupt (or an exception raised by a callback) unwinds the training at the next
// callback and is raised again in Python.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "textlrp/analysis.h"
#include "textlrp/textlrp.h"
#ifdef TEXTLRP_PYTHON_TRAINING
#include "textlrp/train.h"
#endif

namespace py = pybind11;

namespace {

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using ExplanationPtr = std::shared_ptr<textlrp::Explanation>;
using OptionalTokens = std::optional<std::vector<std::string>>;
using OptionalLabel = std::optional<std::string>;

textlrp::Matrix to_matrix(const DoubleArray& a, const char* what) {
  if (a.ndim() != 2) {
    throw textlrp::InvalidArgument(std::string(what) +
                                   ": expected a 2-D array (documents x dimension), got " +
                                   std::to_string(a.ndim()) + " dimensions");
  }
  const auto r = a.unchecked<2>();
  textlrp::Matrix m(static_cast<std::size_t>(r.shape(0)));
  for (py::ssize_t i = 0; i < r.shape(0); ++i) {
    m[static_cast<std::size_t>(i)].assign(r.data(i, 0), r.data(i, 0) + r.shape(1));
  }
  return m;
}

py::array_t<double> to_array(const textlrp::Matrix& m, std::size_t cols) {
  py::array_t<double> a({static_cast<py::ssize_t>(m.size()), static_cast<py::ssize_t>(cols)});
  auto w = a.mutable_unchecked<2>();
  for (std::size_t i = 0; i < m.size(); ++i) {
    for (std::size_t j = 0; j < cols; ++j)
      w(static_cast<py::ssize_t>(i), static_cast<py::ssize_t>(j)) = m[i][j];
  }
  return a;
}

py::array_t<double> to_array(const std::vector<double>& v) {
  py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// Documents of an analysis: texts (or token lists) with their optional labels and ids.
std::vector<textlrp::Document> documents(const std::vector<std::string>& texts,
                                         const std::vector<OptionalTokens>& tokens,
                                         const std::vector<OptionalLabel>& labels,
                                         const std::vector<std::string>& ids) {
  std::vector<textlrp::Document> out(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    out[i].text = texts[i];
    if (i < tokens.size()) out[i].tokens = tokens[i];
    if (i < labels.size()) out[i].label = labels[i];
    if (i < ids.size()) out[i].id = ids[i];
  }
  return out;
}

// Word vectors from NumPy (words, an (N, D) float32 array): a view of the array's buffer, not a
// copy; `vectors` (held by the caller for the whole call) keeps it alive. None without both.
std::shared_ptr<const textlrp::WordVectors> word_vectors(std::optional<std::vector<std::string>> words,
                                                         const std::optional<FloatArray>& vectors,
                                                         const std::string& name) {
  if (!words || !vectors) return nullptr;
  auto v = std::make_shared<textlrp::WordVectors>();
  v->words = std::move(*words);
  v->dim = vectors->ndim() == 2 ? static_cast<std::ptrdiff_t>(vectors->shape(1)) : 0;
  v->view = std::span<const float>(vectors->data(), static_cast<std::size_t>(vectors->size()));
  v->name = name;
  return v;
}

py::dict word_stats(const textlrp::WordRelevanceStats& s) {
  py::dict d;
  d["word"] = s.word;
  d["sum"] = s.sum;
  d["mean"] = s.mean;
  d["occurrences"] = s.occurrences;
  d["documents"] = s.documents;
  return d;
}

#ifdef TEXTLRP_PYTHON_TRAINING
// The Python callbacks of a training run, called with the GIL taken back. The first Python error
// (a callback's exception, or KeyboardInterrupt from PyErr_CheckSignals) is kept and the training
// unwound with Abort; train() raises the kept error once the GIL is held again.
struct Callbacks {
  struct Abort {};
  py::object log, batch, epoch;
  std::shared_ptr<py::error_already_set> error;

  template <class F>
  void call(F&& f) {
    py::gil_scoped_acquire gil;
    if (error) throw Abort{};
    try {
      f();
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    } catch (py::error_already_set& e) {
      error = std::make_shared<py::error_already_set>(std::move(e));
      throw Abort{};
    }
  }
};

textlrp::TrainEvents events_of(Callbacks& cb) {
  textlrp::TrainEvents ev;
  ev.log = [&cb](std::string_view m) {
    cb.call([&] {
      if (!cb.log.is_none()) cb.log(py::str(m.data(), m.size()));
    });
  };
  ev.batch_done = [&cb](const textlrp::BatchProgress& p) {
    cb.call([&] {
      if (cb.batch.is_none()) return;
      py::dict d;
      d["event"] = "batch";
      d["arch"] = std::string(p.arch);
      d["epoch"] = p.epoch;
      d["done"] = p.done;
      d["total"] = p.total;
      d["loss"] = p.loss;
      cb.batch(d);
    });
  };
  ev.epoch_done = [&cb](const textlrp::EpochResult& e) {
    cb.call([&] {
      if (cb.epoch.is_none()) return;
      py::dict d;
      d["event"] = "epoch";
      d["arch"] = std::string(e.arch);
      d["epoch"] = e.epoch;
      d["train_loss"] = e.train_loss;
      d["dev_accuracy"] = e.dev_accuracy;
      d["seconds"] = e.seconds;
      d["n_train"] = e.n_train;
      cb.epoch(d);
    });
  };
  return ev;
}

void bind_train(py::module_& m) {
  using O = textlrp::TrainOptions;
  py::class_<O>(m, "TrainOptions")
      .def(py::init<>())
      .def_readwrite("arch", &O::arch)
      .def_readwrite("dev_fraction", &O::dev_fraction)
      .def_readwrite("seed", &O::seed)
      .def_readwrite("refit", &O::refit)
      .def_readwrite("threads", &O::threads)
      .def_readwrite("tokenizer", &O::tokenizer)
      .def_readwrite("lowercase", &O::lowercase)
      .def_readwrite("keep_punctuation", &O::keep_punctuation)
      .def_readwrite("min_count", &O::min_count)
      .def_readwrite("max_vocab", &O::max_vocab)
      .def_readwrite("word_options_given", &O::word_options_given)
      .def_readwrite("label_names", &O::label_names)
      .def_readwrite("C", &O::C)
      .def_readwrite("sublinear_tf", &O::sublinear_tf)
      .def_readwrite("embeddings", &O::embeddings)
      .def_readwrite("dim", &O::dim)
      .def_readwrite("max_tokens", &O::max_tokens)
      .def_readwrite("epochs", &O::epochs)
      .def_readwrite("patience", &O::patience)
      .def_readwrite("batch", &O::batch)
      .def_readwrite("lr", &O::lr)
      .def_readwrite("dropout", &O::dropout)
      .def_readwrite("finetune", &O::finetune)
      .def_readwrite("freeze", &O::freeze)
      .def_readwrite("sst_phrases", &O::sst_phrases)
      .def_readwrite("kernel_sizes", &O::kernel_sizes)
      .def_readwrite("filters", &O::filters)
      .def_readwrite("hidden", &O::hidden)
      .def_readwrite("optimizer", &O::optimizer)
      .def_readwrite("embedding_dropout", &O::embedding_dropout)
      .def_readwrite("clip_norm", &O::clip_norm)
      .def_readwrite("weight_decay", &O::weight_decay)
      .def_readwrite("output_bias", &O::output_bias)
      .def_readwrite("float64", &O::float64);

  m.def("parse_label_names", &textlrp::train::parse_label_names);

  // train(options, dir, corpus spec or documents, ...) -> the summary as a dict.
  m.def("train", [](O options, const std::filesystem::path& dir, const std::string& corpus,
                    const std::string& dev_corpus, const std::vector<std::string>& strip,
                    const std::string& encoding, std::size_t max_docs, const std::vector<std::string>& texts,
                    const std::vector<OptionalTokens>& tokens, const std::vector<std::string>& labels,
                    const std::vector<std::string>& dev_texts, const std::vector<OptionalTokens>& dev_tokens,
                    const std::vector<std::string>& dev_labels,
                    std::optional<std::vector<std::string>> vector_words, std::optional<FloatArray> vectors,
                    const std::string& vectors_name, py::object log, py::object batch, py::object epoch) {
    options.word_vectors = word_vectors(std::move(vector_words), vectors, vectors_name);
    const auto docs = [](const std::vector<std::string>& t, const std::vector<OptionalTokens>& k,
                         const std::vector<std::string>& l) {
      std::vector<textlrp::TrainDocument> out(t.size());
      for (std::size_t i = 0; i < t.size(); ++i) {
        out[i].text = t[i];
        if (i < k.size()) out[i].tokens = k[i];
        if (i < l.size()) out[i].label = l[i];
      }
      return out;
    };
    Callbacks cb{std::move(log), std::move(batch), std::move(epoch), nullptr};
    const textlrp::TrainEvents ev = events_of(cb);
    textlrp::TrainSummary s;
    try {
      py::gil_scoped_release release;
      if (!corpus.empty()) {
        textlrp::TrainCorpus c;
        c.corpus = corpus;
        c.dev_corpus = dev_corpus;
        c.strip = strip;
        c.encoding = encoding;
        c.max_docs = max_docs;
        s = textlrp::train_model_from_corpus(c, dir, options, ev);
      } else {
        s = textlrp::train_model(docs(texts, tokens, labels), dir, options, ev,
                                 docs(dev_texts, dev_tokens, dev_labels));
      }
    } catch (const Callbacks::Abort&) {
      throw *cb.error;
    }
    py::dict d;
    d["dir"] = s.dir.string();
    d["architecture"] = s.architecture;
    d["labels"] = s.labels;
    d["vocabulary_size"] = s.vocabulary_size;
    d["dev_accuracy"] = s.dev_accuracy ? py::object(py::float_(*s.dev_accuracy)) : py::object(py::none());
    d["training"] = s.training_json;
    return d;
  });
}
#endif

}  // namespace

void bind_analysis(py::module_& m) {
#ifdef TEXTLRP_PYTHON_TRAINING
  bind_train(m);
  m.attr("has_training") = true;
#else
  m.attr("has_training") = false;
#endif

  m.def("document_vectors",
        [](const textlrp::Model& model, const std::vector<std::string>& texts,
           const std::vector<OptionalTokens>& tokens, const std::vector<OptionalLabel>& labels,
           const std::vector<std::string>& ids, const std::vector<std::string>& weightings,
           const std::string& embeddings, std::optional<std::vector<std::string>> vector_words,
           const std::optional<FloatArray>& vectors, const std::string& vectors_name, const std::string& rule,
           int steps, int threads) {
          textlrp::DocvecOptions o;
          o.weightings = weightings;
          o.embeddings = embeddings;
          o.word_vectors = word_vectors(std::move(vector_words), vectors, vectors_name);
          o.rule = rule;
          o.steps = steps;
          o.threads = threads;
          const auto docs = documents(texts, tokens, labels, ids);
          std::vector<textlrp::DocumentVectors> all;
          {
            py::gil_scoped_release release;
            all = textlrp::document_vectors(model, docs, o);
          }
          py::list out;
          for (const auto& v : all) {
            py::dict d;
            d["weighting"] = v.weighting;
            d["ids"] = v.ids;
            d["labels"] = v.labels;
            d["predictions"] = v.predictions;
            d["vectors"] = to_array(v.vectors, v.vectors.empty() ? 0 : v.vectors.front().size());
            out.append(d);
          }
          return out;
        });

  m.def("pca", [](const DoubleArray& x, std::size_t components, bool normalize) {
    const textlrp::Matrix rows = to_matrix(x, "pca");
    textlrp::PcaResult r;
    {
      py::gil_scoped_release release;
      r = textlrp::pca(rows, components, normalize);
    }
    py::dict d;
    d["mean"] = to_array(r.mean);
    d["components"] = to_array(r.components, r.mean.size());
    d["variance"] = to_array(r.variance);
    d["explained_variance_ratio"] = to_array(r.explained_variance_ratio);
    d["projection"] = to_array(r.projection, components);
    return d;
  });

  m.def("explanatory_power",
        [](const DoubleArray& x, const std::vector<OptionalLabel>& labels, const std::string& distance,
           int folds, std::size_t k_max, std::uint64_t seed, bool normalize) {
          const textlrp::Matrix rows = to_matrix(x, "epi");
          textlrp::EpiOptions o;
          o.distance = distance;
          o.folds = folds;
          o.k_max = k_max;
          o.seed = seed;
          o.normalize = normalize;
          textlrp::EpiResult r;
          {
            py::gil_scoped_release release;
            r = textlrp::explanatory_power(rows, labels, o);
          }
          py::dict d;
          d["epi"] = r.epi;
          d["best_k"] = r.best_k;
          d["accuracy"] = to_array(r.accuracy);
          d["documents"] = r.documents;
          return d;
        });

  m.def("deletion_curves",
        [](const textlrp::Model& model, const std::vector<std::string>& texts,
           const std::vector<OptionalTokens>& tokens, const std::vector<OptionalLabel>& labels,
           const std::vector<std::string>& ids, const std::vector<std::string>& methods, int max_delete,
           int random_seeds, std::uint64_t seed, const std::string& rule, int steps, int threads) {
          textlrp::DeletionOptions o;
          o.methods = methods;
          o.max_delete = max_delete;
          o.random_seeds = random_seeds;
          o.seed = seed;
          o.rule = rule;
          o.steps = steps;
          o.threads = threads;
          const auto docs = documents(texts, tokens, labels, ids);
          textlrp::DeletionCurves r;
          {
            py::gil_scoped_release release;
            r = textlrp::deletion_curves(model, docs, o);
          }
          py::dict d;
          d["documents"] = r.documents;
          d["correct"] = r.correct;
          d["deletion"] = r.deletion;
          py::dict methods_out;
          for (const auto& c : r.curves) {
            py::dict mc;
            mc["accuracy"] = c.correct_accuracy;
            mc["aopc"] = c.aopc;
            py::dict mis;
            mis["accuracy"] = c.misclassified_accuracy;
            mis["aopc"] = c.misclassified_aopc;
            mc["misclassified"] = mis;
            methods_out[py::str(c.method)] = mc;
          }
          d["methods"] = methods_out;
          py::dict skipped;
          for (const auto& [method, why] : r.skipped) skipped[py::str(method)] = why;
          d["skipped"] = skipped;
          return d;
        });

  m.def("top_words", [](const std::vector<ExplanationPtr>& explanations, std::size_t per_class,
                        const std::string& rank, std::size_t min_documents, bool negative) {
    std::vector<textlrp::Explanation> all;
    all.reserve(explanations.size());
    for (const auto& e : explanations) {
      if (!e) throw textlrp::InvalidArgument("topwords: an explanation is None");
      all.push_back(*e);
    }
    textlrp::TopWordsOptions o;
    o.per_class = per_class;
    o.rank = rank;
    o.min_documents = min_documents;
    o.negative = negative;
    std::vector<textlrp::ClassWords> r;
    {
      py::gil_scoped_release release;
      r = textlrp::top_words(all, o);
    }
    py::list out;
    for (const auto& c : r) {
      py::dict d;
      d["label"] = c.label;
      d["documents"] = c.documents;
      py::list top, bottom;
      for (const auto& s : c.top) top.append(word_stats(s));
      for (const auto& s : c.bottom) bottom.append(word_stats(s));
      d["top"] = top;
      if (negative) d["bottom"] = bottom;
      out.append(d);
    }
    return out;
  });
}
