// lrp/layers/lstm_kernels_v2.cpp — the LSTM kernels compiled for x86-64-v2 (lrp/CMakeLists.txt sets
// -march=x86-64-v2 on this file); empty on other architectures. See lstm_kernels.h.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TEXTLRP_LSTM_ISA v2
#include "lrp/layers/lstm_kernels.cpp"  // NOLINT(bugprone-suspicious-include): one source, one copy per level
#endif
