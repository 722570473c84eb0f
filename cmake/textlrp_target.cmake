# The standard and third-party headers nearly every file includes. With TEXTLRP_PCH (default ON)
# each target parses them once, into a precompiled header, instead of once per file: about a fifth
# of each file's compile time (3-5 s of 15-25 s for an Eigen + fmt + json file at -O3). Not for
# the fuzz build (clang), which so keeps checking that every file includes what it uses.
set(TEXTLRP_PCH_HEADERS <algorithm> <cstdint> <filesystem> <functional> <map> <memory> <optional> <span>
    <string> <string_view> <vector> <Eigen/Core> <fmt/format.h> <nlohmann/json.hpp>)

# textlrp_precompile(tgt [HEADER ...]): the common headers (and any extra ones) as tgt's
# precompiled header, when TEXTLRP_PCH is on.
function(textlrp_precompile tgt)
  if(TEXTLRP_PCH AND NOT TEXTLRP_FUZZ)
    target_precompile_headers(${tgt} PRIVATE ${TEXTLRP_PCH_HEADERS} ${ARGN})
  endif()
endfunction()

# textlrp_configure_target(tgt): per-target settings (never global flags, never -march=native).
function(textlrp_configure_target tgt)
  target_compile_features(${tgt} PUBLIC cxx_std_20)
  set_target_properties(${tgt} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wpedantic)
  if(TEXTLRP_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
  if(TEXTLRP_SANITIZE)
    # -fno-sanitize-recover: undefined behaviour stops the program (and fails its test) instead of
    # printing a warning that a passing test would hide.
    target_compile_options(${tgt} PUBLIC -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${tgt} PUBLIC -fsanitize=address,undefined -fno-sanitize-recover=all)
  endif()
  if(TEXTLRP_FUZZ)
    # libFuzzer coverage instrumentation without libFuzzer's main (the fuzz targets in tests/fuzz/
    # link it with -fsanitize=fuzzer); undefined behaviour aborts, so it is reported as a crash.
    target_compile_options(${tgt} PUBLIC -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                           -fno-omit-frame-pointer -g)
    target_link_options(${tgt} PUBLIC -fsanitize=address,undefined -fno-sanitize-recover=all)
  endif()
endfunction()

# textlrp_module(name [PUBLIC_DEPS ...] [PRIVATE_DEPS ...]): one static library per top-level folder,
# made of every .cpp in that folder (recursively) but the per-ISA *.isa.cpp, aliased as textlrp::name.
function(textlrp_module name)
  cmake_parse_arguments(M "" "" "PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(FILTER srcs EXCLUDE REGEX "\\.isa\\.cpp$")  # per-ISA kernels: textlrp_isa_kernels (textlrp_isa.cmake)
  if(NOT srcs)  # a folder with headers only (or nothing yet)
    add_library(textlrp_${name} INTERFACE)
    target_link_libraries(textlrp_${name} INTERFACE ${M_PUBLIC_DEPS})
    add_library(textlrp::${name} ALIAS textlrp_${name})
    return()
  endif()
  add_library(textlrp_${name} STATIC ${srcs})
  add_library(textlrp::${name} ALIAS textlrp_${name})
  target_link_libraries(textlrp_${name} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  textlrp_configure_target(textlrp_${name})
  textlrp_precompile(textlrp_${name})
endfunction()
