// lrp/isa/lstm_parts.isa.h — what the two LSTM kernel files (lstm_kernels.isa.cpp, lstm_relevance.isa.cpp)
// share, for one instruction-set level (included only by *.isa.cpp files, inside their level's
// namespace): the panel width of packed matrices, and the relevance pass's entry points, which
// lstm_relevance.isa.cpp defines and lstm_kernels.isa.cpp's tables point at.
#pragma once

#include "lrp/isa/lstm_kernels.h"
#include "lrp/isa/simd.isa.h"

#ifndef TEXTLRP_ISA_NS
#error "include this header only from files compiled through textlrp_isa_kernels (cmake/textlrp_isa.cmake)"
#endif

namespace textlrp::TEXTLRP_ISA_NS {
namespace {

// Panel width: 8 vectors (8 accumulators for the one-row product of a recurrence step), or 4 for a
// matrix of at most 4 vectors' width (H = 60 in float32: 64 columns, not 128 of which 68 are zero
// padding that every product would stream).
constexpr int kPanelVectors = 8;
template <class T>
constexpr Size panel_width(Size n_out) {
  constexpr Size L = Simd<T>::kLanes;
  return n_out <= 4 * L ? 4 * L : kPanelVectors * L;
}

}  // namespace

// Table::lrp_sta_steps, lrp_input_rows and lrp_input_sums of this level (lstm_kernels.h), instantiated
// for double and float in lstm_relevance.isa.cpp.
namespace lstm_relevance {
template <class T>
void lrp_sta_steps(const lrp::lstm_kernels::LrpStaJob<T>* jobs, Size n_jobs, T eps);
template <class T>
void lrp_input_rows(const T* pr, Size ldpr, const T* gamma, const T* x, Size ldx, Size n_rows, Size E,
                    int reverse, T* out, Size ldout);
template <class T>
void lrp_input_sums(const T* q, Size ldq, const T* gamma, const T* zx, Size ldzx, const Size* rows,
                    const T* b, Size n, Size n_rows, Size E, int reverse, double* out);
}  // namespace lstm_relevance

}  // namespace textlrp::TEXTLRP_ISA_NS
