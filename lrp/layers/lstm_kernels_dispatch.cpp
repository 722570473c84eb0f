// lrp/layers/lstm_kernels_dispatch.cpp — the LSTM kernels' tables of the level in use
// (lrp/isa/lstm_kernels.h; the level is core/cpu_isa.h's cpu_isa(), TEXTLRP_ISA lowers it).
#include <string_view>

#include "core/cpu_isa.h"
#include "lrp/isa/lstm_kernels.h"

TEXTLRP_ISA_DECLARE(const lrp::lstm_kernels::Table<double>& lstm_kernels_f64())
TEXTLRP_ISA_DECLARE(const lrp::lstm_kernels::Table<float>& lstm_kernels_f32())

namespace textlrp::lrp::lstm_kernels {

const Table<double>& table_f64() { return TEXTLRP_ISA_DISPATCH(lstm_kernels_f64()); }
const Table<float>& table_f32() { return TEXTLRP_ISA_DISPATCH(lstm_kernels_f32()); }
const char* isa_in_use() { return table_f64().isa; }

namespace {
// Whether this build has the level `name` and the CPU can run it.
bool available(std::string_view name, Isa* isa) {
  for (const Isa l : {Isa::kGeneric, Isa::kV2, Isa::kV3, Isa::kV4, Isa::kNative}) {
    if (isa_name(l) != name) continue;
#if TEXTLRP_ISA_MODE == 1
    if (l == Isa::kNative || static_cast<int>(l) > static_cast<int>(detected_isa())) return false;
#else
    if (l != detected_isa() && !(l == Isa::kGeneric && detected_isa() == Isa::kGeneric)) return false;
#endif
    *isa = l;
    return true;
  }
  return false;
}
}  // namespace

const Table<double>* table_f64_of(const char* level) {
  Isa l{};
  if (!available(level, &l)) return nullptr;
#if TEXTLRP_ISA_MODE == 1
  switch (l) {
    case Isa::kV4: return &isa_v4::lstm_kernels_f64();
    case Isa::kV3: return &isa_v3::lstm_kernels_f64();
    case Isa::kV2: return &isa_v2::lstm_kernels_f64();
    default: return &isa_generic::lstm_kernels_f64();
  }
#else
  return &table_f64();
#endif
}

const Table<float>* table_f32_of(const char* level) {
  Isa l{};
  if (!available(level, &l)) return nullptr;
#if TEXTLRP_ISA_MODE == 1
  switch (l) {
    case Isa::kV4: return &isa_v4::lstm_kernels_f32();
    case Isa::kV3: return &isa_v3::lstm_kernels_f32();
    case Isa::kV2: return &isa_v2::lstm_kernels_f32();
    default: return &isa_generic::lstm_kernels_f32();
  }
#else
  return &table_f32();
#endif
}

}  // namespace textlrp::lrp::lstm_kernels
