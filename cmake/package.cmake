# The Debian package, built by CPack from the install rules of cmake/install.cmake.
# One command: scripts/build-deb (configures a build for the prefix /usr with Debian's hardening
# flags, builds, runs `cpack -G DEB`). By hand, from a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr:  cpack -G DEB
#
# The version is PROJECT_VERSION (project() in CMakeLists.txt) and nothing else.

set(PRIVBIND_DEB_MAINTAINER "privbind maintainers <privbind@example.org>"
    CACHE STRING "Maintainer field of the Debian package: Name <address>")

set(CPACK_PACKAGE_NAME "privbind")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "privbind")
set(CPACK_PACKAGE_CONTACT "${PRIVBIND_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_GENERATOR "DEB")
set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "\\\\.deb$")

# Files go where the binary looks for them: the configure-time prefix (install.cmake refuses any
# other). Debian packages install under /usr.
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
# Directories 0755 whatever the umask of whoever builds the package.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEBIAN_PACKAGE_NAME "privbind")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # privbind_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE "")     # native package: the version is the upstream version
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PRIVBIND_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Depends from the ELF NEEDED entries, through dpkg-shlibdeps (dpkg-dev): libc, libcap, libelf and
# libbpf (cgroup mode loads its embedded BPF programs with it).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# doctor --fix rewrites RPATHs with patchelf, and privbind-grant-java sets file capabilities with
# setcap (libcap2-bin); both launch modes work without either.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "patchelf, libcap2-bin")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# Maintainer scripts: enable privbind-grants.service (standing grants at boot), swap the BPF
# programs in on upgrade, detach the grants on removal, remove the policy file on purge.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/packaging/deb/postinst"
    "${PROJECT_SOURCE_DIR}/packaging/deb/prerm" "${PROJECT_SOURCE_DIR}/packaging/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # the shim is private, not a public library
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description (no double
# quotes: CPack does not escape them when it writes CPackConfig.cmake).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION [=[privbind runs a service as an unprivileged user and still lets it bind
TCP and UDP ports below net.ipv4.ip_unprivileged_port_start, such as 80
and 443.
.
In cgroup mode (chosen by default wherever the host can do it) the
service holds no capability at all: a BPF program on a cgroup of its own
lets the kernel grant exactly the allowed reserved ports to its user, for
any program, static binaries and Go included. In broker mode (the
fallback) the service holds no capability either: a small preload
library hands each privileged bind(2) to a helper that keeps only
CAP_NET_BIND_SERVICE and checks every request. In caps mode the service
keeps CAP_NET_BIND_SERVICE as its only, ambient, capability.
.
privbind doctor explains why a service cannot bind or will not start,
and repairs the $ORIGIN RPATH of binaries with file capabilities, such as
a JDK's java. privbind-grant-java does the whole job for a JDK from a
maintainer script.
.
Standing grants (privbind grant) let a named user or group bind
given reserved ports with any program and no launcher at all, rootless
containers included; privbind-grants.service puts them in force at boot.]=])

# The Debian changelog (packaging/deb/changelog) must describe this version: its top entry is
# checked against PROJECT_VERSION here and again by the packaging tests.
file(STRINGS "${PROJECT_SOURCE_DIR}/packaging/deb/changelog" _privbind_changelog_top LIMIT_COUNT 1)
if(NOT _privbind_changelog_top MATCHES "^privbind \\(([^)]+)\\)")
  message(FATAL_ERROR "packaging/deb/changelog: first line is not a Debian changelog entry")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
  message(WARNING "packaging/deb/changelog: top entry is ${CMAKE_MATCH_1} but the project is "
                  "${PROJECT_VERSION}; add a changelog entry before building a package")
  set(PRIVBIND_CHANGELOG_VERSION_MISMATCH TRUE)
endif()

# Checks that only matter when a package is built: run by cpack, not by cmake.
set(CPACK_PROJECT_CONFIG_FILE "${PROJECT_BINARY_DIR}/privbind-cpack-checks.cmake")
file(CONFIGURE OUTPUT "${CPACK_PROJECT_CONFIG_FILE}" @ONLY CONTENT [=[
if(CPACK_GENERATOR STREQUAL "DEB")
  if(NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
    message(FATAL_ERROR "privbind: Debian package: prefix '${CPACK_PACKAGING_INSTALL_PREFIX}': "
                        "reconfigure with -DCMAKE_INSTALL_PREFIX=/usr (scripts/build-deb does)")
  endif()
  if("@PRIVBIND_CHANGELOG_VERSION_MISMATCH@")
    message(FATAL_ERROR "privbind: Debian package: packaging/deb/changelog does not describe "
                        "version @PROJECT_VERSION@")
  endif()
endif()
]=])

include(CPack)
