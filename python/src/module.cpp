// python/src/module.cpp — textlrp._textlrp, the extension module of the Python package textlrp: a
// thin pybind11 skin over the public C++ API (textlrp/textlrp.h). Everything it does is a call of
// that API; the Pythonic surface (keyword arguments, docstrings, exception classes) is in
// python/textlrp/__init__.py, which wraps these classes.
//
// Memory: an Explanation is held by std::shared_ptr; the NumPy arrays of its relevances are views
// into the C++ object (a strided view of TokenRelevance::relevance, no copy) whose base is the
// Python Explanation, so the object lives as long as any array over it. The views are read-only.
//
// Threads: every call into the library releases the GIL; explain_many/predict_many run on the
// library's thread pool. Errors: textlrp::Error and its subclasses become the Python classes of
// textlrp._errors (registered by __init__.py through _set_error_classes) with the C++ message,
// which is the one the CLI prints after "textlrp: error: " / "textlrp: usage error: ".
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "textlrp/textlrp.h"

namespace py = pybind11;

namespace {

using ExplanationPtr = std::shared_ptr<textlrp::Explanation>;

// The Python exception classes (textlrp.IoError, FormatError, UsageError, DataError), set once by
// __init__.py. Leaked on purpose: they must outlive every translator call, interpreter shutdown
// included.
struct ErrorClasses {
  py::object io, format, usage, data;
};
ErrorClasses* g_errors = nullptr;

void set_error_classes(py::object io, py::object format, py::object usage, py::object data) {
  if (!g_errors) g_errors = new ErrorClasses();
  g_errors->io = std::move(io);
  g_errors->format = std::move(format);
  g_errors->usage = std::move(usage);
  g_errors->data = std::move(data);
}

void translate(std::exception_ptr p) {
  if (!p) return;
  try {
    std::rethrow_exception(p);
  } catch (const textlrp::IoError& e) {
    PyErr_SetString(g_errors ? g_errors->io.ptr() : PyExc_OSError, e.what());
  } catch (const textlrp::FormatError& e) {
    PyErr_SetString(g_errors ? g_errors->format.ptr() : PyExc_ValueError, e.what());
  } catch (const textlrp::InvalidArgument& e) {
    PyErr_SetString(g_errors ? g_errors->usage.ptr() : PyExc_ValueError, e.what());
  } catch (const textlrp::Error& e) {
    PyErr_SetString(g_errors ? g_errors->data.ptr() : PyExc_RuntimeError, e.what());
  }
}

// A read-only NumPy view of `count` doubles starting at `first`, `stride` bytes apart, whose base
// keeps `owner` (the Python Explanation) alive.
py::array_t<double> view(const double* first, std::size_t count, std::size_t stride, py::handle owner) {
  static const double kEmpty = 0;
  py::array_t<double> a({static_cast<py::ssize_t>(count)}, {static_cast<py::ssize_t>(stride)},
                        count ? first : &kEmpty, owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// N x 2 int64 byte spans, or None when the tokens have none (pre-tokenized input).
py::object token_spans(const textlrp::Explanation& e) {
  py::array_t<std::int64_t> a({static_cast<py::ssize_t>(e.tokens.size()), py::ssize_t{2}});
  auto m = a.mutable_unchecked<2>();
  for (std::size_t i = 0; i < e.tokens.size(); ++i) {
    const auto& t = e.tokens[i];
    if (!t.begin || !t.end) return py::none();
    m(static_cast<py::ssize_t>(i), 0) = *t.begin;
    m(static_cast<py::ssize_t>(i), 1) = *t.end;
  }
  return a;
}

py::dict scores_dict(const std::vector<std::pair<std::string, double>>& scores) {
  py::dict d;
  for (const auto& [label, score] : scores) d[py::str(label)] = score;
  return d;
}

textlrp::ExplainRequest make_request(const std::string& method, const std::string& rule,
                                     const std::string& target, std::map<std::string, std::string> options,
                                     const std::optional<std::string>& label, const std::string& id) {
  textlrp::ExplainRequest r;
  r.method = method;
  r.rule = rule;
  r.target = target;
  r.options = std::move(options);
  r.label = label;
  r.id = id;
  return r;
}

std::vector<py::object> wrap_all(std::vector<textlrp::Explanation>&& all) {
  std::vector<py::object> out;
  out.reserve(all.size());
  for (auto& e : all) out.push_back(py::cast(std::make_shared<textlrp::Explanation>(std::move(e))));
  return out;
}

}  // namespace

// python/src/scale.cpp: Model.explain_corpus, document_id, model_from_memory.
void bind_scale(py::module_& m);
// python/src/analysis.cpp: train (with training), document_vectors, pca, explanatory_power, deletion_curves, top_words.
void bind_analysis(py::module_& m);

PYBIND11_MODULE(_textlrp, m) {
  m.doc() = "textlrp's C++ API (textlrp/textlrp.h); use the package textlrp, which wraps this module.";
  m.attr("__version__") = textlrp::kVersion;
  m.def("_set_error_classes", &set_error_classes);
  py::register_exception_translator(&translate);

  py::class_<textlrp::Prediction>(m, "Prediction")
      .def_readonly("label", &textlrp::Prediction::label)
      .def_readonly("index", &textlrp::Prediction::index)
      .def_property_readonly("scores", [](const textlrp::Prediction& p) { return scores_dict(p.scores); })
      .def("__repr__", [](const textlrp::Prediction& p) {
        return py::str("Prediction(label={!r}, index={})").format(p.label, p.index);
      });

  py::class_<textlrp::Explanation, ExplanationPtr>(m, "Explanation")
      .def_readonly("id", &textlrp::Explanation::id)
      .def_readonly("text", &textlrp::Explanation::text)
      .def_readonly("label", &textlrp::Explanation::label)
      .def_readonly("prediction", &textlrp::Explanation::prediction)
      .def_readonly("target", &textlrp::Explanation::target)
      .def_readonly("method", &textlrp::Explanation::method)
      .def_readonly("rule", &textlrp::Explanation::rule)
      .def_readonly("score", &textlrp::Explanation::score)
      .def_readonly("relevance_sum", &textlrp::Explanation::relevance_sum)
      .def_readonly("bias_relevance", &textlrp::Explanation::bias_relevance)
      .def_readonly("model", &textlrp::Explanation::model)
      .def_readonly("truncated", &textlrp::Explanation::truncated)
      .def_readonly("max_tokens", &textlrp::Explanation::max_tokens)
      .def_readonly("warnings", &textlrp::Explanation::warnings)
      .def_readonly("special", &textlrp::Explanation::special)
      .def_property_readonly("scores", [](const textlrp::Explanation& e) { return scores_dict(e.scores); })
      .def_property_readonly("tokens",
                             [](const textlrp::Explanation& e) {
                               py::list l(e.tokens.size());
                               for (std::size_t i = 0; i < e.tokens.size(); ++i)
                                 l[i] = py::str(e.tokens[i].text);
                               return l;
                             })
      .def_property_readonly("spans", &token_spans)
      .def_property_readonly("relevance",
                             [](py::object self) {
                               const auto& e = self.cast<const textlrp::Explanation&>();
                               return view(e.tokens.empty() ? nullptr : &e.tokens[0].relevance,
                                           e.tokens.size(), sizeof(textlrp::TokenRelevance), self);
                             })
      .def_property_readonly("oov",
                             [](const textlrp::Explanation& e) {
                               py::array_t<bool> a(static_cast<py::ssize_t>(e.tokens.size()));
                               for (std::size_t i = 0; i < e.tokens.size(); ++i)
                                 a.mutable_at(i) = e.tokens[i].oov;
                               return a;
                             })
      .def_property_readonly("unseen",
                             [](const textlrp::Explanation& e) {
                               py::array_t<bool> a(static_cast<py::ssize_t>(e.tokens.size()));
                               for (std::size_t i = 0; i < e.tokens.size(); ++i) {
                                 a.mutable_at(i) = e.tokens[i].unseen;
                               }
                               return a;
                             })
      .def_property_readonly("words",
                             [](const textlrp::Explanation& e) -> py::object {
                               if (!e.words) return py::none();
                               py::list l(e.words->size());
                               for (std::size_t i = 0; i < e.words->size(); ++i)
                                 l[i] = py::str((*e.words)[i].text);
                               return l;
                             })
      .def_property_readonly(
          "word_spans",
          [](const textlrp::Explanation& e) -> py::object {
            if (!e.words) return py::none();
            py::array_t<std::int64_t> a({static_cast<py::ssize_t>(e.words->size()), py::ssize_t{2}});
            auto m = a.mutable_unchecked<2>();
            for (std::size_t i = 0; i < e.words->size(); ++i) {
              m(static_cast<py::ssize_t>(i), 0) = (*e.words)[i].begin;
              m(static_cast<py::ssize_t>(i), 1) = (*e.words)[i].end;
            }
            return a;
          })
      .def_property_readonly("word_relevance",
                             [](py::object self) -> py::object {
                               const auto& e = self.cast<const textlrp::Explanation&>();
                               if (!e.words) return py::none();
                               return view(e.words->empty() ? nullptr : &(*e.words)[0].relevance,
                                           e.words->size(), sizeof(textlrp::WordRelevance), self);
                             })
      .def("to_json", [](const textlrp::Explanation& e) { return textlrp::to_json(e); })
      .def("_render_html_fragment", [](const textlrp::Explanation& e) {
        return textlrp::render_html_fragment(std::vector<textlrp::Explanation>{e});
      });

  py::class_<textlrp::Model>(m, "Model")
      .def_static(
          "open",
          [](const std::filesystem::path& dir, bool verify) {
            py::gil_scoped_release release;
            return textlrp::Model::open(dir, verify);
          },
          py::arg("dir"), py::arg("verify") = true)
      .def_property_readonly("labels", &textlrp::Model::labels)
      .def_property_readonly("architecture", &textlrp::Model::architecture)
      .def_property_readonly("name", &textlrp::Model::name)
      .def_property_readonly("dir", &textlrp::Model::dir)
      .def_property_readonly("subword", &textlrp::Model::subword)
      .def("predict",
           [](const textlrp::Model& model, const std::string& text) {
             py::gil_scoped_release release;
             return model.predict(text);
           })
      .def("predict_many",
           [](const textlrp::Model& model, const std::vector<std::string>& texts, int threads) {
             py::gil_scoped_release release;
             return model.predict_many(texts, threads);
           })
      .def("explain",
           [](const textlrp::Model& model, const std::string& text, const std::string& method,
              const std::string& rule, const std::string& target, std::map<std::string, std::string> options,
              const std::optional<std::string>& label, const std::string& id) {
             const auto req = make_request(method, rule, target, std::move(options), label, id);
             py::gil_scoped_release release;
             return std::make_shared<textlrp::Explanation>(model.explain(text, req));
           })
      .def("explain_tokens",
           [](const textlrp::Model& model, const std::vector<std::string>& tokens, const std::string& method,
              const std::string& rule, const std::string& target, std::map<std::string, std::string> options,
              const std::optional<std::string>& label, const std::string& id) {
             const auto req = make_request(method, rule, target, std::move(options), label, id);
             py::gil_scoped_release release;
             return std::make_shared<textlrp::Explanation>(model.explain(tokens, req));
           })
      .def("explain_many",
           [](const textlrp::Model& model, const std::vector<std::string>& texts, int threads,
              const std::string& method, const std::string& rule, const std::string& target,
              std::map<std::string, std::string> options) {
             const auto req = make_request(method, rule, target, std::move(options), std::nullopt, "");
             std::vector<textlrp::Explanation> all;
             {
               py::gil_scoped_release release;
               all = model.explain_many(std::span<const std::string>(texts), req, threads);
             }
             return wrap_all(std::move(all));
           })
      .def("explain_many_tokens",
           [](const textlrp::Model& model, const std::vector<std::vector<std::string>>& documents,
              int threads, const std::string& method, const std::string& rule, const std::string& target,
              std::map<std::string, std::string> options) {
             const auto req = make_request(method, rule, target, std::move(options), std::nullopt, "");
             std::vector<textlrp::Explanation> all;
             {
               py::gil_scoped_release release;
               all = model.explain_many(std::span<const std::vector<std::string>>(documents), req, threads);
             }
             return wrap_all(std::move(all));
           });

  auto report_options = [](const std::string& title, std::size_t max_documents,
                           const std::string& color_scale) {
    textlrp::ReportOptions o;
    o.title = title;
    o.max_documents = max_documents;
    o.color_scale = color_scale;
    return o;
  };
  auto collect = [](const std::vector<ExplanationPtr>& explanations) {
    std::vector<textlrp::Explanation> all;
    all.reserve(explanations.size());
    for (const auto& e : explanations) {
      if (!e) throw textlrp::InvalidArgument("report: an explanation is None");
      all.push_back(*e);
    }
    return all;
  };
  m.def("write_report", [report_options, collect](const std::vector<ExplanationPtr>& explanations,
                                                  const std::filesystem::path& html, const std::string& title,
                                                  std::size_t max_documents, const std::string& color_scale) {
    const auto all = collect(explanations);
    const auto o = report_options(title, max_documents, color_scale);
    py::gil_scoped_release release;
    textlrp::write_report(all, html, o);
  });
  m.def("from_json", [](const std::string& line, const std::string& where) {
    py::gil_scoped_release release;
    return std::make_shared<textlrp::Explanation>(textlrp::from_json(line, where));
  });
  m.def("write_jsonl",
        [](const std::vector<ExplanationPtr>& explanations, const std::filesystem::path& path, int threads) {
          std::vector<const textlrp::Explanation*> ptrs;
          ptrs.reserve(explanations.size());
          for (const auto& e : explanations) ptrs.push_back(e.get());
          py::gil_scoped_release release;
          textlrp::write_jsonl(std::span<const textlrp::Explanation* const>(ptrs), path, threads);
        });
  m.def("render_report",
        [report_options, collect](const std::vector<ExplanationPtr>& explanations, const std::string& title,
                                  std::size_t max_documents, const std::string& color_scale) {
          const auto all = collect(explanations);
          const auto o = report_options(title, max_documents, color_scale);
          py::gil_scoped_release release;
          return textlrp::render_report(all, o);
        });
  m.def("render_html_fragment",
        [report_options, collect](const std::vector<ExplanationPtr>& explanations, std::size_t max_documents,
                                  const std::string& color_scale) {
          const auto all = collect(explanations);
          const auto o = report_options("", max_documents, color_scale);
          py::gil_scoped_release release;
          return textlrp::render_html_fragment(all, o);
        });

  bind_scale(m);
  bind_analysis(m);
}
