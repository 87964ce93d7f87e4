# PRIVBIND_SANITIZE=address,undefined (the asan preset): sanitizers for every C++ object and C++
# link. The C preload library is left uninstrumented on purpose: it is loaded with LD_PRELOAD into
# programs that were not built with ASan (python3, java, the test servers), and an ASan-built
# library there aborts with "ASan runtime does not come first". Its logic is covered by the
# integration tests, which run it inside real programs, and by the gcc/clang warning builds.
set(PRIVBIND_SANITIZE "" CACHE STRING "Sanitizers for the C++ code, e.g. address,undefined")
if(PRIVBIND_SANITIZE)
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${PRIVBIND_SANITIZE};-fno-sanitize-recover=all;-fno-omit-frame-pointer>")
  add_link_options("$<$<LINK_LANGUAGE:CXX>:-fsanitize=${PRIVBIND_SANITIZE}>")
endif()
