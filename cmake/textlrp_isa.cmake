# cmake/textlrp_isa.cmake — compute kernels compiled once per x86-64 instruction-set level, chosen
# at run time (core/cpu_isa.h), so one binary runs on any x86-64 and uses AVX2/AVX-512 where the CPU
# has them (the scheme of CTranslate2's src/cpu/: kernels compiled per ISA + CPU_ISA_DISPATCH).
#
# Levels (TEXTLRP_ISA_LEVELS):
#   x86-64, default      generic (no -march: the baseline), v2 (-march=x86-64-v2), v3 (-march=x86-64-v3:
#                        AVX2, FMA, BMI, F16C), v4 (-march=x86-64-v4: AVX-512 F/BW/DQ/VL)
#   -DTEXTLRP_NATIVE=ON  native only (-march=native): a binary for the build machine alone
#   any other processor  generic only (plain build)
#
# HOW TO ADD KERNELS (one call per module; append your file to its SOURCES list):
#   textlrp_isa_kernels(lrp SOURCES lrp/isa/cnn_kernels.isa.cpp lrp/isa/your_kernels.isa.cpp)
# Every file must be named *.isa.cpp (textlrp_module's glob leaves those out) and is compiled once per
# level into the object library textlrp_<module>_isa_<level>, whose objects go into textlrp_<module>.
# Each copy is compiled with:
#   TEXTLRP_ISA_NS=isa_<level>      the namespace to put ALL of the file's code in:
#                                   namespace textlrp::TEXTLRP_ISA_NS { ... }
#   TEXTLRP_ISA_LEVEL_NAME="<level>"
#   Eigen=textlrp_eigen_<level>     Eigen's namespace renamed, so no inline/template Eigen function
#                                   compiled with AVX-512 shares a (COMDAT) symbol with generic code
# Rules for such a file (else the linker may hand an AVX-512 copy of an inline function to generic
# code, which then dies with SIGILL on an older CPU):
#   - its interface (the header generic code includes) uses raw pointers and sizes only: no Eigen, no
#     std:: type, no inline function; declare it for every level with TEXTLRP_ISA_DECLARE
#     (core/cpu_isa.h) and call it through TEXTLRP_ISA_DISPATCH;
#   - it includes no project header that defines inline functions or Eigen-based types (core/tensor.h,
#     core/error.h, ...), and no std:: template that is not fully inlined (containers, strings);
#   - no static object with a constructor (its initialiser would run at start-up on every CPU).
# The files are compiled with -O3 in every build type (Debug and the sanitizer build too), so that
# small std:: helpers are inlined rather than emitted as shared out-of-line copies.
# tests/isa/check_isa_symbols.sh (ctest "isa: symbols") disassembles the textlrp binary and fails if
# any function outside the isa_<level> / textlrp_eigen_<level> namespaces uses ymm or zmm registers.

option(TEXTLRP_NATIVE "Compile the kernels for this machine only (-march=native) instead of once per x86-64 level" OFF)

if(TEXTLRP_NATIVE)
  set(TEXTLRP_ISA_LEVELS native)
  set(TEXTLRP_ISA_MODE_ID 2)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(TEXTLRP_ISA_LEVELS generic v2 v3 v4)
  set(TEXTLRP_ISA_MODE_ID 1)
else()
  set(TEXTLRP_ISA_LEVELS generic)
  set(TEXTLRP_ISA_MODE_ID 0)
endif()
message(STATUS "textlrp: kernel ISA levels: ${TEXTLRP_ISA_LEVELS}")

# The compiler flags of one level.
function(textlrp_isa_flags level out)
  if(level STREQUAL "native")
    set(${out} -march=native PARENT_SCOPE)
  elseif(level STREQUAL "generic")
    set(${out} "" PARENT_SCOPE)
  else()
    set(${out} -march=x86-64-${level} PARENT_SCOPE)
  endif()
endfunction()

# textlrp_isa_kernels(module SOURCES file...): compiles the files once per level (see above) and
# adds the objects to textlrp_<module>. Paths are relative to the project root or absolute.
function(textlrp_isa_kernels module)
  cmake_parse_arguments(I "" "" "SOURCES" ${ARGN})
  set(srcs)
  foreach(s ${I_SOURCES})
    if(NOT IS_ABSOLUTE "${s}")
      set(s "${PROJECT_SOURCE_DIR}/${s}")
    endif()
    if(NOT s MATCHES "\\.isa\\.cpp$")
      message(FATAL_ERROR "textlrp_isa_kernels: ${s} must be named *.isa.cpp")
    endif()
    list(APPEND srcs ${s})
  endforeach()
  foreach(level ${TEXTLRP_ISA_LEVELS})
    set(tgt textlrp_${module}_isa_${level})
    add_library(${tgt} OBJECT ${srcs})
    textlrp_isa_flags(${level} flags)
    # -O3 in every build type (it comes after CMAKE_CXX_FLAGS_<CONFIG>): at -O0/-O1 small std::
    # helpers (std::min<long>, exception constructors) are emitted out of line as shared COMDAT
    # copies compiled for this level, which the linker may hand to generic code.
    target_compile_options(${tgt} PRIVATE ${flags} -O3)
    # GCC 12 reports its own AVX-512 intrinsics (avx512fintrin.h, inlined into Eigen) as "may be
    # used uninitialized": a false positive in a system header, silenced so -DTEXTLRP_WERROR=ON builds.
    target_compile_options(${tgt} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
    target_compile_definitions(${tgt} PRIVATE TEXTLRP_ISA_NS=isa_${level} TEXTLRP_ISA_LEVEL_NAME="${level}"
                               Eigen=textlrp_eigen_${level})
    # Include paths only (the project root, the generated config.h, Eigen's headers as system
    # headers); the objects are linked through textlrp_<module>.
    target_include_directories(${tgt} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
    target_link_libraries(${tgt} PRIVATE Eigen3::Eigen)
    textlrp_configure_target(${tgt})  # warnings, C++20, and the sanitizer / fuzz flags of this build
    target_sources(textlrp_${module} PRIVATE $<TARGET_OBJECTS:${tgt}>)
  endforeach()
endfunction()
