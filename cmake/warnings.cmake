# One place for compiler warnings, applied to every target of the project through this function.
function(privbind_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wformat=2 -Wundef
                                           -Wcast-qual -Wpointer-arith)
  if(PRIVBIND_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
