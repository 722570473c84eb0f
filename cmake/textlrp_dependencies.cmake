# cmake/textlrp_dependencies.cmake — the third-party packages textlrp's libraries use, found the
# same way by the build (included from the top-level CMakeLists.txt) and by an installed package
# (included from textlrpConfig.cmake, where TEXTLRP_DEPENDENCIES_FOR_CONFIG is set and a missing
# package makes find_package(textlrp) fail with its name instead of stopping the configure).
# TEXTLRP_WITH_TRAINING decides whether the solvers of train/ are looked for at all.
#
# Imported targets defined here (the libraries are static, so a consumer links their private
# dependencies too): textlrp_dep::sentencepiece (and, with training, textlrp_dep::sentencepiece_train,
# liblinear::liblinear, PkgConfig::fasttext), besides the packages' own Eigen3::Eigen, fmt::fmt,
# nlohmann_json::nlohmann_json, ICU::uc, ICU::i18n, Threads::Threads.
if(TEXTLRP_DEPENDENCIES_FOR_CONFIG)
  include(CMakeFindDependencyMacro)
  macro(textlrp_find_package)
    find_dependency(${ARGN})
  endmacro()
else()
  macro(textlrp_find_package)
    find_package(${ARGN} REQUIRED)
  endmacro()
endif()

textlrp_find_package(Eigen3 3.4 NO_MODULE)
textlrp_find_package(fmt)
textlrp_find_package(nlohmann_json 3.10)
textlrp_find_package(ICU COMPONENTS uc i18n)
textlrp_find_package(Threads)
textlrp_find_package(PkgConfig)

if(NOT TARGET textlrp_dep::sentencepiece)
  pkg_check_modules(textlrp_spm REQUIRED sentencepiece)
  # sentencepiece.pc lists both libraries; the tokenizer (nlp/) needs only the runtime one, the
  # trainer (train/) the other.
  find_library(SENTENCEPIECE_LIBRARY NAMES sentencepiece HINTS ${textlrp_spm_LIBRARY_DIRS} REQUIRED)
  add_library(textlrp_dep::sentencepiece UNKNOWN IMPORTED)
  set_target_properties(textlrp_dep::sentencepiece PROPERTIES
    IMPORTED_LOCATION "${SENTENCEPIECE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${textlrp_spm_INCLUDE_DIRS}")
endif()

if(TEXTLRP_WITH_TRAINING AND NOT TARGET textlrp_dep::sentencepiece_train)
  find_library(SENTENCEPIECE_TRAIN_LIBRARY NAMES sentencepiece_train HINTS ${textlrp_spm_LIBRARY_DIRS} REQUIRED)
  add_library(textlrp_dep::sentencepiece_train UNKNOWN IMPORTED)
  set_target_properties(textlrp_dep::sentencepiece_train PROPERTIES
    IMPORTED_LOCATION "${SENTENCEPIECE_TRAIN_LIBRARY}"
    INTERFACE_LINK_LIBRARIES textlrp_dep::sentencepiece)

  pkg_check_modules(fasttext REQUIRED IMPORTED_TARGET fasttext)  # Debian libfasttext-dev

  # liblinear ships no CMake or pkg-config file on Debian.
  find_path(LIBLINEAR_INCLUDE_DIR linear.h PATH_SUFFIXES liblinear REQUIRED)
  find_library(LIBLINEAR_LIBRARY NAMES linear REQUIRED)
  add_library(liblinear::liblinear UNKNOWN IMPORTED)
  set_target_properties(liblinear::liblinear PROPERTIES
    IMPORTED_LOCATION "${LIBLINEAR_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LIBLINEAR_INCLUDE_DIR}")
endif()
