// lrp/layers/lstm_kernels_dispatch.cpp — chooses the LSTM kernels' level once (lstm_kernels.h).
//
// The best level the CPU supports (__builtin_cpu_supports), or a lower one named by the environment
// variable TEXTLRP_ISA (generic, v2, v3, v4; a level the CPU lacks, or an unknown name, falls back to
// the best one the CPU has). This is the LSTM's own small dispatcher until the project-wide one
// (core/cpu_isa.h, cmake/textlrp_isa.cmake) takes it over.
#include <cstdlib>
#include <cstring>

#include "lrp/layers/lstm_kernels.h"

namespace textlrp::lrp::lstm_kernels {
namespace generic {
extern const Table<double> kTableF64;
extern const Table<float> kTableF32;
}  // namespace generic
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace v2 {
extern const Table<double> kTableF64;
extern const Table<float> kTableF32;
}  // namespace v2
namespace v3 {
extern const Table<double> kTableF64;
extern const Table<float> kTableF32;
}  // namespace v3
namespace v4 {
extern const Table<double> kTableF64;
extern const Table<float> kTableF32;
}  // namespace v4
#endif

namespace {

enum Level { kGeneric = 0, kV2 = 1, kV3 = 2, kV4 = 3 };

Level cpu_level() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool v2 = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt") &&
                  __builtin_cpu_supports("ssse3");
  const bool v3 = v2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi2");
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return v4 ? kV4 : v3 ? kV3 : v2 ? kV2 : kGeneric;
#else
  return kGeneric;
#endif
}

Level chosen_level() {
  static const Level level = [] {
    Level best = cpu_level();
    if (const char* want = std::getenv("TEXTLRP_ISA"); want != nullptr && *want != '\0') {
      const char* names[] = {"generic", "v2", "v3", "v4"};
      for (int l = 0; l < 4; ++l) {
        if (std::strcmp(want, names[l]) == 0 && l <= best) return static_cast<Level>(l);
      }
    }
    return best;
  }();
  return level;
}

}  // namespace

const Table<double>& table_f64() {
  switch (chosen_level()) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    case kV4: return v4::kTableF64;
    case kV3: return v3::kTableF64;
    case kV2: return v2::kTableF64;
#endif
    default: return generic::kTableF64;
  }
}

const Table<float>& table_f32() {
  switch (chosen_level()) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    case kV4: return v4::kTableF32;
    case kV3: return v3::kTableF32;
    case kV2: return v2::kTableF32;
#endif
    default: return generic::kTableF32;
  }
}

const char* isa_in_use() { return table_f64().isa; }

namespace {
int level_of(const char* name) {
  const char* names[] = {"generic", "v2", "v3", "v4"};
  for (int l = 0; l < 4; ++l) {
    if (std::strcmp(name, names[l]) == 0) return l <= cpu_level() ? l : -1;
  }
  return -1;
}
}  // namespace

const Table<double>* table_f64_of(const char* level) {
  switch (level_of(level)) {
    case kGeneric: return &generic::kTableF64;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    case kV2: return &v2::kTableF64;
    case kV3: return &v3::kTableF64;
    case kV4: return &v4::kTableF64;
#endif
    default: return nullptr;
  }
}

const Table<float>* table_f32_of(const char* level) {
  switch (level_of(level)) {
    case kGeneric: return &generic::kTableF32;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    case kV2: return &v2::kTableF32;
    case kV3: return &v3::kTableF32;
    case kV4: return &v4::kTableF32;
#endif
    default: return nullptr;
  }
}

}  // namespace textlrp::lrp::lstm_kernels
