# cmake/textlrp_install.cmake — `cmake --install` and the package an outside project uses:
#   find_package(textlrp CONFIG REQUIRED)          # CMAKE_PREFIX_PATH=<prefix>
#   target_link_libraries(app PRIVATE textlrp::textlrp)
# or pkg-config --cflags --libs textlrp.
#
# Layout under the prefix:
#   include/textlrp/<module>/*.h     the module headers, in the source tree's layout (core/, nlp/,
#                                    embeddings/, corpora/, lrp/, analysis/, explain/, report/,
#                                    train/ when built)
#   include/textlrp/version.h, config.h   the generated headers
#   lib/libtextlrp_<module>.a        one static library per module
#   lib/cmake/textlrp/               textlrpConfig.cmake, textlrpConfigVersion.cmake, textlrpTargets*.cmake,
#                                    textlrp_dependencies.cmake
#   lib/pkgconfig/textlrp.pc          the API and the runtime modules (and, with training, the
#                                    training module and its solvers)
#   bin/textlrp                      the command-line tool (when built)
# Consumers include <textlrp/core/error.h>; the headers include each other as "core/error.h", so
# both include/ and include/textlrp are on the interface include path.
#
# Targets: textlrp::core, ::nlp, ::embeddings, ::corpora, ::lrp, ::analysis, ::explain, ::report,
# ::train (training builds only), ::api (the public API, include/textlrp/textlrp.h, analysis.h and,
# with training, train.h) and textlrp::textlrp, all the runtime modules and the API at once.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TEXTLRP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/textlrp)
set(textlrp_runtime_modules core nlp embeddings corpora lrp analysis explain report)
set(textlrp_modules ${textlrp_runtime_modules})
if(TEXTLRP_WITH_TRAINING)
  list(APPEND textlrp_modules train)
endif()

add_library(textlrp_textlrp INTERFACE)
foreach(m ${textlrp_runtime_modules})
  target_link_libraries(textlrp_textlrp INTERFACE textlrp::${m})
endforeach()
# The public API (api/, textlrp/textlrp.h), a static library over the modules above.
if(TARGET textlrp_api)
  target_link_libraries(textlrp_textlrp INTERFACE textlrp::api)
endif()
set_target_properties(textlrp_textlrp PROPERTIES EXPORT_NAME textlrp)
add_library(textlrp::textlrp ALIAS textlrp_textlrp)

target_include_directories(textlrp_core PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
                                               $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/textlrp>)
set(textlrp_targets textlrp_textlrp)
foreach(m ${textlrp_modules})
  set_target_properties(textlrp_${m} PROPERTIES EXPORT_NAME ${m})
  list(APPEND textlrp_targets textlrp_${m})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${m}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/textlrp/${m}
          FILES_MATCHING PATTERN "*.h"
          PATTERN "sentencepiece_status.h" EXCLUDE   # internal to nlp/ and train/ (.cpp only)
          PATTERN "report_parts.h" EXCLUDE)          # internal to report/ (.cpp only)
endforeach()
if(TARGET textlrp_api)
  set_target_properties(textlrp_api PROPERTIES EXPORT_NAME api)
  list(APPEND textlrp_targets textlrp_api)
  set(textlrp_api_exclude "")
  if(NOT TEXTLRP_WITH_TRAINING)
    set(textlrp_api_exclude PATTERN "train.h" EXCLUDE)  # textlrp/train.h needs the training module
  endif()
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/api/include/textlrp/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/textlrp
          FILES_MATCHING PATTERN "*.h" ${textlrp_api_exclude})
endif()
install(TARGETS ${textlrp_targets} EXPORT textlrpTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/textlrp/version.h ${PROJECT_BINARY_DIR}/generated/textlrp/config.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/textlrp)
if(TARGET textlrp)
  install(TARGETS textlrp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT textlrpTargets NAMESPACE textlrp:: DESTINATION ${TEXTLRP_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/textlrpConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/generated/textlrpConfig.cmake
                              INSTALL_DESTINATION ${TEXTLRP_INSTALL_CMAKEDIR})
# 0.x: a minor release may change the API, so only the same MAJOR.MINOR satisfies a request.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/generated/textlrpConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/generated/textlrpConfig.cmake
              ${PROJECT_BINARY_DIR}/generated/textlrpConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/textlrp_dependencies.cmake
        DESTINATION ${TEXTLRP_INSTALL_CMAKEDIR})

# The .pc file finds the prefix from its own place (relocatable, also after `cmake --install --prefix`).
file(RELATIVE_PATH TEXTLRP_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
# A sanitizer build's libraries need the sanitizer runtime in whatever links them (the CMake targets
# carry the flags as usage requirements; the .pc file says them in Cflags and Libs).
set(TEXTLRP_PC_FLAGS "")
if(TEXTLRP_SANITIZE)
  set(TEXTLRP_PC_FLAGS " -fsanitize=address,undefined")
endif()
# The API's libraries first (they use the modules), the training module after them (textlrp_api
# holds textlrp/train.h's code) with its solvers: liblinear and SentencePiece's trainer by name
# (neither ships a usable .pc file on Debian), libfasttext through its fasttext.pc.
set(TEXTLRP_PC_API_LIBS "")
if(TARGET textlrp_api)
  set(TEXTLRP_PC_API_LIBS " -ltextlrp_api")
endif()
set(TEXTLRP_PC_TRAIN_LIBS "")
set(TEXTLRP_PC_REQUIRES "")
if(TEXTLRP_WITH_TRAINING)
  set(TEXTLRP_PC_API_LIBS "${TEXTLRP_PC_API_LIBS} -ltextlrp_train")
  set(TEXTLRP_PC_TRAIN_LIBS " -llinear -lsentencepiece_train")
  set(TEXTLRP_PC_REQUIRES " fasttext")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/textlrp.pc.in ${PROJECT_BINARY_DIR}/generated/textlrp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/generated/textlrp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
