# `cmake --install`: headers, static libraries, the CMake package
# (find_package(eddy 0.1) gives eddy::eddy and eddy::connectors::<name>),
# the launcher and the manager's tools. Included last by the top level, when
# every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# What a user links: the job API and the runtime that runs it.
add_library(eddy_all INTERFACE)
add_library(eddy::eddy ALIAS eddy_all)
target_link_libraries(eddy_all INTERFACE eddy_framework eddy_actors)

# Exported as eddy::<name>; the runtime's private parts come along because
# static libraries need them at link time.
set(eddy_exported
  eddy_all:eddy eddy_framework:framework eddy_framework_internal:framework_internal
  eddy_actors:actors eddy_log_format:log_format
  eddy_connector_file:connectors::file eddy_connector_memory:connectors::memory
  eddy_connector_nexmark:connectors::nexmark eddy_connector_table:connectors::table
  eddy_connector_sqlite:connectors::sqlite eddy_connector_postgres:connectors::postgres
  eddy_connector_redis:connectors::redis)
set(eddy_install_targets)
foreach(pair IN LISTS eddy_exported)
  string(REPLACE ":" ";" parts "${pair}")
  list(GET parts 0 target)
  list(SUBLIST parts 1 -1 name_parts)
  string(REPLACE ";" ":" name "${name_parts}")
  if(TARGET ${target})
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
    list(APPEND eddy_install_targets ${target})
  endif()
endforeach()
install(TARGETS ${eddy_install_targets} EXPORT eddyTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Public headers: each folder's include/ (never src/ or internal/).
file(GLOB eddy_connector_includes LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/connectors/*/include)
foreach(dir ${PROJECT_SOURCE_DIR}/framework/include ${PROJECT_SOURCE_DIR}/actors/include
            ${eddy_connector_includes})
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

set(eddy_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)
install(EXPORT eddyTargets NAMESPACE eddy:: DESTINATION ${eddy_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/eddyConfig.cmake.in
  ${PROJECT_BINARY_DIR}/eddyConfig.cmake INSTALL_DESTINATION ${eddy_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/eddyConfig.cmake ${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake ${PROJECT_SOURCE_DIR}/cmake/FindxxHash.cmake
  DESTINATION ${eddy_cmake_dir})

# The tools: the launcher, the application manager and its CLI.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/eddy-cluster DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS eddy eddy-manager RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
