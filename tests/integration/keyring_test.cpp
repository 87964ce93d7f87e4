// The command gets a fresh, empty session keyring of its own: it cannot use root's keys, and
// what it adds does not land in root's session keyring.
#include <doctest/doctest.h>

#include "support.h"

using namespace testsupport;

TEST_SUITE("keyring") {

TEST_CASE("root's session keyring stays root's, in every mode") {
  TempDir dir;
  std::string probe = buildC("keyring_probe.c", dir.path());
  const std::string pb = privbindPath();
  std::string modes;
  for (const auto& m : launchModes()) modes += " " + m;
  // Root in a session keyring of its own for this test, holding one secret key.
  const std::string script =
      "set -u; P=" + probe + "; B=" + pb +
      "\n"
      "id=$($P add privbind-root-secret s3cret) || { echo \"add failed: $id\"; exit 90; }\n"
      "echo \"rootread:$($P read $id)\"\n"
      "for m in" +
      modes +
      "; do\n"
      "  echo \"$m-read:$($B -m $m -u nobody -- $P read $id)\"\n"
      "  echo \"$m-search:$($B -m $m -u nobody -- $P search privbind-root-secret)\"\n"
      "  echo \"$m-session:$($B -m $m -u nobody -- $P session)\"\n"
      "  $B -m $m -u nobody -- $P add privbind-$m-key x >/dev/null\n"
      "  echo \"$m-rootsees:$($P search privbind-$m-key)\"\n"
      "done\n"
      // The control: the same reads as nobody, but with root's session keyring inherited.
      "echo \"control-read:$(setpriv --reuid=65534 --regid=65534 --clear-groups $P read $id)\"\n";
  RunResult r = run({probe, "new", "/bin/sh", "-c", script});
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("rootread:s3cret\n") != std::string::npos);
  // The control proves the test can fail: a process that kept root's keyring reads the key.
  CHECK(r.out.find("control-read:s3cret\n") != std::string::npos);
  for (const std::string& m : launchModes()) {
    CAPTURE(m);
    CHECK(r.out.find(m + "-read:error: EACCES\n") != std::string::npos);
    CHECK(r.out.find(m + "-search:error: ENOKEY\n") != std::string::npos);
    // Its own keyring: owned by nobody, and it is not root's (which is owned by 0).
    CHECK(r.out.find(m + "-session:keyring;65534;65534;") != std::string::npos);
    CHECK(r.out.find(m + "-rootsees:error: ENOKEY\n") != std::string::npos);
  }
}

}  // TEST_SUITE("keyring")
