# SPDX-License-Identifier: BSL-1.0
# Script mode: builds and runs the consumer project in MODE (find_package or add_subdirectory).
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

set(consumer_args -DMODE=${MODE} -DCLOUDLOG_SOURCE_DIR=${SOURCE_DIR})
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib -G ${GENERATOR}
      -DCLOUDLOG_BUILD_TESTS=OFF -DCLOUDLOG_BUILD_EXAMPLES=OFF -DCLOUDLOG_BUILD_BENCHMARKS=OFF
      -DCLOUDLOG_INSTALL=ON)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/lib --prefix ${WORK_DIR}/prefix)
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/project -B ${WORK_DIR}/build -G ${GENERATOR}
    ${consumer_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer ${SOURCE_DIR}/../shared/fixtures/bluesky-real/main/stage1-write)
message(STATUS "consumer (${MODE}) built and ran")
