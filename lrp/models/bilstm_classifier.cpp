#include "lrp/models/bilstm_classifier.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <optional>

#include "core/error.h"
#include "core/npy.h"
#include "lrp/models/baselines.h"

namespace textlrp::lrp {
namespace {

double epsilon_of(const Rule& rule, const std::string& role) {
  if (const auto* e = std::get_if<rules::Epsilon>(&rule)) return e->epsilon;
  if (std::holds_alternative<rules::Zero>(rule)) return 0.0;
  throw InvalidArgument(fmt::format(
      "rule {} for role '{}' is not supported by architecture bilstm: it supports zero and epsilon(e) on "
      "every "
      "linear connection (the lrp_linear rule of Arras et al. 2017); choose the gate rule with --lstm-rule "
      "signal-take-all|half|proportional and the bias share with --bias-factor",
      to_string(rule), role));
}

}  // namespace

BiLstmClassifier::BiLstmClassifier(std::vector<std::string> labels, BiLstmWeights weights, Index max_tokens,
                                   std::int64_t table_limit_bytes)
    : labels_(std::move(labels)),
      weights_(std::move(weights)),
      max_tokens_(max_tokens),
      tables_(make_tables()),
      table_limit_(table_limit_bytes >= 0 ? table_limit_bytes : table_limit_from_environment()) {
  if (max_tokens_ < 1)
    throw InvalidArgument(fmt::format("bilstm: max_tokens must be >= 1, got {}", max_tokens_));
  const BiLstmWeights& w = weights_;
  const Index E = w.embedding.cols();
  const Index H = w.left.w_hh.cols();
  const Index C = w.fc_left.rows();
  if (E < 1 || H < 1 || C < 1) {
    throw InvalidArgument(
        fmt::format("bilstm: needs n_embd, n_hidden and n_classes >= 1, got {}, {}, {}", E, H, C));
  }
  std::vector<std::string> problems;
  auto check = [&](const std::string& name, Index rows, Index cols, Index want_rows, Index want_cols) {
    if (rows != want_rows || cols != want_cols) {
      problems.push_back(fmt::format("{} is {}, expected {}", name, shape_string(rows, cols),
                                     shape_string(want_rows, want_cols)));
    }
  };
  for (const auto& [side, lw] :
       {std::pair<const char*, const LstmWeights*>{"left", &w.left}, {"right", &w.right}}) {
    check(fmt::format("{}.w_ih", side), lw->w_ih.rows(), lw->w_ih.cols(), 4 * H, E);
    check(fmt::format("{}.w_hh", side), lw->w_hh.rows(), lw->w_hh.cols(), 4 * H, H);
    check(fmt::format("{}.b_ih", side), lw->b_ih.size(), 1, 4 * H, 1);
    check(fmt::format("{}.b_hh", side), lw->b_hh.size(), 1, 4 * H, 1);
  }
  check("fc_right", w.fc_right.rows(), w.fc_right.cols(), C, H);
  check("fc_left", w.fc_left.rows(), w.fc_left.cols(), C, H);
  if (w.fc_bias.size() != 0 && w.fc_bias.size() != C) {
    problems.push_back(fmt::format("fc_bias has {} entries, expected {} or none", w.fc_bias.size(), C));
  }
  if (static_cast<Index>(labels_.size()) != C) {
    problems.push_back(fmt::format("{} labels for {} classes", labels_.size(), C));
  }
  if (!problems.empty()) throw InvalidArgument(fmt::format("bilstm: {}", fmt::join(problems, "; ")));
  const bool finite = w.embedding.allFinite() && w.left.w_ih.allFinite() && w.left.w_hh.allFinite() &&
                      w.left.b_ih.allFinite() && w.left.b_hh.allFinite() && w.right.w_ih.allFinite() &&
                      w.right.w_hh.allFinite() && w.right.b_ih.allFinite() && w.right.b_hh.allFinite() &&
                      w.fc_left.allFinite() && w.fc_right.allFinite() && w.fc_bias.allFinite();
  if (!finite) throw InvalidArgument("bilstm: the weights hold NaN or infinite values");
  p64_ = pack<double>(w);
  p32_ = pack<float>(w);
  for (int side = 0; side < 2; ++side) prefix64_[side] = LstmPrefixForward<double>(p64_.lstm[side]);
  float32_ok_ = p32_.lstm[0].w_ih().allFinite() && p32_.lstm[0].w_hh().allFinite() &&
                p32_.lstm[0].bias().allFinite() && p32_.lstm[1].w_ih().allFinite() &&
                p32_.lstm[1].w_hh().allFinite() && p32_.lstm[1].bias().allFinite() &&
                p32_.fc[0].allFinite() && p32_.fc[1].allFinite() && p32_.fc_bias.allFinite() &&
                (w.embedding.array().abs() <= std::numeric_limits<float>::max()).all();
}

template <class T>
BiLstmClassifier::Packed<T> BiLstmClassifier::pack(const BiLstmWeights& w) {
  Packed<T> p;
  int k = 0;
  for (const LstmWeights* lw : {&w.left, &w.right}) {
    p.lstm[k] =
        Lstm<T>(lw->w_ih, lw->w_hh, VecD(lw->b_ih + lw->b_hh));  // the bias summed in float64, then rounded
    ++k;
  }
  p.fc[0] = w.fc_left.cast<T>();
  p.fc[1] = w.fc_right.cast<T>();
  p.fc_bias = w.fc_bias.cast<T>();
  return p;
}

RuleMap BiLstmClassifier::default_rules() const {
  return RuleMap({{"lstm", rules::Epsilon{0.001}}, {"fc", rules::Epsilon{0.001}}});
}

RuleMap BiLstmClassifier::resolve_rules(const RuleMap& requested) const {
  std::map<std::string, Rule> merged = default_rules().rules();
  for (const auto& [role, rule] : requested.rules()) {
    if (!merged.count(role)) {
      throw InvalidArgument(
          fmt::format("unknown layer role '{}' for architecture bilstm; its roles: fc, lstm", role));
    }
    merged[role] = rule;
  }
  return RuleMap(std::move(merged));
}

// The scratch trace of forward() and forward_embedded() without a caller's trace: one per thread,
// kept between calls, so that scoring does not allocate (and glibc does not return and re-fault
// the pages) for sentences of the length of the previous one.
BiLstmClassifier::Trace& BiLstmClassifier::scratch_trace() {
  thread_local Trace scratch;
  return scratch;
}

namespace {
// The float64 trace of explain() and explain_methods(): one per thread, kept between calls as
// scratch_trace() is (no allocation once warm), and rewritten by every pass: a DocumentPass says
// when it holds the document's pass (one DocumentPass at a time per thread: neither call nests).
// Separate from scratch_trace(), which the Differentiable calls of a baseline may use while an
// explanation reads this one.
BiLstmClassifier::Trace& pass_trace() {
  thread_local BiLstmClassifier::Trace trace;
  return trace;
}
}  // namespace

struct BiLstmClassifier::DocumentPass {
  Trace* trace = nullptr;                       // the float64 forward pass, once run (in pass_trace())
  std::span<const TokenId> ids;                 // its ids
  std::vector<std::pair<int, MatD>> gradients;  // (target, ∂s_target/∂x [T x E]) on it

  // The float64 forward pass of the truncated ids, run on the first call only. Its x may be empty
  // (LRP does not read it): x() fills it.
  const Trace& forward(const BiLstmClassifier& model, std::span<const TokenId> ids_) {
    if (trace == nullptr) {
      model.forward_ids(ids_, &pass_trace(), false);
      trace = &pass_trace();
      ids = ids_;
    }
    return *trace;
  }
  // The embedded ids [T x E] of that pass (the baselines read them), filled on the first call.
  const MatD& x(const BiLstmClassifier& model) {
    TEXTLRP_ASSERT(trace != nullptr);
    if (trace->x.rows() != static_cast<Index>(ids.size())) model.embed_rows(ids, &trace->x);
    return trace->x;
  }
  // ∂s_target/∂x on that pass, computed on the first call per target (gradient(): bit for bit
  // batch_gradients(), so bit for bit baselines::sensitivity/gradient_input).
  const MatD& gradient(const BiLstmClassifier& model, int target) {
    for (const auto& [t, g] : gradients) {
      if (t == target) return g;
    }
    VecD onehot = VecD::Zero(model.n_classes());
    onehot[target] = 1;
    return gradients.emplace_back(target, model.gradient(*trace, onehot)).second;
  }
};

template <class T>
void BiLstmClassifier::forward_trace(LstmTrace<T>* tr) const {
  const Packed<T>& p = packed<T>();
  const Index T_ = tr->x.rows(), H = n_hidden(), G = 4 * H;
  tr->zx.resize(T_, 2 * G);  // [T x 8H] W_ih x_t + b_ih + b_hh of both directions, sentence order
  tr->zx_table = nullptr;
  tr->zx_rows.clear();
  p.lstm[0].project(tr->x.data(), n_embd(), T_, tr->zx.data(), 2 * G);
  p.lstm[1].project(tr->x.data(), n_embd(), T_, tr->zx.data() + G, 2 * G);
  forward_projected(tr, T_);
}

template <class T>
void BiLstmClassifier::forward_projected(LstmTrace<T>* tr, Index T_) const {
  const Packed<T>& p = packed<T>();
  const Index G = 4 * n_hidden();
  // One direction after the other, not interleaved: each step streams W_hh (4H x H: 115 kB in float64,
  // 58 kB in float32 for H = 60) and walks it backwards on odd steps so that the part the previous step
  // read last is still in L1 (48 kB here); a second direction in between would evict it.
  // One sequence of T_ steps: this thread's, rebuilt only when T_ changes (no allocation per call).
  thread_local LstmBatch one;
  if (one.len.size() != 1 || one.len[0] != T_) one = LstmBatch::equal(1, T_);
  const bool table = tr->zx_table != nullptr;
  const T* zx = table ? tr->zx_table : tr->zx.data();
  const Index ld = table ? tr->zx_ld : 2 * G;
  const Index* rows = table ? tr->zx_rows.data() : nullptr;
  p.lstm[0].forward(one, zx, ld, false, &tr->left, rows);
  p.lstm[1].forward(one, zx + G, ld, true, &tr->right, rows);
  if (T_ > 0) {
    tr->scores.noalias() = p.fc[0] * tr->left.h.row(T_ - 1).transpose();  // [C]
    tr->scores.noalias() += p.fc[1] * tr->right.h.row(T_ - 1).transpose();
  } else {
    tr->scores.setZero(n_classes());
  }
  if (p.fc_bias.size() > 0) tr->scores += p.fc_bias;
}

VecD BiLstmClassifier::forward_embedded(const MatD& x, Trace* trace) const {
  TEXTLRP_ASSERT(x.cols() == n_embd());
  Trace* tr = trace != nullptr ? trace : &scratch_trace();
  if (&x != &tr->x) tr->x = x;
  forward_trace(tr);
  return tr->scores;
}

template <class T>
void BiLstmClassifier::embed_rows(std::span<const TokenId> ids, MatX<T>* x) const {
  const Index T_ = static_cast<Index>(ids.size()), V = n_vocab();
  x->resize(T_, n_embd());
  for (Index t = 0; t < T_; ++t) {
    const TokenId id = ids[static_cast<std::size_t>(t)];
    if (id >= 0 && id < V) {
      x->row(t) = weights_.embedding.row(id).template cast<T>();
    } else {
      x->row(t).setZero();
    }
  }
}

template <class T>
VecX<T> BiLstmClassifier::forward_ids(std::span<const TokenId> ids, LstmTrace<T>* tr, bool with_x) const {
  const Index T_ = static_cast<Index>(ids.size()), V = n_vocab();
  const BiLstmProjectionTable<T> tab = projection_table<T>();
  if (with_x || !tab) {
    embed_rows(ids, &tr->x);  // [T x E] (relevance() and forward_trace() read it)
  } else {
    tr->x.resize(0, n_embd());  // not read: LRP's word relevances come from the table rows
  }
  if (tab) {
    // The rows of the table (bit for bit what forward_trace() projects), read in place.
    tr->zx.resize(0, tab.ld);
    tr->zx_table = tab.data;
    tr->zx_ld = tab.ld;
    tr->zx_rows.resize(static_cast<std::size_t>(T_));
    for (Index t = 0; t < T_; ++t) {
      const TokenId id = ids[static_cast<std::size_t>(t)];
      tr->zx_rows[static_cast<std::size_t>(t)] = id >= 0 && id < V ? static_cast<Index>(id) : V;
    }
    forward_projected(tr, T_);
  } else {
    forward_trace(tr);
  }
  return tr->scores;
}

VecD BiLstmClassifier::forward(std::span<const TokenId> ids, Trace* trace) const {
  // Without a caller's trace (scores()) nothing reads the embedded rows: left out with a table.
  return trace != nullptr ? forward_ids(ids, trace) : forward_ids(ids, &scratch_trace(), false);
}

VecF BiLstmClassifier::forward(std::span<const TokenId> ids, Trace32* trace) const {
  TEXTLRP_ASSERT(trace != nullptr);
  return forward_ids(ids, trace);
}

Vec BiLstmClassifier::scores(std::span<const TokenId> ids) const {
  return forward(truncate(ids)).cast<Scalar>();
}

MatD BiLstmClassifier::gradient(const Trace& trace, const VecD& grad_scores) const {
  const Index T = trace.left.h.rows();  // (x may be empty: DocumentPass)
  if (T == 0) return MatD(0, n_embd());
  const LstmBatch one = LstmBatch::equal(1, T);
  MatD g(T, n_embd());
  MatD dz, gx;
  for (int side = 0; side < 2; ++side) {
    const Lstm<double>& lstm = p64_.lstm[side];
    const MatD dh = (p64_.fc[side].transpose() * grad_scores).transpose();  // [1 x H]
    lstm.backward(one, side == 0 ? trace.left : trace.right, dh, &dz);
    lstm.input_gradient(dz, &gx);  // [T x E] reading order
    if (side == 0) {
      g = gx;
    } else {
      g += gx.colwise().reverse();
    }
  }
  return g;
}

namespace {
constexpr Index kMaxStackHidden = 256;  // R(h_{T-1}) of both directions on the stack up to this H
}  // namespace

template <class T>
LstmRelevance<T> BiLstmClassifier::relevance_of(const LstmTrace<T>& trace, int target,
                                                const LrpSettings& settings, double* tokens) const {
  TEXTLRP_ASSERT(target >= 0 && target < n_classes());
  const Packed<T>& p = packed<T>();
  const Index H = n_hidden(), E = n_embd(), G = 4 * H;
  const Index T_ = trace.left.h.rows();  // trace.x is empty in explain()'s traces
  LstmRelevance<T> r;
  if (tokens == nullptr) {
    TEXTLRP_ASSERT(trace.x.rows() == T_ && trace.x.cols() == E);  // per component: R(x) = x ⊙ ...
    r.x_left.resize(T_, E);
    r.x_right.resize(T_, E);
  }
  if (T_ == 0) return r;
  thread_local std::vector<double> right_tokens;  // this thread's, kept between calls
  if (tokens != nullptr) right_tokens.resize(static_cast<std::size_t>(T_));
  // Output layer: R = s_target on the target; lrp_linear over (hL, hR), N = 2H.
  const T y = trace.scores[target];
  const T sg = y >= 0 ? T(1) : T(-1);
  const T eps = static_cast<T>(settings.eps_fc);
  const T den = y + eps * sg;
  const T q = den != 0 ? y / den : T(0);
  const T b = p.fc_bias.size() > 0 ? p.fc_bias[target] : T(0);
  const T share = static_cast<T>(settings.bias_factor) * (b + eps * sg) / static_cast<T>(2 * H) * q;
  LstmLrpSettings st;
  st.eps = settings.eps_lstm;
  st.bias_factor = settings.bias_factor;
  st.gate_rule = settings.gate_rule == GateRule::kHalf           ? LstmGateRule::kHalf
                 : settings.gate_rule == GateRule::kProportional ? LstmGateRule::kProportional
                                                                 : LstmGateRule::kSignalTakeAll;
  thread_local LstmLrpScratch<T> scratch[2];  // this thread's, kept between calls: no allocation once warm
  T r_h[2][kMaxStackHidden];
  std::vector<T> r_h_heap;
  T* rh[2] = {r_h[0], r_h[1]};
  if (H > kMaxStackHidden) {
    r_h_heap.resize(static_cast<std::size_t>(2 * H));
    rh[0] = r_h_heap.data();
    rh[1] = r_h_heap.data() + H;
  }
  LstmLrpJob<T> job[2];
  for (int side = 0; side < 2; ++side) {
    const LstmCache<T>& d = side == 0 ? trace.left : trace.right;
    const T* h = d.h.row(T_ - 1).data();
    const T* w = p.fc[side].row(target).data();
    for (Index k = 0; k < H; ++k) rh[side][k] = h[k] * w[k] * q + share;
    job[side].cache = &d;
    job[side].r_h_last = rh[side];
    job[side].x = trace.x.data();
    job[side].ldx = E;
    job[side].reverse_steps = side == 1;
    if (tokens != nullptr) {
      // As forward_projected() reads them.
      job[side].zx = (trace.zx_table != nullptr ? trace.zx_table : trace.zx.data()) + side * G;
      job[side].ldzx = trace.zx_table != nullptr ? trace.zx_ld : 2 * G;
      job[side].zx_rows = trace.zx_table != nullptr ? trace.zx_rows.data() : nullptr;
      job[side].r_tokens = side == 0 ? tokens : right_tokens.data();
      job[side].sum_rest = false;  // explain() does not read r_rest
    } else {
      job[side].r_x = side == 0 ? r.x_left.data() : r.x_right.data();
      job[side].ldrx = E;
    }
    job[side].scratch = &scratch[side];
  }
  // The two directions' relevance passes (relevance_pair interleaves them step by step when the rows
  // of W_hh they stream fit in L1 together, else runs one after the other).
  Lstm<T>::relevance_pair(p.lstm[0], &job[0], p.lstm[1], &job[1], st);
  r.r_rest = job[0].r_rest + job[1].r_rest;
  if (tokens != nullptr) {
    for (Index t = 0; t < T_; ++t) tokens[t] += right_tokens[static_cast<std::size_t>(t)];
  }
  return r;
}

BiLstmClassifier::Relevance BiLstmClassifier::relevance(const Trace& trace, int target,
                                                        const LrpSettings& settings) const {
  return relevance_of(trace, target, settings);
}

BiLstmClassifier::Relevance32 BiLstmClassifier::relevance(const Trace32& trace, int target,
                                                          const LrpSettings& settings) const {
  return relevance_of(trace, target, settings);
}

Explanation BiLstmClassifier::explain(std::span<const TokenId> ids, const ExplainOptions& options) const {
  DocumentPass pass;  // nothing shared with any other call
  return explain_in(ids, truncate(ids), options, pass);
}

std::vector<Explanation> BiLstmClassifier::explain_methods(std::span<const TokenId> all_ids,
                                                           std::span<const ExplainOptions> options,
                                                           Vec* scores) const {
  const std::span<const TokenId> ids = truncate(all_ids);
  DocumentPass pass;
  std::vector<Explanation> out;
  out.reserve(options.size());
  for (const ExplainOptions& o : options) out.push_back(explain_in(all_ids, ids, o, pass));
  if (scores != nullptr) *scores = pass.forward(*this, ids).scores.cast<Scalar>();  // as scores()
  return out;
}

Explanation BiLstmClassifier::explain_in(std::span<const TokenId> all_ids, std::span<const TokenId> ids,
                                         const ExplainOptions& options, DocumentPass& pass) const {
  // The model reads the first max_tokens tokens (ids); the rest get relevance 0 (Explanation::truncated).
  // The resolved rules and the LRP rule text of this thread's last call, reused while the request is
  // the same (a map merge and number formatting: ~0.4 us of a 25 us explanation).
  thread_local struct {
    bool valid = false;
    std::map<std::string, Rule> requested;
    RuleMap resolved;
    std::optional<GateRule> gate_rule;
    std::optional<double> bias_factor;
    bool f32 = false;
    std::string lrp_text;  // "" until asked
  } last;
  if (!last.valid || last.requested != options.rules.rules()) {
    last.valid = false;
    last.resolved = resolve_rules(options.rules);  // may throw: then nothing is kept
    last.requested = options.rules.rules();
    last.lrp_text.clear();
    last.valid = true;
  }
  const RuleMap& rules = last.resolved;
  if (options.method != Method::kLrp && (options.gate_rule || options.bias_factor)) {
    throw InvalidArgument(
        fmt::format("the LSTM gate rule and the bias factor apply to method lrp only, not {}",
                    method_name(options.method)));
  }
  if (options.bias_factor && !std::isfinite(*options.bias_factor)) {
    throw InvalidArgument(fmt::format("bias factor must be a finite number, got {}", *options.bias_factor));
  }
  const Precision precision = options.precision.value_or(Precision::kFloat64);
  if (precision == Precision::kFloat32 && options.method != Method::kLrp) {
    throw InvalidArgument(
        fmt::format("precision float32 applies to method lrp only, not {} (it runs in float64)",
                    method_name(options.method)));
  }
  if (precision == Precision::kFloat32 && !float32_ok_) {
    throw InvalidArgument("bilstm: precision float32 is not available: a weight is beyond float32's range");
  }
  const bool f32 = precision == Precision::kFloat32;
  thread_local Trace32 trace32;  // this thread's scratch, kept between calls (see scratch_trace())
  if (f32) forward_ids(ids, &trace32, false);                        // its x is not read (LRP only)
  const Trace* trace64 = f32 ? nullptr : &pass.forward(*this, ids);  // once per DocumentPass
  // The scores, read in place (no copy per call); best = the first maximum (on float32's scores the
  // same class as on their float64 values).
  Explanation e;
  Index best = 0;
  if (f32) {
    e.scores = trace32.scores.cast<Scalar>();
    trace32.scores.maxCoeff(&best);
  } else {
    e.scores = trace64->scores.cast<Scalar>();
    trace64->scores.maxCoeff(&best);
  }
  if (options.target >= static_cast<int>(labels_.size())) {
    throw InvalidArgument(fmt::format("target class {} is out of range (the model has {} classes)",
                                      options.target, labels_.size()));
  }
  e.target = options.target >= 0 ? options.target : static_cast<int>(best);
  const Index T = static_cast<Index>(ids.size());
  const auto n = static_cast<std::size_t>(T);
  e.relevance.assign(n, 0.0);
  const double score = f32 ? static_cast<double>(trace32.scores[e.target]) : trace64->scores[e.target];
  switch (options.method) {
    case Method::kLrp: {
      LrpSettings st;
      st.eps_fc = epsilon_of(rules.at("fc"), "fc");
      st.eps_lstm = epsilon_of(rules.at("lstm"), "lstm");
      st.bias_factor = options.bias_factor.value_or(0.0);
      st.gate_rule = options.gate_rule.value_or(GateRule::kSignalTakeAll);
      const auto same_bits = [](const std::optional<double>& a, const std::optional<double>& b) {
        return a.has_value() == b.has_value() &&
               (!a || std::bit_cast<std::uint64_t>(*a) == std::bit_cast<std::uint64_t>(*b));  // −0 is not 0
      };
      if (last.lrp_text.empty() || last.gate_rule != options.gate_rule ||
          !same_bits(last.bias_factor, options.bias_factor) || last.f32 != f32) {
        last.lrp_text =
            fmt::format("{}; lstm-rule {}; bias-factor {}{}", rules.to_string(), gate_rule_name(st.gate_rule),
                        st.bias_factor, f32 ? "; precision float32" : "");
        last.gate_rule = options.gate_rule;
        last.bias_factor = options.bias_factor;
        last.f32 = f32;
      }
      e.rule = last.lrp_text;
      // The word relevances directly (relevance_of's tokens: from the forward pass's input
      // projections, no [T x E] relevance to sum).
      if (f32) {
        relevance_of(trace32, e.target, st, e.relevance.data());
      } else {
        relevance_of(*trace64, e.target, st, e.relevance.data());
      }
      break;
    }
    case Method::kSensitivity:
    case Method::kGradientInput: {
      // One gradient per document pass and target for both.
      const MatD& grad = pass.gradient(*this, e.target);
      const std::vector<double> r = options.method == Method::kSensitivity
                                        ? baselines::sensitivity_of(grad)
                                        : baselines::gradient_input_of(grad, pass.x(*this));
      std::copy(r.begin(), r.end(), e.relevance.begin());
      break;
    }
    case Method::kOcclusion: {
      // s(x) − s(x without token t), the T shortened documents scored from their token ids (the
      // rows' projections and prefix states bit for bit those of baselines::occlusion on rows).
      std::vector<std::vector<TokenId>> without(n);
      for (std::size_t t = 0; t < n; ++t) {
        without[t].reserve(n - 1);
        without[t].insert(without[t].end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(t));
        without[t].insert(without[t].end(), ids.begin() + static_cast<std::ptrdiff_t>(t) + 1, ids.end());
      }
      const MatD64 sw = batch_scores_of(without, baselines::kBatchRows);
      for (std::size_t t = 0; t < n; ++t) e.relevance[t] = score - sw(static_cast<Index>(t), e.target);
      break;
    }
    default: {
      Embedded in;
      in.x = pass.x(*this);
      in.n_tokens = T;
      const std::vector<double> r =
          baselines::token_relevance(*this, in, ids.first(n), options.method, e.target, score, options);
      std::copy(r.begin(), r.end(), e.relevance.begin());
      break;
    }
  }
  const double sum = std::accumulate(e.relevance.begin(), e.relevance.end(), 0.0);
  e.bias_relevance = score - sum;
  e.truncated = ids.size() < all_ids.size();
  e.relevance.resize(all_ids.size(), 0.0);
  return e;
}

Embedded BiLstmClassifier::embed(std::span<const TokenId> all_ids) const {
  const std::span<const TokenId> ids =
      all_ids.first(std::min(all_ids.size(), static_cast<std::size_t>(max_tokens_)));
  const Index T_ = static_cast<Index>(ids.size()), V = n_vocab();
  Embedded out;
  out.x.resize(T_, n_embd());  // [T x E], as forward_ids()
  for (Index t = 0; t < T_; ++t) {
    const TokenId id = ids[static_cast<std::size_t>(t)];
    if (id >= 0 && id < V) {
      out.x.row(t) = weights_.embedding.row(id);
    } else {
      out.x.row(t).setZero();
    }
  }
  out.n_tokens = T_;
  return out;
}

}  // namespace textlrp::lrp
