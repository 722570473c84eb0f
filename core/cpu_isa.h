// core/cpu_isa.h — the instruction-set level the compute kernels run at, chosen once per process.
//
// The kernels (files *.isa.cpp, see cmake/textlrp_isa.cmake) are compiled once per x86-64 level into
// one binary: generic (baseline x86-64, SSE2), v2 (x86-64-v2: SSE4.2, POPCNT), v3 (x86-64-v3: AVX2,
// FMA, BMI1/2, F16C) and v4 (x86-64-v4: AVX-512 F, BW, DQ, VL). cpu_isa() is the best level the CPU
// supports (cpuid, through GCC's __builtin_cpu_supports), or the lower one the environment variable
// TEXTLRP_ISA=generic|v2|v3|v4 asks for. A level above what the CPU supports is clamped to the CPU's
// level with one warning on stderr (running AVX-512 code on a CPU without it would die with SIGILL);
// any other value is an InvalidArgument naming the accepted ones. A -DTEXTLRP_NATIVE=ON build has one
// level, "native" (-march=native; TEXTLRP_ISA is ignored with a warning); a build for another
// processor has only "generic".
//
// Kernel interfaces (raw pointers and sizes only) are declared for every level with
// TEXTLRP_ISA_DECLARE and called through TEXTLRP_ISA_DISPATCH, e.g.
//   TEXTLRP_ISA_DECLARE(const CnnKernels& cnn_kernels())           // in the kernel's header
//   const CnnKernels& k = TEXTLRP_ISA_DISPATCH(cnn_kernels());     // in generic code
// where each level's *.isa.cpp defines textlrp::isa_<level>::cnn_kernels().
#pragma once

#include <cstddef>
#include <string_view>

#include "textlrp/config.h"

namespace textlrp {

enum class Isa { kGeneric = 0, kV2 = 1, kV3 = 2, kV4 = 3, kNative = 4 };

// "generic", "v2", "v3", "v4", "native".
std::string_view isa_name(Isa isa);
// The best level this CPU supports (cpuid), ignoring TEXTLRP_ISA; kNative in a native build.
Isa detected_isa();
// The level in use: detected_isa(), lowered by TEXTLRP_ISA. Decided on the first call (thread-safe);
// throws InvalidArgument for an unknown TEXTLRP_ISA value (on every call).
Isa cpu_isa();
// The level a TEXTLRP_ISA value selects on a CPU whose best level is `detected` (the rule of
// cpu_isa(), for tests). `clamped` (optional) is set when the value asked for more than `detected`.
// Throws InvalidArgument for an unknown value.
Isa resolve_isa(std::string_view requested, Isa detected, bool* clamped = nullptr);
// "v4 (AVX-512; best on this CPU: v4)"-style description for --version and bench.
std::string_view isa_description();
// This core's L1 data cache in bytes (glibc's sysconf(_SC_LEVEL1_DCACHE_SIZE), read once), 0 where
// the system does not say. For kernels that size their working sets to it.
std::size_t l1_data_cache_bytes();

}  // namespace textlrp

#define TEXTLRP_ISA_DECLARE_IN_(NS, DECL) \
  namespace textlrp::NS {                 \
  DECL;                                   \
  }
#if TEXTLRP_ISA_MODE == 1
#define TEXTLRP_ISA_DECLARE(DECL)            \
  TEXTLRP_ISA_DECLARE_IN_(isa_generic, DECL) \
  TEXTLRP_ISA_DECLARE_IN_(isa_v2, DECL)      \
  TEXTLRP_ISA_DECLARE_IN_(isa_v3, DECL)      \
  TEXTLRP_ISA_DECLARE_IN_(isa_v4, DECL)
#define TEXTLRP_ISA_DISPATCH(CALL)                                         \
  (::textlrp::cpu_isa() == ::textlrp::Isa::kV4   ? ::textlrp::isa_v4::CALL \
   : ::textlrp::cpu_isa() == ::textlrp::Isa::kV3 ? ::textlrp::isa_v3::CALL \
   : ::textlrp::cpu_isa() == ::textlrp::Isa::kV2 ? ::textlrp::isa_v2::CALL \
                                                 : ::textlrp::isa_generic::CALL)
#elif TEXTLRP_ISA_MODE == 2
#define TEXTLRP_ISA_DECLARE(DECL) TEXTLRP_ISA_DECLARE_IN_(isa_native, DECL)
#define TEXTLRP_ISA_DISPATCH(CALL) (::textlrp::isa_native::CALL)
#else
#define TEXTLRP_ISA_DECLARE(DECL) TEXTLRP_ISA_DECLARE_IN_(isa_generic, DECL)
#define TEXTLRP_ISA_DISPATCH(CALL) (::textlrp::isa_generic::CALL)
#endif
