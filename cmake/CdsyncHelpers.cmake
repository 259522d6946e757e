# Helpers shared by the CMake files of cdsync.

# cdsync_test(NAME SOURCES src... [LIBS lib...] [TIMEOUT s] [ARGS a...])
# Builds a test program and registers it with ctest.  Tests run with
# LANG=en (messages are checked in English; a test that wants Vietnamese
# sets LANG itself) and find the translations of the build tree.
function(cdsync_test NAME)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${NAME} ${T_SOURCES})
  target_link_libraries(${NAME} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  target_include_directories(${NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME ${NAME} COMMAND ${NAME} ${T_ARGS})
  set_tests_properties(${NAME} PROPERTIES TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "LANG=en;LANGUAGE=;LC_ALL=;CDSYNC_LOCALEDIR=${CMAKE_BINARY_DIR}/share/locale;CDSYNC_SOURCE_DIR=${PROJECT_SOURCE_DIR};CDSYNC_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()

# cdsync_embed(OUT_C SYMBOL FILE...) writes a C file defining
#   const struct cds_embedded SYMBOL[] = { {"name", bytes, len}, ..., {0} };
# from the given files, at build time.
function(cdsync_embed OUT_C SYMBOL)
  string(REPLACE ";" "|" files "${ARGN}")   # one argument on the command
  add_custom_command(OUTPUT ${OUT_C}
    COMMAND ${CMAKE_COMMAND} -DOUT=${OUT_C} -DSYMBOL=${SYMBOL}
            -DFILES=${files} -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    COMMENT "Embedding ${SYMBOL}" VERBATIM)
endfunction()
