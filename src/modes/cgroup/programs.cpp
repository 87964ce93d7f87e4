#include "modes/cgroup/programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "bind_bpf.skel.h"
#include "bind_bpf_version.h"
#include "bpf/grants_programs.h"
#include "bpf/pins.h"
#include "common/caps.h"
#include "modes/cgroup/launch_layout.h"

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

// One pinned object of the set: its name in the directory, and what it must be.
struct Piece {
  const char* name;
  UniqueFd Programs::Set::*fd;
  bool program;
  bpf_prog_type progType;  // programs
  bpf_map_type mapType;    // maps
};
constexpr Piece kPieces[] = {
    {"bind4", &Programs::Set::bind4, true, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_MAP_TYPE_UNSPEC},
    {"bind6", &Programs::Set::bind6, true, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_MAP_TYPE_UNSPEC},
    {"post_bind4", &Programs::Set::postBind4, true, BPF_PROG_TYPE_CGROUP_SOCK, BPF_MAP_TYPE_UNSPEC},
    {"post_bind6", &Programs::Set::postBind6, true, BPF_PROG_TYPE_CGROUP_SOCK, BPF_MAP_TYPE_UNSPEC},
    {"sock_release", &Programs::Set::sockRelease, true, BPF_PROG_TYPE_CGROUP_SOCK,
     BPF_MAP_TYPE_UNSPEC},
    {"launch", &Programs::Set::launch, false, BPF_PROG_TYPE_UNSPEC, BPF_MAP_TYPE_CGROUP_STORAGE},
    {"rings", &Programs::Set::rings, false, BPF_PROG_TYPE_UNSPEC, BPF_MAP_TYPE_ARRAY_OF_MAPS},
    {"no_grants", &Programs::Set::noGrants, false, BPF_PROG_TYPE_UNSPEC, BPF_MAP_TYPE_HASH},
    {"no_grants_config", &Programs::Set::noGrantsConfig, false, BPF_PROG_TYPE_UNSPEC,
     BPF_MAP_TYPE_ARRAY},
};
// The host's features, pinned as the set's read-only data (bind.bpf.c: have_set_retval,
// have_reuseport), so that a pinned set says what it was loaded with.
constexpr const char* kFeaturesPin = "features";

struct MapInfo {
  uint32_t id = 0, type = 0, keySize = 0, valueSize = 0, maxEntries = 0;
};
bool mapInfo(int fd, MapInfo* out) {
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return false;
  *out = {info.id, info.type, info.key_size, info.value_size, info.max_entries};
  return true;
}

bool uses(const bpf::ProgramInfo& p, uint32_t mapId) {
  return std::find(p.mapIds.begin(), p.mapIds.end(), mapId) != p.mapIds.end();
}

// Which programs a policy links: bind4/6 always; post_bind4/6 for -n, --max-bound and
// --trace-binds; sock_release for --max-bound.
// (A pointer to a member, compared only: cppcheck takes it for a pointer to data.)
// cppcheck-suppress constParameter
bool needs(const Policy& policy, UniqueFd Programs::Set::*fd) {
  if (fd == &Programs::Set::postBind4 || fd == &Programs::Set::postBind6)
    return policy.binds || policy.maxBound || policy.traceBinds;
  if (fd == &Programs::Set::sockRelease) return policy.maxBound.has_value();
  return true;
}

// The pinned set at dir, checked: every piece the kind and type it must be, every program
// named as its pin, using the set's launch and rings maps, the features map, and the standing
// grants' maps that are pinned now (or the set's empty stand-ins when there are none): a set
// loaded while grants were off would not see grants made since. Empty result: use it.
// Otherwise why not.
std::string openPinned(const std::string& dir, const bpf::GrantsMaps& grants, Programs::Set* set) {
  if (access(dir.c_str(), F_OK) != 0) return "no set of this version was pinned";
  for (const Piece& piece : kPieces) {
    auto pin = bpf::openPin(dir + "/" + piece.name);
    if (!pin) return pin.error().message();
    if (!*pin) return std::string(piece.name) + " is not pinned";
    set->*piece.fd = std::move(*pin);
  }
  auto features = bpf::openPin(dir + "/" + kFeaturesPin);
  if (!features) return features.error().message();
  if (!*features) return std::string(kFeaturesPin) + " is not pinned";

  MapInfo launch, rings, noGrants, noGrantsConfig, feat, grantsMap, grantsConfig;
  const std::pair<int, MapInfo*> maps[] = {{set->launch.get(), &launch},
                                           {set->rings.get(), &rings},
                                           {set->noGrants.get(), &noGrants},
                                           {set->noGrantsConfig.get(), &noGrantsConfig},
                                           {features->get(), &feat}};
  for (auto [fd, info] : maps)
    if (bpf::kindOf(fd) != bpf::ObjectKind::kMap || !mapInfo(fd, info))
      return "a map's pin holds something else";
  for (const Piece& piece : kPieces) {
    if (piece.program) continue;
    const MapInfo* info = piece.fd == &Programs::Set::launch     ? &launch
                          : piece.fd == &Programs::Set::rings    ? &rings
                          : piece.fd == &Programs::Set::noGrants ? &noGrants
                                                                 : &noGrantsConfig;
    if (info->type != static_cast<uint32_t>(piece.mapType))
      return std::string(piece.name) + " is a map of another type";
  }
  if (launch.keySize != sizeof(uint64_t) || launch.valueSize != sizeof(privbind_launch))
    return "launch is a map of another layout";
  if (feat.type != BPF_MAP_TYPE_ARRAY || feat.valueSize < sizeof(bind_bpf::bind_bpf__rodata) ||
      feat.valueSize > 4096)
    return "features is not the set's read-only data";
  const bool withGrants = grants.map && grants.config;
  if (withGrants &&
      (!mapInfo(grants.map.get(), &grantsMap) || !mapInfo(grants.config.get(), &grantsConfig)))
    return "the standing grants' maps cannot be read";
  // A set loaded while grants were pinned uses their maps (pinned here as no_grants too): it
  // is not a set without grants, whose stand-ins hold one entry.
  if (!withGrants && noGrants.maxEntries != 1)
    return "the set uses standing grants' maps that are no longer pinned";
  const uint32_t wantGrants = withGrants ? grantsMap.id : noGrants.id;
  const uint32_t wantConfig = withGrants ? grantsConfig.id : noGrantsConfig.id;

  for (const Piece& piece : kPieces) {
    if (!piece.program) continue;
    int fd = (set->*piece.fd).get();
    if (bpf::kindOf(fd) != bpf::ObjectKind::kProgram)
      return std::string(piece.name) + "'s pin is not a program";
    auto read = bpf::programInfo(fd);
    if (!read) return read.error().message();
    const bpf::ProgramInfo& info = *read;
    if (info.type != static_cast<uint32_t>(piece.progType) || info.name != piece.name)
      return std::string(piece.name) + "'s pin is another program (" + info.name + ")";
    if (!uses(info, launch.id) || !uses(info, feat.id))
      return std::string(piece.name) + " does not use the set's maps";
    if (piece.fd == &Programs::Set::sockRelease) continue;  // no grants, no reports there
    if (!uses(info, rings.id)) return std::string(piece.name) + " does not use the set's rings";
    if (!uses(info, wantGrants) || !uses(info, wantConfig))
      return withGrants ? "the set predates the standing grants' maps pinned now"
                        : "the set uses standing grants' maps that are no longer pinned";
  }
  std::vector<unsigned char> data(feat.valueSize);
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(features->get(), &zero, data.data()) != 0)
    return "features cannot be read";
  bind_bpf::bind_bpf__rodata ro{};
  std::memcpy(&ro, data.data(), sizeof ro);
  set->exactErrno = ro.have_set_retval != 0;
  set->reuseport = ro.have_reuseport != 0;
  return "";
}

struct Attempt {
  bind_bpf* skel = nullptr;
  int err = 0;
};

Attempt tryLoad(const bpf::GrantsMaps& grants, bool setRetval, bool reuseport) {
  Attempt a;
  a.skel = bind_bpf__open();
  if (!a.skel) {
    a.err = errno;
    return a;
  }
  a.skel->rodata->have_set_retval = setRetval ? 1 : 0;
  a.skel->rodata->have_reuseport = reuseport ? 1 : 0;
  // The standing grants' maps, read only: the pinned ones where privbind has them (a bind they
  // allow is then neither limited, counted nor said to be refused); else the set's own
  // one-entry maps that hold nothing.
  int rc = 0;
  if (grants.map && grants.config) {
    rc = bpf_map__reuse_fd(a.skel->maps.grants, grants.map.get());
    if (rc == 0) rc = bpf_map__reuse_fd(a.skel->maps.grants_config, grants.config.get());
  } else {
    rc = bpf_map__set_max_entries(a.skel->maps.grants, 1);
  }
  // A ring buffer is a power-of-2 number of pages: one page, whatever its size here; every
  // launch's ring must have the template's size. The template is given as a map of that size
  // (libbpf 1.1 cannot resize the inner map it makes from the BTF).
  UniqueFd inner(bpf_map_create(BPF_MAP_TYPE_RINGBUF, "privbind_ring", 0, 0,
                                static_cast<__u32>(getpagesize()), nullptr));
  if (!inner) rc = -errno;
  if (rc == 0) rc = bpf_map__set_inner_map_fd(a.skel->maps.rings, inner.get());
  if (rc == 0) rc = bind_bpf__load(a.skel);
  if (rc != 0) {
    a.err = rc < 0 ? -rc : EINVAL;
    bind_bpf__destroy(a.skel);
    a.skel = nullptr;
  }
  return a;
}

// The loaded skeleton's descriptors, duplicated (the skeleton is destroyed after).
Result<Programs::Set> takeSet(bind_bpf* skel, bool setRetval, bool reuseport, UniqueFd* features) {
  Programs::Set set;
  auto dup = [](int fd) { return UniqueFd(fcntl(fd, F_DUPFD_CLOEXEC, 3)); };
  set.bind4 = dup(bpf_program__fd(skel->progs.bind4));
  set.bind6 = dup(bpf_program__fd(skel->progs.bind6));
  set.postBind4 = dup(bpf_program__fd(skel->progs.post_bind4));
  set.postBind6 = dup(bpf_program__fd(skel->progs.post_bind6));
  set.sockRelease = dup(bpf_program__fd(skel->progs.sock_release));
  set.launch = dup(bpf_map__fd(skel->maps.launch));
  set.rings = dup(bpf_map__fd(skel->maps.rings));
  set.noGrants = dup(bpf_map__fd(skel->maps.grants));
  set.noGrantsConfig = dup(bpf_map__fd(skel->maps.grants_config));
  *features = dup(bpf_map__fd(skel->maps.rodata));
  for (const Piece& piece : kPieces)
    if (!(set.*piece.fd)) return Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno);
  if (!*features) return Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)", errno);
  set.exactErrno = setRetval;
  set.reuseport = reuseport;
  return set;
}

Result<Programs::Set> load(const bpf::GrantsMaps& grants, UniqueFd* features) {
  libbpf_set_print(collect);
  libbpfLog().clear();
  // bpf_set_retval() (Linux 5.18) and bpf_setsockopt() from cgroup/bind4 are not probed with
  // programs of their own (one more load and verification each): the set is loaded with both,
  // and a kernel whose verifier rejects one gets it again without it, so that it still runs
  // cgroup mode (a refused post_bind then fails with EPERM; -r is refused).
  const bool variants[][2] = {{true, true}, {false, true}, {true, false}, {false, false}};
  Attempt first;
  for (const auto& v : variants) {
    libbpfLog().clear();
    Attempt a = tryLoad(grants, v[0], v[1]);
    if (a.skel) {
      auto set = takeSet(a.skel, v[0], v[1], features);
      bind_bpf__destroy(a.skel);
      return set;
    }
    if (first.err == 0) first = a;
    // Only the verifier's refusal of a call is worth another variant.
    if (explanation().empty()) break;
  }
  std::string why = std::strerror(first.err ? first.err : EINVAL);
  if (first.err == EPERM)
    why += " (loading BPF programs needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)";
  if (auto detail = explanation(); !detail.empty()) why += ": " + detail;
  return Error::refuse("loading the BPF programs", why);
}

// Removes a directory of pins and everything in it, as it is: whatever a bad set's directory
// holds (a directory at a program's name, a stray pin) goes with it. Pins only: programs linked
// somewhere stay as long as their links; a launch holding descriptors keeps them. Never through
// a symbolic link (bpffs has them): one at path, or in it, is removed, not followed.
// Recursive on purpose, and bounded: a set's directory holds pins, and what a bad one holds is
// followed at most 8 levels down.
void removeTree(const std::string& path, int depth = 0) {  // NOLINT(misc-no-recursion)
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOTDIR || errno == ELOOP) unlink(path.c_str());
    return;
  }
  DIR* d = fdopendir(fd.get());
  if (!d) return;
  fd.release();  // the DIR's now
  std::vector<std::string> names;
  while (dirent* e = readdir(d))
    if (std::string_view n = e->d_name; n != "." && n != "..") names.emplace_back(n);
  closedir(d);
  for (const auto& name : names) {
    const std::string child = path + "/" + name;
    struct stat st {};
    if (lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && depth < 8)
      removeTree(child, depth + 1);
    else
      unlink(child.c_str());
  }
  rmdir(path.c_str());
}

// Pins a freshly loaded set as dir: into a directory of its own first, then renamed into place,
// so that no launch ever opens half a set. Where a set stands at dir, it is checked again: one
// that another privbind pinned meanwhile wins (this run uses its own descriptors); one that still
// fails its check is moved aside whole and only then taken apart, so that no pin is removed from
// dir itself, where another launch may just have renamed its set in. Other versions' sets go.
// true when this run's set is the one pinned.
Result<bool> pinSet(const Programs::Set& set, int features, const std::string& dir,
                    const bpf::GrantsMaps& grants) {
  const std::string tmp = dir + "_new" + std::to_string(getpid());
  removeTree(tmp);
  if (mkdir(tmp.c_str(), 0700) != 0) return Error::fromErrno("mkdir(" + tmp + ")", errno);
  for (const Piece& piece : kPieces)
    if (bpf_obj_pin((set.*piece.fd).get(), (tmp + "/" + piece.name).c_str()) != 0) {
      int err = errno;
      removeTree(tmp);
      return Error::fromErrno("bpf(BPF_OBJ_PIN, " + tmp + "/" + piece.name + ")", err);
    }
  if (bpf_obj_pin(features, (tmp + "/" + kFeaturesPin).c_str()) != 0) {
    int err = errno;
    removeTree(tmp);
    return Error::fromErrno("bpf(BPF_OBJ_PIN, " + tmp + "/" + kFeaturesPin + ")", err);
  }
  // rename(2) of a directory fails with EEXIST or ENOTEMPTY where one that is not empty stands.
  auto taken = [](int err) { return err == EEXIST || err == ENOTEMPTY; };
  int err = rename(tmp.c_str(), dir.c_str()) == 0 ? 0 : errno;
  bool ours = err == 0;
  if (taken(err)) {
    Programs::Set standing;
    if (openPinned(dir, grants, &standing).empty()) {
      err = 0;  // pinned meanwhile, and sound
    } else {
      const std::string old = dir + "_old" + std::to_string(getpid());
      removeTree(old);
      if (rename(dir.c_str(), old.c_str()) == 0) removeTree(old);
      err = rename(tmp.c_str(), dir.c_str()) == 0 ? 0 : errno;
      ours = err == 0;
      if (taken(err)) err = 0;  // another run's set, renamed in since: it wins
    }
  }
  removeTree(tmp);  // gone unless another run's set stands in its place
  if (err != 0) return Error::fromErrno("rename(" + tmp + ", " + dir + ")", err);
  // Other versions' sets: a privbind that was replaced by this one.
  const std::string base = dir.substr(dir.rfind('/') + 1);
  if (DIR* d = opendir(bpf::kPinDir)) {
    std::vector<std::string> old;
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name.starts_with("launch-") && name != base &&
          name.find("_new") == std::string_view::npos)
        old.emplace_back(name);
    }
    closedir(d);
    for (const auto& name : old) removeTree(std::string(bpf::kPinDir) + "/" + name);
  }
  return ours;
}

}  // namespace

std::string launchPinDir() {
  return std::string(bpf::kPinDir) + "/launch-" PRIVBIND_LAUNCH_VERSION;
}

Result<Programs> Programs::obtain(const Policy& policy, bool mayPin) {
  // Fail closed: a cookie of 0 would match no namespace, but say why rather than grant nothing.
  if (policy.netnsCookie == 0)
    return Error::refuse("loading the BPF programs", "no network namespace cookie given");
  // A pinned set is used only with the rights its loading needs. The kernel asks for none to
  // open a pin (root's mode bits) and to link a program already loaded; a root whose bounding
  // set leaves out BPF (a unit's CapabilityBoundingSet=, a container) must not get cgroup mode
  // through programs another run loaded.
  auto has = [](cap_value_t cap) {
    auto r = caps::hasEffective(cap);
    return r && *r;
  };
  const bool admin = has(CAP_SYS_ADMIN);
  if (!(admin || has(CAP_BPF)) || !(admin || has(CAP_NET_ADMIN)))
    return Error::refuse("loading the BPF programs",
                         std::string(std::strerror(EPERM)) +
                             " (loading BPF programs needs CAP_BPF and CAP_NET_ADMIN, or "
                             "CAP_SYS_ADMIN)");
  const bpf::GrantsMaps grants = bpf::openGrantsMaps();
  const std::string dir = launchPinDir();
  Set set;
  Origin from = Origin::kLoadedAndPinned;
  std::string detail;
  if (bpf::bpffsMounted()) {
    detail = openPinned(dir, grants, &set);
    if (detail.empty()) from = Origin::kPinned;
  } else {
    detail = "no bpffs at " + std::string(bpf::kBpffs);
  }
  if (from != Origin::kPinned) {
    set = Set();
    UniqueFd features;
    auto loaded = load(grants, &features);
    if (!loaded) return loaded.error();
    set = std::move(*loaded);
    Status ready = mayPin ? bpf::preparePinDir()
                          : Status(Error::refuse("the programs", "not pinned by a probe"));
    Result<bool> pinned =
        ready ? pinSet(set, features.get(), dir, grants) : Result<bool>(ready.error());
    if (!pinned) {
      from = Origin::kLoaded;
      detail = pinned.error().message();
    } else if (!*pinned) {
      from = Origin::kLoaded;
      detail = "another run pinned its set first";
    }
  }
  if (policy.reuseport && !set.reuseport)
    return Error::refuse("-r/--reuseport",
                         "this kernel does not let the bind program set SO_REUSEPORT "
                         "(bpf_setsockopt in cgroup/bind4); use --mode=broker for -r");
  std::string pinnedDir = from == Origin::kLoaded ? "" : dir;
  return Programs(std::move(set), policy, from, std::move(detail), std::move(pinnedDir));
}

bool Programs::reportsRefusals() const {
  return policy_.ports || policy_.binds || policy_.maxBound || policy_.traceBinds;
}

Result<std::vector<UniqueFd>> Programs::link(int cgroupFd, uint64_t cgroupId,
                                             const Ring* ring) const {
  struct Hook {
    UniqueFd Set::*fd;
    bpf_attach_type type;
    const char* name;
  };
  const Hook hooks[] = {
      {&Set::bind4, BPF_CGROUP_INET4_BIND, "cgroup/bind4"},
      {&Set::bind6, BPF_CGROUP_INET6_BIND, "cgroup/bind6"},
      {&Set::postBind4, BPF_CGROUP_INET4_POST_BIND, "cgroup/post_bind4"},
      {&Set::postBind6, BPF_CGROUP_INET6_POST_BIND, "cgroup/post_bind6"},
      {&Set::sockRelease, BPF_CGROUP_INET_SOCK_RELEASE, "cgroup/sock_release"},
  };
  std::vector<UniqueFd> links;
  for (const auto& h : hooks) {
    if (!needs(policy_, h.fd)) continue;
    UniqueFd fd(bpf_link_create((set_.*h.fd).get(), cgroupFd, h.type, nullptr));
    if (!fd) return Error::fromErrno(std::string("bpf(BPF_LINK_CREATE, ") + h.name + ")", errno);
    links.push_back(std::move(fd));
  }

  // The policy, into the storage the first link made for this cgroup (zeroed until now, and a
  // zeroed policy grants nothing). No process is in the cgroup yet.
  auto l = std::make_unique<privbind_launch>();
  l->ready = PRIVBIND_LAUNCH_READY;
  l->target_uid = policy_.uid;
  l->unprivileged_start = policy_.unprivilegedStart;
  l->netns_cookie = policy_.netnsCookie;
  if (ring) l->ring_slot = ring->slot;
  if (policy_.ports) {
    l->flags |= PRIVBIND_LAUNCH_RESTRICT_PORTS;
    auto words = portWords(*policy_.ports);
    std::memcpy(l->allowed_ports, words.data(), sizeof l->allowed_ports);
  }
  if (policy_.reuseport) {
    l->flags |= PRIVBIND_LAUNCH_REUSEPORT;
    auto words = portWords(*policy_.reuseport);
    std::memcpy(l->reuseport_ports, words.data(), sizeof l->reuseport_ports);
  }
  if (policy_.binds) {
    l->flags |= PRIVBIND_LAUNCH_LIMIT_BINDS;
    l->bind_limit = *policy_.binds;
  }
  if (policy_.maxBound) {
    l->flags |= PRIVBIND_LAUNCH_LIMIT_BOUND;
    l->bound_limit = *policy_.maxBound;
  }
  if (policy_.traceBinds) l->flags |= PRIVBIND_LAUNCH_TRACE;
  if (ring) l->flags |= PRIVBIND_LAUNCH_REPORT;
  if (bpf_map_update_elem(set_.launch.get(), &cgroupId, l.get(), BPF_ANY) != 0)
    return Error::fromErrno("bpf(BPF_MAP_UPDATE_ELEM, the launch's policy)", errno);
  return links;
}

Result<UniqueFd> Programs::slotRing(uint32_t slot) const {
  const std::string what = "rings[" + std::to_string(slot) + "]";
  const std::string pin = pinnedDir_.empty() ? "" : pinnedDir_ + "/ring_" + std::to_string(slot);
  uint32_t id = 0;
  if (bpf_map_lookup_elem(set_.rings.get(), &slot, &id) == 0) {
    // The slot's ring buffer, from its pin (no capability needed), checked to be the one in
    // rings; else by its id (CAP_SYS_ADMIN).
    if (!pin.empty()) {
      UniqueFd fd(bpf_obj_get(pin.c_str()));
      MapInfo info;
      if (fd && bpf::kindOf(fd.get()) == bpf::ObjectKind::kMap && mapInfo(fd.get(), &info) &&
          info.id == id)
        return fd;
    }
    UniqueFd fd(bpf_map_get_fd_by_id(id));
    if (fd) {
      if (!pin.empty()) (void)bpf::pinReplacing(fd.get(), pin);
      return fd;
    }
  } else if (errno != ENOENT) {
    return Error::fromErrno("bpf(BPF_MAP_LOOKUP_ELEM, " + what + ")", errno);
  }
  // The slot's first use since the set was loaded (or its ring buffer cannot be reached).
  UniqueFd ring(bpf_map_create(BPF_MAP_TYPE_RINGBUF, "privbind_ring", 0, 0,
                               static_cast<__u32>(getpagesize()), nullptr));
  if (!ring) return Error::fromErrno("bpf(BPF_MAP_CREATE, ring buffer)", errno);
  int fd = ring.get();
  if (bpf_map_update_elem(set_.rings.get(), &slot, &fd, BPF_ANY) != 0)
    return Error::fromErrno("bpf(BPF_MAP_UPDATE_ELEM, " + what + ")", errno);
  // Pinned for the next runs, so that they reach it without CAP_SYS_ADMIN; without the pin they
  // make their own.
  if (!pin.empty()) (void)bpf::pinReplacing(fd, pin);
  return ring;
}

Result<Programs::Ring> Programs::claimRing() const {
  static constexpr const char* kRunDir = "/run/privbind";
  static constexpr const char* kRingDir = "/run/privbind/rings";
  if (mkdir(kRunDir, 0755) != 0 && errno != EEXIST)
    return Error::fromErrno(std::string("mkdir(") + kRunDir + ", 0755)", errno);
  if (mkdir(kRingDir, 0700) != 0 && errno != EEXIST)
    return Error::fromErrno(std::string("mkdir(") + kRingDir + ", 0700)", errno);
  for (uint32_t slot = 0; slot < PRIVBIND_RING_SLOTS; ++slot) {
    const std::string path = std::string(kRingDir) + "/" + std::to_string(slot);
    Ring r;
    r.slot = slot;
    r.lock = UniqueFd(retryEintr(
        [&] { return open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600); }));
    if (!r.lock) return Error::fromErrno("open(" + path + ")", errno);
    if (flock(r.lock.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) continue;  // another run's
      return Error::fromErrno("flock(" + path + ")", errno);
    }
    auto ring = slotRing(slot);
    if (!ring) return ring.error();
    r.ring = std::move(*ring);
    return r;
  }
  // The caller's refusal says "cgroup mode: " before this.
  return Error::refuse("a ring buffer for the reports",
                       "all " + std::to_string(PRIVBIND_RING_SLOTS) +
                           " are taken by runs with -p, -n, --max-bound or --trace-binds");
}

std::string Programs::names() const {
  std::string out;
  for (const Piece& piece : kPieces)
    if (piece.program && needs(policy_, piece.fd))
      out += (out.empty() ? "" : "/") + std::string(piece.name);
  return out;
}

}  // namespace privbind::cgroupmode
