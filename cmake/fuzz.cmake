# PRIVBIND_FUZZ=ON: every C++ object gets libFuzzer's coverage instrumentation plus ASan and UBSan,
# so that the fuzz targets in tests/fuzz see into the code they call. C objects (the preload
# library, which runs inside other programs) are left alone. clang only.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "PRIVBIND_FUZZ needs clang (libFuzzer): configure with "
                      "-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang, or use the fuzz preset")
endif()
set(PRIVBIND_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                        -fno-omit-frame-pointer)
add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${PRIVBIND_FUZZ_FLAGS}>")
add_link_options("$<$<LINK_LANGUAGE:CXX>:-fsanitize=address,undefined>")
