// lrp/isa/peak_kernels.h — the arithmetic peak of one core at a given instruction-set level: a
// micro-kernel of many independent vector multiply-add chains (peak_kernels.isa.cpp), compiled once
// per level with the other kernels (cmake/textlrp_isa.cmake) and called through TEXTLRP_ISA_DISPATCH.
// `textlrp bench --model-shape` times it to print the floor of a model's arithmetic (its
// multiply-adds / this peak) next to the measured time. Raw integers and floating-point values only
// cross this interface.
//
// One call runs `iterations` rounds; each round updates every accumulator once, a = a·a + c, with
// an FMA instruction where the level has one (v3, v4, native with FMA), else a multiply and an add.
// The accumulators (the widest vector register of the level: 64 bytes with AVX-512, 32 with AVX,
// else 16) are independent chains, enough of them to cover the FMA latency times the FMA ports
// (4 cycles x 2 ports = 8 on current x86): 24 with 32 vector registers, 16 with 16 (one chain per
// register: the constant c is a memory operand). The chains start at different values in [0, 3/8)
// and converge to 1/4 (c = 3/16: the attracting fixed point of a² + c), so no value overflows or
// becomes subnormal.
// *macs is set to the multiply-adds done (iterations x accumulators x lanes); the return value is
// the accumulators' sum (so the compiler cannot drop the loop).
#pragma once

#include <cstdint>

#include "core/cpu_isa.h"

TEXTLRP_ISA_DECLARE(double fma_peak_f64(std::int64_t iterations, std::int64_t* macs))
TEXTLRP_ISA_DECLARE(double fma_peak_f32(std::int64_t iterations, std::int64_t* macs))
