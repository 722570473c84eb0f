#include "core/cpu_isa.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "core/error.h"

namespace textlrp {
namespace {

#if TEXTLRP_ISA_MODE == 1 && (defined(__x86_64__) || defined(__i386__))
// F16C from cpuid leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does not know "f16c".
bool has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_F16C) != 0;
}
#endif

// __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512 registers (XGETBV).
Isa detect() {
#if TEXTLRP_ISA_MODE == 2
  return Isa::kNative;
#elif TEXTLRP_ISA_MODE == 1 && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  const bool v2 = __builtin_cpu_supports("sse3") && __builtin_cpu_supports("ssse3") &&
                  __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("sse4.2") &&
                  __builtin_cpu_supports("popcnt");
  const bool v3 = v2 && __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") &&
                  __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
                  __builtin_cpu_supports("bmi2") && has_f16c();
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return v4 ? Isa::kV4 : v3 ? Isa::kV3 : v2 ? Isa::kV2 : Isa::kGeneric;
#else
  return Isa::kGeneric;
#endif
}

struct Choice {
  Isa isa;
  std::string description;
};

Choice choose() {
  const Isa best = detect();
  const char* env = std::getenv("TEXTLRP_ISA");
  Isa isa = best;
  std::string how = "best on this CPU";
  if (env != nullptr && *env != '\0') {
    if (best == Isa::kNative) {
      std::fprintf(stderr,
                   "textlrp: warning: TEXTLRP_ISA=%s ignored: this build's kernels are for the build "
                   "machine only (-DTEXTLRP_NATIVE=ON)\n",
                   env);
    } else {
      bool clamped = false;
      isa = resolve_isa(env, best, &clamped);
      if (clamped) {
        std::fprintf(stderr, "textlrp: warning: TEXTLRP_ISA=%s is above what this CPU supports; using %s\n",
                     env, std::string(isa_name(best)).c_str());
      }
      how = std::string("TEXTLRP_ISA=") + env + "; best on this CPU: " + std::string(isa_name(best));
    }
  }
  return {isa, std::string(isa_name(isa)) + " (" + how + ")"};
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kGeneric: return "generic";
    case Isa::kV2: return "v2";
    case Isa::kV3: return "v3";
    case Isa::kV4: return "v4";
    case Isa::kNative: return "native";
  }
  return "generic";
}

Isa detected_isa() { return detect(); }

std::size_t l1_data_cache_bytes() {
  static const std::size_t bytes = [] {
#ifdef _SC_LEVEL1_DCACHE_SIZE
    const long n = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    return n > 0 ? static_cast<std::size_t>(n) : std::size_t(0);
#else
    return std::size_t(0);
#endif
  }();
  return bytes;
}

Isa resolve_isa(std::string_view requested, Isa detected, bool* clamped) {
  Isa want;
  if (requested == "generic") {
    want = Isa::kGeneric;
  } else if (requested == "v2") {
    want = Isa::kV2;
  } else if (requested == "v3") {
    want = Isa::kV3;
  } else if (requested == "v4") {
    want = Isa::kV4;
  } else {
    throw InvalidArgument("TEXTLRP_ISA='" + std::string(requested) +
                          "' is not a level; expected generic, v2, v3 or v4");
  }
  const bool over = static_cast<int>(want) > static_cast<int>(detected);
  if (clamped != nullptr) *clamped = over;
  return over ? detected : want;
}

Isa cpu_isa() { return choice().isa; }

std::string_view isa_description() { return choice().description; }

}  // namespace textlrp
