# eddy_add_test_binary(NAME name SOURCES files... LIBS targets...)
# Builds one Boost.Test binary for a top-level folder and registers every
# source file as its own CTest entry. A file `x/y/some_thing.test.cpp` must
# hold `BOOST_AUTO_TEST_SUITE(some_thing)`; its CTest name is `<name>/x/y/some_thing`.
function(eddy_add_test_binary)
  cmake_parse_arguments(ARG "" "NAME;ROOT;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} Boost::unit_test_framework)
  target_compile_definitions(${ARG_NAME} PRIVATE BOOST_TEST_DYN_LINK)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  foreach(src IN LISTS ARG_SOURCES)
    if(src MATCHES "\\.test\\.cpp$")
      get_filename_component(suite "${src}" NAME)
      string(REPLACE ".test.cpp" "" suite "${suite}")
      file(RELATIVE_PATH rel "${ARG_ROOT}" "${CMAKE_CURRENT_SOURCE_DIR}/${src}")
      string(REPLACE ".test.cpp" "" rel "${rel}")
      add_test(NAME ${rel}
               COMMAND ${ARG_NAME} --run_test=${suite} --color_output=false --log_level=test_suite)
      set_tests_properties(${rel} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
    endif()
  endforeach()
endfunction()
