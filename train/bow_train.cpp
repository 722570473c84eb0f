#include "train/bow_train.h"

#include <fmt/format.h>
#include <linear.h>

#include <algorithm>
#include <mutex>

#include "core/error.h"

namespace textlrp::train {
using namespace lrp;  // the classifiers, layers and kernels trained here
namespace {

void quiet(const char*) {}

struct ModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};

}  // namespace

std::unique_ptr<BowClassifier> train_bow(const std::vector<std::vector<TokenId>>& docs,
                                         const std::vector<int>& labels, std::vector<std::string> label_names,
                                         Index n_vocab, const BowTrainOptions& options) {
  if (docs.empty()) throw InvalidArgument("cannot train on an empty training set");
  if (docs.size() != labels.size()) throw InvalidArgument("train_bow: docs and labels differ in length");
  const auto n_classes = static_cast<int>(label_names.size());
  std::vector<int> per_class(static_cast<std::size_t>(n_classes), 0);
  for (const int y : labels) {
    if (y < 0 || y >= n_classes) throw InvalidArgument(fmt::format("label index {} is out of range", y));
    ++per_class[static_cast<std::size_t>(y)];
  }
  int present = 0;
  for (const int c : per_class) present += c > 0;
  if (present < 2) throw InvalidArgument("training needs documents of at least two classes");

  // Document frequencies -> idf, from the training documents.
  std::vector<std::size_t> df(static_cast<std::size_t>(n_vocab), 0);
  {
    std::vector<TokenId> sorted;
    for (const auto& d : docs) {
      sorted.assign(d.begin(), d.end());
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      for (const TokenId id : sorted) {
        if (id >= 0 && id < n_vocab) ++df[static_cast<std::size_t>(id)];
      }
    }
  }
  Vec idf = smooth_idf(df, docs.size());
  BowOptions bow_options;
  bow_options.sublinear_tf = options.sublinear_tf;
  bow_options.ignore_id = options.ignore_id;
  // A temporary classifier with zero weights computes the feature vectors the final one will use.
  const BowClassifier featurizer(label_names, idf, Mat::Zero(n_classes, n_vocab), Vec::Zero(n_classes),
                                 bow_options);

  // liblinear problem: 1-based feature indices, the bias as feature n_vocab + 1, -1 terminator.
  std::vector<std::vector<feature_node>> rows(docs.size());
  std::vector<feature_node*> x(docs.size());
  std::vector<double> y_all(docs.size());
  for (std::size_t k = 0; k < docs.size(); ++k) {
    const auto feats = featurizer.features(docs[k]);
    auto& row = rows[k];
    row.reserve(feats.size() + 2);
    for (const auto& [id, v] : feats) row.push_back({id + 1, static_cast<double>(v)});
    row.push_back({static_cast<int>(n_vocab) + 1, 1.0});
    row.push_back({-1, 0.0});
    x[k] = row.data();
    y_all[k] = labels[k];
  }
  problem prob{};
  prob.l = static_cast<int>(docs.size());
  prob.n = static_cast<int>(n_vocab) + 1;
  prob.y = y_all.data();
  prob.x = x.data();
  prob.bias = 1.0;
  parameter param{};
  param.solver_type = L2R_L2LOSS_SVC_DUAL;
  param.eps = options.tolerance;
  param.C = options.C;
  if (const char* err = check_parameter(&prob, &param))
    throw InvalidArgument(fmt::format("liblinear: {}", err));
  if (options.log) {
    options.log(fmt::format(
        "training one-vs-rest linear SVM (liblinear, C={}) on {} documents, {} features, {} classes",
        options.C, docs.size(), n_vocab, present));
  }
  static std::mutex liblinear_mutex;  // set_print_string_function is global state
  std::unique_ptr<model, ModelDeleter> m;
  {
    std::lock_guard<std::mutex> lock(liblinear_mutex);
    set_print_string_function(&quiet);
    m.reset(::train(&prob, &param));
  }
  // Unpack w into [C x V] in our label order; classes absent from training keep weight 0 and a
  // bias of -1e3 so they are never predicted... but must still be finite.
  Mat weight = Mat::Zero(n_classes, n_vocab);
  Vec bias = Vec::Constant(n_classes, -1000.0f);
  const int nr_class = m->nr_class;
  const int nr_w = nr_class == 2 ? 1 : nr_class;
  for (int j = 0; j < nr_w; ++j) {
    const int cls = m->label[j];
    for (Index i = 0; i < n_vocab; ++i) weight(cls, i) = static_cast<Scalar>(m->w[i * nr_w + j]);
    bias[cls] = static_cast<Scalar>(m->w[n_vocab * nr_w + j] * prob.bias);
  }
  if (nr_class == 2) {  // one decision function: positive means label[0]
    const int other = m->label[1];
    weight.row(other) = -weight.row(m->label[0]);
    bias[other] = -bias[m->label[0]];
  }
  return std::make_unique<BowClassifier>(std::move(label_names), std::move(idf), std::move(weight),
                                         std::move(bias), bow_options);
}

}  // namespace textlrp::train
