// python/src/scale.cpp — the bindings of textlrp._textlrp for corpus-scale runs and in-memory models
// (called from module.cpp after Model is registered): Model.explain_corpus (textlrp.scale, the Dask
// example), document_id, and model_from_memory (textlrp.from_torch). Calls of the public C++ API only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "textlrp/textlrp.h"

namespace py = pybind11;

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

void bind_scale(py::module_& m) {
  auto model = py::reinterpret_borrow<py::class_<textlrp::Model>>(m.attr("Model"));
  model.def("explain_corpus",
            [](const textlrp::Model& self, const std::string& input, const std::string& corpus,
               const std::string& format, const std::string& shard, const std::string& encoding,
               std::vector<std::string> strip, const std::filesystem::path& output, int threads,
               const std::string& method, const std::string& rule, const std::string& target,
               std::map<std::string, std::string> options) {
              textlrp::CorpusRequest c;
              c.input = input;
              c.corpus = corpus;
              c.format = format;
              c.shard = shard;
              c.encoding = encoding;
              c.strip = std::move(strip);
              textlrp::ExplainRequest r;
              r.method = method;
              r.rule = rule;
              r.target = target;
              r.options = std::move(options);
              textlrp::CorpusResult result;
              {
                py::gil_scoped_release release;
                result = self.explain_corpus(c, output, r, threads);
              }
              return py::make_tuple(result.documents, result.warnings);
            });
  m.def("document_id",
        [](std::size_t line, const std::string& text) { return textlrp::document_id(line, text); });
  m.def("model_from_memory",
        [](const std::string& config_json, const std::map<std::string, FloatArray>& tensors,
           std::vector<std::string> vocabulary) {
          std::map<std::string, textlrp::TensorData> data;
          for (const auto& [name, a] : tensors) {
            textlrp::TensorData t;
            t.shape.assign(a.shape(), a.shape() + a.ndim());
            t.values.assign(a.data(), a.data() + a.size());
            data.emplace(name, std::move(t));
          }
          py::gil_scoped_release release;
          return textlrp::Model::from_memory(config_json, std::move(data), std::move(vocabulary));
        });
}
