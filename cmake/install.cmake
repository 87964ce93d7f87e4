# Install layout: privbind is a root tool, so it goes to sbin.
install(TARGETS privbind RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
