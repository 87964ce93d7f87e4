// Integration tests run the real privbind as root. Without root they cannot test anything real,
// so the whole binary reports a skip to CTest (exit 77) and says why.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::printf("SKIPPED: integration tests need root (they setuid, setcap and bind ports "
                "below 1024); run them with sudo\n");
    return 77;
  }
  signal(SIGPIPE, SIG_IGN);
  doctest::Context context(argc, argv);
  return context.run();
}
