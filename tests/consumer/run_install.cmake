# SPDX-License-Identifier: BSL-1.0
# Script mode: installs the project's build tree (BINARY_DIR, tools built) into a
# temporary prefix with `cmake --install`, checks what lands there (the tools in
# bin/, the pkg-config file, man pages, bash completion, systemd units, the
# licence), runs an installed tool, and builds a core-only consumer with OpenSSL
# and libcurl out of reach; asking that consumer's find_package for the openssl
# component must then fail.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${prefix})
set(expected
  bin/bluesky_cleaner bin/bluesky_fs bin/simple_store_server bin/lfs_disk
  share/pkgconfig/cloudlog.pc share/cmake/cloudlog/cloudlogConfig.cmake
  share/doc/cloudlog/LICENSE include/cloudlog/version.hpp
  share/bash-completion/completions/bluesky_cleaner share/bash-completion/completions/bluesky_fs
  lib/systemd/system/bluesky-cleaner@.service lib/systemd/system/bluesky-cleaner-pass@.service
  lib/systemd/system/bluesky-cleaner-pass@.timer)
if(WITH_MAN)
  list(APPEND expected share/man/man1/bluesky_cleaner.1 share/man/man1/bluesky_fs.1
       share/man/man1/simple_store_server.1 share/man/man1/lfs_disk.1)
endif()
foreach(f IN LISTS expected)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "cmake --install did not install ${f}")
  endif()
endforeach()
if(WITH_MAN)
  file(READ ${prefix}/share/man/man1/bluesky_cleaner.1 page)
  if(NOT page MATCHES "dry\\\\-run" OR NOT page MATCHES "0\\.1\\.0")
    message(FATAL_ERROR "the man page lacks the options or the version:\n${page}")
  endif()
endif()
# The systemd units name the tool where the configured prefix installs it.
file(READ ${prefix}/lib/systemd/system/bluesky-cleaner@.service unit)
if(NOT unit MATCHES "\nExecStart=/[^ ]*/bin/bluesky_cleaner --store [$]{STORE} --daemon")
  message(FATAL_ERROR "the daemon's unit does not start the installed tool:\n${unit}")
endif()

# The installed tools run and say their version.
foreach(tool bluesky_cleaner bluesky_fs simple_store_server lfs_disk)
  run(${prefix}/bin/${tool} --version)
  if(NOT run_out MATCHES "^${tool} \\(cloudlog\\) ${VERSION}")
    message(FATAL_ERROR "${tool} --version said: ${run_out}")
  endif()
endforeach()

# pkg-config finds the package in the prefix (the file is relocatable).
run(${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/share/pkgconfig pkg-config --modversion cloudlog)
string(STRIP "${run_out}" pc_version)
if(NOT pc_version STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config says version ${pc_version}, not ${VERSION}")
endif()
run(${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/share/pkgconfig pkg-config --cflags cloudlog)
if(NOT run_out MATCHES "-I[^ ]*/include" OR NOT run_out MATCHES "-std=c\\+\\+20")
  message(FATAL_ERROR "pkg-config --cflags: ${run_out}")
endif()

# A core-only consumer: OpenSSL and libcurl cannot be found, and need not be.
set(no_crypto -DCMAKE_DISABLE_FIND_PACKAGE_CURL=ON -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/core_project -B ${WORK_DIR}/core
    -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix} ${no_crypto})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/core)
run(${WORK_DIR}/core/core_consumer)
# ... while naming the openssl component there fails, as it must.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/core_project
  -B ${WORK_DIR}/core_openssl -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix} ${no_crypto}
  -DCORE_COMPONENTS=openssl RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0)
  message(FATAL_ERROR "find_package(cloudlog COMPONENTS openssl) succeeded without OpenSSL")
endif()
message(STATUS "installed into ${prefix}; the core consumer built without OpenSSL and libcurl")
