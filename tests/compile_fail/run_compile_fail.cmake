# SPDX-License-Identifier: BSL-1.0
# Script mode: builds TARGET in BUILD_DIR, which must FAIL with output matching REGEX.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled, but must not")
endif()
if(NOT out MATCHES "${REGEX}")
  message(FATAL_ERROR "${TARGET} failed, but without a diagnostic matching '${REGEX}':\n${out}")
endif()
message(STATUS "${TARGET} failed as expected, naming the missing requirement")
