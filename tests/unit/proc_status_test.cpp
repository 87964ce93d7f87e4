#include "common/proc_status.h"

#include <doctest/doctest.h>

#include "common/error.h"

using privbind::proc::parseStatus;

TEST_CASE("proc status: the fields privbind verifies") {
  auto st = parseStatus(
      "Name:\tx\nUid:\t1000\t1001\t1002\t1003\nGid:\t5\t6\t7\t8\nGroups:\t4 24 27 \n"
      "CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000000\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000400\nNoNewPrivs:\t1\nSeccomp:\t2\n");
  REQUIRE(st.ok());
  CHECK(st->uid == std::array<uid_t, 4>{1000, 1001, 1002, 1003});
  CHECK(st->gid == std::array<gid_t, 4>{5, 6, 7, 8});
  CHECK(st->groups == std::vector<gid_t>{4, 24, 27});
  CHECK(st->capInh == 0x400);
  CHECK(st->capEff == 0);
  CHECK(st->capBnd == 0x1ffffffffffULL);
  CHECK(st->capAmb == 0x400);
  CHECK(st->noNewPrivs == 1);
  CHECK(st->seccomp == 2);
}

TEST_CASE("proc status: missing or garbled lines are an error, not zeros") {
  CHECK_FALSE(parseStatus("").ok());
  CHECK_FALSE(parseStatus("Uid:\t1 2 3 4\nGid:\t1 2 3 4\n").ok());
  CHECK_FALSE(parseStatus("Uid:\t1 2 3 4\nGid:\t1 2 3 4\nCapInh:\tzz\nCapPrm:\t0\nCapEff:\t0\n"
                          "CapBnd:\t0\nCapAmb:\t0\n")
                  .ok());
}

TEST_CASE("exit codes are those of env(1)") {
  CHECK(privbind::kExitFailure == 125);
  CHECK(privbind::kExitNotExecutable == 126);
  CHECK(privbind::kExitNotFound == 127);
  auto e = privbind::Error::fromErrno("setresuid(1, 1, 1)", EPERM);
  CHECK(e.message() == "setresuid(1, 1, 1): Operation not permitted");
  CHECK(e.exitCode() == 125);
  CHECK_FALSE(e.isUsage());
  CHECK(privbind::Error::usage("-x", "unknown option").isUsage());
}

TEST_CASE("proc status: repeated lines, signs and extra fields are refused") {
  const std::string good =
      "Uid:\t1\t1\t1\t1\nGid:\t2\t2\t2\t2\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"
      "CapAmb:\t0\n";
  CHECK(parseStatus(good).ok());
  // Seven CapAmb lines are not the seven lines verification needs (found by fuzzing).
  CHECK_FALSE(
      parseStatus("CapAmb:0\nCapAmb:0\nCapAmb:0\nCapAmb:0\nCapAmb:0\nCapAmb:0\nCapAmb:0\n").ok());
  CHECK_FALSE(parseStatus(good + "Uid:\t0\t0\t0\t0\n").ok());
  CHECK_FALSE(parseStatus("Uid:\t-0\t0\t0\t0\n" + good.substr(good.find("Gid"))).ok());
  CHECK_FALSE(parseStatus("Uid:\t1\t1\t1\t1\t1\n" + good.substr(good.find("Gid"))).ok());
  CHECK_FALSE(parseStatus("Uid:\t1\t1\t1\n" + good.substr(good.find("Gid"))).ok());
  CHECK_FALSE(parseStatus(good + "Groups:\t1 -2\n").ok());
  CHECK_FALSE(parseStatus(good + "NoNewPrivs:\tyes\n").ok());
}
