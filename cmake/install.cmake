# Install layout (FHS, Debian-style when the prefix is /usr):
#   <prefix>/sbin/privbind                              a root tool
#   <prefix>/sbin/privbind-grant-java                   packager helper (scripts/)
#   <libdir>/privbind/libprivbind-shim.so               the broker-mode preload library
#   <prefix>/share/man/man8/privbind.8.gz, privbind-grant-java.8.gz
#   <prefix>/share/bash-completion/completions/privbind
#   <prefix>/lib/systemd/system/privbind-grants.service   standing grants at boot
#   <prefix>/share/doc/privbind/                        docs, examples, copyright, changelog
#
# <libdir> comes from GNUInstallDirs: lib/<multiarch triplet> for the prefix /usr on Debian,
# lib (or lib64) elsewhere. The binary does not search for the shim at run time: it looks next to
# /proc/self/exe (the build tree) and then at PRIVBIND_SHIM_INSTALL_DIR, which CMakeLists.txt
# computes from the same CMAKE_INSTALL_LIBDIR used below, so the two always agree.

option(PRIVBIND_COMPRESS_MAN "Install the man pages gzipped (Debian policy 12.1)" ON)

# The shim path is compiled into the binary from the configure-time prefix. Installing under
# another prefix (cmake --install --prefix, or a CPack prefix that differs) would give a binary
# that looks for its shim where there is none, so refuse. DESTDIR staging is fine: it moves the
# whole tree and the package manager puts it back under the configured prefix.
set(PRIVBIND_CONFIGURED_PREFIX "${CMAKE_INSTALL_PREFIX}")
string(CONFIGURE [[
  if(NOT CMAKE_INSTALL_PREFIX STREQUAL "@PRIVBIND_CONFIGURED_PREFIX@")
    message(FATAL_ERROR "privbind: install prefix '${CMAKE_INSTALL_PREFIX}': the binary was "
      "configured for '@PRIVBIND_CONFIGURED_PREFIX@' and looks for its preload library under "
      "'@PRIVBIND_SHIM_INSTALL_DIR@'; configure with -DCMAKE_INSTALL_PREFIX=... instead, or "
      "stage with DESTDIR=...")
  endif()
]] _privbind_prefix_check @ONLY)
install(CODE "${_privbind_prefix_check}")

install(TARGETS privbind RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# The shim is loaded into other people's processes; it is data to them, not a program, so it is
# not executable. Installed only once its target exists.
if(TARGET privbind_shim)
  install(TARGETS privbind_shim
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/privbind
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()

install(PROGRAMS "${PROJECT_SOURCE_DIR}/scripts/privbind-grant-java"
        DESTINATION ${CMAKE_INSTALL_SBINDIR})

# Man pages: gzip -9n (no name, no timestamp) so that the package is reproducible.
set(_privbind_man_pages privbind.8 privbind-grant-java.8)
set(_privbind_man_outputs)
foreach(page IN LISTS _privbind_man_pages)
  set(src "${PROJECT_SOURCE_DIR}/docs/${page}")
  if(PRIVBIND_COMPRESS_MAN)
    set(out "${PROJECT_BINARY_DIR}/man/${page}.gz")
    add_custom_command(OUTPUT "${out}"
                       COMMAND "${CMAKE_COMMAND}" -E make_directory "${PROJECT_BINARY_DIR}/man"
                       COMMAND sh -c "gzip -9n -c \"$1\" > \"$2\"" sh "${src}" "${out}"
                       DEPENDS "${src}" VERBATIM)
  else()
    set(out "${src}")
  endif()
  list(APPEND _privbind_man_outputs "${out}")
endforeach()
add_custom_target(privbind_man ALL DEPENDS ${_privbind_man_outputs})
install(FILES ${_privbind_man_outputs} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

install(FILES "${PROJECT_SOURCE_DIR}/completions/privbind.bash"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME privbind)

# The unit that puts the standing grants of /etc/privbind/grants.conf in force at boot. Its
# ExecStart names the installed binary, so it is configured from the prefix. systemd reads units
# from /usr/lib/systemd/system and /usr/local/lib/systemd/system; elsewhere, point
# PRIVBIND_SYSTEMD_UNIT_DIR at a directory systemd reads (or copy the unit by hand).
set(PRIVBIND_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
    CACHE PATH "Where the systemd unit privbind-grants.service is installed")
set(PRIVBIND_SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
configure_file("${PROJECT_SOURCE_DIR}/packaging/systemd/privbind-grants.service.in"
               "${PROJECT_BINARY_DIR}/systemd/privbind-grants.service" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/systemd/privbind-grants.service"
        DESTINATION "${PRIVBIND_SYSTEMD_UNIT_DIR}")

# Documentation: every Markdown file of docs/, README.md, bench/README.md (as bench.md), the
# examples, and the Debian copyright and changelog (the changelog gzipped like the man pages).
# The documents lie side by side in the doc directory, so their links to each other are rewritten
# from the source tree's layout ("docs/x.md", "../bench/README.md", "LICENSE") to that one; the
# packaging tests check that every link of an installed document leads to an installed file.
file(GLOB _privbind_doc_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/*.md")
list(APPEND _privbind_doc_sources "${PROJECT_SOURCE_DIR}/README.md"
     "${PROJECT_SOURCE_DIR}/bench/README.md")
set(_privbind_doc_outputs)
foreach(src IN LISTS _privbind_doc_sources)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${src}")
  get_filename_component(name "${src}" NAME)
  if(src STREQUAL "${PROJECT_SOURCE_DIR}/bench/README.md")
    set(name bench.md)
  endif()
  file(READ "${src}" text)
  string(REPLACE "](docs/" "](" text "${text}")
  string(REPLACE "](../bench/README.md)" "](bench.md)" text "${text}")
  string(REPLACE "](bench/README.md)" "](bench.md)" text "${text}")
  string(REPLACE "](LICENSE)" "](copyright)" text "${text}")
  set(out "${PROJECT_BINARY_DIR}/doc/${name}")
  file(WRITE "${out}" "${text}")
  list(APPEND _privbind_doc_outputs "${out}")
endforeach()
install(FILES ${_privbind_doc_outputs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/examples" DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES "${PROJECT_SOURCE_DIR}/packaging/deb/copyright" DESTINATION ${CMAKE_INSTALL_DOCDIR})
set(_privbind_changelog "${PROJECT_BINARY_DIR}/doc/changelog.gz")
add_custom_command(OUTPUT "${_privbind_changelog}"
                   COMMAND "${CMAKE_COMMAND}" -E make_directory "${PROJECT_BINARY_DIR}/doc"
                   COMMAND sh -c "gzip -9n -c \"$1\" > \"$2\"" sh
                           "${PROJECT_SOURCE_DIR}/packaging/deb/changelog" "${_privbind_changelog}"
                   DEPENDS "${PROJECT_SOURCE_DIR}/packaging/deb/changelog" VERBATIM)
add_custom_target(privbind_changelog ALL DEPENDS "${_privbind_changelog}")
install(FILES "${_privbind_changelog}" DESTINATION ${CMAKE_INSTALL_DOCDIR})

include(cmake/package.cmake)
