# Sanitizer and fuzzing builds, applied to every target of the build.
#   -DPATCHJIT_SANITIZE=address,undefined   AddressSanitizer + UndefinedBehaviorSanitizer
#   -DPATCHJIT_SANITIZE=thread              ThreadSanitizer
#   -DPATCHJIT_FUZZ=ON                      libFuzzer targets (clang), with ASan + UBSan
# Generated machine code is invisible to the sanitizers: the guard-page tests cover it.
set(PATCHJIT_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined or thread")
option(PATCHJIT_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

set(_pj_sanitize "${PATCHJIT_SANITIZE}")
if(PATCHJIT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PATCHJIT_FUZZ needs clang (Debian: clang-19, libclang-rt-19-dev): "
                        "configure with CC=clang-19 CXX=clang++-19")
  endif()
  set(_pj_sanitize "address,undefined")
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(_pj_sanitize)
  add_compile_options(-fsanitize=${_pj_sanitize} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${_pj_sanitize})
  if(_pj_sanitize MATCHES "undefined")
    # Undefined behaviour fails the test instead of printing and carrying on.
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  # The shared library's --no-undefined would refuse the sanitizer runtime's symbols.
  set(PATCHJIT_SANITIZED ON)
endif()
