// What `privbind grants` reports: the policy file, what the kernel enforces (read back from the
// pinned map and links), and the drift between the two. Also the view doctor uses.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "bpf/grants_programs.h"
#include "common/error.h"
#include "grants/policy_file.h"

namespace privbind::grants {

struct Report {
  Policy file;
  bpf::GrantsKernel kernel;
  std::string cgroupRoot;          // where the links should be attached
  std::vector<std::string> drift;  // one sentence each; empty: the kernel enforces the file
};

// Needs: root (bpffs under /sys/fs/bpf/privbind is root's only). Changes nothing.
Result<Report> inspect();

// "user alice (uid 1001) tcp 80,443 any-netns", one line per (principal, protocol, scope).
std::vector<std::string> describe(const Policy& policy);

std::string renderText(const Report& report);
// {"format": 1, "file": ..., "grants": [...], "kernel": {...}, "drift": [...]}
std::string renderJson(const Report& report);

// For doctor: the standing grants (lines as describe()), and drift, or why they could not be
// read.
struct DoctorView {
  bool inspected = false;
  std::string error;  // when not inspected
  std::vector<std::string> grants;
  std::vector<std::string> drift;
};
DoctorView doctorView();

// For `doctor TARGET -u USER`: the reserved ports a standing grant lets uid (primary group gid)
// bind in the initial network namespace, as the kernel enforces them right now, e.g.
// "tcp 80,443; udp 53"; "" when none (or when it cannot be read).
std::string enforcedFor(uid_t uid, gid_t gid);

}  // namespace privbind::grants
