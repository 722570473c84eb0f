// lrp/models/bilstm_table.cpp — the BiLSTM's projected-embedding tables (bilstm_classifier.h: what they
// cost and give): built once per model and precision on first use, under a size limit.
#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string_view>
#include <type_traits>

#include "core/error.h"
#include "lrp/models/bilstm_classifier.h"

namespace textlrp::lrp {
namespace {

// One precision's projected-embedding table, built once.
template <class T>
struct TableSlot {
  std::once_flag once;
  detail::AlignedArray<T> rows;  // [(V + 1) x 8H], or empty
};

}  // namespace

struct BiLstmClassifier::Tables {
  TableSlot<double> t64;
  TableSlot<float> t32;
  template <class T>
  TableSlot<T>& slot() {
    if constexpr (std::is_same_v<T, double>) {
      return t64;
    } else {
      return t32;
    }
  }
};

std::int64_t BiLstmClassifier::table_limit_from_environment() {
  constexpr std::int64_t kMiB = 1 << 20;
  const char* env = std::getenv("TEXTLRP_BILSTM_TABLE");
  if (env == nullptr || *env == '\0') return kBiLstmDefaultTableMiB * kMiB;
  const std::string_view v(env);
  if (v == "off") return 0;
  std::int64_t mib = 0;
  bool ok = v.size() <= 9;  // at most 999999999 MiB: no overflow in bytes
  for (const char ch : v) {
    if (ch < '0' || ch > '9') ok = false;
    if (ok) mib = mib * 10 + (ch - '0');
  }
  if (!ok) {
    throw InvalidArgument(
        fmt::format("TEXTLRP_BILSTM_TABLE='{}' is not a size: expected the size limit of the BiLSTM's "
                    "projected-embedding "
                    "tables in MiB (a whole number, 0 or off = no tables)",
                    v));
  }
  return mib * kMiB;
}

std::shared_ptr<BiLstmClassifier::Tables> BiLstmClassifier::make_tables() {
  return std::make_shared<Tables>();
}

template <class T>
BiLstmProjectionTable<T> BiLstmClassifier::projection_table() const {
  if (tables_ == nullptr) return {};  // a moved-from model
  TableSlot<T>& slot = tables_->slot<T>();
  const Index V = n_vocab(), E = n_embd(), G = 4 * n_hidden(), ld = 2 * G;
  std::call_once(slot.once, [&] {
    const double bytes = static_cast<double>(V + 1) * static_cast<double>(ld) * sizeof(T);
    if (bytes > static_cast<double>(table_limit_)) return;
    if (std::is_same_v<T, float> && !float32_ok_) return;
    try {
      detail::AlignedArray<T> rows((V + 1) * ld);
      const Packed<T>& p = packed<T>();
      // The rows in chunks (for float, a float copy of a chunk of the embedding), each projected by
      // both directions with Lstm::project, as forward_trace() projects a document's rows.
      constexpr Index kChunk = 256;
      MatX<T> x(std::min(kChunk, V + 1), E);
      for (Index r0 = 0; r0 <= V; r0 += kChunk) {
        const Index n = std::min(kChunk, V + 1 - r0);
        for (Index i = 0; i < n; ++i) {
          if (r0 + i < V) {
            x.row(i) = weights_.embedding.row(r0 + i).template cast<T>();
          } else {
            x.row(i).setZero();  // ids outside [0, V): the zero row, projected too (not assumed = bias)
          }
        }
        for (int side = 0; side < 2; ++side)
          p.lstm[side].project(x.data(), E, n, rows.data() + r0 * ld + side * G, ld);
      }
      slot.rows = std::move(rows);
    } catch (const std::bad_alloc&) {
      // No table: every forward pass projects its rows, as without one.
    }
  });
  if (slot.rows.size() == 0) return {};
  return {slot.rows.data(), V + 1, ld};
}
template BiLstmProjectionTable<double> BiLstmClassifier::projection_table<double>() const;
template BiLstmProjectionTable<float> BiLstmClassifier::projection_table<float>() const;

}  // namespace textlrp::lrp
