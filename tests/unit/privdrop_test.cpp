// privdrop::compareCredentials: the last step of every drop, fed with made-up kernel states.
#include "common/privdrop.h"

#include <doctest/doctest.h>
#include <linux/securebits.h>

using namespace privbind;

namespace {

constexpr uint64_t kNetBind = uint64_t{1} << 10;

privdrop::Plan capsPlan() {
  privdrop::Plan plan;
  plan.target.user.uid = 1000;
  plan.target.gid = 100;
  plan.target.groups = {100, 27, 44};
  plan.keep = kNetBind;
  plan.ambient = true;
  plan.noNewPrivs = true;
  return plan;
}

// Exactly what the kernel shows after a correct drop to plan.
proc::Status matching(const privdrop::Plan& plan) {
  proc::Status st;
  st.uid = {plan.target.user.uid, plan.target.user.uid, plan.target.user.uid, plan.target.user.uid};
  st.gid = {plan.target.gid, plan.target.gid, plan.target.gid, plan.target.gid};
  st.groups = {44, 100, 27};  // another order: the kernel sorts, the plan need not
  st.capPrm = st.capEff = st.capBnd = plan.keep;
  st.capInh = st.capAmb = plan.ambient ? plan.keep : 0;
  st.noNewPrivs = plan.noNewPrivs ? 1 : 0;
  return st;
}

std::string why(const Status& s) { return s ? "" : s.error().message(); }

}  // namespace

TEST_CASE("compareCredentials: the matching state passes, for each kind of plan") {
  privdrop::Plan caps = capsPlan();
  CHECK(privdrop::compareCredentials(caps, matching(caps)).ok());
  privdrop::Plan command = caps;  // broker mode's command and the relay: nothing kept
  command.keep = 0;
  command.ambient = false;
  CHECK(privdrop::compareCredentials(command, matching(command)).ok());
  privdrop::Plan helper = caps;  // the broker helper: kept, not inheritable, no groups
  helper.ambient = false;
  helper.target.groups.clear();
  proc::Status st = matching(helper);
  st.groups.clear();
  CHECK(privdrop::compareCredentials(helper, st).ok());
}

TEST_CASE("compareCredentials: each field wrong in turn is refused and named") {
  const privdrop::Plan plan = capsPlan();
  const char* const which[4] = {"real", "effective", "saved", "filesystem"};
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    proc::Status st = matching(plan);
    st.uid[i] = 0;
    CHECK(why(privdrop::compareCredentials(plan, st)) ==
          std::string("verifying credentials: ") + which[i] + " uid is 0, expected 1000");
    st = matching(plan);
    st.gid[i] = 0;
    CHECK(why(privdrop::compareCredentials(plan, st)) ==
          std::string("verifying credentials: ") + which[i] + " gid is 0, expected 100");
  }
  {
    proc::Status st = matching(plan);
    st.groups.push_back(0);  // one group too many
    CHECK(why(privdrop::compareCredentials(plan, st)) ==
          "verifying credentials: the group list is [0,27,44,100], expected [27,44,100]");
    st.groups = {27, 44};  // one missing
    CHECK(why(privdrop::compareCredentials(plan, st)).find("the group list is [27,44]") !=
          std::string::npos);
    st.groups = {27, 44, 101};  // same size, one different
    CHECK_FALSE(privdrop::compareCredentials(plan, st).ok());
  }
  struct Field {
    const char* name;
    uint64_t proc::Status::*member;
  };
  for (Field f : {Field{"CapPrm", &proc::Status::capPrm}, Field{"CapEff", &proc::Status::capEff},
                  Field{"CapInh", &proc::Status::capInh}, Field{"CapAmb", &proc::Status::capAmb},
                  Field{"CapBnd", &proc::Status::capBnd}}) {
    CAPTURE(f.name);
    proc::Status st = matching(plan);
    st.*f.member |= uint64_t{1} << 21;  // CAP_SYS_ADMIN on top
    CHECK(why(privdrop::compareCredentials(plan, st)) ==
          std::string("verifying credentials: ") + f.name +
              " is 0000000000200400, expected 0000000000000400");
    st.*f.member = 0;  // and the kept capability missing
    CHECK(why(privdrop::compareCredentials(plan, st)) ==
          std::string("verifying credentials: ") + f.name +
              " is 0000000000000000, expected 0000000000000400");
  }
  {
    proc::Status st = matching(plan);
    st.noNewPrivs = 0;
    CHECK(why(privdrop::compareCredentials(plan, st)) ==
          "verifying credentials: NoNewPrivs is 0, expected 1");
    // Not asked for: an inherited no_new_privs (or none) is fine either way.
    privdrop::Plan allow = plan;
    allow.noNewPrivs = false;
    CHECK(privdrop::compareCredentials(allow, st).ok());
    st.noNewPrivs = 1;
    CHECK(privdrop::compareCredentials(allow, st).ok());
  }
}

TEST_CASE("secureBits: every bit locked; ambient raise forbidden unless the plan raises it") {
  const unsigned locks = SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                         SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  privdrop::Plan caps = capsPlan();
  CHECK(privdrop::secureBits(caps) == (locks | SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP));
  privdrop::Plan command = caps;
  command.keep = 0;
  command.ambient = false;
  CHECK(privdrop::secureBits(command) ==
        (locks | SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_CAP_AMBIENT_RAISE));
  CHECK((privdrop::secureBits(command) & SECBIT_KEEP_CAPS) == 0);
}

TEST_CASE("compareSecureBits: the exact value passes; any bit off or extra is refused") {
  const privdrop::Plan plan = capsPlan();
  const unsigned want = privdrop::secureBits(plan);
  CHECK(privdrop::compareSecureBits(plan, want).ok());
  for (unsigned bit = 0; bit < 12; ++bit) {
    CAPTURE(bit);
    Status s = privdrop::compareSecureBits(plan, want ^ (1U << bit));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().what() == "verifying credentials");
    CHECK(why(s).find("securebits is 0x") != std::string::npos);
  }
}
