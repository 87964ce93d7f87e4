#include "modes/cgroup/programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "bind_bpf.skel.h"
#include "bpf/grants_programs.h"

namespace privbind::cgroupmode {

namespace {

// libbpf prints to stderr by default. privbind keeps what it says and puts the one line that
// explains a refusal into its own message instead.
std::string& libbpfLog() {
  static std::string log;
  return log;
}

// libbpf's print callback: format is libbpf's own printf format (the attribute tells the
// compiler so, for -Wformat-nonliteral).
__attribute__((format(printf, 2, 0))) int collect(enum libbpf_print_level level, const char* format,
                                                  va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = std::vsnprintf(line, sizeof line, format, args);
  if (n > 0 && libbpfLog().size() < 65536) libbpfLog() += line;
  return n;
}

// The verifier's own reason, e.g. "At program exit the register R0 has smin=3 smax=3 should
// have been in [0, 1]" (a kernel without BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE), or nothing:
// libbpf's "failed to load" lines add nothing to the errno.
std::string explanation() {
  std::string_view log = libbpfLog();
  while (!log.empty()) {
    size_t nl = log.find('\n');
    std::string_view line = log.substr(0, nl);
    log.remove_prefix(nl == std::string_view::npos ? log.size() : nl + 1);
    if (line.find("should have been in") != std::string_view::npos ||
        line.find("unknown func") != std::string_view::npos ||
        line.find("invalid func") != std::string_view::npos ||
        line.find("cannot be called from") != std::string_view::npos)
      return std::string(line);
  }
  return "";
}

struct Attempt {
  bind_bpf* skel = nullptr;
  int err = 0;
};

Attempt tryLoad(const Policy& policy, bool setRetval, bool reuseport) {
  Attempt a;
  a.skel = bind_bpf__open();
  if (!a.skel) {
    a.err = errno;
    return a;
  }
  auto* ro = a.skel->rodata;
  ro->target_uid = policy.uid;
  ro->unprivileged_start = policy.unprivilegedStart;
  if (policy.ports) {
    ro->restrict_ports = 1;
    auto words = portWords(*policy.ports);
    std::memcpy(const_cast<__u64*>(ro->allowed_ports), words.data(), sizeof ro->allowed_ports);
  }
  if (reuseport && policy.reuseport) {
    ro->use_reuseport = 1;
    auto words = portWords(*policy.reuseport);
    std::memcpy(const_cast<__u64*>(ro->reuseport_ports), words.data(), sizeof ro->reuseport_ports);
  }
  if (policy.binds) {
    ro->limit_binds = 1;
    ro->bind_limit = *policy.binds;
  }
  ro->netns_cookie = policy.netnsCookie;
  ro->have_set_retval = setRetval ? 1 : 0;
  if (policy.maxBound) {
    ro->limit_bound = 1;
    ro->bound_limit = *policy.maxBound;
  }
  ro->trace_binds = policy.traceBinds ? 1 : 0;
  // The standing grants' maps, read only: the pinned ones where privbind has them (a bind they
  // allow is then neither limited, counted nor said to be refused); else a one-entry map that
  // holds nothing, so that a launch allocates no 65536-entry table it never fills.
  bpf::GrantsMaps grants = bpf::openGrantsMaps();
  int rc = 0;
  if (grants.map && grants.config) {
    rc = bpf_map__reuse_fd(a.skel->maps.grants, grants.map.get());
    if (rc == 0) rc = bpf_map__reuse_fd(a.skel->maps.grants_config, grants.config.get());
  } else {
    rc = bpf_map__set_max_entries(a.skel->maps.grants, 1);
  }
  // post_bind4/6 serve -n, --max-bound and --trace-binds, sock_release --max-bound alone: without
  // them they are neither loaded (verified) nor linked, which halves the launch's verification.
  if (!policy.binds && !policy.maxBound && !policy.traceBinds) {
    bpf_program__set_autoload(a.skel->progs.post_bind4, false);
    bpf_program__set_autoload(a.skel->progs.post_bind6, false);
  }
  if (!policy.maxBound) bpf_program__set_autoload(a.skel->progs.sock_release, false);
  // A ring buffer is a power-of-2 number of pages: one page, whatever its size here.
  if (rc == 0)
    rc = bpf_map__set_max_entries(a.skel->maps.refusals, static_cast<__u32>(getpagesize()));
  if (rc == 0) rc = bind_bpf__load(a.skel);
  if (rc != 0) {
    a.err = rc < 0 ? -rc : EINVAL;
    bind_bpf__destroy(a.skel);
    a.skel = nullptr;
  }
  return a;
}

}  // namespace

void Programs::Deleter::operator()(bind_bpf* skel) const { bind_bpf__destroy(skel); }

Programs::Programs(Programs&&) noexcept = default;
Programs& Programs::operator=(Programs&&) noexcept = default;
Programs::~Programs() = default;

Result<Programs> Programs::load(const Policy& policy) {
  // Fail closed: a cookie of 0 would match no namespace, but say why rather than grant nothing.
  if (policy.netnsCookie == 0)
    return Error::refuse("loading the BPF programs", "no network namespace cookie given");
  libbpf_set_print(collect);
  libbpfLog().clear();
  // bpf_set_retval() (Linux 5.18) is used by post_bind only, so only with -n or --max-bound does
  // it matter. It is not probed with a program of its own (one more load and verification per
  // launch): the programs are loaded with it first, and a kernel whose verifier rejects the call
  // gets them again without it, so that it still runs cgroup mode (a refused post_bind then
  // fails with EPERM).
  bool setRetval = policy.binds.has_value() || policy.maxBound.has_value();
  Attempt a = tryLoad(policy, setRetval, true);
  if (!a.skel && setRetval) {
    libbpfLog().clear();
    a = tryLoad(policy, false, true);
    setRetval = false;
  }
  if (a.skel)
    return Programs(std::unique_ptr<bind_bpf, Deleter>(a.skel), setRetval,
                    policy.ports || policy.binds || policy.maxBound || policy.traceBinds);

  std::string why = std::strerror(a.err);
  std::string detail = explanation();
  if (policy.reuseport) {
    // Is it SO_REUSEPORT from the bind program (bpf_setsockopt in cgroup/bind4)?
    Attempt plain = tryLoad(policy, setRetval, false);
    if (plain.skel) {
      bind_bpf__destroy(plain.skel);
      return Error::refuse("-r/--reuseport",
                           "this kernel does not let the bind program set SO_REUSEPORT "
                           "(bpf_setsockopt in cgroup/bind4); use --mode=broker for -r");
    }
  }
  if (a.err == EPERM)
    why += " (loading BPF programs needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)";
  if (!detail.empty()) why += ": " + detail;
  return Error::refuse("loading the BPF programs", why);
}

int Programs::refusalsFd() const { return bpf_map__fd(skel_->maps.refusals); }

Result<std::vector<UniqueFd>> Programs::link(int cgroupFd) const {
  struct Hook {
    const bpf_program* prog;
    bpf_attach_type type;
    const char* name;
  };
  const Hook hooks[] = {
      {skel_->progs.bind4, BPF_CGROUP_INET4_BIND, "cgroup/bind4"},
      {skel_->progs.bind6, BPF_CGROUP_INET6_BIND, "cgroup/bind6"},
      {skel_->progs.post_bind4, BPF_CGROUP_INET4_POST_BIND, "cgroup/post_bind4"},
      {skel_->progs.post_bind6, BPF_CGROUP_INET6_POST_BIND, "cgroup/post_bind6"},
      // --max-bound only: gives a closed socket's place back.
      {skel_->progs.sock_release, BPF_CGROUP_INET_SOCK_RELEASE, "cgroup/sock_release"},
  };
  std::vector<UniqueFd> links;
  for (const auto& h : hooks) {
    // A program the policy does not need is not loaded (tryLoad()).
    if (!bpf_program__autoload(h.prog)) continue;
    UniqueFd fd(bpf_link_create(bpf_program__fd(h.prog), cgroupFd, h.type, nullptr));
    if (!fd) return Error::fromErrno(std::string("bpf(BPF_LINK_CREATE, ") + h.name + ")", errno);
    links.push_back(std::move(fd));
  }
  return links;
}

std::string Programs::names() const {
  std::string out;
  for (const bpf_program* p : {skel_->progs.bind4, skel_->progs.bind6, skel_->progs.post_bind4,
                               skel_->progs.post_bind6, skel_->progs.sock_release})
    if (bpf_program__autoload(p))
      out += (out.empty() ? "" : "/") + std::string(bpf_program__name(p));
  return out;
}

}  // namespace privbind::cgroupmode
